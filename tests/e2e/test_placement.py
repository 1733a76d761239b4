"""Placement in a real browser: a trainee states a preference, a supervisor plans, proposes,
changes one placement with a reason and confirms, and the trainee sees the role on the home
page; the pages pass axe and fit a phone."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from portal.auth.models import Cohort, Role, User
from portal.db import utcnow
from portal.observations import services as observations
from portal.placement.models import PlacementRow
from tests.e2e.support import LiveServer, assert_accessible, log_in, log_out, screenshot
from tests.factories import import_observation_forms, make_user

pytestmark = pytest.mark.e2e

TRAINEE = "林小雨（演示新客服）"
LABELS = {"pre-sales": "售前", "after-sales": "售后"}


@pytest.fixture(scope="module", autouse=True)
def cohort_with_evidence(live_server: LiveServer) -> None:
    """Two more trainees in the demo cohort; the demo trainee observed on two items."""
    with live_server.db() as session:
        import_observation_forms(session, now=utcnow())
        cohort = session.scalars(sa.select(Cohort)).first()
        assert cohort is not None
        for n in (1, 2):
            make_user(session, cohort=cohort, display_name=f"同批新人{n}", employee_no=f"P00{n}")
        trainee = session.scalars(sa.select(User).where(User.employee_no == "demo-trainee")).one()
        supervisor = session.scalars(sa.select(User).where(
            User.role == Role.SUPERVISOR, User.employee_no == "demo-supervisor")).one()
        for item, score in (("product_intro", 4), ("after_sales", 3)):
            observations.record_entry(session, actor=supervisor, trainee_id=trainee.id,
                                      form_key="service", item=item, score=score, note="",
                                      now=utcnow())


def _fits_a_phone(page: Page, where: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > 392).slice(0, 8)
        .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""")
    assert width <= 390, f"{where} scrolls sideways on a phone ({width}px): {wide}"
    page.set_viewport_size({"width": 1280, "height": 800})


def test_preference_proposal_change_confirmation_and_the_trainee_sees_the_role(
        page: Page, live_server: LiveServer) -> None:
    log_in(page, "demo-trainee")
    page.get_by_role("link", name="岗位意向", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("我的岗位意向")
    assert_accessible(page, "the preference page")
    _fits_a_phone(page, "the preference page")
    page.reload()
    page.get_by_role("radio", name="售后").check()
    page.get_by_role("button", name="保存意向").click()
    expect(page.get_by_role("status")).to_have_text("已保存你的岗位意向：售后。")
    expect(page.locator("#preference .history")).to_contain_text("售后")
    page.get_by_role("link", name="我的培训").click()
    expect(page.get_by_text("你的意向岗位：售后。")).to_be_visible()
    log_out(page)

    log_in(page, "demo-supervisor")
    page.get_by_role("link", name="岗位安排", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("岗位安排：")
    assert_accessible(page, "the placement page without a plan")
    page.reload()
    page.get_by_label("售前名额（人）").fill("2")
    page.get_by_label("售后名额（人）").fill("2")
    page.get_by_role("button", name="保存人员计划").click()
    expect(page.get_by_role("status")).to_have_text("已保存人员计划。")
    page.get_by_role("button", name="生成安排方案").click()
    expect(page.get_by_role("status")).to_have_text("已生成岗位安排方案。")
    table = page.get_by_role("table")
    expect(table.get_by_role("row", name=TRAINEE)).to_be_visible()
    assert_accessible(page, "the proposal")
    _fits_a_phone(page, "the proposal")
    screenshot(page, "placement-proposal")
    # axe and the screenshot leave empty style attributes behind, which htmx's settle would
    # copy (and the CSP refuse): carry on from a fresh page, as a person would see it.
    page.reload()

    with live_server.db() as session:
        proposed = session.scalar(sa.select(PlacementRow.role).join(
            User, User.id == PlacementRow.trainee_id).where(User.employee_no == "demo-trainee"))
    assert proposed is not None
    other = "pre-sales" if proposed.value == "after-sales" else "after-sales"
    row = table.get_by_role("row", name=TRAINEE)
    row.locator("summary", has_text="调整").click()  # the row's change toggle
    row.get_by_label("调整到").select_option(label=LABELS[other])
    row.get_by_label("原因", exact=True).select_option(label="现场带教观察")
    row.get_by_label("说明", exact=False).fill("带教时接待咨询很主动")
    row.get_by_role("button", name="保存调整").click()
    expect(page.get_by_role("status")).to_have_text("已调整岗位安排。")
    changed = page.get_by_role("table").get_by_role("row", name=TRAINEE)
    expect(changed).to_contain_text("带教时接待咨询很主动")
    expect(changed).to_contain_text(f"已调整（原方案：{LABELS[proposed.value]}）")
    page.get_by_role("button", name="确认岗位安排").click()
    expect(page.get_by_role("status")).to_have_text("已确认岗位安排，新客服现在可以看到自己的岗位。")
    expect(page.get_by_role("button", name="确认岗位安排")).to_have_count(0)
    assert_accessible(page, "the confirmed placement")
    log_out(page)

    log_in(page, "demo-trainee")
    expect(page.get_by_text(f"你的岗位已确认：{LABELS[other]}。")).to_be_visible()
    page.get_by_role("link", name="岗位意向", exact=True).click()
    expect(page.get_by_role("radio")).to_have_count(0)  # fixed now
    screenshot(page, "placement-trainee-confirmed")
