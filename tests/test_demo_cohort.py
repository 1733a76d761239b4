"""The demo's finished cohort: twelve trainees through the week, generated through the
services (never by writing scores), varied, and loaded once however often `demo load` runs."""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from portal import demo_cohort
from portal.audit.models import AuditEvent
from portal.auth.models import Cohort, User
from portal.chat.models import ChatAttempt, ChatMessage, ChatSender
from portal.chat.scoring import score_attempt, score_conversation
from portal.chat.services import attempts as chat_attempts
from portal.chat.services.attempts import scenario_of
from portal.db import Base
from portal.demo import load_demo_data
from portal.exams import kinds
from portal.exams.models import Attempt, AttemptStatus
from portal.observations.models import ObservationEntry
from tests.factories import build_finished_cohort, import_shipped_content, make_test_app

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> Iterator[Flask]:
    """An app whose database has the shipped content and the demo data loaded once."""
    tmp = tmp_path_factory.mktemp("demo")
    shutil.copyfile(migrated_template, tmp / "portal.sqlite3")
    app = make_test_app(tmp_path=tmp, database_url=f"sqlite:///{tmp / 'portal.sqlite3'}")
    with app.extensions["portal.sessionmaker"]() as session:
        import_shipped_content(session, now=NOW)
        load_demo_data(session, now=NOW)
        session.commit()
    yield app
    app.extensions["portal.engine"].dispose()


@pytest.fixture
def db(demo_app: Flask) -> Iterator[Session]:
    with demo_app.extensions["portal.sessionmaker"]() as session:
        yield session
        session.rollback()


def _finished(db: Session) -> Cohort:
    return db.scalars(sa.select(Cohort).where(Cohort.name == "2026年11月第4期")).one()


def test_the_finished_cohort_is_there_beside_the_demo_accounts(db: Session) -> None:
    cohort = _finished(db)
    assert cohort.start_date.isoformat() == "2026-11-23"  # the Monday of the week before
    assert len(cohort.trainees) == 12 and all(t.active for t in cohort.trainees)
    assert {s.employee_no for s in cohort.staff} == {"demo-trainer", "demo-supervisor",
                                                      "demo-supervisor3"}
    demo = db.scalars(sa.select(User).where(User.employee_no == "demo-trainee")).one()
    assert demo.cohort is not None and demo.cohort.name == "演示批次"


def test_results_are_varied_with_passes_failures_and_a_critical_violation(db: Session) -> None:
    ids = [t.id for t in _finished(db).trainees]
    exams = db.scalars(sa.select(Attempt).where(Attempt.user_id.in_(ids))).all()
    firsts = [a.score for a in exams if a.number == 1]
    assert len(set(firsts)) > 10 and min(firsts) < 80 <= max(firsts)  # type: ignore[type-var]
    assert any(a.number > 1 for a in exams) and all(a.status is AttemptStatus.GRADED for a in exams)
    chats = db.scalars(sa.select(ChatAttempt).where(ChatAttempt.user_id.in_(ids))).all()
    assert {a.passed for a in chats} == {True, False}
    assert [a.fail_reason for a in chats if a.fail_reason] == ["false_promise"]
    assert len({round(a.score or 0) for a in chats}) > 6


def test_every_score_comes_from_answers_graded_by_the_rules_or_the_trainer(db: Session) -> None:
    ids = [t.id for t in _finished(db).trainees]
    trainer = db.scalars(sa.select(User).where(User.employee_no == "demo-trainer")).one()
    audited = {(e.action, e.target_id) for e in db.scalars(sa.select(AuditEvent))}
    manual = 0
    for attempt in db.scalars(sa.select(Attempt).where(Attempt.user_id.in_(ids))):
        assert ("attempt.start", str(attempt.id)) in audited
        assert ("attempt.submit", str(attempt.id)) in audited
        assert any(r.answer is not None for r in attempt.responses)
        for response in attempt.responses:
            if response.graded_by_id is not None:  # the trainer's rubric scores
                manual += 1
                assert response.graded_by_id == trainer.id
                assert ("response.grade", str(response.id)) in audited
                continue
            grade = kinds.grade(response.question_version.definition, response.answer)
            assert (grade.points, grade.needs_manual) == (response.points, False)
        assert attempt.points == sum(r.points or 0 for r in attempt.responses)
    assert manual > 0


def test_every_chat_score_is_the_engines_score_of_what_was_said(db: Session) -> None:
    ids = [t.id for t in _finished(db).trainees]
    for attempt in db.scalars(sa.select(ChatAttempt).where(ChatAttempt.user_id.in_(ids))):
        replies = db.scalar(sa.select(sa.func.count()).select_from(ChatMessage).where(
            ChatMessage.chat_attempt_id == attempt.id, ChatMessage.sender == ChatSender.TRAINEE))
        assert replies and replies >= len(attempt.conversations)
        scored = [score_conversation(scenario_of(row.scenario_version),
                                     chat_attempts.transcript(db, row),
                                     chat_attempts.rules_of(row.scenario_version))
                  for row in attempt.conversations]
        definition = chat_attempts.drill_of(attempt.drill_version)
        assert score_attempt(scored, pass_mark=definition.pass_mark).score == attempt.score


