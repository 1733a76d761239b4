"""The cohort analytics service against a week built by hand (tests.factories
.build_cohort_analytics_world; China time, the cohort starts Monday 23 November 2026 =
working day 1, read on Friday = day 5 at 17:30).

Track 分析测试路线: 入门 (day 1, "半个工作日" -> 1 day; modules 运费与时效 m-a, 订单流程 m-b;
exam 入门考核: freight, a choice worth 10, and essay, a short answer worth 10 scored by the
trainer; pass mark 60), 售后 (day 2, "1-2 个工作日" -> 2 days; module 退换货处理 m-c; exam
售后考核: refund, true/false worth 10), 实战 (day 4, "第 4-5 个工作日" -> days 4 to 5 = 2 days;
module m-d; chat drill `one`, which never completes the stage).

What each trainee of 分析批次 did:

| who | opened | 入门考核 | 售后考核 | chat `one` | stages passed |
| --- | --- | --- | --- | --- | --- |
| 甲 | m-a, m-b Mon 10:00; m-c Mon 13:00 | #1 Mon 11:00, essay 8/10: 90 passed | #1 Tue 9:00 passed | #1 Tue 14:00 failed (violation), #2 Tue 15:00 passed | 入门 Mon 11:30, 售后 Tue 9:05, 实战 by hand Wed |
| 乙 | m-a Mon 10:00; m-b Mon 16:00 | #1 Mon 14:00 choice wrong: 50 failed; #2 Tue 10:00: 100 passed | — | — | 入门 Tue 10:30 |
| 丙 | nothing | #1 Mon 15:00 choice wrong, essay 4/10: 20 failed; #2 Mon 16:00 waits for the trainer | — | — | — |
| 丁 | m-b Mon 9:30 | #1 Mon 10:00: 100 passed | #1 Mon 11:00 wrong: failed; #2 Thu 10:00 passed | #1 Fri 10:00 passed | 入门 Mon 10:30, 售后 Thu 10:05 |
| 戊 | nothing | #1 started Fri 17:20, in progress | — | — | — |
| 己 (left) | — | #1 Mon 12:00 choice wrong: failed | — | — | — |

庚, of 别组批次 (followed by another trainer), opened nothing and failed 入门考核 #1 on
Monday 10:00 with the wrong choice.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.analytics import cohorts
from portal.analytics.cohort_rules import AttemptNumberRow, StagePlan
from portal.analytics.stats import WarningCode
from portal.auth.models import User
from portal.courses.models import ModuleProgress
from portal.courses.rules import AssessmentSource
from portal.errors import Forbidden, NotFound
from portal.messages import Message
from tests.analytics import cohort_analytics_fixtures as fx
from tests.factories import (
    CohortAnalyticsWorld,
    build_cohort_analytics_world,
    make_failing_trainees,
    statements_run,
)

FEW = (WarningCode.TOO_FEW_ATTEMPTS,)


@pytest.fixture
def world(session: Session) -> CohortAnalyticsWorld:
    return build_cohort_analytics_world(session)


def _page(session: Session, world: CohortAnalyticsWorld,
          actor: User | None = None) -> cohorts.CohortAnalytics:
    return cohorts.cohort_analytics(session, actor=actor or world.trainer,
                                    cohort_id=world.cohort.id, now=fx.READ_AT, tz=fx.TZ)


def test_stage_times_count_working_days_from_each_stage_opening(
        session: Session, world: CohortAnalyticsWorld) -> None:
    """Working days from the opening day to the passing day, both counted (己 left: not
    counted; 5 active trainees).

    入门 opens on day 1 for everyone: 甲 and 丁 passed it on day 1 (1 day), 乙 on day 2
    (2 days > plan 1: late). Median of 1, 1, 2 = 1. 丙 and 戊 are on it since day 1: by
    Friday, day 5, 5 days > 1, so both are past the plan.
    售后 opens when 入门 is passed: 甲 on day 1, passed day 2 (2 days); 丁 on day 1, passed
    day 4 (4 days > plan 2: late); median of 2 and 4 = 3. 乙 has it open since day 2: 5 - 2 +
    1 = 4 days > 2, past the plan. 丙 and 戊 have not passed 入门: not started.
    实战 opens when 售后 is passed: 甲 on day 2, passed by hand on day 3: 2 days (plan 2, on
    plan). 丁 has it open since day 4: 2 days so far, not past it. 乙 (售后 not passed), 丙
    and 戊: not started.
    """
    page = _page(session, world)
    assert page.trainees == 5 and page.track_title == fx.TRACK_TITLE
    basics, after, practice = page.stages
    assert (basics.title, basics.duration, basics.plan) == ("入门", "半个工作日", StagePlan(1, True))
    assert basics.durations == (1, 1, 2) and basics.median == 1 and basics.late == 1
    assert (basics.on_it, basics.overdue, basics.not_started, basics.total) == (2, 2, 0, 5)
    assert after.plan == StagePlan(2, True) and after.durations == (2, 4)
    assert (after.median, after.shortest, after.longest, after.late) == (3, 2, 4, 1)
    assert (after.on_it, after.overdue, after.not_started) == (1, 1, 2)
    assert practice.plan == StagePlan(2, True) and practice.durations == (2,)
    assert (practice.late, practice.on_it, practice.overdue, practice.not_started) == (0, 1, 0, 3)
    assert [s.warnings for s in page.stages] == [FEW, FEW, FEW]  # 3, 2 and 1 finished
    # The chart: one row per stage, a mark at each stage's plan.
    assert page.chart is not None and len(page.chart.marks) == 3


def test_pass_rates_per_attempt_number_count_the_pending_attempt_apart(
        session: Session, world: CohortAnalyticsWorld) -> None:
    """入门考核 #1: 甲 and 丁 passed, 乙 and 丙 failed, 戊 is answering (己 left, 庚 is of another
    cohort): 5 made, rate 2 / 4 = 50%. #2: 乙 passed, 丙's waits for the trainer: 2 made, 1
    pending, rate 1 / 1. 售后考核 #1: 甲 passed, 丁 failed (1 / 2); #2: 丁 passed. The chat
    drill #1: 甲 failed, 丁 passed (1 / 2); #2: 甲 passed."""
    page = _page(session, world)
    basics, after, chat = page.assessments
    assert (basics.source, basics.title, basics.stage_title) == (
        AssessmentSource.EXAM, "入门考核", "入门")
    assert basics.rows == (
        AttemptNumberRow(number=1, made=5, passed=2, failed=2, pending=0, in_progress=1),
        AttemptNumberRow(number=2, made=2, passed=1, failed=0, pending=1, in_progress=0))
    assert [r.rate for r in basics.rows] == [0.5, 1.0]
    assert after.rows == (
        AttemptNumberRow(number=1, made=2, passed=1, failed=1, pending=0, in_progress=0),
        AttemptNumberRow(number=2, made=1, passed=1, failed=0, pending=0, in_progress=0))
    assert (chat.source, chat.title, chat.stage_title) == (
        AssessmentSource.CHAT_EXAM, "单人接待体验", "实战")
    assert [(r.number, r.made, r.passed, r.failed, r.rate) for r in chat.rows] == [
        (1, 2, 1, 1, 0.5), (2, 1, 1, 0, 1.0)]
    assert all(r.warnings == FEW for a in page.assessments for r in a.rows)


