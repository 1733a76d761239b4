"""A stage that asks for a written and a chat exam says, for each, where the trainee stands:
passed with its score, failed with its score and the attempts left, not taken yet — on the
trainee's track (home) and on the track page their trainer sees."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from portal.auth.models import Role, User
from portal.chat.services import attempts as chat_attempts
from portal.courses import services as courses
from portal.courses.rules import AssessmentSource, StandingState
from portal.exams import services as exams
from tests.chat import chat_web_fixtures as chat_fx
from tests.e2e import journey_fixtures as journey
from tests.exams import exam_fixtures
from tests.factories import HX, import_exam, login, make_chat_trainee, make_user

WRITTEN = journey.EXAM.replace(f"key: {journey.EXAM_KEY}", "key: web-written").replace(
    f"track: {journey.TRACK_KEY}", f"track: {chat_fx.TRACK_KEY}").replace(
    "stage: basics", "stage: practice")
WRONG = {1: "b", 2: ["c"], 3: False, 4: ["蓝"], 5: "1", 6: {"reason": "", "staff_id": ""}}


@pytest.fixture
def trainee(session: Session, now: datetime) -> User:
    user = make_chat_trainee(session, now=now, stages=chat_fx.BOTH_STAGES)
    import_exam(session, now=now, bank=exam_fixtures.BANK, bank_file="demo-bank.yaml",
                exams=(WRITTEN,), exam_file="web-written.yaml")
    return user


def _pass_the_chat_exam(session: Session, user: User, now: datetime) -> None:
    attempt = chat_attempts.start_attempt(session, user=user, drill_key="solo", now=now)
    chat_attempts.advance(session, attempt=attempt, now=now)
    chat_attempts.reply(session, user_id=user.id, attempt_id=attempt.id, slot=0,
                        text=chat_fx.GOOD_FIRST, now=now + timedelta(seconds=5))
    chat_attempts.advance(session, attempt=attempt, now=now + timedelta(seconds=40))
    assert attempt.passed


def _fail_the_written_exam(session: Session, user: User, now: datetime) -> None:
    attempt = exams.start_attempt(session, user=user, exam_key="web-written", now=now, seed=1)
    for position, answer in WRONG.items():
        exams.save_answer(session, user=user, attempt_id=attempt.id, position=position,
                          answer=answer, revision=1, now=now)
    exams.submit_attempt(session, user=user, attempt_id=attempt.id, now=now)


def _stage_text(html: str) -> str:
    """The practice stage's assessments as a person reads them."""
    part = html.split('id="stage-practice"', 1)[1].split("</li>\n{% endfor %}", 1)[0]
    part = part.split('class="stage__assessment"', 1)[1].split("</ul>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", part))


def test_each_assessment_of_a_stage_has_its_own_standing(session: Session, trainee: User,
                                                         now: datetime) -> None:
    standings = courses.assessment_standings(session, user=trainee, now=now)
    assert {k: s.state for k, s in standings.items()} == {
        (AssessmentSource.EXAM, "web-written"): StandingState.NOT_STARTED,
        (AssessmentSource.CHAT_EXAM, "solo"): StandingState.NOT_STARTED}
    _pass_the_chat_exam(session, trainee, now)
    _fail_the_written_exam(session, trainee, now + timedelta(minutes=2))
    later = now + timedelta(minutes=5)
    standings = courses.assessment_standings(session, user=trainee, now=later)
    chat = standings[(AssessmentSource.CHAT_EXAM, "solo")]
    written = standings[(AssessmentSource.EXAM, "web-written")]
    assert chat.state is StandingState.PASSED and chat.score is not None and chat.score > 0
    assert (written.state, written.score, written.attempts_left) == (StandingState.FAILED, 0, 1)


def test_the_track_pages_say_which_assessment_passed_with_its_score(
        app: Flask, session: Session, trainee: User, now: datetime) -> None:
    trainer = make_user(session, role=Role.TRAINER)
    assert trainee.cohort is not None
    trainee.cohort.staff.append(trainer)
    _pass_the_chat_exam(session, trainee, now)
    _fail_the_written_exam(session, trainee, now + timedelta(minutes=2))
    session.commit()
    client = app.test_client()
    login(client, trainee)
    home = _stage_text(client.get("/").get_data(as_text=True))
    assert "以下 2 项全部通过，本阶段才算通过。" in home
    assert re.search(r"单人接待练习 （模拟接待考核） 已通过 · [0-9.]+ 分", home), home
    assert "基础入门考核 （笔试） 未通过 · 0 分 还可以考 1 次" in home, home
    assert "web-written" not in home and "solo" not in home
    staff = app.test_client()
    login(staff, trainer)
    for headers in ({}, HX):
        page = staff.get(f"/trainees/{trainee.id}/track", headers=headers)
        assert page.status_code == 200
        text = _stage_text(page.get_data(as_text=True))
        assert "基础入门考核 （笔试） 未通过 · 0 分 还可以考 1 次" in text, text
        assert "单人接待练习 （模拟接待考核） 已通过" in text
        assert "再考一次" not in text  # staff see the standing, not the trainee's buttons


def test_the_supervisors_timeline_lists_every_attempt_with_its_score(
        app: Flask, session: Session, trainee: User, now: datetime) -> None:
    supervisor = make_user(session, role=Role.SUPERVISOR)
    assert trainee.cohort is not None
    trainee.cohort.staff.append(supervisor)
    _pass_the_chat_exam(session, trainee, now)
    _fail_the_written_exam(session, trainee, now + timedelta(minutes=2))
    session.commit()
    client = app.test_client()
    login(client, supervisor)
    page = client.get(f"/trainees/{trainee.id}/timeline")
    assert page.status_code == 200
    events = page.get_data(as_text=True).split('id="events-heading"', 1)[1]
    read = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", events))
    assert "《基础入门考核》第 1 次 （笔试） 0 分 未通过 · 及格分 60" in read, read
    assert re.search(r"《单人接待练习》第 1 次 （模拟接待考核） [0-9.]+ 分 通过", read), read
    assert "chat-exam" not in read and "in_progress" not in read
