"""What a staff member's home shows: their cohorts with their tracks' titles, and what waits
for them (a trainer's answers to grade)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from portal.auth import services as auth_services
from portal.auth.models import Cohort, Role, User
from portal.courses import services as courses_services
from portal.errors import NotFound
from portal.exams import grading


@dataclass(frozen=True)
class StaffHome:
    cohorts: list[Cohort]
    track_titles: dict[str, str] = field(default_factory=dict)  # a track not imported: none
    waiting: grading.GradingQueue | None = None  # a trainer's answers to grade


def staff_home(session: Session, *, actor: User, now: datetime) -> StaffHome:
    cohorts = auth_services.cohorts_for_staff(session, user=actor)
    titles: dict[str, str] = {}
    for key in {c.track_key for c in cohorts}:
        try:
            version = courses_services.get_track(session, key).current_version
        except NotFound:
            continue
        if version is not None:
            titles[key] = version.title
    waiting = (grading.grading_queue(session, actor=actor, now=now)
               if actor.role is Role.TRAINER else None)
    return StaffHome(cohorts=list(cohorts), track_titles=titles, waiting=waiting)
