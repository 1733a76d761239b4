"""Per chat-scenario analytics (portal/analytics/chat.py) against hand-built attempts whose
engine results are written out, so that every figure is checked against arithmetic done by
hand: item means with reviewers' points where they can be attributed, the checks failed most
often, response-time bands and percentiles, violations, kappa per week and per month."""
from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.analytics import chat
from portal.analytics.chat import ChatWarning, Granularity, Played, ReviewedItem, TimeBand
from portal.analytics.stats import WarningCode
from portal.auth.models import Cohort, Role, User
from portal.chat.models import ChatScenario, ChatScenarioVersion
from portal.chat.scenario import Item, Timing, Violation
from portal.chat.scoring import CheckOutcome, CheckResult
from portal.errors import Forbidden, NotFound
from tests.analytics.chat_fixtures import NO_PROMISE_TIP, plus_one_result, yunda_result
from tests.chat import chat_web_fixtures
from tests.factories import (
    import_chats,
    make_chat_review,
    make_chat_trainee,
    make_cohort,
    make_scored_chat_attempt,
    make_user,
    statements_run,
)

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def _at(day: int, month: int = 11) -> datetime:
    """Noon in Shanghai on that day of 2026 (04:00 UTC)."""
    return datetime(2026, month, day, 4, 0, tzinfo=UTC)


@dataclass
class World:
    trainer: User  # follows cohort A
    supervisor: User  # follows A and B
    outsider: User  # follows B
    cohort_a: Cohort
    cohort_b: Cohort
    v1: int  # yunda's version ids
    v2: int
    plus_one: int
    attempts: dict[str, int]


def _second_version(tmp_path: Path, session: Session) -> None:
    """Version 2 of `yunda`: a new title and a new tip for the greeting check."""
    folder = tmp_path / "chats"
    shutil.copytree(chat_web_fixtures.CHATS, folder)
    path = folder / "scenarios" / "yunda.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("title: 买家想发韵达", "title: 买家想发韵达（新版）")
                    .replace("tip: 第一句先问候。", "tip: 第一句先问候买家。"), encoding="utf-8")
    import_chats(session, now=NOW, folder=folder)


def _version_ids(session: Session, key: str) -> list[int]:
    return list(session.scalars(
        sa.select(ChatScenarioVersion.id).join(ChatScenario,
                                               ChatScenario.id == ChatScenarioVersion.chat_scenario_id)
        .where(ChatScenario.key == key).order_by(ChatScenarioVersion.number)))


