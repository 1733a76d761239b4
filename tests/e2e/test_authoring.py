"""A trainer edits a module in the browser: live preview, save with a note, see the history."""
from __future__ import annotations

import dataclasses
import re

import pytest
from playwright.sync_api import Page, expect

from portal.config import PROJECT_ROOT
from portal.content.loader import load_content
from portal.courses.services import import_content
from portal.db import utcnow
from tests.e2e.support import ConsoleWatch, LiveServer, assert_accessible, log_in, screenshot

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", autouse=True)
def courses_imported(live_server: LiveServer) -> None:
    with live_server.db() as session:
        import_content(session, content=load_content(PROJECT_ROOT / "courses"), actor_id=None,
                       now=utcnow())


def test_trainer_edits_a_module_with_live_preview_and_sees_it_in_the_history(
        page: Page, console: ConsoleWatch) -> None:
    log_in(page, "demo-trainer")
    page.get_by_role("link", name="课程编辑").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("课程编辑")
    page.get_by_role("link", name=re.compile(r"^编辑\s*“店铺与平台概览”$")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("编辑模块：店铺与平台概览")
    preview = page.locator("#preview")
    expect(preview.get_by_role("heading", level=2).first).to_be_visible()

    # Typing updates the preview without reloading the page.
    marker = page.evaluate("() => (window.__marker = Math.random())")
    body = page.get_by_label("正文")
    body.press("Control+End")
    body.type("\n\n## 预览测试小节\n\n| 项目 | 说明 |\n| --- | --- |\n| 时效 | 48 小时 |\n")
    expect(preview.get_by_role("heading", name="预览测试小节")).to_be_visible()
    expect(preview.locator("table").last).to_contain_text("48 小时")
    expect(page.locator("#preview-status")).to_have_text("预览已更新，没有发现问题")
    # A link to a module that does not exist is reported with its line.
    body.type("见[旧模块](old-module.md)\n")
    expect(preview.locator(".preview-problems")).to_contain_text("链接 old-module.md 指向的模块不存在")
    expect(preview.locator(".preview-problems")).to_contain_text(re.compile(r"正文第 \d+ 行"))
    expect(page.locator("#preview-status")).to_have_text("预览发现 1 个问题")
    assert page.evaluate("() => window.__marker") == marker
    body.press("Shift+ArrowUp")
    body.press("Backspace")
    expect(preview.locator(".preview-problems")).to_have_count(0)
    assert_accessible(page, "the module editor")
    screenshot(page, "module-editor")

    page.get_by_label("改动说明").fill("补充店铺发货时效表")
    page.get_by_role("button", name="保存并发布").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("版本历史：店铺与平台概览")
    expect(page.get_by_role("status").first).to_contain_text("已发布“店铺与平台概览”第 2 版")
    newest = page.locator("#version-2")
    expect(newest.get_by_role("heading", level=2)).to_contain_text("第 2 版")
    expect(newest).to_contain_text("当前版本")
    expect(newest).to_contain_text("补充店铺发货时效表")
    expect(newest).to_contain_text("周敏（演示培训组长）")
    expect(newest.locator(".diff__line--added").filter(has_text="## 预览测试小节")).to_have_count(1)
    expect(page.locator("#version-1")).to_contain_text("文件导入")
    assert_accessible(page, "the version history")
    screenshot(page, "module-history")

    # Trainees read the new version.
    page.goto("/tracks/new-hire/modules/shops-and-platforms")
    expect(page.get_by_role("heading", name="预览测试小节")).to_be_visible()


def test_editor_and_history_on_a_phone_do_not_scroll_sideways(page: Page,
                                                             live_server: LiveServer) -> None:
    import sqlalchemy as sa

    from portal.auth.models import User
    from portal.authoring import services

    with live_server.db() as session:
        trainer = session.scalars(sa.select(User).where(User.employee_no == "demo-trainer")).one()
        target = services.get_editable_module(session, track_key="new-hire",
                                              module_key="company-culture")
        draft = services.ModuleDraft.of_version(target.version)
        long_line = "这一行很长：" + "退货退款、换货补发、仅退款、价保差价、发票补开" * 6
        services.publish_draft(session, track_key="new-hire", module_key="company-culture",
                               draft=dataclasses.replace(draft, body=draft.body + "\n" + long_line + "\n"),
                               note="手机测试：加一行很长的文字", base_number=None,
                               actor_id=trainer.id, now=utcnow())
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "demo-trainer")
    for url, name in (("/authoring/modules", None),
                      ("/authoring/tracks/new-hire/modules/company-culture/edit", "module-editor-phone"),
                      ("/authoring/tracks/new-hire/modules/company-culture/history", "module-history-phone")):
        page.goto(url)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, f"{url} scrolls sideways on a phone ({width}px)"
        if name:
            screenshot(page, name)
