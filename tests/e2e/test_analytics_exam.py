"""A trainer finds a flagged question in an exam's item analysis, reads why, and opens it
to edit; the pages pass axe and fit a phone."""
from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from portal.db import utcnow
from tests.e2e.support import LiveServer, assert_accessible, log_in, screenshot
from tests.factories import PASSWORD, build_exam_world

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def world(live_server: LiveServer) -> dict[str, str]:
    with live_server.db() as session:
        made = build_exam_world(session, now=utcnow())
        return {"trainer": made.trainer.employee_no, "supervisor": made.supervisor.employee_no}


def test_a_trainer_opens_a_flagged_question_from_the_analysis(
        page: Page, world: dict[str, str]) -> None:
    log_in(page, world["trainer"], PASSWORD)
    page.get_by_role("link", name="数据分析").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("数据分析")
    assert_accessible(page, "the analytics index")
    page.get_by_role("link", name="测试考试").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("测试考试 · 题目分析")
    expect(page.get_by_text("作答少于 30 次：区分度波动很大")).to_be_visible()
    expect(page.get_by_role("img", name="测试考试 得分分布")).to_be_visible()
    flagged = page.get_by_role("region", name="需要看一看的题（2 道）")
    expect(flagged.get_by_text("太容易")).to_be_visible()
    assert_accessible(page, "an exam's item analysis")
    screenshot(page, "analytics-exam")
    flagged.get_by_role("link", name="响应时间 100 秒以上算差。").click()
    expect(page.get_by_text("得分率 100%，高于 90%：几乎人人答对")).to_be_visible()
    options = page.get_by_role("table", name="各选项的选择情况")
    expect(options.get_by_role("rowheader", name="对 正确答案")).to_be_visible()
    assert_accessible(page, "a question's analysis")
    screenshot(page, "analytics-question")
    page.get_by_role("link", name="修改这道题").click()
    expect(page).to_have_url(f"{page.url.split('/banks/')[0]}/banks/demo-bank/questions/tf/edit")


def test_the_analysis_fits_a_phone_and_is_counted_as_chosen(
        new_context, world: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    context: BrowserContext = new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, world["supervisor"], PASSWORD)
    page.goto(page.url.rsplit("/", 1)[0] + "/analytics/exams/demo-exam")
    page.get_by_label("全部作答").check()
    page.get_by_role("button", name="重新统计").click()
    expect(page.get_by_text("统计了 11 次已评完分的作答（全部作答）")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, "an exam's item analysis on a phone")
    screenshot(page, "analytics-exam-phone")
    expect(page.get_by_role("link", name="修改这道题")).to_have_count(0)