@pytest.fixture
def world(session: Session, tmp_path: Path) -> World:
    """Cohort A: four finished attempts with 小林 (A1, A2 on version 1; A3, A4 on version 2;
    A4 in drill `pair` with 阿强 too), one in progress and one past its time limit.
    Cohort B: one finished attempt with a rude reply, which A's trainer must never see.

    | attempt | greeting | timeliness | accuracy | greets | no-promise | times (s), turns |
    | A1 | 1 | 2 | 3 | awarded | avoided | 10, 20; 2 |
    | A2 | 0 | 1.2 | 0 | missed | deducted (false_promise) | 45; 2 (one unanswered) |
    | A3 | 1 | 0.6 | 3 | awarded | avoided, + old-check missed | 70, 120; 2 |
    | A4 | 0 | 2 | 3 | missed | avoided | 5; 1 |
    """
    first = make_chat_trainee(session, now=NOW)
    cohort_a = session.get(Cohort, first.cohort_id)
    assert cohort_a is not None
    second = make_user(session, cohort=cohort_a)
    cohort_b = make_cohort(session, track_key=chat_web_fixtures.TRACK_KEY)
    other = make_user(session, cohort=cohort_b)
    trainer = make_user(session, role=Role.TRAINER, display_name="王组长")
    supervisor = make_user(session, role=Role.SUPERVISOR, display_name="李主管")
    outsider = make_user(session, role=Role.TRAINER, display_name="外组组长")
    cohort_a.staff = [trainer, supervisor]
    cohort_b.staff = [supervisor, outsider]
    [v1] = _version_ids(session, "yunda")
    _second_version(session=session, tmp_path=tmp_path)
    _, v2 = _version_ids(session, "yunda")
    [plus_one] = _version_ids(session, "plus-one")
    old_check = CheckResult("old-check", Item.ACCURACY, CheckOutcome.MISSED, 0.0, tip="旧评分点")
    made = {
        "A1": make_scored_chat_attempt(session, trainee=first, drill_key="one", ended_at=_at(2),
                                       customers=[(v1, yunda_result(
                                           greeting=1, timeliness=2, accuracy=3,
                                           greets=CheckOutcome.AWARDED, times=(10.0, 20.0),
                                           turns=2))]),
        "A2": make_scored_chat_attempt(session, trainee=second, drill_key="one", ended_at=_at(3),
                                       customers=[(v1, yunda_result(
                                           greeting=0, timeliness=1.2, accuracy=0,
                                           greets=CheckOutcome.MISSED,
                                           promise=CheckOutcome.DEDUCTED, times=(45.0,), turns=2,
                                           violations=(Violation.FALSE_PROMISE,)))]),
        "A3": make_scored_chat_attempt(session, trainee=first, drill_key="one", ended_at=_at(10),
                                       customers=[(v2, yunda_result(
                                           greeting=1, timeliness=0.6, accuracy=3,
                                           greets=CheckOutcome.AWARDED, times=(70.0, 120.0),
                                           turns=2, extra=(old_check,)))]),
        "A4": make_scored_chat_attempt(session, trainee=second, drill_key="pair", ended_at=_at(20),
                                       customers=[(v2, yunda_result(
                                           greeting=0, timeliness=2, accuracy=3,
                                           greets=CheckOutcome.MISSED, times=(5.0,), turns=1)),
                                           (plus_one, plus_one_result(bargaining=2, timeliness=1))]),
        "running": make_scored_chat_attempt(session, trainee=first, drill_key="one",
                                            ended_at=None, deadline_at=NOW + timedelta(minutes=5),
                                            customers=[(v2, None)]),
        "overdue": make_scored_chat_attempt(session, trainee=second, drill_key="one",
                                            ended_at=None, deadline_at=NOW - timedelta(minutes=1),
                                            customers=[(v2, None)]),
        "B1": make_scored_chat_attempt(session, trainee=other, drill_key="one", ended_at=_at(4),
                                       customers=[(v2, yunda_result(
                                           greeting=1, timeliness=2, accuracy=3,
                                           greets=CheckOutcome.AWARDED, times=(200.0,), turns=1,
                                           violations=(Violation.RUDE,)))]),
    }
    ids = {name: a.id for name, a in made.items()}
    review = [  # (reviewer, attempt, item, points, reason)
        (trainer, "A1", "accuracy", 3, "agree"),
        (supervisor, "A1", "greeting", 1, "agree"),
        (trainer, "A1", "greeting", 0, "false_match"),
        (trainer, "A2", "accuracy", 2, "missed_good"),  # changed below: the latest counts
        (trainer, "A2", "accuracy", 3, "missed_good"),
        (trainer, "A4", "accuracy", 1.5, "missed_bad"),
        (trainer, "A4", "timeliness", 2.5, "context"),  # shared with 阿强: not attributable
        (outsider, "B1", "accuracy", 0, "missed_bad"),
    ]
    for i, (who, name, item, points, reason) in enumerate(review):
        make_chat_review(session, reviewer=who, attempt_id=ids[name], item=item, points=points,
                         reason=reason, now=NOW + timedelta(minutes=i))
    session.flush()
    return World(trainer=trainer, supervisor=supervisor, outsider=outsider, cohort_a=cohort_a,
                 cohort_b=cohort_b, v1=v1, v2=v2, plus_one=plus_one, attempts=ids)


def _page(session: Session, actor: User, cohort_id: int | None = None) -> chat.ScenarioAnalytics:
    return chat.scenario_analytics(session, actor=actor, scenario_key="yunda",
                                   cohort_id=cohort_id, now=NOW, tz=TZ)


