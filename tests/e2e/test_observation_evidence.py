"""The chat exams' evidence in the observation grid, in a real browser: a trainer sees a
trainee's chat result beside a service item, opens its replay from there, and reads the
typing speed measured from the chat beside the skills form's typing-speed item."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from portal.auth.models import User
from portal.db import utcnow
from tests.e2e.support import LiveServer, assert_accessible, log_in, screenshot
from tests.factories import import_chats, import_observation_forms, make_finished_chat_attempt

pytestmark = pytest.mark.e2e

TRAINEE = "林小雨（演示新客服）"


@pytest.fixture(scope="module")
def attempt_id(live_server: LiveServer) -> int:
    with live_server.db() as session:
        now = utcnow()
        import_observation_forms(session, now=now)
        import_chats(session, now=now)
        trainee = session.scalars(sa.select(User).where(User.employee_no == "demo-trainee")).one()
        attempt = make_finished_chat_attempt(session, trainee=trainee, now=now, drill_key="one",
                                             replies=("您好亲", "我们发申通中通和圆通哦"))
        return int(attempt.id)


def _open(page: Page, form: str) -> None:
    page.get_by_role("link", name="观察表").click()
    page.get_by_label("观察表", exact=True).select_option(label=form)
    page.get_by_role("button", name="打开").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(form)


def test_a_trainer_sees_chat_results_beside_the_cells_and_opens_the_replay(
        page: Page, attempt_id: int) -> None:
    log_in(page, "demo-trainer")
    _open(page, "服务质量观察表")
    cell = page.locator("td", has=page.get_by_label(f"{TRAINEE}：问候语 评分（1–5）"))
    link = cell.get_by_role("link", name=re.compile(rf"^对话考核 \d+.\d+\s*（{re.escape(TRAINEE)} 的“"))
    expect(link).to_be_visible()
    assert_accessible(page, "the observation grid with chat results")
    screenshot(page, "observation-grid-chat-evidence")

    _open(page, "岗位技能观察表")
    speed = page.locator("td", has=page.get_by_label(f"{TRAINEE}：打字速度 评分（1–5）"))
    expect(speed).to_contain_text(re.compile(r"对话考核实测：每分钟 \d+ 字（\d+ 条回复）"))
    expect(page.get_by_label(f"{TRAINEE}：打字速度 评分（1–5）")).to_have_value("")  # no score
    assert_accessible(page, "the skills grid with the typing speed")

    _open(page, "服务质量观察表")
    page.locator("td", has=page.get_by_label(f"{TRAINEE}：问候语 评分（1–5）")).get_by_role(
        "link", name=re.compile("^对话考核")).click()
    expect(page).to_have_url(re.compile(rf"/chat/staff/reviews/{attempt_id}$"))
    expect(page.locator(".chat-replay")).to_contain_text("我们发申通中通和圆通哦")
