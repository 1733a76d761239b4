"""The trainee's journey in a real browser: a locked stage explains itself, the last module
of a stage leads to its exam, the trainee fails, waits, retakes and passes stage 1, and
finds every result on 我的成绩 and the next step at home; at 1366 and 390 px wide."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import BrowserContext, Page, expect

from portal.auth.models import User
from portal.db import utcnow
from portal.exams.models import Attempt
from tests.e2e import journey_fixtures as journey
from tests.e2e.support import ConsoleWatch, LiveServer, assert_accessible, log_in, screenshot
from tests.exams import exam_fixtures
from tests.factories import PASSWORD, import_exam, make_cohort, make_track, make_user

pytestmark = pytest.mark.e2e

TRAINEE = "journey-trainee"
WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module", autouse=True)
def journey_world(live_server: LiveServer) -> None:
    with live_server.db() as session:
        now = utcnow()
        make_track(session, now=now, key=journey.TRACK_KEY, title="旅程测试路线",
                   stages=journey.STAGES, modules=journey.MODULE_TITLES)
        import_exam(session, now=now, bank=exam_fixtures.BANK, bank_file="demo-bank.yaml",
                    exams=(journey.EXAM,), exam_file=f"{journey.EXAM_KEY}.yaml")
        cohort = make_cohort(session, name="旅程批次", track_key=journey.TRACK_KEY)
        make_user(session, employee_no=TRAINEE, display_name="周新人", cohort=cohort)


def _visible_text_has_no_internal_keys(page: Page, where: str) -> None:
    text = page.locator("main").inner_text()
    for key in ("single-choice", "multiple-choice", "operation-task", "staff_id", "reason ·",
                "choice ·", "answer ·", "journey-basics", "in_progress", "None", "{\""):
        assert key not in text, f"{where}: {key!r} shown"


def _check_page(page: Page, where: str, name: str) -> None:
    assert_accessible(page, where)
    _visible_text_has_no_internal_keys(page, where)
    screenshot(page, name)


def _answer_all_right(page: Page) -> None:
    page.locator("#q1").get_by_label("销售额除以订单数").check()
    page.locator("#q2").get_by_label("一人一号").check()
    page.locator("#q2").get_by_label("不共享密码").check()
    page.locator("#q3").get_by_label("对", exact=True).check()
    page.locator("#q4").get_by_label("第 1 空").fill("红")
    page.locator("#q5").get_by_label("答案").fill("300")
    page.locator("#q6").get_by_label("变动事由").fill(f"地址变更 {exam_fixtures.SENTINEL}")
    page.locator("#q6").get_by_label("工号").fill("KF0123")
    for position in range(1, 7):
        expect(page.locator(f"#receipt-{position}")).to_contain_text("已保存")


def _hand_in(page: Page) -> None:
    end = page.locator(".exam__end")  # the 交卷 button after the last question
    expect(end).to_contain_text("已经是最后一题")
    end.get_by_role("link", name="交卷").click()
    page.get_by_role("button", name="确认交卷").click()
    expect(page).to_have_url(re.compile(r"/attempts/\d+/result$"))


def test_a_trainee_fails_waits_retakes_passes_stage_one_and_finds_every_result(
        new_context, live_server: LiveServer,  # type: ignore[no-untyped-def]
        console: ConsoleWatch) -> None:
    console.allow(r"status of 403 .*/modules/j-handling")  # the locked page answers 403
    context: BrowserContext = new_context(viewport=WIDE)
    page = context.new_page()
    log_in(page, TRAINEE, PASSWORD)
    next_step = page.locator(".next-step")
    expect(next_step).to_contain_text("继续学习“基础入门”")
    expect(next_step.get_by_role("link", name="认识店铺")).to_be_visible()
    _check_page(page, "the trainee's home before reading", "journey-home-start-1366")

    # A module of a locked stage explains what unlocks it, with the links that do it.
    page.goto(f"/tracks/{journey.TRACK_KEY}/modules/j-handling")
    expect(page.get_by_role("heading", level=1)).to_contain_text("“接待实操”尚未解锁")
    main = page.locator("main")
    expect(main).to_contain_text("读完“基础入门”的课程（已读 0 / 2 篇）")
    expect(main).to_contain_text("通过“基础入门”的阶段笔试")
    expect(main).not_to_contain_text("没有权限")
    expect(main.get_by_role("link", name="去参加笔试")).to_be_visible()
    _check_page(page, "a locked module", "journey-locked-1366")
    main.get_by_role("link", name="继续阅读：认识店铺").click()

    # Reading stage 1; its last module leads to the stage's exam, not into stage 2.
    expect(page.get_by_role("heading", level=1)).to_have_text("认识店铺")
    page.get_by_role("button", name="标记为已读完").click()
    expect(page.get_by_role("button", name="取消完成标记")).to_be_visible()
    page.get_by_role("link", name="下一篇").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("平台规则")
    page.get_by_role("button", name="标记为已读完").click()
    expect(page.get_by_role("button", name="取消完成标记")).to_be_visible()
    expect(page.get_by_role("heading", name="“基础入门”的课程到这里结束")).to_be_visible()
    expect(page.get_by_role("link", name="下一篇")).to_have_count(0)
    _check_page(page, "the last module of a stage", "journey-stage-end-1366")
    page.get_by_role("link", name="参加阶段笔试").click()

    # The first attempt: one right answer, one wrong, the rest left blank.
    page.get_by_role("button", name="开始考试").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("基础入门考核")
    page.locator("#q1").get_by_label("销售额除以订单数").check()
    page.locator("#q4").get_by_label("第 1 空").fill("蓝")
    expect(page.locator("#receipt-4")).to_contain_text("已保存")
    # The shuffled letters the trainee saw are the letters the review shows.
    letters = {label: page.locator("#q1 .choice", has_text=label).locator(".choice__letter")
               .inner_text() for label in ("销售额除以订单数", "订单数除以销售额")}
    _check_page(page, "the exam page", "journey-attempt-1366")
    _hand_in(page)
    expect(page.locator(".result__score")).to_contain_text("未通过")
    expect(page.locator("main")).to_contain_text(re.compile(r"\d\d:\d\d 起可以再考（还剩 1 次）"))
    first = page.locator("#r1")
    expect(first).to_contain_text(f"{letters['销售额除以订单数']} 销售额除以订单数")
    expect(first).to_contain_text("✓ 正确")
    expect(page.locator("#r4")).to_contain_text("✗ 错误")
    expect(page.locator("#r6")).to_contain_text("变动事由")  # field labels, not names
    page.get_by_role("link", name=re.compile(r"只看失分的题（5）")).click()
    expect(page.locator("section.review")).to_have_count(5)
    expect(page.locator("#r1")).to_have_count(0)
    _check_page(page, "a failed result, lost questions only", "journey-result-failed-1366")

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的成绩").click()
    card = page.locator(f"#result-exam-{journey.EXAM_KEY}")
    expect(card).to_contain_text("第 1 次")
    expect(card).to_contain_text("未通过")
    expect(card).to_contain_text(re.compile(r"起可以再考（还剩 1 次）"))
    _check_page(page, "我的成绩 after a fail", "journey-my-results-failed-1366")
    page.goto("/")
    expect(page.locator(".next-step")).to_contain_text("这次没有通过")
    expect(page.locator(".next-step").get_by_role("link", name="回顾上一次作答")).to_be_visible()

    # The wait between attempts passes (the attempt ended 31 minutes ago).
    with live_server.db() as session:
        trainee = session.scalars(sa.select(User).where(User.employee_no == TRAINEE)).one()
        attempt = session.scalars(sa.select(Attempt).where(Attempt.user_id == trainee.id)).one()
        attempt.submitted_at = utcnow() - timedelta(minutes=31)
    page.reload()
    expect(page.locator(".next-step")).to_contain_text("去参加阶段考核")
    page.locator(".next-step").get_by_role("link", name="基础入门考核").click()
    page.get_by_role("button", name="再考一次").click()
    _answer_all_right(page)
    _hand_in(page)
    expect(page.locator(".result__score")).to_contain_text("100")
    expect(page.locator(".result__score")).to_contain_text("通过")
    expect(page.get_by_role("link", name="只看失分的题（0）")).to_be_visible()
    _check_page(page, "a passed result", "journey-result-passed-1366")

    page.get_by_role("link", name="查看我的全部成绩").click()
    lines = page.locator(f"#result-exam-{journey.EXAM_KEY} .attempt-line")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text("未通过")
    expect(lines.nth(1)).to_contain_text("100 分")
    expect(lines.nth(1)).to_contain_text("通过")
    expect(page.locator(f"#result-exam-{journey.EXAM_KEY}")).to_contain_text("已通过，不需要再考")
    _check_page(page, "我的成绩 after passing", "journey-my-results-1366")
    lines.nth(0).get_by_role("link", name=re.compile("查看答卷和得分")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("第 1 次作答")
    expect(page.locator("main")).to_contain_text("你在这场考试的另一次作答中已经通过")

    page.goto("/")
    expect(page.locator("#stage-basics")).to_contain_text("已通过")
    expect(page.locator(".stage-results")).to_contain_text("最近一次：第 2 次")
    expect(page.locator(".next-step")).to_contain_text("继续学习“接待实操”")
    _check_page(page, "the trainee's home after stage 1", "journey-home-passed-1366")

    # Stage 3 waits for stage 2, which no exam passes: the wording says who decides.
    page.goto(f"/tracks/{journey.TRACK_KEY}/modules/j-handling")
    expect(page.get_by_role("heading", level=1)).to_have_text("接待流程")
    page.get_by_role("button", name="标记为已读完").click()
    expect(page.get_by_role("heading", name="“接待实操”的课程到这里结束")).to_be_visible()
    expect(page.locator(".stage-next")).to_contain_text("请联系培训组长")

    # The same pages on a phone: reflowed, every result reachable, no sideways scrolling.
    phone = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(phone, TRAINEE, PASSWORD)
    for url, name in (("/", "journey-home-390"), ("/my/results", "journey-my-results-390")):
        phone.goto(url)
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], url
        _check_page(phone, f"{url} on a phone", name)
    phone.get_by_role("link", name=re.compile("查看答卷和得分.*第 1 次")).click()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _check_page(phone, "a result on a phone", "journey-result-390")


def test_the_exam_page_on_a_phone_folds_the_navigator_and_warns_before_the_end(
        new_context, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    with live_server.db() as session:
        cohort = make_cohort(session, name="旅程批次二", track_key=journey.TRACK_KEY)
        make_user(session, employee_no="journey-phone", display_name="吴新人", cohort=cohort)
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    page.clock.install()
    log_in(page, "journey-phone", PASSWORD)
    page.goto(f"/exams/{journey.EXAM_KEY}")
    page.get_by_role("button", name="开始考试").click()
    navigator = page.locator(".exam__nav-details")
    expect(navigator).not_to_have_attribute("open", "")  # folded on a phone
    page.locator("#q6").scroll_into_view_if_needed()
    jump = page.get_by_role("link", name="题目导航")
    expect(jump).to_be_in_viewport()  # in the sticky bar, wherever the trainee is
    jump.click()
    expect(navigator).to_have_attribute("open", "")
    expect(page.locator("#nav-3")).to_be_in_viewport()
    _check_page(page, "the exam page on a phone", "journey-attempt-390")

    # Five minutes before the end an alert says so (role=alert: announced by screen readers).
    attempt_id = int(re.search(r"/attempts/(\d+)", page.url).group(1))
    with live_server.db() as session:
        session.get(Attempt, attempt_id).deadline_at = utcnow() + timedelta(minutes=5, seconds=3)
    page.reload()
    warning = page.get_by_role("alert")
    expect(warning).to_be_hidden()
    page.clock.run_for(5_000)
    expect(warning).to_be_visible()
    expect(warning).to_have_text("还剩 5 分钟，时间到后将按已保存的答案自动交卷。")
    page.locator("#q6").scroll_into_view_if_needed()
    expect(warning).to_be_in_viewport()  # it stays in view with the timer
    screenshot(page, "journey-time-warning-390")
