"""The trainers' side of chat exams in a real browser: a trainer plays a scenario in the
player before publishing, tests a matcher, and overrides an item of a trainee's finished
attempt, which the trainee then sees on the result page beside the system's score."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from portal.auth.models import User
from portal.db import utcnow
from tests.chat import chat_web_fixtures, staff_fixtures
from tests.e2e.support import LiveServer, assert_accessible, log_in, log_out, screenshot
from tests.factories import import_chats, make_finished_chat_attempt

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", autouse=True)
def chats(live_server: LiveServer) -> None:
    # The player reads the console tests' chats folder; the same files are imported.
    live_server.app.config["CHAT_FOLDER"] = str(chat_web_fixtures.CHATS)
    with live_server.db() as session:
        import_chats(session, now=utcnow())


def test_a_trainer_plays_a_scenario_and_tests_a_matcher(page: Page) -> None:
    log_in(page, "demo-trainer")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="对话剧本").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("剧本试玩")
    page.get_by_label("剧本").select_option(label="买家想发韵达（题库文件夹）")
    page.get_by_role("button", name="开始试玩").click()
    log = page.get_by_role("list", name="对话记录")
    expect(log).to_contain_text("你好，能给我发韵达吗？")
    expect(page.get_by_role("complementary")).to_contain_text("本店合作快递：申通、中通、圆通")
    assert_accessible(page, "the scenario player")

    # The customer's second message, without waiting its four seconds.
    page.get_by_role("button", name="跳过等待").click()
    expect(log).to_contain_text("别的快递都送不到家")
    page.get_by_label("你的回复").fill(staff_fixtures.GOOD)
    page.get_by_role("button", name="发送").click()
    reply = log.get_by_role("listitem").filter(has_text=staff_fixtures.GOOD)
    expect(reply).to_contain_text("走了状态 「你好，能给我发韵达吗？」 ask 的第 2 条路线，进入 买家下一句还没出现的状态 explained。")
    expect(reply.locator("mark").first).to_have_text("申通")
    expect(page.get_by_label("你的回复")).to_have_value("")
    page.get_by_role("button", name="跳过等待").click()
    expect(log).to_contain_text("好吧，那就中通吧，谢谢")
    expect(page.get_by_role("status").filter(has_text="会话结束")).to_contain_text("买家满意结束")
    score = page.locator(".chat-score")
    expect(score).to_contain_text("6 / 6 分")
    expect(score).to_contain_text("问候语")
    assert_accessible(page, "the scenario player at the end")
    screenshot(page, "chat-staff-player")

    # The matcher tester: a negation cue keeps a promise from counting.
    page.get_by_role("link", name="匹配规则测试").click()
    page.get_by_label("匹配规则").select_option(value="file:yunda|promise-yunda")
    page.get_by_label("示例回复").fill("亲，没法给您韵达哦，可以发中通")
    page.get_by_role("button", name="测试").click()
    report = page.locator("#report")
    expect(report).to_contain_text("匹配规则 「发韵达」「走韵达」「给您韵达」 没有命中这句回复。")
    expect(report).to_contain_text("所在分句有否定词，被反转为否定，不计入")
    expect(page).to_have_url(re.compile(r"/chat/staff/matchers\?matcher="))
    assert_accessible(page, "the matcher tester")


def test_the_player_on_a_phone(new_context) -> None:  # type: ignore[no-untyped-def]
    page = new_context(viewport={"width": 390, "height": 844}).new_page()
    log_in(page, "demo-trainer")
    page.goto("/chat/staff/player?script=file:yunda")
    page.get_by_label("你的回复").fill(staff_fixtures.PROMISE)
    page.get_by_role("button", name="发送").click()
    expect(page.get_by_role("alert")).to_contain_text("严重违规：考试会直接判为不通过")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the player is {width} px wide on a 390 px phone"
    assert_accessible(page, "the scenario player on a phone")
    screenshot(page, "chat-staff-player-phone")


def _finished_attempt(live_server: LiveServer) -> int:
    with live_server.db() as session:
        trainee = session.scalars(sa.select(User).where(User.employee_no == "demo-trainee")).one()
        attempt = make_finished_chat_attempt(session, trainee=trainee, now=utcnow(),
                                             drill_key="one", replies=(staff_fixtures.PROMISE,))
        return attempt.id


def _override(page: Page, attempt_id: int) -> None:
    log_in(page, "demo-trainer")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="对话复核").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("对话考试复核")
    row = page.get_by_role("row").filter(has_text="林小雨")
    row.get_by_role("link", name=re.compile("^回放与复核")).first.click()
    expect(page).to_have_url(re.compile(rf"/chat/staff/reviews/{attempt_id}$"))
    expect(page.locator(".chat-replay")).to_contain_text(staff_fixtures.PROMISE)
    expect(page.locator(".chat-replay mark")).to_have_text("给您韵达")
    assert_accessible(page, "the chat replay")
    item = page.locator("#item-accuracy")
    expect(item).to_contain_text("系统：0 / 3 分")
    item.get_by_label("你的分数（0–3）").fill("1")
    item.get_by_label("理由").select_option(label="需结合上下文判断")
    item.get_by_label("备注").fill("答应后马上说明了合作快递，酌情给 1 分")
    item.get_by_role("button", name=re.compile("^保存复核")).click()
    item = page.locator("#item-accuracy")
    expect(item.get_by_role("status")).to_contain_text("已保存你对「对客户提问回复的准确性」的复核：1 分。")
    expect(item).to_contain_text("周敏（演示培训组长）")
    assert_accessible(page, "the chat replay after a review")
    screenshot(page, "chat-staff-review")
    # The agreement page counts it against the system's score.
    page.get_by_role("link", name="评分一致性").click()
    # Every attempt reviewed so far in this server (one per test that overrides) disagrees.
    expect(page.get_by_role("table")).to_contain_text(re.compile(r"0 / [1-9]\d* 次一致（0%）"))
    assert_accessible(page, "the agreement page")
    log_out(page)


def test_a_trainer_overrides_an_item(page: Page, live_server: LiveServer) -> None:
    _override(page, _finished_attempt(live_server))


def test_the_trainee_sees_the_override_beside_the_system_s_score(
        page: Page, live_server: LiveServer, console) -> None:  # type: ignore[no-untyped-def]
    attempt_id = _finished_attempt(live_server)
    _override(page, attempt_id)
    log_in(page, "demo-trainee")
    page.goto(f"/chat/attempts/{attempt_id}/result")
    items = page.get_by_role("table")
    row = items.get_by_role("row", name=re.compile("对客户提问回复的准确性"))
    expect(row).to_contain_text("0 / 3")
    expect(row).to_contain_text("周敏（演示培训组长）")
    expect(row).to_contain_text("答应后马上说明了合作快递，酌情给 1 分")
    assert_accessible(page, "the chat result with a trainer's review")
