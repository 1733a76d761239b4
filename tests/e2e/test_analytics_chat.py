"""A trainer's chat-scenario analytics in a real browser: from the index to one customer's
page, its chart with a text alternative and a data table, the agreement with reviewers, a
CSV download, desktop and phone width, axe."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import BrowserContext, Page, expect

from portal.chat.models import ChatAttempt, ChatAttemptStatus
from portal.chat.services.review import engine_items
from portal.db import utcnow
from tests.e2e.support import LiveServer, assert_accessible, log_in, screenshot
from tests.factories import PASSWORD, build_finished_cohort, make_chat_review

pytestmark = pytest.mark.e2e

TITLE = "售前议价：买家要求便宜"  # presale-bargain: the one customer of the drill scored on bargaining


@pytest.fixture(scope="module")
def trainer(live_server: LiveServer) -> str:
    """The demo's finished cohort of three, the trainer's review of bargaining on each of its
    chat attempts (only 王姐's rubric has it: attributable to her), one point off the
    engine's on the first."""
    with live_server.db() as session:
        made = build_finished_cohort(session, now=utcnow())
        attempts = session.scalars(sa.select(ChatAttempt).where(
            ChatAttempt.status == ChatAttemptStatus.FINISHED,
            ChatAttempt.user_id.in_([t.id for t in made.trainees]))
            .order_by(ChatAttempt.id)).all()
        assert attempts
        for i, attempt in enumerate(attempts):
            engine = engine_items(attempt)
            bargaining = next(v for k, v in engine.items() if k.value == "bargaining")
            points = bargaining.points if i else max(0.0, bargaining.points - 1)
            make_chat_review(session, reviewer=made.trainer, attempt_id=attempt.id,
                             item="bargaining", points=points,
                             reason="agree" if i else "missed_bad", now=utcnow())
        return made.trainer.employee_no


def test_a_trainer_reads_a_scenarios_figures_and_downloads_a_table(
        page: Page, trainer: str) -> None:
    log_in(page, trainer, PASSWORD)
    page.goto("/analytics/chat")
    expect(page.get_by_role("heading", level=1)).to_have_text("模拟对话分析")
    drills = page.get_by_role("table", name="各模拟接待考核的考试次数")
    expect(drills.get_by_role("rowheader", name=re.compile("新客服模拟接待考核"))).to_be_visible()
    page.get_by_role("table", name="各对话场景的接待次数").get_by_role(
        "link", name=TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"对话场景：{TITLE}")
    expect(page.get_by_text("王姐（", exact=False).first).to_be_visible()

    items = page.get_by_role("table", name="各评分项的平均得分")
    expect(items.get_by_role("rowheader", name="客户议价回复的得体性")).to_be_visible()
    expect(items).to_contain_text("样本太少（不足 10 次）")
    expect(page.get_by_role("img", name=f"{TITLE} 响应时间分布")).to_be_visible()
    # The data behind the chart opens from the keyboard.
    page.get_by_text("数据表：响应时间分布").focus()
    page.keyboard.press("Enter")
    bands = page.get_by_role("table", name="各响应时间档的轮次")
    expect(bands).to_be_visible()
    expect(bands.get_by_role("rowheader", name="30 秒以内（及时，满分）")).to_be_visible()
    agreement = page.get_by_role("table", name="各时间段系统与复核评分的一致性")
    expect(agreement.get_by_role("rowheader", name="合计")).to_be_visible()
    expect(page.get_by_text("客户议价回复的得体性（3 对）")).to_be_visible()
    assert_accessible(page, "a chat scenario's analytics")
    screenshot(page, "analytics-chat-scenario")

    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile(r"^下载 CSV\s*：各评分项得分$")).click()
    download = info.value
    assert download.suggested_filename.startswith(f"{TITLE}-评分项得分-")
    body = download.path().read_bytes().decode("utf-8-sig")
    assert body.splitlines()[0].startswith("评分项,满分,平均得分,平均得分率（百分比）")
    assert "客户议价回复的得体性" in body


def test_the_pages_fit_a_phone(new_context, trainer: str) -> None:  # type: ignore[no-untyped-def]
    context: BrowserContext = new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, trainer, PASSWORD)
    page.goto("/analytics/chat")
    expect(page.get_by_role("heading", level=2, name="对话场景")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, "the chat analytics index on a phone")
    page.get_by_role("link", name=TITLE, exact=True).click()
    expect(page.get_by_role("heading", level=2, name="响应时间")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    widths = page.eval_on_selector_all("svg.chart",
                                       "els => els.map(e => e.getBoundingClientRect().width)")
    assert widths and all(0 < w <= 390 for w in widths)
    csv_links = page.get_by_role("link", name=re.compile("^下载 CSV"))
    expect(csv_links).to_have_count(5)  # a CSV per table; no violation with 王姐, no table
    box = csv_links.first.bounding_box()
    assert box is not None and box["height"] >= 44  # a tap target on a phone
    assert_accessible(page, "a chat scenario's analytics on a phone")
    screenshot(page, "analytics-chat-scenario-phone")
