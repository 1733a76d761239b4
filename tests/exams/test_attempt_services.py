"""Attempts through the services: start, autosave with revisions, submit, deadline, grading."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.errors import NotFound
from portal.exams import errors, services
from portal.exams.models import Attempt, AttemptStatus, Response
from tests.exams.exam_fixtures import ANSWERS_RIGHT, SENTINEL
from tests.factories import import_demo_exam, make_user


@pytest.fixture
def trainee(session: Session, now: datetime) -> User:
    import_demo_exam(session, now=now)
    user = make_user(session)
    session.commit()
    return user


def _save_all(session: Session, user: User, attempt: Attempt, now: datetime,
              answers: dict[int, object]) -> None:
    for position, answer in answers.items():
        services.save_answer(session, user=user, attempt_id=attempt.id, position=position,
                             answer=answer, revision=1, now=now)


def test_a_full_right_attempt_scores_100_and_passes(session: Session, trainee: User,
                                                    now: datetime) -> None:
    attempt = services.start_attempt(session, user=trainee, exam_key="demo-exam", now=now)
    assert [r.position for r in attempt.responses] == [1, 2, 3, 4, 5, 6]
    assert attempt.deadline_at == now + timedelta(minutes=30)
    _save_all(session, trainee, attempt, now, ANSWERS_RIGHT)
    services.submit_attempt(session, user=trainee, attempt_id=attempt.id, now=now)
    assert attempt.status is AttemptStatus.GRADED
    assert attempt.score == 100.0 and attempt.passed


def test_starting_twice_returns_the_open_attempt(session: Session, trainee: User,
                                                 now: datetime) -> None:
    first = services.start_attempt(session, user=trainee, exam_key="demo-exam", now=now)
    again = services.start_attempt(session, user=trainee, exam_key="demo-exam", now=now)
    assert first.id == again.id


def test_a_stale_save_never_overwrites_a_newer_answer(session: Session, trainee: User,
                                                      now: datetime) -> None:
    attempt = services.start_attempt(session, user=trainee, exam_key="demo-exam", now=now)
    newer = services.save_answer(session, user=trainee, attempt_id=attempt.id, position=1,
                                 answer="b", revision=5, now=now)
    late = services.save_answer(session, user=trainee, attempt_id=attempt.id, position=1,
                                answer="a", revision=3, now=now + timedelta(seconds=1))
    same = services.save_answer(session, user=trainee, attempt_id=attempt.id, position=1,
                                answer="c", revision=5, now=now + timedelta(seconds=2))
    assert not newer.stale and late.stale and same.stale
    response = session.scalars(sa.select(Response).where(Response.attempt_id == attempt.id,
                                                         Response.position == 1)).one()
    assert response.answer == "b" and response.revision == 5


def test_submitting_twice_is_harmless(session: Session, trainee: User, now: datetime) -> None:
    attempt = services.start_attempt(session, user=trainee, exam_key="demo-exam", now=now)
    _save_all(session, trainee, attempt, now, {1: "a"})
    services.submit_attempt(session, user=trainee, attempt_id=attempt.id, now=now)
    score = attempt.score
    services.submit_attempt(session, user=trainee, attempt_id=attempt.id,
                            now=now + timedelta(minutes=1))
    assert attempt.score == score and attempt.submitted_at == now


def test_saves_after_the_deadline_are_refused_and_the_attempt_is_submitted(
        session: Session, trainee: User, now: datetime) -> None:
    attempt = services.start_attempt(session, user=trainee, exam_key="demo-exam", now=now)
    _save_all(session, trainee, attempt, now + timedelta(minutes=29, seconds=59), {1: "a"})
    with pytest.raises(errors.AttemptClosed) as exc:
        services.save_answer(session, user=trainee, attempt_id=attempt.id, position=2,
                             answer=["a", "b"], revision=1, now=now + timedelta(minutes=30))
    assert "时间已到" in str(exc.value.message)
    assert attempt.status is AttemptStatus.GRADED and attempt.submitted_by == "deadline"
    assert attempt.submitted_at == attempt.deadline_at
    assert attempt.points == 10  # the saved answer counted; the late one did not


def test_the_sweep_submits_abandoned_attempts(session: Session, trainee: User,
                                              now: datetime) -> None:
    attempt = services.start_attempt(session, user=trainee, exam_key="demo-exam", now=now)
    _save_all(session, trainee, attempt, now, {3: True})
    assert services.sweep_expired(session, now=now + timedelta(minutes=10)) == 0
    assert services.sweep_expired(session, now=now + timedelta(hours=2)) == 1
    assert attempt.status is AttemptStatus.GRADED and attempt.points == 10


def test_attempts_run_out(session: Session, trainee: User, now: datetime) -> None:
    for _ in range(2):
        attempt = services.start_attempt(session, user=trainee, exam_key="demo-exam", now=now)
        services.submit_attempt(session, user=trainee, attempt_id=attempt.id, now=now)
    with pytest.raises(errors.CannotStart) as exc:
        services.start_attempt(session, user=trainee, exam_key="demo-exam", now=now)
    assert "次数已用完" in str(exc.value.message)


def test_another_trainee_cannot_reach_an_attempt(session: Session, trainee: User,
                                                 now: datetime) -> None:
    attempt = services.start_attempt(session, user=trainee, exam_key="demo-exam", now=now)
    other = make_user(session)
    with pytest.raises(NotFound):
        services.get_attempt(session, user=other, attempt_id=attempt.id)
    with pytest.raises(NotFound):
        services.save_answer(session, user=other, attempt_id=attempt.id, position=1, answer="a",
                             revision=9, now=now)


def test_public_views_never_carry_a_key_or_an_explanation(session: Session, trainee: User,
                                                          now: datetime) -> None:
    attempt = services.start_attempt(session, user=trainee, exam_key="demo-exam", now=now)
    shown = services.shown_questions(attempt)
    assert len(shown) == 6
    assert SENTINEL not in repr([s.question for s in shown])


def test_a_changed_question_keeps_old_attempts_explained(session: Session, trainee: User,
                                                         now: datetime) -> None:
    from tests.exams import exam_fixtures

    attempt = services.start_attempt(session, user=trainee, exam_key="demo-exam", now=now)
    old_version = attempt.responses[0].question_version_id
    changed = exam_fixtures.BANK.replace("客单价怎么算？", "客单价的计算方法是？")
    from portal.exams.bank import load_bank

    bank, _ = load_bank(changed.encode("utf-8"), "demo-bank.yaml")
    plan = services.apply_import(session, banks=[bank], exams=[], actor_id=None, now=now)
    assert plan.changed == ["question:demo-bank/single"]
    assert attempt.responses[0].question_version_id == old_version
    again = services.apply_import(session, banks=[bank], exams=[], actor_id=None, now=now)
    assert not again.touched