def test_counts_finished_attempts_of_followed_cohorts_only(session: Session, world: World) -> None:
    page = _page(session, world.trainer)
    assert (page.attempts, page.customers, page.in_progress, page.overdue) == (4, 4, 2, 1)
    assert page.title == "买家想发韵达（新版）" and page.current_version == 2
    assert page.customer_name == "小林"
    assert page.drills == ("单人接待体验", "双人接待练习")
    # B1's rude reply and its 200 s are nowhere: no RUDE row, no too-slow turn of 200 s.
    assert [r.violation for r in page.violations.rows] == [Violation.FALSE_PROMISE]
    assert page.response.turns == 7


def test_versions_are_counted_apart(session: Session, world: World) -> None:
    """Per version, the mean of each customer's counted points / 6:
    v1: A1 (0.5 + 2 + 3) / 6 = 91.667 %, A2 (0 + 1.2 + 3) / 6 = 70 %: mean 80.833 %;
    v2: A3 (1 + 0.6 + 3) / 6 = 76.667 %, A4 (0 + 2 + 1.5) / 6 = 58.333 %: mean 67.5 %."""
    page = _page(session, world.trainer)
    rows = [(v.number, v.title, v.current, v.customers) for v in page.versions]
    assert rows == [(1, "买家想发韵达", False, 2), (2, "买家想发韵达（新版）", True, 2)]
    assert page.versions[0].mean_percent == pytest.approx((5.5 / 6 + 4.2 / 6) / 2 * 100)
    assert page.versions[1].mean_percent == pytest.approx(67.5)


def test_item_means_use_the_reviewers_points_where_only_this_customer_has_the_item(
        session: Session, world: World) -> None:
    """greeting (max 1): A1 is the mean of the supervisor's 1 and the trainer's 0 = 0.5;
    A2 0, A3 1, A4 0: (50 + 0 + 100 + 0) / 4 = 37.5 %, mean 0.375 points, 1 reviewed.
    timeliness (max 2): 2, 1.2, 0.6, 2 (A4's review is of 小林 and 阿强 together, so the
    engine's 2 counts): (100 + 60 + 30 + 100) / 4 = 72.5 %, mean 1.45.
    accuracy (max 3): A1 3 (agreed), A2 3 (the trainer's latest, not the 2 before nor the
    engine's 0), A3 3, A4 1.5: (100 + 100 + 100 + 50) / 4 = 87.5 %, mean 2.625, 3 reviewed."""
    rows = {r.item: r for r in _page(session, world.trainer).items}
    assert list(rows) == [Item.GREETING, Item.TIMELINESS, Item.ACCURACY]
    greeting, timeliness, accuracy = rows.values()
    assert (greeting.n, greeting.reviewed, greeting.max_points) == (4, 1, 1.0)
    assert greeting.mean_percent == pytest.approx(37.5)
    assert greeting.mean_points == pytest.approx(0.375)
    assert timeliness.mean_percent == pytest.approx(72.5) and timeliness.reviewed == 0
    assert timeliness.mean_points == pytest.approx(1.45)
    assert accuracy.mean_percent == pytest.approx(87.5) and accuracy.reviewed == 3
    assert accuracy.mean_points == pytest.approx(2.625)
    assert all(r.warnings == (WarningCode.TOO_FEW_ATTEMPTS,) for r in rows.values())  # n = 4


def test_the_checks_failed_most_often(session: Session, world: World) -> None:
    """greets missed in A2 and A4: 2 of 4 (50 %); old-check (only in A3's result) missed
    once: 1 of 1 (100 %); no-promise deducted in A2: 1 of 4 (25 %). Ties on failures go to
    the higher share. The words are the current version's, or the stored ones for a check
    the current version no longer has."""
    table = _page(session, world.trainer).checks
    rows = [(r.check, r.tip, r.failed, r.missed, r.deducted, r.evaluated) for r in table.rows]
    assert rows == [("greets", "第一句先问候买家。", 2, 2, 0, 4),
                    ("old-check", "旧评分点", 1, 1, 0, 1),
                    ("no-promise", NO_PROMISE_TIP, 1, 0, 1, 4)]
    assert [r.share for r in table.rows] == [0.5, 1.0, 0.25]
    assert (table.checks, table.failing) == (3, 3)


