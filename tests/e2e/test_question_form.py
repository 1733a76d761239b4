"""A trainer creates a question of every kind with the form editor in Chromium: fields by
their labels, rows added, the live preview, a problem shown on its field; axe on the
editor, screenshots at 1366 and 390 px."""
from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.banks.bank_fixtures import SMALL_BANK
from tests.e2e.support import ConsoleWatch, assert_accessible, log_in, screenshot

pytestmark = pytest.mark.e2e

BANK = "/banks/after-sales-small"


def _ensure_bank(page: Page) -> None:
    page.goto("/banks")
    if page.get_by_role("link", name="售后小题库").count():
        return
    page.goto("/banks/import")
    page.get_by_label("文件", exact=True).set_input_files(files=[{
        "name": "after-sales-small.yaml", "mimeType": "application/yaml",
        "buffer": SMALL_BANK.encode("utf-8")}])
    page.get_by_role("button", name="检查文件").click()
    page.get_by_role("button", name="确认导入").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("售后小题库")


def _press(page: Page, button: str) -> None:
    """Press a button that redraws the form (add a row, update for a choice), and wait until
    htmx has swapped and settled the new form (typing into the old one would be lost)."""
    page.get_by_role("button", name=button).click()
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


def _fill(page: Page, label: str, value: str) -> None:
    page.get_by_label(label, exact=True).fill(value)


def single_choice(page: Page) -> None:
    _fill(page, "题干", "买家要求发顺丰，店铺默认中通，怎么答？")
    _fill(page, "分值", "2")
    _fill(page, "选项 A", "先确认能否改发，再答复买家")
    _fill(page, "选项 B", "直接答应")
    page.get_by_label("选项 A 是正确答案").check()
    page.get_by_label("岗位", exact=True).select_option(label="售后")
    _fill(page, "主题", "发货承诺")


def multiple_choice(page: Page) -> None:
    _fill(page, "题干", "哪些属于店铺活动？")
    _fill(page, "分值", "3")
    _fill(page, "选项 A", "满减")
    _fill(page, "选项 B", "满送")
    _fill(page, "选项 C", "私下转账")
    page.get_by_label("选项 A 是正确答案").check()
    page.get_by_label("选项 B 是正确答案").check()


def true_false(page: Page) -> None:
    _fill(page, "题干", "发票抬头可以随意修改。")
    _fill(page, "分值", "1")
    page.get_by_role("group", name="正确答案").get_by_label("错").check()


def fill_in(page: Page) -> None:
    _fill(page, "题干", "签收后 [[1]] 天内可以申请退货。")
    _fill(page, "分值", "2")
    _fill(page, "第 1 空答案 1", "七")
    _fill(page, "第 1 空答案 2", "7")
    _press(page, "为第 1 空添加答案")
    _fill(page, "第 1 空答案 3", "七天")


def numeric(page: Page) -> None:
    _fill(page, "题干", "满 300 减 40，买 320 元实付多少？")
    _fill(page, "分值", "2")
    _fill(page, "数值 1", "280")
    _fill(page, "单位", "元")


def matching(page: Page) -> None:
    _fill(page, "题干", "把群和用途配对。")
    _fill(page, "分值", "2")
    for n, (left, right) in enumerate((("客服群", "排班通知"), ("物流群", "跟进异常件")), 1):
        _fill(page, f"第 {n} 组左侧", left)
        _fill(page, f"第 {n} 组右侧", right)


def short_answer(page: Page) -> None:
    _fill(page, "题干", "买家投诉物流慢，怎么回复？")
    _fill(page, "标准 1", "先致歉")
    _fill(page, "标准 1 的分值", "2")
    _fill(page, "标准 2", "查询物流并告知预计时间")
    _fill(page, "标准 2 的分值", "3")


def case(page: Page) -> None:
    _fill(page, "案例情景", "买家：快递三天没动了，你们怎么回事？")
    page.get_by_label("第 1 小题的题型").select_option(label="判断题")
    _press(page, "按所选题型更新表单")
    # The sub-question's own fields come with the new form (a true/false has its answer).
    expect(page.get_by_role("group", name="正确答案")).to_be_visible()
    _fill(page, "第 1 小题的编号", "q1")
    _fill(page, "第 1 小题的题干", "应先查询物流再答复。")
    _fill(page, "第 1 小题的分值", "2")
    page.get_by_role("group", name="正确答案").get_by_label("对").check()


