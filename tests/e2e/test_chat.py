"""The chat exam in a real browser, with the server's clock and Playwright's moved together:
one customer from greeting to result, then two customers at once with waiting bands, quick
phrases, Enter to send, and the score breakdown with the highlighted evidence."""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from portal.db import utcnow
from tests.e2e.support import ConsoleWatch, LiveServer, assert_accessible, log_in, screenshot
from tests.factories import PASSWORD, import_chats, make_chat_trainee

pytestmark = pytest.mark.e2e


class ServerClock:
    """The live server's clock (CHAT_CLOCK): it moves only when the test moves it."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture(scope="module", autouse=True)
def chats(live_server: LiveServer) -> None:
    with live_server.db() as session:
        import_chats(session, now=utcnow())


@pytest.fixture
def server_clock(live_server: LiveServer) -> Iterator[ServerClock]:
    clock = ServerClock(utcnow())
    live_server.app.config["CHAT_CLOCK"] = clock
    yield clock
    live_server.app.config.pop("CHAT_CLOCK", None)


def _wait(page: Page, clock: ServerClock, seconds: int) -> None:
    """`seconds` pass on the server and in the page (its timers, so its polls, fire)."""
    clock.at += timedelta(seconds=seconds)
    page.clock.run_for(seconds * 1000)


def _send(page: Page, text: str) -> None:
    box = page.get_by_label(re.compile("^回复 "))
    box.fill(text)
    box.press("Enter")
    expect(page.locator("#chat-messages")).to_contain_text(text)
    expect(box).to_have_value("")


def test_one_customer_from_the_first_message_to_the_scored_result(
        page: Page, live_server: LiveServer, server_clock: ServerClock,
        console: ConsoleWatch) -> None:
    page.clock.install()
    log_in(page, "demo-trainee")
    page.goto("/chat/drills/one")
    assert_accessible(page, "the chat exam's start page")
    page.get_by_role("button", name="开始接待").click()
    messages = page.locator("#chat-messages")
    expect(messages).to_contain_text("你好，能给我发韵达吗？")
    expect(page.locator("#chat-customers")).to_contain_text("小林")
    expect(page.get_by_role("complementary")).to_contain_text("本店合作快递：申通、中通、圆通")
    _wait(page, server_clock, 5)
    expect(messages).to_contain_text("别的快递都送不到家")
    # The screen reader is told of the new message.
    expect(page.locator("#chat-announce")).to_contain_text("小林：别的快递都送不到家")
    assert_accessible(page, "the chat console")

    # A quick phrase, kept for next time, inserted at the cursor; Shift+Enter breaks a line.
    page.get_by_text("快捷短语", exact=True).click()
    page.get_by_label("新增快捷短语").fill("亲，您好~")
    page.get_by_role("button", name="添加").click()
    page.get_by_role("button", name="插入快捷短语：亲，您好~").click()
    box = page.get_by_label("回复 小林")
    expect(box).to_have_value("亲，您好~")
    box.press("End")
    box.press("Shift+Enter")
    box.type("我们合作的是申通、中通和圆通哦")
    expect(box).to_have_value("亲，您好~\n我们合作的是申通、中通和圆通哦")
    box.press("Enter")
    expect(messages).to_contain_text("我们合作的是申通、中通和圆通哦")
    expect(box).to_have_value("")
    screenshot(page, "chat-console")

    # The customer thanks; a goodbye is still taken, then the attempt ends.
    _wait(page, server_clock, 6)
    expect(messages).to_contain_text("好吧，那就中通吧，谢谢")
    expect(messages).to_contain_text("还可以回复一句道别")
    _send(page, "感谢理解，祝您生活愉快~")
    _wait(page, server_clock, 21)
    expect(page).to_have_url(re.compile(r"/chat/attempts/\d+/result$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("单人接待体验")
    verdict = page.locator(".chat-result__verdict")
    expect(verdict).to_contain_text("通过")
    expect(verdict).to_contain_text("系统评分 100")
    items = page.get_by_role("table")
    expect(items.get_by_role("row", name=re.compile("问候语"))).to_contain_text("1 / 1")
    expect(items.get_by_role("row", name=re.compile("对客户提问回复的准确性"))).to_contain_text(
        "3 / 3")
    evidence = page.locator(".chat-result__evidence mark")
    expect(evidence.first).to_have_text("您好")
    expect(page.locator(".chat-result__evidence")).to_contain_text("问候语：加分 1 分")
    expect(page.get_by_text("回复率")).to_be_visible()
    assert_accessible(page, "the chat result")
    screenshot(page, "chat-result")


def test_two_customers_at_once_on_a_phone_with_bands_and_a_critical_violation(
        page: Page, live_server: LiveServer, server_clock: ServerClock) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.clock.install()
    log_in(page, "demo-trainee")
    page.goto("/chat/drills/pair")
    page.get_by_role("button", name="开始接待").click()
    customers = page.locator("#chat-customers")
    expect(customers).to_contain_text("小林")
    expect(page.get_by_text("还有 1 位未进线")).to_be_visible()
    _wait(page, server_clock, 21)
    expect(customers).to_contain_text("阿强")
    aqiang = customers.get_by_role("listitem").filter(has_text="阿强")
    expect(aqiang).to_contain_text("1 条未读")
    xiaolin = customers.get_by_role("listitem").filter(has_text="小林")
    _wait(page, server_clock, 15)
    # 小林 has waited past 30 s (the good band of 003): amber.
    expect(xiaolin).to_have_class(re.compile("chat__customer--amber"))
    screenshot(page, "chat-console-phone")

    aqiang.get_by_role("link").click()
    expect(page.get_by_role("heading", name="与 阿强 的对话")).to_be_visible()
    expect(page.locator("#chat-messages")).to_contain_text("帮我把价格改高一块钱")
    _send(page, "亲，价格是平台统一的，不能改高哦")
    page.locator("#chat-customers").get_by_role("listitem").filter(
        has_text="小林").get_by_role("link").click()
    expect(page.get_by_role("heading", name="与 小林 的对话")).to_be_visible()
    _send(page, "可以的亲，给您韵达")
    _wait(page, server_clock, 30)
    expect(page).to_have_url(re.compile(r"/chat/attempts/\d+/result$"))
    expect(page.locator(".chat-result__verdict")).to_contain_text("未通过")
    expect(page.get_by_role("alert")).to_contain_text("承诺店铺做不到的事")
    expect(page.locator("mark.mark--bad").first).to_have_text("给您韵达")
    table = page.get_by_role("table")
    expect(table.get_by_role("row", name=re.compile("客户议价回复的得体性"))).to_contain_text(
        "2 / 2")
    expect(page.get_by_role("heading", name=re.compile("阿强"))).to_be_visible()
    assert_accessible(page, "the chat result on a phone")
    screenshot(page, "chat-result-phone")


def test_a_long_last_message_does_not_widen_the_console_on_a_phone(
        page: Page, live_server: LiveServer, server_clock: ServerClock) -> None:
    with live_server.db() as session:
        employee_no = make_chat_trainee(session, now=server_clock.at).employee_no
    page.set_viewport_size({"width": 390, "height": 844})
    page.clock.install()
    log_in(page, employee_no, PASSWORD)
    page.goto("/chat/drills/solo")
    page.get_by_role("button", name="开始接待").click()
    expect(page.locator("#chat-customers")).to_contain_text("小林")
    # The customer's tab shows the last message cut to one line, within the screen.
    _send(page, "亲，您好，这边先帮您查一下仓库和各家快递网点的情况哦")  # 26: shown whole
    expect(page.locator(".chat__customer-last").first).to_contain_text("亲，您好")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
