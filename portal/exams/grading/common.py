"""What every staff service of exams shares: the lock's length, limits, and which attempts,
responses and trainees a staff member may reach (through `portal.auth.access`).
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.auth import access
from portal.auth.models import Role, User
from portal.errors import Forbidden, NotFound
from portal.exams.models import (
    Attempt,
    AttemptStatus,
    Response,
)
from portal.messages import N_

LOCK_MINUTES = 15
LOCK_TTL = timedelta(minutes=LOCK_MINUTES)
MAX_COMMENT_CHARS = 2000
MAX_REASON_CHARS = 500
MAX_EXTRA_MINUTES = 600
MAX_EXTRA_ATTEMPTS = 10
FINISHED = (AttemptStatus.SUBMITTED, AttemptStatus.GRADED)


# --- access ---------------------------------------------------------------------------


def followed_cohort_ids(session: Session, *, actor: User) -> set[int]:
    """The cohorts whose trainees' attempts `actor` may see (the rule is `auth.access`)."""
    access.check_sees_trainees(actor)
    return access.visible_cohort_ids(session, actor=actor)


def _check_trainer(actor: User) -> None:
    if actor.role is not Role.TRAINER:
        raise Forbidden(N_("只有培训组长可以评分、调整考试和重新评分"))


def _visible_attempt(session: Session, actor: User, attempt_id: int) -> Attempt:
    """An attempt of a trainee `actor` may see; anything else is "not found"."""
    access.check_sees_trainees(actor)
    attempt = session.get(Attempt, attempt_id)
    if attempt is None:
        raise NotFound(N_("找不到该作答记录"))
    trainee = session.get(User, attempt.user_id)
    if trainee is None or not access.may_see_trainee(session, actor=actor, trainee=trainee):
        raise NotFound(N_("找不到该作答记录"))
    return attempt


def _visible_response(session: Session, actor: User, response_id: int) -> Response:
    response = session.get(Response, response_id)
    if response is None:
        raise NotFound(N_("找不到该题的作答"))
    _visible_attempt(session, actor, response.attempt_id)
    return response


def _followed_trainee(session: Session, actor: User, trainee_id: int) -> User:
    return access.check_may_see_trainee(session, actor=actor, trainee_id=trainee_id)


def _names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(sa.select(User.id, User.display_name)
                                .where(User.id.in_(wanted))).all())


def lock_live(response: Response, now: datetime) -> bool:
    return (response.locked_by_id is not None and response.locked_at is not None
            and now < response.locked_at + LOCK_TTL)