def test_the_modules_not_opened_by_those_who_failed_each_question(
        session: Session, world: CohortAnalyticsWorld) -> None:
    """freight (入门考核, stage 入门: modules m-a, m-b) was failed by 乙 (#1 Mon 14:00: had
    opened m-a at 10:00, m-b only at 16:00) and 丙 (#1, nothing opened); 丙's #2 is not graded,
    己 left: 2 failed, 订单流程 unopened by 2, 运费与时效 by 1.
    essay (8/10 and 4/10 are fewer points than the maximum): 甲 (both opened at 10:00, before
    11:00) and 丙: 2 failed, m-a and m-b unopened by 1 each, in reading order.
    refund (售后考核, stages 入门 and 售后: m-a, m-b, m-c): 丁 (#1 Mon 11:00; had opened m-b only):
    1 failed, m-a and m-c unopened by 1.
    Listed by the largest count first: freight (2), essay (1 of 2 failed), refund (1 of 1)."""
    page = _page(session, world)
    assert [q.qid for q in page.questions] == ["freight", "essay", "refund"]
    freight, essay, refund = page.questions
    assert (freight.bank_title, freight.label, freight.versions, freight.exam_titles) == (
        "分析测试题库", "顾客问包裹几天能到，你先做什么？", (1,), ("入门考核",))
    assert freight.gaps == cohorts.QuestionModuleGaps(
        question_id=world.questions["freight"], failed=2,
        modules=(cohorts.ModuleGap(fx.TRACK_KEY, "m-b", "订单流程", 2),
                 cohorts.ModuleGap(fx.TRACK_KEY, "m-a", "运费与时效", 1)))
    assert (essay.gaps.failed, [(g.module_key, g.not_opened) for g in essay.gaps.modules]) == (
        2, [("m-a", 1), ("m-b", 1)])
    assert (refund.gaps.failed, [(g.title, g.not_opened) for g in refund.gaps.modules]) == (
        1, [("运费与时效", 1), ("退换货处理", 1)])
    assert page.with_gaps == page.questions and page.without_gaps == ()