def test_response_times_in_the_rules_bands(session: Session, world: World) -> None:
    """Times 10, 20 | 45 (+ one turn unanswered) | 70, 120 | 5: 7 turns, 6 answered.
    Bands 30/60/100: good 5, 10, 20 = 3; normal 45; slow 70; too slow 120; unanswered 1.
    Sorted 5, 10, 20, 45, 70, 120: p50 at rank 2.5 = 20 + 0.5·25 = 32.5; p90 at rank 4.5 =
    70 + 0.5·50 = 95. Within 30 s: 3 of 7 turns."""
    rt = _page(session, world.trainer).response
    assert rt.timing == Timing(good=30, normal=60, poor=100)
    assert (rt.turns, rt.answered) == (7, 6)
    assert [(b.band, b.count) for b in rt.bands] == [
        (TimeBand.GOOD, 3), (TimeBand.NORMAL, 1), (TimeBand.SLOW, 1), (TimeBand.TOO_SLOW, 1),
        (TimeBand.UNANSWERED, 1)]
    assert (rt.p50, rt.p90) == (pytest.approx(32.5), pytest.approx(95.0))
    assert rt.good_share == pytest.approx(3 / 7)
    assert rt.warnings == (WarningCode.TOO_FEW_ATTEMPTS,)


def test_critical_violations(session: Session, world: World) -> None:
    vt = _page(session, world.trainer).violations
    assert [(r.violation, r.customers, r.attempts, r.share) for r in vt.rows] == [
        (Violation.FALSE_PROMISE, 1, 1, 0.25)]
    assert (vt.attempts, vt.failed, vt.share) == (4, 1, 0.25)


def test_engine_reviewer_agreement_per_week(session: Session, world: World) -> None:
    """Pairs (engine %, reviewer %): A1 greeting (100, 100) supervisor and (100, 0) trainer,
    A1 accuracy (100, 100), A2 accuracy (0, 100) [all in the week of 2 November], A4 accuracy
    (100, 50) [week of 16 November]; A4's timeliness review is not attributable. The data
    span 2–20 November, under two months: weeks, the empty one of 9 November included.

    Week of 2 Nov: 4 pairs, 2 agree; marginals 100×3, 0×1 on both sides: chance·n² = 3·3 +
    1·1 = 10, kappa = (2·4 − 10) / (16 − 10) = −1/3. Quadratic: Σa = Σb = 300, Σa² = Σb² =
    30000; chance = 4·30000 + 4·30000 − 2·300·300 = 60000; observed = 10000 + 10000;
    kappa_w = 1 − 4·20000/60000 = −1/3.
    Week of 16 Nov: one pair that differs: kappa = 0 (chance 0), kappa_w = 1 − 2500/2500 = 0.
    Total: 5 pairs, 2 agree; first rater 100×4, 0×1; second 100×3, 0×1, 50×1: chance = 13,
    kappa = (10 − 13)/(25 − 13) = −1/4. Σa = 400, Σb = 350, Σa² = 40000, Σb² = 32500:
    chance = 200000 + 162500 − 280000 = 82500; observed = 22500; kappa_w = 1 − 5·22500/82500
    = −4/11."""
    ag = _page(session, world.trainer).agreement
    assert ag.granularity is Granularity.WEEK
    got = [(p.start.isoformat(), p.end.isoformat(), p.pairs, p.agreed) for p in ag.periods]
    assert got == [("2026-11-02", "2026-11-08", 4, 2), ("2026-11-09", "2026-11-15", 0, 0),
                   ("2026-11-16", "2026-11-22", 1, 0)]
    week1, empty, week3 = ag.periods
    assert week1.kappa == pytest.approx(-1 / 3) and week1.weighted_kappa == pytest.approx(-1 / 3)
    assert empty.kappa is None and empty.weighted_kappa is None
    assert week3.kappa == 0 and week3.weighted_kappa == 0
    assert ag.total is not None and (ag.total.pairs, ag.total.agreed) == (5, 2)
    assert ag.total.kappa == pytest.approx(-0.25)
    assert ag.total.weighted_kappa == pytest.approx(-4 / 11)
    assert all(p.warnings == (ChatWarning.TOO_FEW_REVIEWS,) for p in (*ag.periods, ag.total))
    assert ag.items == ((Item.GREETING, 2), (Item.ACCURACY, 3))
    assert ag.unattributed == 1


