"""`exam_records` and `drill_statuses` read a whole cohort at once (the probation cases and the
dashboard): they must answer exactly what `exam_record` and `drill_status` answer one trainee
at a time, unavailable where those refuse, in a number of statements that does not grow with
the cohort."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.auth.models import Role, User
from portal.chat.services import attempts as chat_attempts
from portal.errors import DomainError, NotFound
from portal.exams import services as exams
from tests.chat import chat_web_fixtures as chat_fx
from tests.e2e import journey_fixtures as journey
from tests.exams import exam_fixtures
from tests.exams.exam_fixtures import ANSWERS_RIGHT
from tests.factories import import_exam, make_chat_trainee, make_cohort, make_user, statements_run

# The journey's exam on the chat track's first stage, and the same on its second stage,
# locked until the first is passed.
WRITTEN = journey.EXAM.replace(f"key: {journey.EXAM_KEY}", "key: web-written").replace(
    f"track: {journey.TRACK_KEY}", f"track: {chat_fx.TRACK_KEY}").replace(
    "stage: basics", "stage: practice")
WRONG = {1: "b", 2: ["c"], 3: False, 4: ["蓝"], 5: "1", 6: {"reason": "", "staff_id": ""}}

LATER = WRITTEN.replace("key: web-written", "key: web-later").replace(
    "stage: practice", "stage: after")
STAGES = [chat_fx.BOTH_STAGES[0], {**chat_fx.BOTH_STAGES[1], "assessment": "web-later"}]


@pytest.fixture
def cohort(session: Session, now: datetime) -> list[User]:
    """Five trainees of one cohort and what they did; a trainer; a trainee of another cohort."""
    first = make_chat_trainee(session, now=now, stages=STAGES)
    import_exam(session, now=now, bank=exam_fixtures.BANK, bank_file="demo-bank.yaml",
                exams=(WRITTEN, LATER), exam_file="web-written.yaml")
    others = [make_user(session, cohort=first.cohort, employee_no=f"B{i:03d}") for i in range(3)]
    passed, failed, expired = first, others[0], others[1]
    attempt = exams.start_attempt(session, user=passed, exam_key="web-written", now=now, seed=1)
    for position, answer in ANSWERS_RIGHT.items():
        exams.save_answer(session, user=passed, attempt_id=attempt.id, position=position,
                          answer=answer, revision=1, now=now)
    exams.submit_attempt(session, user=passed, attempt_id=attempt.id, now=now)
    wrong = exams.start_attempt(session, user=failed, exam_key="web-written", now=now, seed=1)
    for position, answer in WRONG.items():
        exams.save_answer(session, user=failed, attempt_id=wrong.id, position=position,
                          answer=answer, revision=1, now=now)
    exams.submit_attempt(session, user=failed, attempt_id=wrong.id, now=now)
    # left open long ago: reading it submits it at its deadline, in both ways alike
    exams.start_attempt(session, user=expired, exam_key="web-written",
                        now=now - timedelta(hours=3), seed=2)
    chat = chat_attempts.start_attempt(session, user=failed, drill_key="solo", now=now)
    chat_attempts.advance(session, attempt=chat, now=now)
    chat_attempts.reply(session, user_id=failed.id, attempt_id=chat.id, slot=0,
                        text=chat_fx.PROMISE, now=now + timedelta(seconds=5))
    chat_attempts.advance(session, attempt=chat, now=now + timedelta(seconds=40))
    trainer = make_user(session, role=Role.TRAINER, employee_no="T900")
    elsewhere = make_user(session, cohort=make_cohort(session, name="别的批次"), employee_no="E001")
    session.commit()
    return [first, *others, trainer, elsewhere]


def _one(call, **kwargs):  # type: ignore[no-untyped-def]
    try:
        return call(**kwargs)
    except DomainError:
        return None


@pytest.mark.parametrize("exam_key", ["web-written", "web-later"])
def test_exam_records_answer_what_exam_record_answers(session: Session, now: datetime,
                                                      cohort: list[User], exam_key: str) -> None:
    later = now + timedelta(minutes=1)
    many = exams.exam_records(session, users=cohort, exam_key=exam_key, now=later)
    one = {u.id: _one(exams.exam_record, session=session, user=u, exam_key=exam_key, now=later)
           for u in cohort}
    assert many == one
    trainer, elsewhere = cohort[-2:]
    assert many[trainer.id] is None and many[elsewhere.id] is None
    if exam_key == "web-later":  # its stage is locked for all of them
        assert set(many.values()) == {None}
    else:
        passed, failed, expired, idle = (many[u.id] for u in cohort[:4])
        assert passed is not None and passed.passed and passed.attempts[0].graded_at is None
        assert failed is not None and not failed.passed
        assert expired is not None and expired.attempts[0].submitted_at is not None
        assert idle is not None and idle.attempts == []


def test_drill_statuses_answer_what_drill_status_answers(session: Session, now: datetime,
                                                         cohort: list[User]) -> None:
    later = now + timedelta(minutes=1)
    many = chat_attempts.drill_statuses(session, users=cohort, drill_key="solo", now=later)
    for user in cohort:
        one = _one(chat_attempts.drill_status, session=session, user=user, drill_key="solo",
                   now=later)
        assert many[user.id] == one
    assert [len(many[u.id].attempts) for u in cohort[:4]] == [0, 1, 0, 0]  # type: ignore[union-attr]
    assert many[cohort[-1].id] is None


def test_an_exam_not_online_is_not_found(session: Session, now: datetime,
                                         cohort: list[User]) -> None:
    with pytest.raises(NotFound):
        exams.exam_records(session, users=cohort, exam_key="nope", now=now)
    with pytest.raises(NotFound):
        chat_attempts.drill_statuses(session, users=cohort, drill_key="nope", now=now)


def test_the_statements_do_not_grow_with_the_cohort(session: Session, now: datetime,
                                                    cohort: list[User]) -> None:
    def both(users: list[User]) -> None:
        exams.exam_records(session, users=users, exam_key="web-written", now=now)
        chat_attempts.drill_statuses(session, users=users, drill_key="solo", now=now)

    def fresh(users: list[User]) -> list[User]:  # loaded by one query, as a cohort's page does
        session.expire_all()
        return list(session.scalars(sa.select(User).where(User.id.in_([u.id for u in users]))))

    both(cohort)  # submits the attempt left open past its deadline: once, not measured
    few = fresh(cohort[:2])
    few_count = statements_run(session, lambda: both(few))
    everyone = fresh(cohort[:4])  # the same cohort, twice as many
    assert statements_run(session, lambda: both(everyone)) == few_count

