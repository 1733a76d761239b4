"""A review of every kind in a real browser, for the trainee and the trainer: labels, letters,
partial credit and 待评分 as a person reads them, never an internal key; axe and screenshots."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from portal.auth.models import Role
from portal.banks import services as bank_services
from portal.banks.services import UploadedFile
from portal.db import utcnow
from portal.exams import services as exams
from tests.e2e.support import LiveServer, assert_accessible, log_in, screenshot
from tests.exams.examples import docs_example_text
from tests.exams.grading_fixtures import STAGES, TRACK_KEY
from tests.factories import PASSWORD, make_cohort, make_track, make_user

pytestmark = pytest.mark.e2e

BANK = "after-sales-demo"
ORDER = ["promise-express-01", "campaign-rules-01", "invoice-amount-01", "return-window-01",
         "invoice-split-01", "team-groups-01", "complaint-reply-01", "refund-in-transit",
         "out-of-stock-note"]
EXAM = f"""
key: every-kind-review
title: 每种题型的回顾
pass_mark: 60
time_limit_minutes: 30
attempts: 1
shuffle_questions: false
shuffle_options: true
review: {{when: after-submit, show: [score, responses, correct, explanations]}}
questions:
  fixed: [{", ".join(f"{BANK}/{qid}" for qid in ORDER)}]
"""
ANSWERS = {2: ["a", "c"], 3: False, 4: ["七", "退货"], 5: "268",
           6: {"1": "接收排班、活动和话术通知", "2": "核对库存、漏发补发"},
           7: "非常抱歉，我马上联系快递核实包裹重量。",
           8: {"q1": "a", "q2": True, "q3": "货在途中不能仅退款"},
           9: {"reason": "缺货，买家同意换款", "staff_id": "KF0123", "noted_at": "2025-11-11T10:10",
               "decision": "换款", "remark": ""}}
INTERNAL = re.compile(r"single-choice|multiple-choice|true-false|fill-in|operation-task|"
                      r"short-answer|all-or-nothing|staff_id|noted_at|\bq\d\b|\bNone\b|"
                      r"(?:choice|answer|value) ·|\{\"")


@pytest.fixture(scope="module")
def attempt_id(live_server: LiveServer) -> int:
    now = utcnow()
    with live_server.db() as session:
        files = [UploadedFile(f"{BANK}.yaml", docs_example_text().encode("utf-8"), None, None),
                 UploadedFile("every-kind-review.yaml", EXAM.encode("utf-8"), None, None)]
        check = bank_services.check_upload(session, files=files)
        assert check.ok, [str(p) for p in check.problems]
        bank_services.confirm_upload(session, files=files, expected_digest=check.digest,
                                     actor_id=None, now=now)
        make_track(session, now=now, key=TRACK_KEY, title="评分测试路线", stages=STAGES, modules={})
        trainer = make_user(session, role=Role.TRAINER, employee_no="review-trainer")
        cohort = make_cohort(session, track_key=TRACK_KEY, staff=[trainer])
        trainee = make_user(session, cohort=cohort, employee_no="review-trainee")
        attempt = exams.start_attempt(session, user=trainee, exam_key="every-kind-review",
                                      now=now, seed=7)
        # Question 1 is answered with the choice the trainee saw last (after shuffling).
        first = next(r for r in attempt.responses if r.position == 1)
        answers = {1: first.option_order[-1], **ANSWERS}
        for position, answer in answers.items():
            exams.save_answer(session, user=trainee, attempt_id=attempt.id, position=position,
                              answer=answer, revision=1, now=now)
        exams.submit_attempt(session, user=trainee, attempt_id=attempt.id, now=now)
        return attempt.id


def _reads_clean(page: Page, where: str) -> None:
    text = page.locator("main").inner_text()
    found = INTERNAL.search(text)
    assert found is None, f"{where}: {found[0]!r} in …{text[max(0, found.start() - 60):found.end() + 60]}…"


def test_the_trainees_review_of_every_kind_reads_like_the_exam(
        page: Page, new_context, attempt_id: int) -> None:  # type: ignore[no-untyped-def]
    log_in(page, "review-trainee", PASSWORD)
    page.goto(f"/attempts/{attempt_id}/result")
    expect(page.locator("main")).to_contain_text("部分题目需要培训组长人工评分")
    letters = page.locator("#r1 .choice-answer__letter")
    expect(letters.first).to_have_text(re.compile(r"^[A-D]\.$"))
    expect(page.locator("#r4")).to_contain_text("◐ 部分得分")  # half credit for one blank
    expect(page.locator("#r4")).to_contain_text("第 2 空 · 0.5 / 1 分")
    expect(page.locator("#r6")).to_contain_text("客服群")
    expect(page.locator("#r7 .review__points")).to_contain_text("待评分")
    expect(page.locator("#r7")).to_contain_text("先安抚情绪并致歉 · 满分 2 分")
    expect(page.locator("#r8")).to_contain_text("第 1 小题")
    expect(page.locator("#r9")).to_contain_text("备注原因")
    expect(page.locator("#r9")).to_contain_text("2025-11-11 10:10")
    _reads_clean(page, "the trainee's review")
    assert_accessible(page, "the trainee's review of every kind")
    screenshot(page, "review-every-kind-1366")
    phone = new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    log_in(phone, "review-trainee", PASSWORD)
    phone.goto(f"/attempts/{attempt_id}/result")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(phone, "the trainee's review on a phone")
    screenshot(phone, "review-every-kind-390")


def test_the_staff_review_of_every_kind_reads_the_same(page: Page, attempt_id: int) -> None:
    log_in(page, "review-trainer", PASSWORD)
    page.goto(f"/attempts/{attempt_id}/review")
    expect(page.locator("#r4")).to_contain_text("◐ 部分得分")
    expect(page.locator("#r7 .review__points")).to_contain_text("待评分")
    expect(page.locator("#r9")).to_contain_text("备注原因")
    _reads_clean(page, "the staff review")
    page.get_by_role("link", name=re.compile("只看失分的题")).click()
    expect(page.locator("#r7")).to_have_count(0)  # pending is not lost
    expect(page.locator("#r4")).to_be_visible()
    assert_accessible(page, "the staff review of every kind")
    screenshot(page, "review-every-kind-staff-1366")