def test_observations_were_entered_by_the_demo_staff(db: Session) -> None:
    ids = [t.id for t in _finished(db).trainees]
    entries = db.scalars(sa.select(ObservationEntry).where(ObservationEntry.trainee_id.in_(ids)))
    recorders = {e.recorded_by.employee_no for e in entries if e.recorded_by}
    assert recorders == {"demo-trainer", "demo-supervisor"}


def _user(db: Session, employee_no: str) -> User:
    return db.scalars(sa.select(User).where(User.employee_no == employee_no)).one()


def test_a_supervisor_finds_an_unconfirmed_placement_proposal_with_costly_preferences(
        db: Session) -> None:
    from portal.placement import services as placement
    from portal.placement.rules import PlacementRole

    page = placement.cohort_placement(db, actor=_user(db, "demo-supervisor"),
                                      cohort_id=_finished(db).id)
    assert page.may_decide and not page.confirmed
    assert page.trainees == 12 and page.preferences == 10  # two left it open
    assert page.plan is not None and page.plan.staffing is not None  # the Double-11 formula
    proposal = page.proposal
    assert proposal is not None and proposal.confirmed_at is None
    assert proposal.capacities == {PlacementRole.PRE_SALES: 5, PlacementRole.AFTER_SALES: 7}
    assert proposal.loads == proposal.capacities and not proposal.overruns
    unmet = [row for row in proposal.rows if row.preference_met is False]
    assert unmet and all((row.preference_cost or 0) > 0 for row in unmet)
    assert sum(1 for row in proposal.rows if row.preference is None) == 2


def test_probation_has_decisions_one_decided_otherwise_and_proposals_waiting(db: Session) -> None:
    from portal.probation import services as probation
    from portal.probation.rules import Outcome

    supervisor = _user(db, "demo-supervisor")
    cases = probation.cohort_cases(db, actor=supervisor, cohort_id=_finished(db).id,
                                   policy=probation.current_policy(), now=NOW).cases
    proposed = [c for c in cases if c.trail]
    decided = [c.latest_decision for c in cases if c.latest_decision is not None]
    waiting = [c.open_proposal for c in cases if c.open_proposal is not None]
    assert len(proposed) == 10 and len(decided) == 7 and len(waiting) == 3
    assert {e.proposed_by for e in decided + waiting} == {"周敏（演示培训组长）"}
    assert {e.decided_by for e in decided} == {"孙婧（演示客服主管）"}
    otherwise = [e for e in decided if e.decision is not None and not e.decision.accepted]
    assert len(otherwise) == 1 and otherwise[0].decision is not None
    assert otherwise[0].proposal.outcome is Outcome.DO_NOT_CONFIRM
    assert otherwise[0].decision.outcome is Outcome.EXTEND and otherwise[0].decision.reason
    # Every proposal followed the recommendation, and the demo supervisor may decide those
    # that wait (the trainer made them).
    assert all(e.proposal.outcome.value == e.proposal.recommendation["outcome"]
               for e in decided + waiting)
    assert all(probation.may_decide(supervisor, e.proposal) for e in waiting)
    assert {e.proposal.outcome for e in waiting} >= {Outcome.CONFIRM, Outcome.EXTEND}


def test_loading_again_changes_nothing(demo_app: Flask) -> None:
    def counts(session: Session) -> dict[str, int]:
        return {t.name: session.scalar(sa.select(sa.func.count()).select_from(t)) or 0
                for t in Base.metadata.sorted_tables}

    with demo_app.extensions["portal.sessionmaker"]() as session:
        before = counts(session)
        assert load_demo_data(session, now=NOW) == []
        session.flush()
        assert counts(session) == before
        session.rollback()


def test_the_same_profiles_give_the_same_week_every_time(
        tmp_path: Path, migrated_template: Path) -> None:
    scores = []
    for run in ("first", "second"):
        (tmp_path / run).mkdir()
        shutil.copyfile(migrated_template, tmp_path / run / "portal.sqlite3")
        app = make_test_app(tmp_path=tmp_path / run,
                            database_url=f"sqlite:///{tmp_path / run / 'portal.sqlite3'}")
        with app.extensions["portal.sessionmaker"]() as session:
            made = build_finished_cohort(session, now=NOW, people=demo_cohort.DEMO_TRAINEES[5:7])
            ids = [t.id for t in made.trainees]
            scores.append(
                sorted((a.user_id, a.number, a.score) for a in session.scalars(
                    sa.select(Attempt).where(Attempt.user_id.in_(ids))))
                + sorted((a.user_id, a.number, a.score) for a in session.scalars(
                    sa.select(ChatAttempt).where(ChatAttempt.user_id.in_(ids)))))
        app.extensions["portal.engine"].dispose()
    assert scores[0] == scores[1] and len(scores[0]) >= 8