def operation_task(page: Page) -> None:
    _fill(page, "题干", "按缺货情况填写订单备注。")
    _fill(page, "字段 1 的名称", "备注原因")
    page.get_by_label("字段 1 的评分规则").select_option(label="填写了即可")
    _press(page, "按所选类型和规则更新表单")
    _fill(page, "字段 1 的分值", "2")


KINDS: list[tuple[str, str, Callable[[Page], None]]] = [
    ("single-choice", "单选题", single_choice), ("multiple-choice", "多选题", multiple_choice),
    ("true-false", "判断题", true_false), ("fill-in", "填空题", fill_in),
    ("numeric", "数值题", numeric), ("matching", "匹配题", matching),
    ("short-answer", "简答题", short_answer), ("case", "案例题", case),
    ("operation-task", "上机操作题", operation_task)]


def test_a_trainer_creates_a_question_of_every_kind_with_the_form(
        page: Page, console: ConsoleWatch) -> None:
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, "demo-trainer")
    _ensure_bank(page)
    for kind, label, fill in KINDS:
        page.goto(BANK)
        page.get_by_label("新建题目的题型").select_option(label=label)
        page.get_by_role("button", name=re.compile("新建")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("新建题目")
        expect(page.locator("legend").filter(has_text="基本信息")).to_contain_text(label)
        qid = page.get_by_label("题目编号", exact=True).input_value()
        assert qid.startswith(kind)
        fill(page)
        # The live preview shows the question as a trainee will see it.
        problems = page.locator(".preview-problems")
        try:
            expect(problems).to_have_count(0, timeout=10_000)
        except AssertionError:
            raise AssertionError(f"{kind}: {problems.inner_text()}") from None
        expect(page.locator("#preview-status")).to_have_text("预览已更新，没有发现问题")
        expect(page.locator("#preview-trainee")).to_be_visible()
        if kind == "case":
            assert_accessible(page, "the form editor (a case)")
            screenshot(page, "question-form-case")
        page.get_by_role("button", name="保存", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"题目 {qid}")
        expect(page.get_by_role("status").first).to_contain_text(f"已保存题目 {qid} 第 1 版")
    # The bank lists them with their tags as chips, not codes.
    page.goto(BANK)
    row = page.locator("#questions tbody tr").filter(has_text="single-choice-01")
    expect(row).to_contain_text("岗位：售后")
    expect(row).to_contain_text("主题：发货承诺")
    expect(row).not_to_contain_text("role:")


def test_a_problem_is_shown_on_its_field_and_the_editor_fits_a_phone(
        page: Page, console: ConsoleWatch) -> None:
    console.allow(r"status of 422")  # a form with problems answers 422
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "demo-trainer")
    _ensure_bank(page)
    page.goto(f"{BANK}/questions/new?kind=single-choice")
    _fill(page, "题干", "没有正确答案的题")
    _fill(page, "分值", "2")
    _fill(page, "选项 A", "甲")
    _fill(page, "选项 B", "乙")
    page.get_by_role("button", name="保存", exact=True).click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("未保存")
    link = summary.get_by_role("link", name="请把恰好一个选项标为正确答案")
    link.click()
    expect(page.locator("#ed-q-choices")).to_be_focused()
    expect(page.locator("#ed-q-choices-errors")).to_have_text("请把恰好一个选项标为正确答案")
    expect(page.get_by_label("选项 A", exact=True)).to_have_value("甲")  # nothing typed is lost
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the form editor scrolls sideways on a phone ({width}px)"
    assert_accessible(page, "the form editor with a problem")
    screenshot(page, "question-form-phone")
    page.get_by_label("选项 B 是正确答案").check()
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("题目 single-choice-")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{BANK}/questions/promise-01/edit")
    screenshot(page, "question-form-desktop")
