"""The decisions after the week in one journey, in a real browser with axe on each page: a
supervisor scores an observation cell, runs the placement, changes one placement with a
reason and confirms; the trainer proposes probation for a trainee and the second supervisor
decides it; the trainee sees the role and the outcome on the home page; the dashboard shows
both."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from portal.db import utcnow
from portal.placement import services as placement
from portal.placement.models import PlacementRow
from tests.e2e.support import LiveServer, assert_accessible, log_in, log_out, screenshot
from tests.factories import PASSWORD, build_probation_world, fill_observations, set_placement_plan

pytestmark = pytest.mark.e2e

LABELS = {"pre-sales": "售前", "after-sales": "售后"}
FIRST, SECOND = "转正新人1", "转正新人2"


@pytest.fixture(scope="module")
def world(live_server: LiveServer) -> dict[str, object]:
    """A cohort of two followed by a trainer and two supervisors; both trainees observed on
    every item; the first prefers pre-sales; a plan of two places per role."""
    now = utcnow() - timedelta(hours=2)
    with live_server.db() as session:
        made = build_probation_world(session, now=now, size=2)
        for trainee, score in zip(made.trainees, (4, 3), strict=True):
            fill_observations(session, actor=made.trainer, trainee=trainee, now=now,
                              scores={"service": score, "skills": score})
        placement.set_preference(session, trainee=made.trainees[0], role="pre-sales", now=now)
        set_placement_plan(session, supervisor=made.supervisor, cohort=made.cohort, pre_sales=2,
                           after_sales=2, now=now)
        return {"trainer": made.trainer.employee_no, "supervisor": made.supervisor.employee_no,
                "second": made.second_supervisor.employee_no,
                "trainees": [t.employee_no for t in made.trainees],
                "trainee_ids": [t.id for t in made.trainees], "cohort_id": made.cohort.id}


def test_placement_and_probation_decided_and_seen_by_the_trainee(
        page: Page, live_server: LiveServer, world: dict[str, object]) -> None:
    trainees = world["trainees"]
    assert isinstance(trainees, list)
    # The supervisor scores one observation cell in the grid.
    log_in(page, str(world["supervisor"]), PASSWORD)
    page.get_by_role("link", name="观察表").click()
    page.get_by_label("批次", exact=True).select_option(label="转正批次")
    page.get_by_label("观察表", exact=True).select_option(label="服务质量观察表")
    page.get_by_role("button", name="打开").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("服务质量观察表")
    cell = page.get_by_label(f"{SECOND}：问候语 评分（1–5）")
    cell.focus()
    page.keyboard.press("5")
    expect(page.locator("td", has=page.get_by_label(f"{SECOND}：问候语 评分（1–5）"))
           .get_by_role("status")).to_have_text(f"已保存 {SECOND} 的“问候语”：5 分")
    assert_accessible(page, "the observation grid")

    # Runs the placement, changes the second trainee's role with a reason, confirms.
    page.goto("/placement")
    expect(page.get_by_role("heading", level=1)).to_contain_text("岗位安排：转正批次")
    page.get_by_role("button", name="生成安排方案").click()
    expect(page.get_by_role("status")).to_have_text("已生成岗位安排方案。")
    assert_accessible(page, "the proposal")
    page.reload()  # a fresh page after axe (see test_placement.py)
    with live_server.db() as session:
        proposed = session.scalar(sa.select(PlacementRow.role).where(
            PlacementRow.trainee_id == world["trainee_ids"][1]))  # type: ignore[index]
    assert proposed is not None
    other = "pre-sales" if proposed.value == "after-sales" else "after-sales"
    row = page.get_by_role("table").get_by_role("row", name=SECOND)
    row.locator("summary", has_text="调整").click()
    row.get_by_label("调整到").select_option(label=LABELS[other])
    row.get_by_label("原因", exact=True).select_option(label="现场带教观察")
    row.get_by_label("说明", exact=False).fill("问候和接待节奏都很好")
    row.get_by_role("button", name="保存调整").click()
    expect(page.get_by_role("status")).to_have_text("已调整岗位安排。")
    page.get_by_role("button", name="确认岗位安排").click()
    expect(page.get_by_role("status")).to_have_text("已确认岗位安排，新客服现在可以看到自己的岗位。")
    assert_accessible(page, "the confirmed placement")
    log_out(page)

    # The trainer proposes probation for the second trainee.
    log_in(page, str(world["trainer"]), PASSWORD)
    page.get_by_role("link", name="转正", exact=True).click()
    page.get_by_role("row", name=re.compile(SECOND)).get_by_role("link", name=SECOND).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(f"转正评估：{SECOND}"))
    assert_accessible(page, "the probation case")
    on = (utcnow() + timedelta(days=30)).date()
    page.get_by_label("结果").select_option(label="按期转正")
    page.get_by_label(re.compile("^日期")).fill(on.isoformat())
    page.get_by_label(re.compile("^理由")).fill("观察表全部达标，接待稳定")
    page.get_by_role("button", name="提出提议").click()
    expect(page.get_by_role("status").filter(has_text="提议已记录")).to_be_visible()
    log_out(page)

    # The second supervisor decides it.
    log_in(page, str(world["second"]), PASSWORD)
    page.goto(f"/probation/trainees/{world['trainee_ids'][1]}")  # type: ignore[index]
    expect(page.get_by_role("heading", name="作出决定")).to_be_visible()
    assert_accessible(page, "the decision form")
    page.get_by_label("同意提议").check()
    page.get_by_label(re.compile("^理由")).fill("同意按期转正")
    page.get_by_role("button", name="记录决定").click()
    expect(page.get_by_role("status").filter(has_text="决定已记录")).to_be_visible()

    # The dashboard shows both.
    page.goto(f"/cohorts/{world['cohort_id']}/dashboard")
    placed = page.get_by_role("region", name="岗位安排", exact=True)
    expect(placed).to_contain_text("状态：已确认")
    expect(placed).to_contain_text("已调整 1 人")
    probation = page.get_by_role("region", name="转正", exact=True)
    expect(probation).to_contain_text("已决定 1 人，等待决定 0 条，还没有提议 1 人（共 2 人）。")
    assert_accessible(page, "the dashboard with the decisions")
    screenshot(page, "decisions-dashboard")
    log_out(page)

    # The trainee sees the role and the outcome on the home page.
    log_in(page, trainees[1], PASSWORD)
    expect(page.get_by_text(f"你的岗位已确认：{LABELS[other]}。")).to_be_visible()
    outcome = page.get_by_role("region", name="转正结果")
    expect(outcome).to_contain_text("按期转正")
    expect(outcome).to_contain_text(f"{on.year}年{on.month}月{on.day}日")
    expect(outcome).not_to_contain_text("观察表全部达标")
    assert_accessible(page, "the trainee's home with the role and the outcome")
    screenshot(page, "decisions-trainee-home")
