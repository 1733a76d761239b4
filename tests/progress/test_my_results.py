"""A trainee's own results (我的成绩) and next step: written and chat exams read through
their domains' services, with a fixed clock; the page and the home page through the client."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from portal.auth.models import Role, User
from portal.chat.services import attempts as chat_attempts
from portal.courses import services as courses
from portal.exams import services as exams
from portal.exams.models import Attempt
from portal.progress import results
from portal.progress.results import AttemptState, StepKind
from tests.e2e import journey_fixtures as journey
from tests.exams import exam_fixtures
from tests.factories import (
    HX,
    import_exam,
    login,
    make_chat_trainee,
    make_cohort,
    make_track,
    make_user,
)

WRONG = {1: "b", 2: ["c"], 3: False, 4: ["蓝"], 5: "1", 6: {"reason": "", "staff_id": ""}}


@pytest.fixture
def trainee(session: Session, now: datetime) -> User:
    track = make_track(session, now=now, key=journey.TRACK_KEY, stages=journey.STAGES,
                       modules=journey.MODULE_TITLES)
    import_exam(session, now=now, bank=exam_fixtures.BANK, bank_file="demo-bank.yaml",
                exams=(journey.EXAM,), exam_file=f"{journey.EXAM_KEY}.yaml")
    user = make_user(session, cohort=make_cohort(session, track_key=journey.TRACK_KEY),
                     display_name="周新人")
    assert track.current_version is not None
    return user


def _read_stage_one(session: Session, user: User, now: datetime) -> None:
    for key in ("j-intro", "j-rules"):
        courses.set_module_done(session, user=user, track_key=journey.TRACK_KEY, module_key=key,
                                done=True, now=now)


def _take(session: Session, user: User, now: datetime, answers: dict[int, object]) -> Attempt:
    attempt = exams.start_attempt(session, user=user, exam_key=journey.EXAM_KEY, now=now, seed=1)
    for position, answer in answers.items():
        exams.save_answer(session, user=user, attempt_id=attempt.id, position=position,
                          answer=answer, revision=1, now=now)
    return exams.submit_attempt(session, user=user, attempt_id=attempt.id, now=now)


def test_the_next_step_follows_the_track_from_reading_to_the_retake(
        session: Session, trainee: User, now: datetime) -> None:
    step = results.my_results(session, user=trainee, now=now).next_step
    assert step is not None and step.kind is StepKind.READ and step.module_title == "认识店铺"
    _read_stage_one(session, trainee, now)
    mine = results.my_results(session, user=trainee, now=now)
    assert mine.next_step is not None and mine.next_step.kind is StepKind.TAKE
    assert [(a.title, a.attempts) for a in mine.assessments] == [("基础入门考核", [])]

    _take(session, trainee, now, WRONG)
    later = now + timedelta(minutes=10)
    mine = results.my_results(session, user=trainee, now=later)
    exam = mine.assessments[0]
    assert [(a.number, a.state, a.score) for a in exam.attempts] == [(1, AttemptState.FAILED, 0)]
    assert not exam.may_start and exam.next_allowed_at == now + timedelta(minutes=30)
    assert exam.attempts_left == 1
    assert mine.next_step is not None and mine.next_step.kind is StepKind.WAIT_RETAKE

    after_wait = now + timedelta(minutes=31)
    assert results.my_results(session, user=trainee, now=after_wait).next_step.kind \
        is StepKind.TAKE  # type: ignore[union-attr]
    _take(session, trainee, after_wait, dict(enumerate(
        ["a", ["a", "b"], True, ["红"], "300",
         {"reason": f"地址 {exam_fixtures.SENTINEL}", "staff_id": "KF0001"}], 1)))
    mine = results.my_results(session, user=trainee, now=after_wait)
    exam = mine.assessments[0]
    assert [(a.number, a.state) for a in exam.attempts] == [
        (1, AttemptState.FAILED), (2, AttemptState.PASSED)]
    assert exam.passed and exam.latest is not None and exam.latest.score == 100
    # Stage 2 has no online assessment: read it first, then its trainer decides.
    assert mine.next_step is not None and mine.next_step.kind is StepKind.READ
    assert mine.next_step.stage_title == "接待实操"
    courses.set_module_done(session, user=trainee, track_key=journey.TRACK_KEY,
                            module_key="j-handling", done=True, now=after_wait)
    step = results.my_results(session, user=trainee, now=after_wait).next_step
    assert step is not None and step.kind is StepKind.WAIT_TRAINER


def test_a_chat_exam_attempt_is_among_the_results(session: Session, now: datetime) -> None:
    trainee = make_chat_trainee(session, now=now)
    attempt = chat_attempts.start_attempt(session, user=trainee, drill_key="solo", now=now)
    chat_attempts.finish_attempt(session, user=trainee, attempt_id=attempt.id,
                                 now=now + timedelta(seconds=30))
    mine = results.my_results(session, user=trainee, now=now + timedelta(minutes=1))
    chat = [a for a in mine.assessments if a.source == "chat-exam"]
    assert len(chat) == 1 and chat[0].key == "solo" and chat[0].stage_key == "practice"
    assert [(a.number, a.state) for a in chat[0].attempts] == [(1, AttemptState.FAILED)]
    assert chat[0].attempts[0].score is not None


def test_the_results_page_and_the_home_page_show_every_attempt(
        app: Flask, session: Session, trainee: User, now: datetime) -> None:
    _read_stage_one(session, trainee, now)
    attempt = _take(session, trainee, now, WRONG)
    session.commit()
    client = app.test_client()
    login(client, trainee)
    for headers in ({}, HX):
        page = client.get("/my/results", headers=headers)
        text = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "基础入门考核" in text and "第 1 次" in text and "未通过" in text
        assert f"/attempts/{attempt.id}/result" in text
        read = re.sub(r"<[^>]+>", " ", text.split('id="main"')[1])  # as a person reads it
        assert journey.EXAM_KEY not in read and "failed" not in read and "None" not in read
    home = client.get("/").get_data(as_text=True)
    assert "阶段考核成绩" in home and "最近一次：第 1 次" in home and "下一步" in home
    assert 'href="/my/results"' in home  # in the navigation too


def test_staff_and_strangers_do_not_see_a_trainees_results_page(
        app: Flask, session: Session, trainee: User) -> None:
    trainer = make_user(session, role=Role.TRAINER)
    session.commit()
    client = app.test_client()
    login(client, trainer)
    assert client.get("/my/results").status_code == 403
    assert app.test_client().get("/my/results").status_code in (302, 303)
