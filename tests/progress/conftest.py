"""A small track of its own and a cohort whose trainees stand at different points of it.

The progress tests build their track here rather than importing courses/, so that they
do not change meaning when the course content is edited.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.auth.models import Cohort, Role, User
from portal.courses.models import Module, ModuleProgress, StageCompletion, Track, TrackVersion
from portal.courses.services import publish_module_version
from tests.factories import make_cohort, make_user

TRACK_KEY = "progress-test"
# Cohort start Monday 2026-11-23: s1 is planned that day, s2 on Tuesday 24th, s3 on Thursday 26th.
START = date(2026, 11, 23)
STAGES: list[dict[str, Any]] = [
    {"key": "s1", "title": "入门", "summary": "", "kind": "modules", "planned_day": 1,
     "planned_duration": "半天", "modules": ["m-a", "m-b"], "assessment": "x", "roles": ["all"],
     "checklist": []},
    {"key": "s2", "title": "操作", "summary": "", "kind": "modules", "planned_day": 2,
     "planned_duration": "1 天", "modules": ["m-c"], "assessment": "y", "roles": ["all"],
     "checklist": []},
    {"key": "s3", "title": "实践", "summary": "", "kind": "modules", "planned_day": 4,
     "planned_duration": "2 天", "modules": ["m-d", "m-e"], "assessment": "z", "roles": ["all"],
     "checklist": []},
]
MODULE_TITLES = {"m-a": "模块甲", "m-b": "模块乙", "m-c": "模块丙", "m-d": "模块丁", "m-e": "模块戊"}


def make_track(session: Session, *, now: datetime, key: str = TRACK_KEY) -> Track:
    track = Track(key=key)
    session.add(track)
    session.flush()
    for module_key, title in MODULE_TITLES.items():
        module = Module(track_id=track.id, key=module_key)
        session.add(module)
        session.flush()
        publish_module_version(session, module=module, track_key=key, title=title, summary="",
                               minutes=10, tags=[], roles=["all"], body_markdown=f"# {title}\n",
                               source_hash=module_key, actor_id=None, now=now)
    version = TrackVersion(track_id=track.id, number=1, title="进度测试路线", summary="",
                           stages=STAGES, source_text="", source_hash="h", created_at=now)
    session.add(version)
    session.flush()
    track.current_version = version
    session.flush()
    return track


def read(session: Session, user: User, track: Track, module_key: str, *, opened: datetime,
         seconds: int, completed: datetime | None = None) -> ModuleProgress:
    module = next(m for m in track.modules if m.key == module_key)
    progress = ModuleProgress(user_id=user.id, module_id=module.id, first_opened_at=opened,
                              last_opened_at=opened, completed_at=completed, seconds_spent=seconds)
    session.add(progress)
    session.flush()
    return progress


def pass_stage(session: Session, user: User, stage_key: str, *, at: datetime, source: str,
               by: User | None = None, reason: str = "") -> StageCompletion:
    completion = StageCompletion(user_id=user.id, track_key=TRACK_KEY, stage_key=stage_key,
                                 completed_at=at, source=source,
                                 by_user_id=by.id if by else None, reason=reason)
    session.add(completion)
    session.flush()
    return completion


@dataclass
class Scenario:
    track: Track
    cohort: Cohort
    trainer: User
    supervisor: User
    outsider: User       # a trainer who does not follow the cohort
    fresh: User          # has opened nothing
    reading: User        # read m-a, started m-b; s1 still open
    second: User         # s1 passed by hand, reading s2
    done: User           # every stage passed
    inactive: User       # left: not in the grid


@pytest.fixture
def scenario(session: Session, now: datetime) -> Scenario:
    return build_scenario(session, now=now, start=START)


def build_scenario(session: Session, *, now: datetime, start: date) -> Scenario:
    track = make_track(session, now=now)
    trainer = make_user(session, role=Role.TRAINER, display_name="带教周老师")
    supervisor = make_user(session, role=Role.SUPERVISOR)
    outsider = make_user(session, role=Role.TRAINER)
    cohort = make_cohort(session, name="进度测试批次", start_date=start, track_key=TRACK_KEY,
                         staff=[trainer, supervisor])
    made = {}
    for n, (name, label) in enumerate([("fresh", "甲新人"), ("reading", "乙新人"),
                                       ("second", "丙新人"), ("done", "丁新人"),
                                       ("inactive", "戊离职")], start=1):
        made[name] = make_user(session, cohort=cohort, display_name=label,
                               employee_no=f"P{n:03d}", active=name != "inactive")
        made[name].created_at = now - timedelta(days=3)
    t = now - timedelta(days=1)
    read(session, made["reading"], track, "m-a", opened=t, seconds=600,
         completed=t + timedelta(minutes=15))
    read(session, made["reading"], track, "m-b", opened=t + timedelta(minutes=20), seconds=125)
    read(session, made["second"], track, "m-a", opened=t, seconds=300, completed=t)
    read(session, made["second"], track, "m-c", opened=t + timedelta(hours=2), seconds=60)
    pass_stage(session, made["second"], "s1", at=t + timedelta(hours=1), source="manual",
               by=trainer, reason="线下笔试满分")
    for stage, source in (("s1", "exam"), ("s2", "checklist"), ("s3", "exam")):
        pass_stage(session, made["done"], stage, at=t, source=source)
    # Someone else's trainee, with progress of their own: never in this grid.
    other = make_user(session, cohort=make_cohort(session, track_key=TRACK_KEY))
    read(session, other, track, "m-a", opened=t, seconds=999)
    session.flush()
    return Scenario(track=track, cohort=cohort, trainer=trainer, supervisor=supervisor,
                    outsider=outsider, **made)


@contextmanager
def counting_statements(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = app.extensions["portal.engine"]

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def cohort_with_trainees(session: Session, now: datetime, trainer: User, size: int) -> int:
    """A cohort of `size` trainees with some reading and some passed stages (for query counts)."""
    cohort = make_cohort(session, track_key=TRACK_KEY, staff=[trainer])
    track = session.scalars(sa.select(Track).where(Track.key == TRACK_KEY)).one()
    for n in range(size):
        trainee = make_user(session, cohort=cohort)
        read(session, trainee, track, "m-a", opened=now, seconds=60 * n,
             completed=now if n % 2 else None)
        if n % 3 == 0:
            pass_stage(session, trainee, "s1", at=now, source="exam")
            read(session, trainee, track, "m-c", opened=now, seconds=30)
    return cohort.id