def test_an_attempt_left_open_is_submitted_before_anything_is_counted(
        session: Session, world: CohortAnalyticsWorld) -> None:
    """Read on Monday 30 November, 戊's attempt (started Friday 17:20, 30 minutes) has been
    submitted at its deadline with nothing answered: 0 points, failed. Both tables of the
    same page count it: 入门考核 #1 has 3 failed, and freight and essay 3 failers each (戊
    opened nothing: 订单流程 unopened by 乙, 丙, 戊; 运费与时效 by 丙, 戊)."""
    page = cohorts.cohort_analytics(session, actor=world.trainer, cohort_id=world.cohort.id,
                                    now=fx.at(8, 9), tz=fx.TZ)
    first = page.assessments[0].rows[0]
    assert (first.made, first.passed, first.failed, first.in_progress) == (5, 2, 3, 0)
    freight, essay, _refund = page.questions
    assert [(g.module_key, g.not_opened) for g in freight.gaps.modules] == [("m-b", 3), ("m-a", 2)]
    assert (essay.qid, essay.gaps.failed) == ("essay", 3)


def test_unopened_modules_for_one_question_across_cohorts(
        session: Session, world: CohortAnalyticsWorld) -> None:
    """With 别组批次 too, 庚 (nothing opened) adds one to each: freight failed by 3, 订单流程
    unopened by 3, 运费与时效 by 2. The tuple reads as (track, module, title, count)."""
    both = cohorts.unopened_modules_for_question(
        session, question_id=world.questions["freight"],
        cohort_ids=[world.cohort.id, world.other.id])
    assert both.failed == 3
    assert [tuple(g) for g in both.modules] == [(fx.TRACK_KEY, "m-b", "订单流程", 3),
                                                (fx.TRACK_KEY, "m-a", "运费与时效", 2)]
    alone = cohorts.unopened_modules_for_question(session, question_id=world.questions["essay"],
                                                  cohort_ids=[world.other.id])
    assert alone == cohorts.QuestionModuleGaps(question_id=world.questions["essay"], failed=0)
    assert cohorts.unopened_modules_for_question(
        session, question_id=world.questions["freight"], cohort_ids=[]).failed == 0
    every = cohorts.unopened_modules_by_question(session,
                                                 cohort_ids=[world.cohort.id, world.other.id])
    assert every[world.questions["freight"]] == both
    assert {q: g.failed for q, g in every.items()} == {
        world.questions["freight"]: 3, world.questions["essay"]: 2, world.questions["refund"]: 1}
    assert cohorts.unopened_modules_by_question(session, cohort_ids=[]) == {}


def test_a_module_opened_after_the_failed_attempt_still_counts_as_not_opened(
        session: Session, world: CohortAnalyticsWorld) -> None:
    """乙 opened 订单流程 at 16:00, two hours after failing freight: it counts. Had the visit
    come first (13:00), only 丙 would remain for 订单流程."""
    progress = next(p for p in session.scalars(sa.select(ModuleProgress))
                    if p.user_id == world.trainees["乙"].id and p.module_id == next(
                        m.id for m in world.track.modules if m.key == "m-b"))
    progress.first_opened_at = fx.at(1, 13)
    session.flush()
    gaps = cohorts.unopened_modules_for_question(session, question_id=world.questions["freight"],
                                                 cohort_ids=[world.cohort.id])
    assert [(g.module_key, g.not_opened) for g in gaps.modules] == [("m-a", 1), ("m-b", 1)]


