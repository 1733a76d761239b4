"""Two requests doing the same first write at once (a second tab, a double click) both
succeed on PostgreSQL: a first visit to a module, a checklist tick, a stage passed twice.

Each test runs the two requests in separate sessions and connections, in the order that
collides: the second reads before the first commits and inserts after it has written.
Before the upserts the second failed on the unique constraint (HTTP 500).
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from portal.audit.models import AuditEvent
from portal.auth.models import Role, User
from portal.config import PROJECT_ROOT
from portal.content.loader import load_content
from portal.courses import services
from portal.courses.models import ChecklistTick, ModuleProgress, StageCompletion
from portal.courses.rules import AssessmentSource
from tests.factories import make_cohort, make_user
from tests.postgres_support import interleave, migrated_postgres_database


@pytest.fixture
def database_url() -> Iterator[str]:
    with migrated_postgres_database() as url:
        yield url


@pytest.fixture
def sessions(app: Flask) -> sessionmaker[Session]:
    maker: sessionmaker[Session] = app.extensions["portal.sessionmaker"]
    return maker


@pytest.fixture
def people(session: Session, now: datetime) -> tuple[User, User]:
    services.import_content(session, content=load_content(PROJECT_ROOT / "courses"),
                            actor_id=None, now=now)
    trainer = make_user(session, role=Role.TRAINER)
    trainee = make_user(session, cohort=make_cohort(session, staff=[trainer]))
    session.commit()
    return trainer, trainee


def _count(session: Session, model: type, user: User) -> int:
    session.rollback()  # a fresh read of what the two requests committed
    return session.scalar(sa.select(sa.func.count()).select_from(model)
                          .where(model.user_id == user.id)) or 0  # type: ignore[attr-defined]


def test_two_first_visits_to_a_module_at_once_both_open_it(
        session: Session, sessions: sessionmaker[Session], people: tuple[User, User],
        now: datetime) -> None:
    _, trainee = people

    def visit(s: Session) -> int:
        user = s.get(User, trainee.id)
        assert user is not None
        page = services.open_module(s, user=user, track_key="new-hire",
                                    module_key="company-culture", now=now)
        assert page.progress is not None
        return page.progress.id

    first, second = interleave(sessions, visit, visit)
    assert first.error is None and second.error is None, (first.error, second.error)
    assert first.value == second.value  # one progress row, the first visit's
    assert _count(session, ModuleProgress, trainee) == 1


def _open_team_stage(s: Session, trainee: User, now: datetime) -> None:
    for stage in ("basics", "operations"):
        services.record_assessment_passed(s, user_id=trainee.id, track_key="new-hire",
                                          stage_key=stage, source=AssessmentSource.EXAM,
                                          reference="线上考试", now=now)


def test_the_same_checklist_tick_twice_at_once_is_one_tick(
        session: Session, sessions: sessionmaker[Session], people: tuple[User, User],
        now: datetime) -> None:
    _, trainee = people
    _open_team_stage(session, trainee, now)
    session.commit()

    def tick(s: Session) -> int:
        user = s.get(User, trainee.id)
        assert user is not None
        view = services.tick_checklist_item(s, user=user, track_key="new-hire",
                                            stage_key="team", item_key="cs-group", ticked=True,
                                            now=now)
        return view.checklists["team"].done

    first, second = interleave(sessions, tick, tick)
    assert first.error is None and second.error is None, (first.error, second.error)
    assert first.value == second.value == 1
    assert _count(session, ChecklistTick, trainee) == 1


def test_a_stage_passed_by_an_exam_and_by_hand_at_once_keeps_the_first_pass(
        session: Session, sessions: sessionmaker[Session], people: tuple[User, User],
        now: datetime) -> None:
    trainer, trainee = people

    def by_exam(s: Session) -> str:
        return services.record_assessment_passed(
            s, user_id=trainee.id, track_key="new-hire", stage_key="basics",
            source=AssessmentSource.EXAM, reference="基础知识考试 #1: 90", now=now).source

    def by_hand(s: Session) -> str:
        actor = s.get(User, trainer.id)
        assert actor is not None
        return services.complete_stage_manually(
            s, actor=actor, trainee_id=trainee.id, track_key="new-hire", stage_key="basics",
            reason="线下笔试满分", now=now).source

    first, second = interleave(sessions, by_exam, by_hand)
    assert first.error is None and second.error is None, (first.error, second.error)
    assert first.value == second.value == "exam"  # the trainer is shown the pass that counts
    assert _count(session, StageCompletion, trainee) == 1
    # Only a mark that counted is in the audit log.
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "stage.complete_manual")) == 0