def test_a_cohort_filter_and_who_may_ask(session: Session, world: World) -> None:
    only_b = _page(session, world.supervisor, cohort_id=world.cohort_b.id)
    assert (only_b.attempts, only_b.in_progress) == (1, 0)
    assert [r.violation for r in only_b.violations.rows] == [Violation.RUDE]
    both = _page(session, world.supervisor)
    assert both.attempts == 5 and {c.id for c in both.scope.cohorts} == {
        world.cohort_a.id, world.cohort_b.id}
    outsider = _page(session, world.outsider)
    assert (outsider.attempts, outsider.response.turns) == (1, 1)
    with pytest.raises(Forbidden):
        _page(session, world.trainer, cohort_id=world.cohort_b.id)
    with pytest.raises(NotFound):
        _page(session, world.trainer, cohort_id=999999)
    trainee = session.scalars(sa.select(User).where(User.role == Role.TRAINEE)).first()
    assert trainee is not None
    with pytest.raises(Forbidden):
        _page(session, trainee)
    with pytest.raises(NotFound):
        chat.scenario_analytics(session, actor=world.trainer, scenario_key="no-such", now=NOW,
                                tz=TZ)


def test_the_index_counts_attempts_per_drill_and_scenario(session: Session, world: World) -> None:
    index = chat.chat_index(session, actor=world.trainer)
    drills = {d.key: (d.finished, d.in_progress, d.scenario_keys) for d in index.drills}
    assert drills == {"one": (3, 2, ("yunda",)), "pair": (1, 0, ("yunda", "plus-one")),
                      "solo": (0, 0, ("yunda",))}
    scenarios = {s.key: (s.finished, s.customers, s.in_progress, s.versions, s.current_version)
                 for s in index.scenarios}
    assert scenarios == {"yunda": (4, 4, 2, 2, 2), "plus-one": (1, 1, 0, 1, 1)}
    only_b = chat.chat_index(session, actor=world.supervisor, cohort_id=world.cohort_b.id)
    assert only_b.scenario("yunda") == replace(index.scenario("yunda"), finished=1, customers=1,
                                               in_progress=0)


def test_reads_in_a_fixed_number_of_statements(session: Session, world: World) -> None:
    """Ten more finished attempts, some reviewed, add no statement to either page."""
    def run() -> None:
        _page(session, world.trainer)
        chat.chat_index(session, actor=world.trainer)

    before = statements_run(session, run)
    trainee = session.scalars(sa.select(User).where(User.cohort_id == world.cohort_a.id)).first()
    assert trainee is not None
    for day in range(10):
        attempt = make_scored_chat_attempt(
            session, trainee=trainee, drill_key="one", ended_at=_at(day + 1, month=10),
            customers=[(world.v1, yunda_result(greeting=1, timeliness=2, accuracy=3,
                                         greets=CheckOutcome.AWARDED, times=(9.0,), turns=1))])
        if day % 2:
            make_chat_review(session, reviewer=world.trainer, attempt_id=attempt.id,
                             item="accuracy", points=2, reason="missed_bad", now=NOW)
    session.flush()
    assert statements_run(session, run) == before
    assert _page(session, world.trainer).attempts == 14


# --- the pure aggregation, on its own ---------------------------------------------------------


def _played(day: datetime, engine: float, reviewer: float, attempt_id: int = 1) -> Played:
    return Played(attempt_id=attempt_id, version=1, ended_at=day,
                  result=yunda_result(greeting=1, timeliness=2, accuracy=engine,
                                greets=CheckOutcome.AWARDED),
                  reviewed=(ReviewedItem(Item.ACCURACY, engine, 3.0, (reviewer,)),))


