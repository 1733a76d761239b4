"""A cohort's results as its staff read them: funnel, scores, areas, observations, export rows.

The world is the demo's finished cohort of three (strong pre-sales, weak, a critical chat
violation), generated through the services; these tests only read it.
"""
from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from portal.auth.models import Role, User
from portal.cohorts import services
from portal.errors import Forbidden
from tests.cohorts.cohort_fixtures import NOW, FinishedWorld
from tests.factories import make_cohort, make_user

TZ = ZoneInfo("Asia/Shanghai")


def _results(session: Session, world: FinishedWorld, actor: User) -> services.CohortResults:
    return services.cohort_results(session, actor=actor, cohort_id=world.cohort_id, now=NOW,
                                   tz=TZ)


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    assert user is not None
    return user


def test_the_funnel_shows_every_stage_against_its_plan(session: Session,
                                                       finished_world: FinishedWorld) -> None:
    results = _results(session, finished_world, _user(session, finished_world.supervisor_id))
    assert [t.employee_no for t in results.trainees] == ["demo-c01", "demo-c07", "demo-c09"]
    assert [(r.title, r.planned_day, r.due_day) for r in results.funnel] == [
        ("基础知识", 1, 1), ("基本操作能力", 1, 2), ("融入团队", 3, 3), ("实际解决能力", 3, 5)]
    basics, operations, team, practice = results.funnel
    assert basics.finished == 3 and basics.by_day[0] == basics.on_plan == 3
    # A stage opens only once the one before is passed: the funnel never widens. The
    # critical violation in the chat exam keeps the last stage open for that trainee.
    assert basics.finished >= operations.finished >= team.finished >= practice.finished
    assert practice.open >= 1 and practice.total == 3
    for row in results.funnel:
        assert list(row.by_day) == sorted(row.by_day) and row.by_day[-1] == row.finished
        assert row.on_plan + row.late == row.finished
    # The weak trainee needed retakes: operations is not finished by everyone on day 1.
    assert operations.by_day[0] < 3


def test_scores_are_varied_per_exam_and_chat_with_passes_and_failures(
        session: Session, finished_world: FinishedWorld) -> None:
    results = _results(session, finished_world, _user(session, finished_world.trainer_id))
    by_title = {a.title: a for a in results.assessments}
    assert list(by_title) == ["基础知识阶段考核", "基本操作能力阶段考核", "实际解决能力阶段考核",
                              "新客服模拟接待考核"]
    chat = by_title["新客服模拟接待考核"]
    assert chat.kind is services.AssessmentKind.CHAT and chat.pass_mark == 70
    strong, violating, weak = finished_world.trainee_ids
    assert chat.passed[strong] is True and chat.passed[violating] is False
    assert chat.violations[strong] is False and chat.violations[violating] is True
    assert chat.violations.get(weak) is not True
    operations = by_title["基本操作能力阶段考核"]
    first_tries = [s for s in operations.scores.values() if s is not None]
    assert operations.passed[strong] is True
    assert operations.scores[weak] <= operations.scores[strong]  # type: ignore[operator]
    assert len(set(first_tries)) > 1
    assert len({s for a in results.assessments for s in a.scores.values()}) > 5
    for exam in list(by_title.values())[:3]:
        assert exam.distribution.count + exam.distribution.without == 3
        assert sum(b.count for b in exam.distribution.bands) == exam.distribution.count


def test_area_scores_tell_the_strong_from_the_weak(session: Session,
                                                   finished_world: FinishedWorld) -> None:
    results = _results(session, finished_world, _user(session, finished_world.supervisor_id))
    strong, _, weak = finished_world.trainee_ids
    assert set(results.areas[strong]) == {"general", "pre-sales", "after-sales"}
    assert results.areas[strong]["general"] > results.areas[weak]["general"]
    assert all(0 <= v <= 100 for by_area in results.areas.values() for v in by_area.values())


def test_observation_means_per_form_and_item(session: Session,
                                             finished_world: FinishedWorld) -> None:
    results = _results(session, finished_world, _user(session, finished_world.supervisor_id))
    assert [f.title for f in results.forms] == ["岗位技能观察表", "服务质量观察表", "工作态度观察表"]
    strong, _, weak = finished_world.trainee_ids
    for form in results.forms:
        assert all(n == 3 and mean is not None and 1 <= mean <= 5 for _, mean, n in form.items)
        assert form.by_trainee[strong] > form.by_trainee[weak]  # type: ignore[operator]


def test_the_dashboard_is_its_sections_in_order(session: Session,
                                                finished_world: FinishedWorld) -> None:
    board = services.cohort_dashboard(session, actor=_user(session, finished_world.supervisor_id),
                                      cohort_id=finished_world.cohort_id, now=NOW, tz=TZ)
    assert [s.template for s in board.sections] == [
        "cohorts/_funnel.html", "cohorts/_scores.html", "cohorts/_areas.html",
        "cohorts/_observations.html", "cohorts/_placement.html", "cohorts/_probation.html"]


def test_the_export_has_a_row_per_trainee_and_only_what_exists(
        session: Session, finished_world: FinishedWorld) -> None:
    export = services.cohort_export(session, actor=_user(session, finished_world.supervisor_id),
                                    cohort_id=finished_world.cohort_id, now=NOW, tz=TZ)
    headers = [str(c.header) for c in export.columns]
    assert headers[:4] == ["姓名", "工号", "批次", "通过阶段数（共 4 个）"]
    assert "新客服模拟接待考核 成绩" in headers and "售前方向得分率（%）" in headers
    assert headers[-7:] == ["岗位技能观察表 平均分", "服务质量观察表 平均分", "工作态度观察表 平均分",
                            "岗位", "转正结果", "决定日期", "决定人"]
    rows = export.rows()
    assert [r[1] for r in rows] == ["demo-c01", "demo-c07", "demo-c09"]
    chat_scores = export.columns[headers.index("新客服模拟接待考核 成绩")].values
    results = _results(session, finished_world, _user(session, finished_world.supervisor_id))
    chat = next(a for a in results.assessments if a.kind is services.AssessmentKind.CHAT)
    assert chat_scores == chat.scores  # what the dashboard shows; None where there is none
    assert export.on.isoformat() == "2026-11-23"


def test_only_staff_of_the_cohort_and_admins_see_it(session: Session,
                                                    finished_world: FinishedWorld) -> None:
    outsider = make_user(session, role=Role.SUPERVISOR)
    make_cohort(session, staff=[outsider])
    trainee = _user(session, finished_world.trainee_ids[0])
    for actor in (outsider, trainee):
        with pytest.raises(Forbidden):
            _results(session, finished_world, actor)
    admin = make_user(session, role=Role.ADMIN)
    assert len(_results(session, finished_world, admin).trainees) == 3


def test_an_admin_sees_the_probation_decisions_without_recommendations_or_links(
        session: Session, finished_world: FinishedWorld) -> None:
    admin = make_user(session, role=Role.ADMIN)
    board = services.cohort_dashboard(session, actor=admin, cohort_id=finished_world.cohort_id,
                                      now=NOW, tz=TZ)
    section = next(s for s in board.sections if isinstance(s, services.ProbationSection))
    assert section.recommended is None and not section.links
    assert len(section.waiting) == 3 and section.decided == 0
    staff = services.cohort_dashboard(
        session, actor=_user(session, finished_world.trainer_id),
        cohort_id=finished_world.cohort_id, now=NOW, tz=TZ)
    shown = next(s for s in staff.sections if isinstance(s, services.ProbationSection))
    assert shown.links and shown.recommended is not None
    assert sum(c.count for c in shown.recommended) + shown.not_recommended == 3
