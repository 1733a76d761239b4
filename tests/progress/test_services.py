"""The cohort grid and the trainee timeline through the services, with a fixed clock."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from portal.auth.models import Role, User
from portal.courses.rules import StageState
from portal.errors import Forbidden, NotFound
from portal.progress import services
from portal.progress.rules import ModuleState
from portal.progress.services import EventKind, GridFilters
from tests.factories import (
    Scenario,
    cohort_with_trainees,
    counting_statements,
    make_cohort,
    make_track,
    make_user,
    read,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Wednesday 25 November 2026, mid-morning in Shanghai: s1 (23rd) and s2 (24th) are overdue.
WEDNESDAY = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
TUESDAY = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def grid(session: Session, actor: User, scenario: Scenario, now: datetime,
         **filters: str) -> services.CohortGrid:
    return services.cohort_grid(session, actor=actor, cohort_id=scenario.cohort.id,
                                filters=GridFilters(**filters), now=now, tz=SHANGHAI)


def names(result: services.CohortGrid) -> list[str]:
    return [row.trainee.display_name for row in result.rows]


def test_grid_shows_every_active_trainee_against_every_stage(session: Session, now: datetime,
                                                            scenario: Scenario) -> None:
    result = grid(session, scenario.trainer, scenario, now)
    assert result.track_title == "进度测试路线"
    assert [(c.key, c.title, c.planned_date.isoformat()) for c in result.stages] == [
        ("s1", "入门", "2026-11-23"), ("s2", "操作", "2026-11-24"), ("s3", "实践", "2026-11-26")]
    assert names(result) == ["甲新人", "乙新人", "丙新人", "丁新人"]  # by employee number
    assert result.total == 4 and result.finished == 1 and result.expanded is None
    fresh, reading, second, done = result.rows

    assert [fresh.stages[k].state for k in ("s1", "s2", "s3")] == [
        StageState.OPEN, StageState.LOCKED, StageState.LOCKED]
    assert fresh.total_seconds == 0 and fresh.modules["m-a"].state is ModuleState.NOT_STARTED

    s1 = reading.stages["s1"]
    assert (s1.state, s1.modules_done, s1.modules_total, s1.seconds) == (StageState.OPEN, 1, 2, 725)
    assert reading.modules["m-a"].state is ModuleState.READ
    assert reading.modules["m-b"].state is ModuleState.STARTED and reading.modules["m-b"].minutes == 2
    assert reading.total_minutes == 12

    assert second.stages["s1"].state is StageState.PASSED
    assert second.stages["s1"].source == "manual"
    assert second.stages["s2"].state is StageState.OPEN and second.stages["s2"].seconds == 60
    assert second.stages_passed == 1

    assert [done.stages[k].source for k in ("s1", "s2", "s3")] == ["exam", "checklist", "exam"]
    assert done.finished and not done.behind and done.stages_passed == 3


def test_nobody_is_behind_on_the_first_day(session: Session, now: datetime,
                                           scenario: Scenario) -> None:
    result = grid(session, scenario.trainer, scenario, now)  # Monday the 23rd
    assert result.behind == 0
    assert names(grid(session, scenario.trainer, scenario, now, status="behind")) == []


def test_behind_schedule_filter_follows_the_planned_dates(session: Session,
                                                          scenario: Scenario) -> None:
    # Tuesday: s1 (planned Monday) is overdue for those still in it; s2 is due today.
    assert names(grid(session, scenario.trainer, scenario, TUESDAY, status="behind")) == [
        "甲新人", "乙新人"]
    assert names(grid(session, scenario.trainer, scenario, TUESDAY, status="on-track")) == [
        "丙新人"]
    # Wednesday: s2 is overdue too.
    wednesday = grid(session, scenario.trainer, scenario, WEDNESDAY, status="behind")
    assert names(wednesday) == ["甲新人", "乙新人", "丙新人"] and wednesday.behind == 3
    assert wednesday.rows[2].stages["s2"].behind and not wednesday.rows[2].stages["s1"].behind
    assert names(grid(session, scenario.trainer, scenario, WEDNESDAY, status="finished")) == [
        "丁新人"]


def test_today_is_the_local_day(session: Session, scenario: Scenario) -> None:
    # 17:00 UTC on Monday is already Tuesday in Shanghai.
    late_monday = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    result = grid(session, scenario.trainer, scenario, late_monday, status="behind")
    assert result.today.isoformat() == "2026-11-24" and names(result) == ["甲新人", "乙新人"]


def test_stage_filter_expands_a_stage_and_search_finds_by_name_or_number(
        session: Session, now: datetime, scenario: Scenario) -> None:
    result = grid(session, scenario.trainer, scenario, now, stage="s1", query="乙")
    assert result.expanded is not None
    assert [(m.key, m.title) for m in result.expanded.modules] == [("m-a", "模块甲"),
                                                                   ("m-b", "模块乙")]
    assert names(result) == ["乙新人"] and result.total == 4
    assert names(grid(session, scenario.trainer, scenario, now, query="p003")) == ["丙新人"]
    unknown = grid(session, scenario.trainer, scenario, now, stage="nope", status="bogus")
    assert unknown.expanded is None and unknown.filters == GridFilters()
    assert len(unknown.rows) == 4


def test_only_staff_who_follow_the_cohort_see_it(session: Session, now: datetime,
                                                 scenario: Scenario) -> None:
    assert names(grid(session, scenario.supervisor, scenario, now))
    admin = make_user(session, role=Role.ADMIN)
    assert names(grid(session, admin, scenario, now))
    with pytest.raises(Forbidden):
        grid(session, scenario.outsider, scenario, now)
    with pytest.raises(Forbidden):
        grid(session, scenario.fresh, scenario, now)
    with pytest.raises(NotFound):
        services.cohort_grid(session, actor=scenario.trainer, cohort_id=999999,
                             filters=GridFilters(), now=now)


def test_a_cohort_whose_track_is_not_published(session: Session, now: datetime) -> None:
    trainer = make_user(session, role=Role.TRAINER)
    cohort = make_cohort(session, track_key="not-there", staff=[trainer])
    make_user(session, cohort=cohort)
    result = services.cohort_grid(session, actor=trainer, cohort_id=cohort.id,
                                  filters=GridFilters(), now=now)
    assert result.track_title is None and result.rows == [] and result.total == 1


def test_the_grid_takes_as_many_queries_for_30_trainees_as_for_10(
        app: Flask, session: Session, now: datetime) -> None:
    make_track(session, now=now)
    trainer = make_user(session, role=Role.TRAINER)
    small = cohort_with_trainees(session, now=now, trainer=trainer, size=10)
    large = cohort_with_trainees(session, now=now, trainer=trainer, size=30)
    session.commit()
    counts = {}
    for cohort_id in (small, large):
        with app.extensions["portal.sessionmaker"]() as fresh:
            actor = fresh.get(User, trainer.id)
            with counting_statements(app) as statements:
                result = services.cohort_grid(fresh, actor=actor, cohort_id=cohort_id,
                                              filters=GridFilters(stage="s1"), now=now)
                # Everything the template reads is already loaded.
                for row in result.rows:
                    _ = (row.trainee.display_name, row.trainee.employee_no)
            counts[cohort_id] = len(statements)
            assert len(result.rows) in (10, 30)
    assert counts[small] == counts[large] <= 10, counts


def test_timeline_lists_events_newest_first_by_local_day(session: Session, now: datetime,
                                                         scenario: Scenario) -> None:
    timeline = services.trainee_timeline(session, actor=scenario.supervisor,
                                         trainee_id=scenario.second.id, now=WEDNESDAY,
                                         tz=SHANGHAI)
    events = [e for day in timeline.days for e in day.events]
    assert [e.kind for e in events] == [
        EventKind.MODULE_OPENED,     # m-c, t + 2h
        EventKind.STAGE_PASSED,      # s1, t + 1h
        EventKind.MODULE_COMPLETED,  # m-a, t (listed above its opening at the same instant)
        EventKind.MODULE_OPENED,     # m-a, t
        EventKind.ACCOUNT_CREATED,   # three days before `now`
    ]
    assert events == sorted(events, key=lambda e: e.at, reverse=True)
    passed = events[1]
    assert (passed.title, passed.source, passed.by_name, passed.reason) == (
        "入门", "manual", "带教周老师", "线下笔试满分")
    assert events[0].title == "模块丙" and events[0].stage_title == "操作"
    assert events[2].minutes == 5
    # t is Sunday 22nd 09:30 UTC = 17:30 in Shanghai; the account was created on Friday 20th.
    assert [d.day.isoformat() for d in timeline.days] == ["2026-11-22", "2026-11-20"]
    assert [(p.key, p.state, p.behind_days) for p in timeline.plan] == [
        ("s1", StageState.PASSED, 0), ("s2", StageState.OPEN, 1), ("s3", StageState.LOCKED, 0)]
    assert timeline.plan[0].passed_on.isoformat() == "2026-11-22"
    assert timeline.plan[0].source == "manual" and timeline.behind


def test_timeline_marks_planned_days_and_needs_a_followed_trainee(
        session: Session, now: datetime, scenario: Scenario) -> None:
    read(session, user=scenario.fresh, track=scenario.track, module_key="m-a", opened=now, seconds=0)
    timeline = services.trainee_timeline(session, actor=scenario.trainer,
                                         trainee_id=scenario.fresh.id, now=now, tz=SHANGHAI)
    assert timeline.days[0].day.isoformat() == "2026-11-23"
    assert timeline.days[0].planned == ["入门"] and not timeline.behind
    with pytest.raises(Forbidden):
        services.trainee_timeline(session, actor=scenario.outsider, trainee_id=scenario.fresh.id,
                                  now=now)
    with pytest.raises(NotFound):
        services.trainee_timeline(session, actor=scenario.trainer,
                                  trainee_id=scenario.trainer.id, now=now)
    with pytest.raises(NotFound):
        services.trainee_timeline(session, actor=scenario.trainer, trainee_id=999999, now=now)


def test_timeline_of_a_trainee_who_left_is_still_readable(session: Session, now: datetime,
                                                          scenario: Scenario) -> None:
    timeline = services.trainee_timeline(session, actor=scenario.trainer,
                                         trainee_id=scenario.inactive.id, now=now + timedelta(days=3))
    assert [e.kind for d in timeline.days for e in d.events] == [EventKind.ACCOUNT_CREATED]