def test_months_from_two_months_of_data_on_in_the_readers_time_zone() -> None:
    """15 September to 14 November is under two months (weeks); to 15 November, months.
    An attempt ended at 17:00 UTC on 31 October is 1 November in Shanghai."""
    weekly = chat.agreement_by_period([_played(_at(15, 9), 3, 3), _played(_at(14, 11), 3, 0)],
                                      tz=TZ)
    assert weekly.granularity is Granularity.WEEK and len(weekly.periods) == 9
    monthly = chat.agreement_by_period(
        [_played(_at(15, 9), 3, 3), _played(_at(15, 11), 3, 0),
         _played(datetime(2026, 10, 31, 17, 0, tzinfo=UTC), 0, 0)], tz=TZ)
    assert monthly.granularity is Granularity.MONTH
    assert [(p.start.isoformat(), p.end.isoformat(), p.pairs) for p in monthly.periods] == [
        ("2026-09-01", "2026-09-30", 1), ("2026-10-01", "2026-10-31", 0),
        ("2026-11-01", "2026-11-30", 2)]
    utc = chat.agreement_by_period([_played(datetime(2026, 10, 31, 17, 0, tzinfo=UTC), 0, 0)],
                                   tz=UTC)
    assert utc.periods[0].start.isoformat() == "2026-10-26"  # the week of Monday 26 October


def test_ten_pairs_are_enough_and_nothing_is_nothing() -> None:
    ten = chat.agreement_by_period([_played(_at(2), 3, 3 if i % 2 else 0, attempt_id=i)
                                    for i in range(10)], tz=TZ)
    assert ten.total is not None and ten.total.pairs == 10 and ten.total.warnings == ()
    assert ten.total.agreed == 5
    empty = chat.agreement_by_period([], tz=TZ)
    assert (empty.granularity, empty.periods, empty.total) == (None, (), None)
    assert chat.response_times([], Timing()).p50 is None
    assert chat.item_rows([]) == () and chat.failed_checks([]).rows == ()


def test_percentiles_by_linear_interpolation() -> None:
    assert chat.percentile([7.0], 0.9) == 7.0
    assert chat.percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5  # rank 1.5
    assert chat.percentile([10.0, 0.0, 20.0, 30.0, 40.0], 0.9) == pytest.approx(36.0)  # rank 3.6
    assert chat.percentile([], 0.5) is None


def test_bands_follow_the_timeliness_credit() -> None:
    """Timing.credit: ≤ good full, ≤ normal 60 %, < poor 30 %, else nothing."""
    timing = Timing(good=30, normal=60, poor=100)
    for seconds, band in [(30.0, TimeBand.GOOD), (30.1, TimeBand.NORMAL), (60.0, TimeBand.NORMAL),
                          (99.9, TimeBand.SLOW), (100.0, TimeBand.TOO_SLOW)]:
        assert chat.time_band(seconds, timing) is band
        credit = {TimeBand.GOOD: 1.0, TimeBand.NORMAL: 0.6, TimeBand.SLOW: 0.3,
                  TimeBand.TOO_SLOW: 0.0}[band]
        assert timing.credit(seconds) == credit


def test_the_response_chart_has_a_bar_and_a_label_per_band() -> None:
    played = [Played(1, 1, _at(2), yunda_result(greeting=1, timeliness=2, accuracy=3,
                                         greets=CheckOutcome.AWARDED, times=(5.0, 50.0, 55.0),
                                         turns=4))]
    rt = chat.response_times(played, Timing())
    chart = chat.response_chart(rt, {b: b.value for b in TimeBand})
    assert [b.value for b in chart.bars] == ["1", "2", "", "", "1"]
    assert [label.text for label in chart.labels[:5]] == [b.value for b in TimeBand]
    tallest = max(chart.bars, key=lambda b: b.height)
    assert tallest.height == pytest.approx(220 - 18 - 40)  # the band of 2 fills the plot
