"""The team-integration day in a real browser: tick the five groups, the supervisor confirms."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from portal.auth.models import User
from portal.config import PROJECT_ROOT
from portal.content.loader import load_content
from portal.courses.services import complete_stage_manually, import_content
from portal.db import utcnow
from tests.e2e.support import LiveServer, assert_accessible, log_in, log_out, screenshot

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", autouse=True)
def team_day_open(live_server: LiveServer) -> None:
    with live_server.db() as session:
        import_content(session, content=load_content(PROJECT_ROOT / "courses"), actor_id=None,
                       now=utcnow())
        trainer = session.scalars(sa.select(User).where(User.employee_no == "demo-trainer")).one()
        trainee = session.scalars(sa.select(User).where(User.employee_no == "demo-trainee")).one()
        for stage in ("basics", "operations"):
            complete_stage_manually(session, actor=trainer, trainee_id=trainee.id,
                                    track_key="new-hire", stage_key=stage, reason="线下考核通过",
                                    now=utcnow())


def test_trainee_ticks_groups_and_supervisor_confirms(page: Page) -> None:
    log_in(page, "demo-trainee")
    team = page.locator("#stage-team")
    expect(team).to_contain_text("已完成 0 / 5 项")
    first = page.get_by_label("已加入“客服群”")
    first.focus()
    page.keyboard.press("Space")  # keyboard only
    expect(page.locator("#stage-team")).to_contain_text("已完成 1 / 5 项")
    expect(page.get_by_label("已加入“客服群”")).to_be_checked()
    for title in ("重要群", "物流群", "仓库对接群", "内部群"):
        page.get_by_label(f"已加入“{title}”").check()
        expect(page.get_by_label(f"已加入“{title}”")).to_be_checked()
    expect(page.locator("#stage-team")).to_contain_text("等待主管确认")
    page.reload()
    expect(page.locator("#stage-team")).to_contain_text("已完成 5 / 5 项")
    assert_accessible(page, "the team-day checklist")
    screenshot(page, "team-day-checklist")
    log_out(page)

    log_in(page, "demo-supervisor")
    page.get_by_role("link", name="林小雨（演示新客服）").click()
    page.get_by_role("button", name="确认已融入团队").click()
    expect(page.get_by_role("status").first).to_contain_text("已确认该新客服融入团队")
    expect(page.locator("#stage-team")).to_contain_text("已通过")
    expect(page.locator("#stage-practice")).to_contain_text("进行中")
