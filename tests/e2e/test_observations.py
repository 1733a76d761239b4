"""A supervisor fills the observation grid with the keyboard in a real browser, then reads
a cell's history; on a phone the grid scrolls sideways and says so."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from portal.db import utcnow
from portal.observations.models import ObservationEntry
from tests.e2e.support import LiveServer, assert_accessible, log_in, screenshot
from tests.factories import import_observation_forms

pytestmark = pytest.mark.e2e

TRAINEE = "林小雨（演示新客服）"


@pytest.fixture(scope="module", autouse=True)
def forms_imported(live_server: LiveServer) -> None:
    with live_server.db() as session:
        import_observation_forms(session, now=utcnow())


def test_supervisor_scores_cells_with_digits_and_arrows(page: Page,
                                                        live_server: LiveServer) -> None:
    log_in(page, "demo-supervisor")
    page.get_by_role("link", name="观察表").click()
    page.get_by_label("观察表", exact=True).select_option(label="服务质量观察表")
    page.get_by_role("button", name="打开").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("服务质量观察表")
    grid = page.get_by_role("table")
    expect(grid.get_by_role("columnheader", name=re.compile("问候语"))).to_be_visible()
    assert_accessible(page, "the observation grid")

    greeting = page.get_by_label(f"{TRAINEE}：问候语 评分（1–5）")
    greeting.focus()
    page.keyboard.press("4")  # a digit sets the score and saves the cell
    cell = page.locator("td", has=page.get_by_label(f"{TRAINEE}：问候语 评分（1–5）"))
    expect(cell).to_contain_text("陈涛（演示客服主管） 记录于")
    expect(page.get_by_label(f"{TRAINEE}：问候语 评分（1–5）")).to_have_value("4")
    expect(page.get_by_label(f"{TRAINEE}：问候语 评分（1–5）")).to_be_focused()

    page.keyboard.press("ArrowRight")  # to the next item of the same trainee
    need = page.get_by_label(f"{TRAINEE}：了解客户需求准确性 评分（1–5）")
    expect(need).to_be_focused()
    page.keyboard.press("x")  # not a score: nothing goes in
    expect(need).to_have_value("")
    page.keyboard.press("2")
    expect(page.locator("td", has=page.get_by_label(
        f"{TRAINEE}：了解客户需求准确性 评分（1–5）"))).to_contain_text("记录于")
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_label(f"{TRAINEE}：问候语 评分（1–5）")).to_be_focused()
    page.keyboard.press("5")  # a change: a second entry, the first kept in the history
    expect(page.locator("td", has=page.get_by_label(f"{TRAINEE}：问候语 评分（1–5）"))
           .get_by_role("status")).to_have_text(f"已保存 {TRAINEE} 的“问候语”：5 分")
    # The saved cell is settled (focus back on its score) before the next key.
    expect(page.get_by_label(f"{TRAINEE}：问候语 评分（1–5）")).to_be_focused()
    expect(page.locator("td", has=page.get_by_label(f"{TRAINEE}：问候语 评分（1–5）"))
           .locator(".obs-cell__save")).to_have_attribute("tabindex", "-1")

    # Tab leaves the score for the cell's note toggle, then reaches the next cell's score.
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text(re.compile("^备注"))
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.type("开场问候很热情")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # "保存评分和备注"
    expect(page.locator("td", has=page.get_by_label(f"{TRAINEE}：问候语 评分（1–5）"))
           ).to_contain_text("开场问候很热情")
    assert_accessible(page, "the observation grid after saving")
    screenshot(page, "observation-grid")

    with live_server.db() as session:
        rows = session.execute(sa.select(ObservationEntry.item, ObservationEntry.score,
                                         ObservationEntry.note)
                               .order_by(ObservationEntry.id)).all()
    assert [tuple(r) for r in rows] == [("greeting", 4, ""), ("need", 2, ""),
                                        ("greeting", 5, ""), ("greeting", 5, "开场问候很热情")]

    page.get_by_text(re.compile(f"^备注.*{re.escape(TRAINEE)} 问候语")).click()
    page.get_by_role("link", name="修改历史（3 条）").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{TRAINEE}：问候语 的观察记录")
    expect(page.get_by_role("row")).to_have_count(4)
    assert_accessible(page, "a cell's history")


def test_on_a_phone_the_grid_scrolls_sideways(new_context) -> None:  # type: ignore[no-untyped-def]
    page = new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                       has_touch=True).new_page()
    log_in(page, "demo-trainer")
    page.goto("/observations?form=skills")
    expect(page.get_by_text("表格较宽，可左右滑动查看全部观察项。")).to_be_visible()
    wrap = page.get_by_role("region", name=re.compile("岗位技能观察表"))
    assert wrap.evaluate("el => el.scrollWidth > el.clientWidth")
    assert page.evaluate("() => document.documentElement.scrollWidth <= 390")
    assert_accessible(page, "the observation grid on a phone")
    screenshot(page, "observation-grid-phone")
