"""Taking an exam in a real browser: autosave, resume, offline, the deadline, the review."""
from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import BrowserContext, Page, expect

from portal.db import utcnow
from portal.exams.models import Attempt, Response
from tests.e2e.support import ConsoleWatch, LiveServer, assert_accessible, log_in, screenshot
from tests.factories import import_demo_exam

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", autouse=True)
def demo_exam(live_server: LiveServer) -> None:
    with live_server.db() as session:
        import_demo_exam(session, now=utcnow())


def _answer(live_server: LiveServer, attempt_id: int, position: int) -> object:
    with live_server.db() as session:
        return session.scalars(sa.select(Response.answer).where(
            Response.attempt_id == attempt_id, Response.position == position)).one()


def test_answers_are_saved_kept_across_reload_and_survive_going_offline(
        page: Page, context: BrowserContext, live_server: LiveServer,
        console: ConsoleWatch) -> None:
    log_in(page, "demo-trainee")
    page.goto("/exams/demo-exam")
    assert_accessible(page, "the exam start page")
    page.get_by_role("button", name="开始考试").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("测试考试")
    attempt_id = int(re.search(r"/attempts/(\d+)", page.url).group(1))
    question = page.locator("#q1")
    question.get_by_label("销售额除以订单数").check()
    expect(page.locator("#receipt-1")).to_contain_text(re.compile(r"已保存 \d\d:\d\d:\d\d"))
    expect(page.locator("#nav-1")).to_have_class(re.compile("nav-item--answered"))
    page.locator("#q4").get_by_label("第 1 空").fill("红")
    expect(page.locator("#receipt-4")).to_contain_text("已保存")
    assert_accessible(page, "an attempt")
    screenshot(page, "exam-attempt")

    page.reload()
    expect(page.locator("#q1").get_by_label("销售额除以订单数")).to_be_checked()
    expect(page.locator("#q4").get_by_label("第 1 空")).to_have_value("红")

    # Offline: the change stays in the page, a banner says so, and it is saved on return.
    console.allow(r"ERR_INTERNET_DISCONNECTED|Failed to load resource|htmx:sendError|htmx:afterRequest")
    context.set_offline(True)
    page.locator("#q1").get_by_label("订单数除以销售额").check()
    banner = page.locator("#connection-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("网络连接中断")
    expect(page.locator("#q1").get_by_label("订单数除以销售额")).to_be_checked()
    assert _answer(live_server, attempt_id, 1) == "a"
    context.set_offline(False)
    expect(banner).to_contain_text("连接已恢复", timeout=15_000)
    assert _answer(live_server, attempt_id, 1) == "b"


def test_a_stale_tab_shows_the_newer_answer_another_tab_saved(
        context: BrowserContext, live_server: LiveServer) -> None:
    tab_a = context.new_page()
    log_in(tab_a, "demo-trainee")
    tab_a.goto("/exams/demo-exam")
    tab_a.get_by_role("link", name="继续作答").or_(
        tab_a.get_by_role("button", name=re.compile("开始考试|再考一次"))).first.click()
    attempt_id = int(re.search(r"/attempts/(\d+)", tab_a.url).group(1))
    tab_b = context.new_page()  # the same trainee in a second tab, opened on the same page
    tab_b.goto(tab_a.url)
    tab_b.locator("#q5").get_by_label("答案").fill("300")
    expect(tab_b.locator("#receipt-5")).to_contain_text("已保存")
    # The first tab, still showing the old page, saves an older revision of question 5.
    field_a = tab_a.locator("#q5").get_by_label("答案")
    field_a.fill("299")
    expect(tab_a.locator("#receipt-5")).to_contain_text("另一个窗口")
    expect(tab_a.locator("#receipt-5")).not_to_contain_text("已保存")
    expect(field_a).to_have_value("300")  # the kept answer, swapped into the stale tab
    assert _answer(live_server, attempt_id, 5) == "300"
    # A change made now in the first tab is the newest one and is saved.
    tab_a.locator("#q5").get_by_label("答案").fill("301")
    expect(tab_a.locator("#receipt-5")).to_contain_text("已保存")
    assert _answer(live_server, attempt_id, 5) == "301"


def test_the_deadline_submits_the_attempt_and_the_review_explains(
        page: Page, live_server: LiveServer) -> None:
    page.clock.install()
    log_in(page, "demo-trainee")
    page.goto("/exams/demo-exam")
    page.get_by_role("link", name="继续作答").or_(
        page.get_by_role("button", name=re.compile("开始考试|再考一次"))).first.click()
    attempt_id = int(re.search(r"/attempts/(\d+)", page.url).group(1))
    page.locator("#q3").get_by_label("对").check()
    expect(page.locator("#receipt-3")).to_contain_text("已保存")
    with live_server.db() as session:
        attempt = session.get(Attempt, attempt_id)
        attempt.deadline_at = utcnow() + timedelta(seconds=2)
    page.reload()
    time.sleep(2.5)  # the server's deadline passes for real ...
    page.clock.run_for(5_000)  # ... and the page's countdown reaches zero
    expect(page).to_have_url(re.compile(rf"/attempts/{attempt_id}/result$"))
    expect(page.get_by_role("status").first).to_contain_text("自动交卷")
    expect(page.locator("#r3")).to_contain_text("✓ 正确")
    expect(page.locator("#r3")).to_contain_text("解析")
    assert_accessible(page, "the result page")
    screenshot(page, "exam-result")
