"""The trainer's cohort grid in a real browser: filter by a stage, then a trainee's timeline."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect

from portal.auth.models import User
from portal.config import PROJECT_ROOT
from portal.content.loader import load_content
from portal.courses.models import Module, ModuleProgress
from portal.courses.services import import_content
from portal.db import utcnow
from tests.e2e.support import LiveServer, assert_accessible, log_in, screenshot

pytestmark = pytest.mark.e2e

TRAINEE = "林小雨（演示新客服）"


@pytest.fixture(scope="module", autouse=True)
def courses_with_some_reading(live_server: LiveServer) -> None:
    """The courses imported, and the demo trainee part-way through the first stage."""
    now = utcnow()
    with live_server.db() as session:
        import_content(session, content=load_content(PROJECT_ROOT / "courses"), actor_id=None,
                       now=now)
        trainee = session.scalars(sa.select(User).where(User.employee_no == "demo-trainee")).one()
        trainee.created_at = now - timedelta(days=1)
        modules = {m.key: m for m in session.scalars(sa.select(Module))}
        session.add(ModuleProgress(user_id=trainee.id, module_id=modules["company-culture"].id,
                                   first_opened_at=now - timedelta(hours=2),
                                   last_opened_at=now - timedelta(hours=1),
                                   completed_at=now - timedelta(hours=1), seconds_spent=900))
        session.add(ModuleProgress(user_id=trainee.id,
                                   module_id=modules["shops-and-platforms"].id,
                                   first_opened_at=now - timedelta(minutes=50),
                                   last_opened_at=now - timedelta(minutes=50), seconds_spent=240))


def test_trainer_filters_the_grid_by_a_stage_and_opens_a_timeline(page: Page) -> None:
    log_in(page, "demo-trainer")
    page.get_by_role("link", name=re.compile(r"进度表\s*：演示批次")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("演示批次 培训进度")
    grid = page.get_by_role("table")
    expect(grid.get_by_role("rowheader", name=re.compile(re.escape(TRAINEE)))).to_be_visible()
    expect(grid.get_by_role("columnheader", name=re.compile("1. 基础知识"))).to_be_visible()
    expect(grid.get_by_role("row", name=re.compile(re.escape(TRAINEE)))).to_contain_text("进行中")
    assert_accessible(page, "the cohort grid")

    # Choosing a stage swaps the grid in place (no reload) and the URL follows.
    marker = page.evaluate("() => (window.__marker = Math.random())")
    page.get_by_label("阶段（展开其模块）").select_option(label="1. 基础知识")
    expect(page).to_have_url(re.compile(r"stage=basics"))
    module_header = grid.get_by_role("columnheader", name="公司介绍与企业文化")
    expect(module_header).to_be_visible()
    assert page.evaluate("() => window.__marker") == marker
    row = grid.get_by_role("row", name=re.compile(re.escape(TRAINEE)))
    expect(row).to_contain_text("已读完")
    expect(row).to_contain_text("已开始")
    expect(row).to_contain_text("15 分钟")
    expect(grid.get_by_role("columnheader", name="考核指标及计算")).to_have_count(0)
    assert_accessible(page, "the cohort grid with a stage expanded")
    screenshot(page, "cohort-grid")

    # A name search that matches nobody says so; clearing it brings the trainee back.
    search = page.get_by_label("搜索姓名或工号")
    search.fill("没有这个人")
    expect(page.get_by_text("没有符合条件的新客服。")).to_be_visible()
    search.fill("小雨")
    expect(grid.get_by_role("rowheader", name=re.compile(re.escape(TRAINEE)))).to_be_visible()

    page.get_by_role("link", name=re.compile(rf"时间线\s*：{re.escape(TRAINEE)}")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{TRAINEE} 的学习时间线")
    expect(page.get_by_text("读完《公司介绍与企业文化》")).to_be_visible()
    expect(page.get_by_text("开始阅读《店铺与平台概览》")).to_be_visible()
    plan = page.get_by_role("table", name="各阶段的计划日期与实际进度")
    expect(plan.get_by_role("rowheader", name="1. 基础知识")).to_be_visible()
    assert_accessible(page, "a trainee's timeline")
    screenshot(page, "trainee-timeline")


def test_grid_scrolls_inside_its_wrapper_on_a_phone(browser: Browser,
                                                    live_server: LiveServer) -> None:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844},
                                  locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    log_in(page, "demo-trainer")
    page.get_by_role("link", name=re.compile(r"进度表\s*：演示批次")).click()
    page.get_by_label("阶段（展开其模块）").select_option(label="2. 基本操作能力")
    expect(page).to_have_url(re.compile(r"stage=operations"))
    expect(page.get_by_role("columnheader", name="考核指标及计算")).to_be_visible()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the grid page scrolls sideways on a phone ({width}px)"
    wrapper = page.get_by_role("region", name=re.compile("演示批次"))
    assert wrapper.evaluate("(el) => el.scrollWidth > el.clientWidth"), "the grid should scroll"
    screenshot(page, "cohort-grid-phone")
    context.close()