def test_only_the_staff_of_a_cohort_see_it(session: Session,
                                           world: CohortAnalyticsWorld) -> None:
    assert _page(session, world, actor=world.supervisor).trainees == 5
    with pytest.raises(NotFound):
        _page(session, world, actor=world.outsider)
    with pytest.raises(Forbidden):
        _page(session, world, actor=world.trainees["甲"])
    with pytest.raises(NotFound):
        cohorts.cohort_analytics(session, actor=world.trainer, cohort_id=world.other.id,
                                 now=fx.READ_AT, tz=fx.TZ)


def test_the_overview_has_one_row_per_followed_cohort(session: Session,
                                                      world: CohortAnalyticsWorld) -> None:
    """Only 甲 passed every stage, on day 3 (Wednesday): median 3. First attempts: 入门考核
    2 of 4 with a result (and 1 in progress), 售后考核 1 of 2, the drill 1 of 2. Five
    trainees: a small sample."""
    overview = cohorts.cohorts_overview(session, actor=world.trainer, now=fx.READ_AT, tz=fx.TZ)
    (group,) = overview.groups
    assert (group.track_title, group.stage_count) == (fx.TRACK_TITLE, 3)
    assert [(c.title, c.stage_title, c.kind_label) for c in group.columns] == [
        ("入门考核", "入门", "笔试"), ("售后考核", "售后", "笔试"), ("单人接待体验", "实战", "模拟对话")]
    (row,) = group.rows
    assert (row.cohort.id, row.trainees, row.finish_days, row.median_days) == (
        world.cohort.id, 5, (3,), 3)
    assert row.warnings == FEW
    firsts = [row.first[c.column] for c in group.columns]
    assert [(f.passed, f.graded, f.in_progress, f.rate) for f in firsts] == [
        (2, 4, 1, 0.5), (1, 2, 0, 0.5), (1, 2, 0, 0.5)]
    theirs = cohorts.cohorts_overview(session, actor=world.outsider, now=fx.READ_AT, tz=fx.TZ)
    assert [r.cohort.name for g in theirs.groups for r in g.rows] == ["别组批次"]
    (other,) = theirs.groups[0].rows
    assert other.first["exam:ana-basics"].failed == 1 and other.finish_days == ()


def test_the_tables_for_the_files(session: Session, world: CohortAnalyticsWorld) -> None:
    page = _page(session, world)
    stages = cohorts.stages_table(page)
    assert [h.text for h in stages.headers][:3] == ["阶段", "计划用时", "计划天数（工作日）"]
    assert stages.rows[1][:12] == ("2. 售后", "1-2 个工作日", 2, 2, 3, 2, 4, 1, 1, 1, 2, 5)
    assert isinstance(stages.rows[1][12], Message)  # the small-sample note
    attempts = cohorts.attempts_table(page)
    assert attempts.rows[1][3:10] == (2, 2, 1, 0, 1, 0, 100.0)  # 入门考核 #2: 1 pending
    assert [r[0] for r in attempts.rows] == ["入门考核"] * 2 + ["售后考核"] * 2 + ["单人接待体验"] * 2
    modules = cohorts.modules_table(page)
    assert [(r[1], r[7], r[8]) for r in modules.rows] == [
        ("freight", "订单流程", 2), ("freight", "运费与时效", 1), ("essay", "运费与时效", 1),
        ("essay", "订单流程", 1), ("refund", "运费与时效", 1), ("refund", "退换货处理", 1)]
    assert modules.rows[0][6] == fx.TRACK_TITLE
    overview = cohorts.overview_table(
        cohorts.cohorts_overview(session, actor=world.trainer, now=fx.READ_AT, tz=fx.TZ))
    assert overview.rows[0][:9] == ("分析批次", fx.TRACK_TITLE, "2026-11-23", 5, 1, 3, 50.0, 4, 0)


def test_the_statements_do_not_grow_with_the_cohort(session: Session,
                                                    world: CohortAnalyticsWorld) -> None:
    """Five more trainees who read, fail an exam and (one) pass a stage: not one statement
    more for the page or the overview."""
    def both() -> None:
        _page(session, world)
        cohorts.cohorts_overview(session, actor=world.trainer, now=fx.READ_AT, tz=fx.TZ)

    make_failing_trainees(session, world=world, count=1)
    session.expire_all()
    few = statements_run(session, both)
    make_failing_trainees(session, world=world, count=5)
    session.expire_all()
    assert statements_run(session, both) == few
    assert few <= 80  # one page and the overview of one cohort with three assessments
