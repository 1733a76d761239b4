"""The course journey in a real browser: read stage 1, stage 2 locked, trainer opens it."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from portal.config import PROJECT_ROOT
from portal.content.loader import load_content
from portal.courses.services import import_content
from portal.db import utcnow
from tests.e2e.support import (
    ConsoleWatch,
    LiveServer,
    assert_accessible,
    log_in,
    log_out,
    screenshot,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", autouse=True)
def courses_imported(live_server: LiveServer) -> None:
    with live_server.db() as session:
        import_content(session, content=load_content(PROJECT_ROOT / "courses"), actor_id=None,
                       now=utcnow())


def test_trainee_reads_stage_one_and_trainer_opens_stage_two(page: Page,
                                                              console: ConsoleWatch) -> None:
    log_in(page, "demo-trainee")
    expect(page.get_by_role("heading", name="1. 基础知识")).to_be_visible()
    stage_two = page.locator("#stage-operations")
    expect(stage_two).to_contain_text("未解锁")
    expect(stage_two).to_contain_text("完成并通过“基础知识”的考核后解锁")
    expect(stage_two.get_by_role("link")).to_have_count(0)
    assert_accessible(page, "the trainee's track")
    screenshot(page, "trainee-track")

    page.locator("#stage-basics").get_by_role("link", name="公司介绍与企业文化").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("公司介绍与企业文化")
    expect(page.locator(".prose table").first).to_be_visible()
    assert_accessible(page, "a module page")
    # Mark as done without a page reload (htmx swaps the control).
    marker = page.evaluate("() => (window.__marker = Math.random())")
    page.get_by_role("button", name="标记为已读完").click()
    expect(page.get_by_role("button", name="取消完成标记")).to_be_visible()
    assert page.evaluate("() => window.__marker") == marker
    screenshot(page, "module-page")
    page.get_by_role("link", name=re.compile("下一篇")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("店铺与平台概览")

    # Stage 2 cannot be opened by URL either.
    console.allow(r"status of 403")
    response = page.goto("/tracks/new-hire/modules/kpi-basics")
    assert response is not None and response.status == 403
    # ... and the page explains what unlocks it instead of a bare "没有权限".
    expect(page.get_by_role("heading", level=1)).to_contain_text("“基本操作能力”尚未解锁")
    expect(page.locator("main")).to_contain_text("读完“基础知识”的课程（已读 1 / 5 篇）")
    expect(page.get_by_role("link", name=re.compile("继续阅读："))).to_be_visible()
    page.goto("/")
    expect(page.locator("#stage-basics")).to_contain_text("已读 1 / 5 个模块")
    log_out(page)

    log_in(page, "demo-trainer")
    page.get_by_role("link", name=re.compile("林小雨")).click()
    page.get_by_label("标记“基础知识”考核通过的原因").fill("线下笔试 100 分，带教确认")
    page.get_by_role("button", name="标记考核通过").first.click()
    expect(page.get_by_role("status").first).to_contain_text("已标记该阶段考核通过")
    expect(page.locator("#stage-basics")).to_contain_text("已通过")
    assert_accessible(page, "a trainee's progress page")
    log_out(page)

    log_in(page, "demo-trainee")
    stage_two = page.locator("#stage-operations")
    expect(stage_two).to_contain_text("进行中")
    stage_two.get_by_role("link", name="考核指标及计算").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("考核指标及计算")


def test_module_page_on_a_phone(browser: Browser, live_server: LiveServer) -> None:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844},
                                  locale="zh-CN")
    page = context.new_page()
    log_in(page, "demo-trainee")
    page.goto("/tracks/new-hire/modules/kpi-basics")
    if page.get_by_role("heading", level=1).inner_text() != "考核指标及计算":
        page.goto("/tracks/new-hire/modules/company-culture")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the module page scrolls sideways on a phone ({width}px)"
    screenshot(page, "module-page-phone")
    context.close()


def test_content_scripts_never_run(page: Page, live_server: LiveServer) -> None:
    """A module whose source holds XSS payloads renders without running any of them."""
    import sqlalchemy as sa

    from portal.courses.models import Module
    from portal.courses.services import publish_module_version
    from tests.content.content_fixtures import XSS_PAYLOADS

    with live_server.db() as session:
        module = session.scalars(sa.select(Module).where(Module.key == "department-structure")).one()
        body = "## 测试\n\n" + "\n\n".join(p.replace("alert(1)", "window.__xss=1")
                                           for p in XSS_PAYLOADS)
        publish_module_version(session, module=module, track_key="new-hire", title="安全测试",
                               summary="", minutes=5, tags=[], roles=["all"], body_markdown=body,
                               source_hash="xss", actor_id=None, now=utcnow())
    log_in(page, "demo-trainer")
    page.goto("/tracks/new-hire/modules/department-structure")
    expect(page.get_by_role("heading", level=1)).to_have_text("安全测试")
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__xss") is None
