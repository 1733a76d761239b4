"""A trainer manages a question bank in the browser: upload, dry run, confirm, browse and
filter, edit a question with a live preview, save it as version 2."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.banks.bank_fixtures import SENTINEL, SMALL_BANK
from tests.e2e.support import ConsoleWatch, assert_accessible, log_in, screenshot

pytestmark = pytest.mark.e2e


def test_trainer_imports_browses_and_edits_a_bank(page: Page, console: ConsoleWatch) -> None:
    log_in(page, "demo-trainer")
    page.get_by_role("link", name="题库", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("题库")
    page.get_by_role("link", name="导入题库或考试").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("导入题库和考试")
    assert_accessible(page, "the import page")

    # Step 1: the dry run.
    page.get_by_label("文件", exact=True).set_input_files(files=[{
        "name": "after-sales-small.yaml", "mimeType": "application/yaml",
        "buffer": SMALL_BANK.encode("utf-8")}])
    page.get_by_role("button", name="检查文件").click()
    report = page.locator("#import-area")
    expect(report.get_by_role("heading", name="检查结果")).to_be_visible()
    expect(report).to_contain_text("没有发现问题")
    summary = report.locator("table.import-summary")
    expect(summary.get_by_role("row", name=re.compile("^新增"))).to_contain_text("4")
    expect(report.locator(".import-changes--new")).to_contain_text("promise-01")
    assert_accessible(page, "the import report")
    screenshot(page, "bank-import-report")

    # Step 2: confirm, and land on the bank.
    page.get_by_role("button", name="确认导入").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("售后小题库")
    expect(page.get_by_role("status").first).to_contain_text("导入完成：新增 4 项")
    table = page.locator("#questions table")
    expect(table.locator("tbody tr")).to_have_count(4)

    # Filters update the list in place (no reload) and the address.
    marker = page.evaluate("() => (window.__marker = Math.random())")
    page.get_by_label("题型", exact=True).select_option(label="数值题")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("aov-01")
    expect(page).to_have_url(re.compile(r"kind=numeric"))
    page.get_by_label("题型", exact=True).select_option(label="全部题型")
    page.get_by_label("搜索题目文字或 id").fill("物流群")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("groups-01")
    page.get_by_label("搜索题目文字或 id").fill("")
    page.get_by_label("标签", exact=True).select_option("role:after-sales")
    expect(table.locator("tbody tr")).to_have_count(2)
    assert page.evaluate("() => window.__marker") == marker
    assert_accessible(page, "the bank browser")
    screenshot(page, "bank-browser")

    # Edit a question: the preview follows the text.
    page.get_by_role("link", name="编辑 promise-01").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("编辑题目 promise-01")
    # The form is the editor; the YAML source is one link away.
    expect(page.get_by_label("题干", exact=True)).to_have_value(re.compile("算违背承诺吗？"))
    page.get_by_role("link", name="高级：编辑源文件").click()
    trainee_view = page.locator("#preview-trainee")
    expect(trainee_view).to_contain_text("算违背承诺吗？")
    editor = page.get_by_label("题目定义（YAML）")
    text = editor.input_value()
    editor.fill(text.replace("算违背承诺吗？", "算不算违背承诺？"))
    expect(trainee_view).to_contain_text("算不算违背承诺？")
    expect(page.locator("#preview-status")).to_have_text("预览已更新，没有发现问题")
    expect(trainee_view.get_by_role("radio")).to_have_count(2)
    expect(trainee_view).not_to_contain_text(SENTINEL)  # no key or feedback for trainees
    expect(page.locator("#preview-key")).to_contain_text(f"承诺以聊天记录为准 {SENTINEL}")
    # A mistake is reported with its line, and the trainee view waits for the fix.
    broken = editor.input_value().replace("points: 2", "points: -2")
    editor.fill(broken)
    line = broken.split("\n").index("points: -2") + 1
    expect(page.locator(".preview-problems")).to_contain_text(f"第 {line} 行：points 应为大于 0")
    expect(page.locator("#preview-status")).to_have_text("预览发现 1 个问题")
    editor.fill(broken.replace("points: -2", "points: 3"))
    expect(page.locator(".preview-problems")).to_have_count(0)
    expect(page.locator("#preview-trainee")).to_contain_text("算不算违背承诺？")
    assert_accessible(page, "the question editor")
    screenshot(page, "question-editor")

    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("题目 promise-01")
    expect(page.get_by_role("status").first).to_contain_text("已保存题目 promise-01 第 2 版")
    newest = page.locator("#version-2")
    expect(newest).to_contain_text("当前版本")
    expect(newest).to_contain_text("周敏")
    expect(page.locator("#version-1")).to_be_visible()
    expect(page.locator(".question-views__trainee")).to_contain_text("算不算违背承诺？")
    assert_accessible(page, "the question page")

    # The list shows version 2 and the new points.
    page.get_by_role("link", name="售后小题库").click()
    row = page.locator("#questions tbody tr").filter(has_text="promise-01")
    expect(row).to_contain_text("第 2 版")
    expect(row).to_contain_text("3")


def test_bank_pages_do_not_scroll_sideways_on_a_phone(page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "demo-trainer")
    page.goto("/banks")
    if page.get_by_role("link", name="售后小题库").count() == 0:
        page.goto("/banks/import")
        page.get_by_label("文件", exact=True).set_input_files(files=[{
            "name": "after-sales-small.yaml", "mimeType": "application/yaml",
            "buffer": SMALL_BANK.encode("utf-8")}])
        page.get_by_role("button", name="检查文件").click()
        page.get_by_role("button", name="确认导入").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("售后小题库")
    for url, name in (("/banks", None), ("/banks/import", None),
                      ("/banks/after-sales-small", "bank-browser-phone"),
                      ("/banks/after-sales-small/questions/groups-01", None),
                      ("/banks/after-sales-small/questions/groups-01/edit", "question-editor-phone")):
        page.goto(url)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, f"{url} scrolls sideways on a phone ({width}px)"
        if name:
            screenshot(page, name)
