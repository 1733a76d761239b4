"""Grading in a real browser: the demo trainee answers a short-answer exam, the demo trainer
grades it from the queue beside the rubric, and the trainee then sees the final score."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from portal.db import utcnow
from tests.e2e.support import LiveServer, assert_accessible, log_in, log_out, screenshot
from tests.exams.grading_fixtures import BANK
from tests.factories import import_grading_exam

pytestmark = pytest.mark.e2e

EXAM = """
key: e2e-short-answer
title: 简答题测验
pass_mark: 60
time_limit_minutes: 30
attempts: 1
counts: highest
wait_minutes: 0
shuffle_questions: false
shuffle_options: false
review: {when: after-submit, show: [score, responses, correct, explanations]}
questions:
  fixed: [grading-bank/choice, grading-bank/essay]
"""

ANSWER = "非常抱歉让您久等了，我马上为您查询物流，预计明天送达。"


@pytest.fixture(scope="module", autouse=True)
def short_answer_exam(live_server: LiveServer) -> None:
    with live_server.db() as session:
        import_grading_exam(session, now=utcnow(), bank=BANK, exams=(EXAM,))


def test_a_trainer_grades_a_short_answer_and_the_trainee_sees_the_final_score(
        page: Page) -> None:
    log_in(page, "demo-trainee")
    page.goto("/exams/e2e-short-answer")
    page.get_by_role("button", name="开始考试").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("简答题测验")
    page.locator("#q1").get_by_label("先核对订单状态").check()
    expect(page.locator("#receipt-1")).to_contain_text("已保存")
    page.locator("#q2").get_by_label("你的回答").fill(ANSWER)
    expect(page.locator("#receipt-2")).to_contain_text("已保存")
    page.get_by_role("navigation", name="题目导航").get_by_role("link", name="交卷", exact=True).click()
    page.get_by_role("button", name="确认交卷").click()
    expect(page.get_by_role("status").filter(has_text="人工评分")).to_be_visible()
    log_out(page)

    log_in(page, "demo-trainer")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="评分", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("评分队列")
    row = page.get_by_role("row", name=re.compile("林小雨"))
    expect(row).to_contain_text("简答题测验")
    assert_accessible(page, "the grading queue")
    row.get_by_role("link", name=re.compile("评分")).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("评分：简答题测验 第 2 题")
    expect(page.locator(".answer-text").first).to_have_text(ANSWER)
    expect(page.get_by_text("先致歉，再查询物流，告诉顾客预计送达时间。")).to_be_visible()
    # Opening the page locks nothing; the first score typed takes the lock.
    expect(page.get_by_role("status").filter(has_text="现在没有人在评这道题")).to_be_visible()
    assert_accessible(page, "the grading page")
    screenshot(page, "grading-page")
    _fits_a_phone(page)
    page.get_by_label(re.compile("先安抚并致歉")).fill("4")
    expect(page.get_by_role("status").filter(has_text="你正在评这道题")).to_be_visible()
    page.get_by_label(re.compile("查询并说明物流")).fill("5")
    page.get_by_label(re.compile("评语")).fill("物流时间要以查询结果为准。")
    page.get_by_role("button", name="保存评分").click()
    expect(page).to_have_url(re.compile(r"/grading$"))
    expect(page.get_by_role("status").filter(has_text="最终成绩")).to_contain_text("95 分（通过）")
    expect(page.get_by_text("没有待评分的题目")).to_be_visible()

    # The results of the exam, and the attempt in full with its key.
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="考试成绩").click()
    page.get_by_role("link", name="简答题测验").click()
    row = page.get_by_role("row", name=re.compile("林小雨"))
    expect(row).to_contain_text("95 分 · 通过")
    assert_accessible(page, "the exam results")
    _fits_a_phone(page)
    row.get_by_role("link", name="第 1 次").click()
    expect(page.locator("#r1")).to_contain_text("先核对订单状态")
    expect(page.locator("#r2")).to_contain_text("物流时间要以查询结果为准。")
    assert_accessible(page, "the staff review of an attempt")
    log_out(page)

    log_in(page, "demo-trainee")
    page.goto("/exams/e2e-short-answer")
    page.get_by_role("link", name="通过").click()
    expect(page.locator(".result__number")).to_have_text("95")
    expect(page.locator("main")).to_contain_text("完成人工评分，这是最终成绩")  # the trainee sees it is done
    expect(page.locator("#r2")).to_contain_text("物流时间要以查询结果为准。")


def _fits_a_phone(page: Page) -> None:
    """On a phone-sized screen the page itself never scrolls sideways."""
    page.set_viewport_size({"width": 360, "height": 740})
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    page.set_viewport_size({"width": 1280, "height": 800})
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px on a phone"
