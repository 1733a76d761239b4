"""Who among the staff may see which trainees: the one rule every domain asks.

The rule: trainers and supervisors see the trainees of the cohorts they staff
(`cohort.staff`); admins, who manage every account, see every trainee; trainees see no
other person through a staff page. The target must be a trainee: a staff or admin
account is never "a trainee someone follows", so asking for one is "not found".

What each role may *do* with a trainee it sees (grade, grant overrides, confirm a
checklist) is decided by the domain that owns the action; this module only answers
whether the trainee is within the actor's reach.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.auth.models import COHORT_STAFF_ROLES, Cohort, Role, User, cohort_staff
from portal.errors import Forbidden, NotFound
from portal.messages import N_

# The roles that see trainees at all: cohort staff, and admins who see every cohort.
SEEING_ROLES = (*COHORT_STAFF_ROLES, Role.ADMIN)


def sees_trainees(actor: User) -> bool:
    """Whether `actor`'s role sees trainees at all (trainees see none but themselves)."""
    return actor.role in SEEING_ROLES


def visible_cohort_ids(session: Session, *, actor: User) -> set[int]:
    """The cohorts whose trainees `actor` may see: staffed ones, every one for an admin,
    none for a trainee."""
    if actor.role is Role.ADMIN:
        return set(session.scalars(sa.select(Cohort.id)))
    if actor.role not in COHORT_STAFF_ROLES:
        return set()
    return set(session.scalars(sa.select(cohort_staff.c.cohort_id)
                               .where(cohort_staff.c.user_id == actor.id)))


def visible_cohorts(session: Session, *, actor: User) -> list[Cohort]:
    """The cohorts of `visible_cohort_ids`, newest first: what the staff pages' cohort pickers
    offer."""
    ids = visible_cohort_ids(session, actor=actor)
    if not ids:
        return []
    return list(session.scalars(sa.select(Cohort).where(Cohort.id.in_(ids))
                                .order_by(Cohort.start_date.desc(), Cohort.id)))


def may_see_cohort(session: Session, *, actor: User, cohort: Cohort) -> bool:
    if actor.role is Role.ADMIN:
        return True
    if actor.role not in COHORT_STAFF_ROLES:
        return False
    return bool(session.scalar(sa.select(sa.func.count()).select_from(cohort_staff).where(
        cohort_staff.c.cohort_id == cohort.id, cohort_staff.c.user_id == actor.id)))


def may_see_trainee(session: Session, *, actor: User, trainee: User) -> bool:
    """Whether `trainee` is a trainee within `actor`'s reach (see the module docstring).

    Admins see trainees without a cohort too; cohort staff only those of their cohorts.
    """
    if trainee.role is not Role.TRAINEE or not sees_trainees(actor):
        return False
    if actor.role is Role.ADMIN:
        return True
    if trainee.cohort_id is None:
        return False
    return trainee.cohort_id in visible_cohort_ids(session, actor=actor)


def check_sees_trainees(actor: User) -> None:
    """Refuse an actor whose role sees no trainees (a trainee on a staff page)."""
    if not sees_trainees(actor):
        raise Forbidden(N_("只有培训组长、客服主管和管理员可以查看新客服的培训情况"))


def check_may_see_cohort(session: Session, *, actor: User, cohort_id: int) -> Cohort:
    """The cohort, if `actor` may see its trainees: else "not found" or "forbidden"."""
    cohort = session.get(Cohort, cohort_id)
    if cohort is None:
        raise NotFound(N_("找不到该批次"))
    if not may_see_cohort(session, actor=actor, cohort=cohort):
        raise Forbidden(N_("你不负责这个批次"))
    return cohort


def check_may_see_trainee(session: Session, *, actor: User, trainee_id: int) -> User:
    """The trainee, if `actor` may see them.

    Forbidden for an actor who sees no trainees; not found for a missing account or one
    that is not a trainee's; forbidden for a trainee of a cohort the actor does not staff.
    """
    check_sees_trainees(actor)
    trainee = session.get(User, trainee_id)
    if trainee is None or trainee.role is not Role.TRAINEE:
        raise NotFound(N_("找不到该新客服"))
    if not may_see_trainee(session, actor=actor, trainee=trainee):
        raise Forbidden(N_("你不负责该新客服所在的批次"))
    return trainee
