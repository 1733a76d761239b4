"""The one rule "may this person see this trainee", over role × cohort × target.

Each row: the actor's role, where the target is (a cohort the actor staffs — for a trainee
actor, the cohort they belong to — another cohort, or no cohort), whether the target is
a trainee, and the outcome. The same table is asked of every domain that shows a
trainee to staff (courses' trainee track, progress' timeline, the exams' staff pages), so
they cannot drift apart again.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import pytest
from sqlalchemy.orm import Session

from portal.auth import access
from portal.auth.models import Cohort, Role, User
from portal.courses import services as courses
from portal.errors import DomainError, Forbidden, NotFound
from portal.exams import grading
from portal.progress import services as progress
from tests.factories import make_cohort, make_user


class Where(StrEnum):
    STAFFED = "own staffed cohort"
    OTHER = "other cohort"
    NONE = "no cohort"


class Outcome(StrEnum):
    SEES = "sees"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not found"


S, F, N = Outcome.SEES, Outcome.FORBIDDEN, Outcome.NOT_FOUND

# role -> {(where, target is a trainee): outcome}
TABLE: dict[Role, dict[tuple[Where, bool], Outcome]] = {
    Role.TRAINEE: {(Where.STAFFED, True): F, (Where.OTHER, True): F, (Where.NONE, True): F,
                   (Where.STAFFED, False): F, (Where.OTHER, False): F, (Where.NONE, False): F},
    Role.TRAINER: {(Where.STAFFED, True): S, (Where.OTHER, True): F, (Where.NONE, True): F,
                   (Where.STAFFED, False): N, (Where.OTHER, False): N, (Where.NONE, False): N},
    Role.SUPERVISOR: {(Where.STAFFED, True): S, (Where.OTHER, True): F, (Where.NONE, True): F,
                      (Where.STAFFED, False): N, (Where.OTHER, False): N, (Where.NONE, False): N},
    # Admins manage every account (PRODUCT.md) and already saw every cohort's progress.
    Role.ADMIN: {(Where.STAFFED, True): S, (Where.OTHER, True): S, (Where.NONE, True): S,
                 (Where.STAFFED, False): N, (Where.OTHER, False): N, (Where.NONE, False): N},
}
CASES = [(role, where, is_trainee, outcome) for role, rows in TABLE.items()
         for (where, is_trainee), outcome in rows.items()]


@dataclass(frozen=True)
class World:
    actor: User
    staffed: Cohort
    other: Cohort
    target: User


def _world(session: Session, role: Role, where: Where, is_trainee: bool) -> World:
    actor = make_user(session, role=role)
    colleague = make_user(session, role=Role.TRAINER)
    staffed = make_cohort(session, staff=[actor] if role in (Role.TRAINER, Role.SUPERVISOR)
                          else [colleague])
    other = make_cohort(session, staff=[colleague])
    if role is Role.TRAINEE:
        actor.cohort_id = staffed.id  # a trainee's "own" cohort is the one they belong to
    cohort = {Where.STAFFED: staffed, Where.OTHER: other, Where.NONE: None}[where]
    target = make_user(session, role=Role.TRAINEE if is_trainee else Role.TRAINER)
    # A staff account with a cohort cannot be made through the services; set it here so
    # the table shows the role alone decides "not a trainee".
    target.cohort_id = cohort.id if cohort else None
    session.flush()
    session.expire_all()
    return World(actor=actor, staffed=staffed, other=other, target=target)


def _outcome(call: Callable[[], object]) -> Outcome:
    try:
        call()
    except Forbidden:
        return F
    except NotFound:
        return N
    return S


@pytest.mark.parametrize(("role", "where", "is_trainee", "expected"), CASES,
                         ids=[f"{r}-{w.name.lower()}-{'trainee' if t else 'staff'}"
                              for r, w, t, _ in CASES])
def test_who_sees_which_trainee(session: Session, now: datetime, role: Role, where: Where,
                                is_trainee: bool, expected: Outcome) -> None:
    world = _world(session, role, where, is_trainee)
    actor, target = world.actor, world.target
    assert access.may_see_trainee(session, actor=actor, trainee=target) is (expected is S)
    outcome = _outcome(lambda: access.check_may_see_trainee(session, actor=actor,
                                                            trainee_id=target.id))
    assert outcome is expected
    # Every domain that shows a trainee to staff answers the same.
    assert _outcome(lambda: courses.trainee_track(session, actor=actor,
                                                  trainee_id=target.id)) is expected
    timeline = _outcome(lambda: progress.trainee_timeline(session, actor=actor,
                                                          trainee_id=target.id, now=now))
    # Seen but without a cohort there is no plan to show: "not found", never a leak.
    assert timeline is (N if expected is S and where is Where.NONE else expected)


@pytest.mark.parametrize("role", list(Role))
def test_visible_cohorts_follow_the_same_rule(session: Session, now: datetime,
                                              role: Role) -> None:
    world = _world(session, role, Where.STAFFED, True)
    visible = access.visible_cohort_ids(session, actor=world.actor)
    expected = {Role.TRAINEE: set(), Role.TRAINER: {world.staffed.id},
                Role.SUPERVISOR: {world.staffed.id},
                Role.ADMIN: {world.staffed.id, world.other.id}}[role]
    assert visible & {world.staffed.id, world.other.id} == expected
    for cohort in (world.staffed, world.other):
        sees = cohort.id in expected
        assert access.may_see_cohort(session, actor=world.actor, cohort=cohort) is sees
        grid = _outcome(lambda c=cohort: progress.cohort_grid(
            session, actor=world.actor, cohort_id=c.id, filters=progress.GridFilters(), now=now))
        assert grid is (S if sees else F)
    # The exams' staff pages ask the same rule; a trainee is refused outright.
    if role is Role.TRAINEE:
        with pytest.raises(Forbidden):
            grading.followed_cohort_ids(session, actor=world.actor)
    else:
        assert grading.followed_cohort_ids(session, actor=world.actor) == visible


def test_missing_cohort_and_missing_trainee_are_not_found(session: Session) -> None:
    trainer = make_user(session, role=Role.TRAINER)
    with pytest.raises(NotFound):
        access.check_may_see_cohort(session, actor=trainer, cohort_id=999999)
    with pytest.raises(NotFound) as missing:
        access.check_may_see_trainee(session, actor=trainer, trainee_id=999999)
    assert "找不到该新客服" in str(missing.value.message)
    trainee = make_user(session)
    with pytest.raises(DomainError) as refused:
        access.check_may_see_trainee(session, actor=trainee, trainee_id=trainee.id)
    assert isinstance(refused.value, Forbidden)  # not even themselves, through a staff page
