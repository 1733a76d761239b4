"""The exam's item analysis over the trainer's cohorts (tests/analytics/analytics_fixtures.py has the data and the
points of each trainee; the figures below are worked out from that table by hand)."""
from __future__ import annotations

import math
from datetime import datetime

import pytest
from sqlalchemy.orm import Session

from portal.analytics import exams as analysis
from portal.analytics.stats import FlagCode, Undefined, WarningCode
from portal.errors import NotFound
from tests.factories import build_exam_world


def _by_qid(report: analysis.ExamReport) -> dict[str, analysis.ItemRow]:
    return {row.qid: row for row in report.items}


def test_first_attempts_give_the_hand_computed_figures(session: Session, now: datetime) -> None:
    world = build_exam_world(session, now=now)
    report = analysis.exam_report(session, actor=world.trainer, exam_key="demo-exam")
    assert report.counting is analysis.Counting.FIRST
    assert (report.exam.n, report.pending, report.in_progress) == (10, 1, 1)
    # Totals 60, 30, 20, 10, 10 of 60, twice: mean 26/60 = 43.3%, median 20/60 = 33.3%;
    # pass mark 60: two of ten. Ten attempts: no longer "too few".
    assert report.exam.percent.mean == pytest.approx(26 / 60 * 100)
    assert report.exam.percent.median == pytest.approx(100 / 3)
    assert report.exam.pass_rate == pytest.approx(0.2)
    assert WarningCode.TOO_FEW_ATTEMPTS not in report.exam.warnings
    assert report.minutes.median == pytest.approx(12)
    rows = _by_qid(report)
    assert [rows[q].stats.facility for q in ("single", "multi", "tf", "fill", "num", "task")] \
        == pytest.approx([0.6, 0.4, 1.0, 0.2, 0.2, 0.2])
    # single: points 10 10 10 0 0; rest scores (of the other 50 points) 1, .4, .2, .2, .2:
    # sum of products of deviations 4.0, Sxx 120, Syy .48: r = 4 / sqrt(57.6) = 0.5270
    assert rows["single"].stats.corrected_r == pytest.approx(4 / math.sqrt(120 * 0.48))
    # everyone right on the true/false: too easy (and no correlation: zero variance)
    assert [f.code for f in rows["tf"].flags] == [FlagCode.TOO_EASY, FlagCode.UNUSED_DISTRACTOR]
    assert rows["tf"].stats.undefined["corrected_r"] is Undefined.ZERO_VARIANCE
    assert [row.qid for row in report.flagged] == [
        qid for qid in ("single", "multi", "tf", "fill", "num", "task") if rows[qid].flags]
    assert report.tentative == ()
    # The single choice's options: a (the key) chosen by T1-T3 (twice over), b by T4-T5,
    # c by nobody: of ten attempts, an unused distractor.
    options = {o.option_id: o for o in rows["single"].distractors.options}
    assert (options["a"].chosen, options["b"].chosen, options["c"].chosen) == (6, 4, 0)
    assert [(f.code, f.option_id) for f in rows["single"].flags] == [
        (FlagCode.UNUSED_DISTRACTOR, "c")]
    assert options["a"].is_key and not options["b"].is_key
    assert [o.letter for o in rows["single"].options] == ["A", "B", "C"]
    # true/false: 对 chosen ten times (the key), 错 never: unused too
    tf = {o.option_id: o.chosen for o in rows["tf"].distractors.options}
    assert tf == {"true": 10, "false": 0}
    assert rows["fill"].distractors is None and rows["fill"].options == ()


def test_all_attempts_count_the_second_one(session: Session, now: datetime) -> None:
    world = build_exam_world(session, now=now)
    report = analysis.exam_report(session, actor=world.trainer, exam_key="demo-exam",
                                  counting=analysis.Counting.ALL)
    assert (report.exam.n, report.pending, report.in_progress) == (11, 1, 1)
    # the single choice: T1-T3 twice and T5's second attempt right: 7 of 11
    assert _by_qid(report)["single"].stats.facility == pytest.approx(7 / 11)


def test_a_trainer_sees_only_the_cohorts_followed(session: Session, now: datetime) -> None:
    world = build_exam_world(session, now=now)
    report = analysis.exam_report(session, actor=world.outsider, exam_key="demo-exam")
    assert (report.exam.n, report.pending, report.items) == (0, 0, ())
    assert [c.name for c in report.cohorts] == ["别的批次"]
    with pytest.raises(NotFound):
        analysis.exam_report(session, actor=world.outsider, exam_key="demo-exam",
                             cohort_id=world.cohort.id)
    chosen = analysis.exam_report(session, actor=world.trainer, exam_key="demo-exam",
                                  cohort_id=world.cohort.id)
    assert chosen.exam.n == 10 and chosen.cohort_id == world.cohort.id


def test_an_item_not_in_the_report_is_not_found(session: Session, now: datetime) -> None:
    world = build_exam_world(session, now=now)
    report = analysis.exam_report(session, actor=world.trainer, exam_key="demo-exam")
    with pytest.raises(NotFound):
        report.item(10**6)
    with pytest.raises(NotFound):
        analysis.exam_report(session, actor=world.trainer, exam_key="no-such-exam")
