"""The demo's finished cohort: twelve trainees who went through the onboarding week.

Everything is generated through the domain services, as the people would have done it,
on a clock this module advances: trainees open and finish modules, start, answer and
submit the stage exams, play the chat exam reply by reply, tick the team checklist; the
demo trainer grades what needs a person and the demo supervisor confirms the checklist;
both fill the observation forms. No score is ever written directly. Each trainee follows a
seeded profile (strong pre-sales, strong after-sales, weak, one critical chat violation…),
so the results are varied, and the same on every run.

Other domains (preferences, placement, probation proposals) add their part to the finished
cohort in `after_the_week`: one function per step, called once the week is recorded.
"""
from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from enum import StrEnum
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.auth.models import Cohort, Role, User
from portal.chat.models import ChatAttempt, ChatAttemptStatus, ChatMessage, ChatSender
from portal.chat.scenario import Scenario
from portal.chat.services import attempts as chat_attempts
from portal.config import PROJECT_ROOT
from portal.content.rules import Stage, StageKind
from portal.courses import services as courses
from portal.courses.models import Track
from portal.exams import grading
from portal.exams import services as exams
from portal.exams.models import Attempt, AttemptStatus, Exam
from portal.observations import services as observations
from portal.observations.models import ObservationForm
from portal.placement import services as placement
from portal.placement.policy import load_policy as load_placement_policy
from portal.placement.rules import PlacementRole
from portal.probation import services as probation

TRACK_KEY = "new-hire"
CHAT_DRILL = "new-hire-chat"
STAGE_EXAMS = {"basics": "new-hire-basics", "operations": "new-hire-operations",
               "practice": "new-hire-practice"}
TEAM_STAGE = "team"
LABELLED_REPLIES = PROJECT_ROOT / "question_banks" / "chats" / "labelled" / "replies.jsonl"
# Working hours are China time; the database keeps UTC.
CHINA = timezone(timedelta(hours=8))
SEED = 20261123


class Area(StrEnum):
    """What a question or a chat customer is about (the exams' `areas` values)."""

    GENERAL = "general"
    PRE_SALES = "pre-sales"
    AFTER_SALES = "after-sales"


class ReplyQuality(StrEnum):
    """How a trainee answers a chat customer (the labels of the labelled replies)."""

    GOOD = "good"
    POOR = "poor"
    VIOLATING = "violating"


@dataclass(frozen=True)
class Profile:
    """How one demo trainee does in the week."""

    knows: dict[Area, float]          # chance of answering a question of the area right
    pace: float = 1.0                 # reading time and lateness against the plan (1 = on plan)
    reply_seconds: tuple[int, int] = (12, 28)  # chat response delay, from–to
    chat: dict[str, ReplyQuality] = field(default_factory=dict)  # by scenario; default below
    chat_default: ReplyQuality = ReplyQuality.GOOD
    observed: float = 3.5             # the mean observation score staff give
    retake_gain: float = 0.12         # how much better a retake goes
    chat_retake: bool = False         # takes the chat exam again after failing it (no violation)


@dataclass(frozen=True)
class DemoTrainee:
    employee_no: str
    display_name: str
    profile: Profile
    prefers: PlacementRole | None = None  # the role they ask for (None: they leave it open)


_strong_pre = Profile(knows={Area.GENERAL: 0.95, Area.PRE_SALES: 0.97, Area.AFTER_SALES: 0.8},
                      observed=4.3, reply_seconds=(10, 22))
_strong_after = Profile(knows={Area.GENERAL: 0.93, Area.PRE_SALES: 0.78, Area.AFTER_SALES: 0.97},
                        observed=4.1, chat={"presale-bargain": ReplyQuality.POOR})
_steady = Profile(knows={Area.GENERAL: 0.88, Area.PRE_SALES: 0.85, Area.AFTER_SALES: 0.85},
                  observed=3.6, reply_seconds=(18, 40))
_slow = Profile(knows={Area.GENERAL: 0.8, Area.PRE_SALES: 0.75, Area.AFTER_SALES: 0.78},
                pace=1.6, observed=3.0, reply_seconds=(40, 75), retake_gain=0.15, chat_retake=True,
                chat={"out-of-stock": ReplyQuality.POOR, "slow-delivery-complaint":
                      ReplyQuality.POOR})
_weak = Profile(knows={Area.GENERAL: 0.7, Area.PRE_SALES: 0.62, Area.AFTER_SALES: 0.6},
                pace=1.8, observed=2.4, reply_seconds=(55, 110), retake_gain=0.1,
                chat_default=ReplyQuality.POOR)
_violating = Profile(knows={Area.GENERAL: 0.9, Area.PRE_SALES: 0.9, Area.AFTER_SALES: 0.82},
                     observed=3.2, chat={"carrier-promise": ReplyQuality.VIOLATING})

_PRE, _AFTER = PlacementRole.PRE_SALES, PlacementRole.AFTER_SALES

DEMO_TRAINEES = (
    DemoTrainee("demo-c01", "韩雪（演示）", _strong_pre, _PRE),
    DemoTrainee("demo-c02", "宋佳豪（演示）", _strong_after, _AFTER),
    DemoTrainee("demo-c03", "许晴（演示）", _steady, _PRE),
    DemoTrainee("demo-c04", "梁子豪（演示）", _strong_pre, _PRE),
    DemoTrainee("demo-c05", "郑可欣（演示）", _strong_after, _AFTER),
    DemoTrainee("demo-c06", "冯宇航（演示）", _slow, _AFTER),
    DemoTrainee("demo-c07", "曹露（演示）", _violating, _PRE),
    DemoTrainee("demo-c08", "彭浩然（演示）", _steady),
    DemoTrainee("demo-c09", "吕思琪（演示）", _weak, _PRE),
    DemoTrainee("demo-c10", "蒋文博（演示）", _steady, _PRE),
    DemoTrainee("demo-c11", "田甜（演示）", _slow, _AFTER),
    DemoTrainee("demo-c12", "杜明轩（演示）", _weak),
)

GREETING = "亲，您好，我是悦选客服，马上为您处理~"
FAREWELL = "感谢您的耐心等待，后面有任何问题随时找我哦，祝您生活愉快~"
POOR_FILLER = "嗯嗯"


@dataclass(frozen=True)
class FinishedCohort:
    """What the week left behind, for the steps that come after it."""

    cohort: Cohort
    trainer: User
    supervisor: User
    trainees: list[User]
    now: datetime
    checker: User | None = None  # a second supervisor of the cohort, who decides probation


# The steps after the week: other domains append theirs (preferences, placement, probation
# proposals). Each takes the session and the finished cohort and goes through its services.
AFTER_THE_WEEK: list[Callable[[Session, FinishedCohort], None]] = []


def after_the_week(session: Session, finished: FinishedCohort) -> None:
    """Run the steps that follow the week (see AFTER_THE_WEEK), in order."""
    for step in AFTER_THE_WEEK:
        step(session, finished)


# --- after the week: preferences, the placement proposal, probation ----------------------------

# The Double-11 formula for pre-sales (200 000 × 40% ÷ 200 ÷ 25% ÷ 350 = 4.57, so 5 agents):
# fewer places than the trainees who ask for pre-sales, so some preferences cost the cohort.
DEMO_FORMULA = {"sales": "200000", "cs_share": "40%", "average_order_value": "200",
                "conversion_rate": "25%", "receptions_per_agent": "350"}
DEMO_PRE_SALES = 5
# Probation: the trainer proposes for all but the last `_UNPROPOSED` trainees (for every one
# of a small cohort); the second
# supervisor accepts the first `_ACCEPTED` proposals and decides the one of `_OTHERWISE`
# differently; the rest wait for the demo supervisor.
_UNPROPOSED = 2
_ACCEPTED = 6
_OTHERWISE = "demo-c09"


def _preferences(session: Session, finished: FinishedCohort) -> None:
    """Each trainee states the role they prefer on day 3 (some leave it open)."""
    wanted = {p.employee_no: p.prefers for p in DEMO_TRAINEES}
    start = finished.cohort.start_date
    for n, trainee in enumerate(finished.trainees):
        role = wanted.get(trainee.employee_no)
        if role is not None:
            placement.set_preference(session, trainee=trainee, role=role.value,
                                     now=_at(start, 3, time(12, 10)) + timedelta(minutes=n))


def _placement(session: Session, finished: FinishedCohort) -> None:
    """The supervisor saves the staffing plan and proposes; the proposal is left unconfirmed
    (someone trying the demo changes and confirms it)."""
    policy, problems = load_placement_policy()
    if policy is None:
        raise RuntimeError(f"placement policy: {problems[0].message}")
    start = finished.cohort.start_date
    after = max(1, len(finished.trainees) - DEMO_PRE_SALES)
    placement.save_plan(session, actor=finished.supervisor, cohort_id=finished.cohort.id,
                        method="formula", capacities={_AFTER.value: str(after)},
                        formula=DEMO_FORMULA, now=_at(start, 5, time(17, 30)))
    placement.propose(session, actor=finished.supervisor, cohort_id=finished.cohort.id,
                      policy=policy, now=_at(start, 5, time(17, 35)))


_PROPOSAL_REASONS = {
    "confirm": "一周考核均已通过，观察表达标，建议按期转正。",
    "extend": "部分考核或观察项未达标，建议延长考察期，继续跟进。",
    "do_not_confirm": "按转正规则，本周考核结果达不到转正要求，建议不予转正。",
}


def _probation(session: Session, finished: FinishedCohort) -> None:
    """The trainer proposes what the recommendation says for most trainees; the second
    supervisor (when there is one) decides some, one of them otherwise; the rest wait."""
    policy = probation.current_policy()
    start = finished.cohort.start_date
    clock = _at(start, 5, time(18))
    proposals = []
    count = len(finished.trainees)
    for trainee in finished.trainees[:count - _UNPROPOSED if count > 2 * _UNPROPOSED else count]:
        clock += timedelta(minutes=3)
        case = probation.trainee_case(session, actor=finished.trainer, trainee_id=trainee.id,
                                      policy=policy, now=clock)
        if case.recommendation is None or case.trail:
            continue
        rec = case.recommendation
        proposals.append((trainee, probation.propose(
            session, actor=finished.trainer, trainee_id=trainee.id, outcome=rec.outcome.value,
            effective_date=rec.date.isoformat(), reason=_PROPOSAL_REASONS[rec.outcome.value],
            corrects_id=None, policy=policy, now=clock)))
    if finished.checker is None:
        return
    clock = _at(start, 5, time(19))
    for n, (trainee, proposal) in enumerate(proposals):
        clock += timedelta(minutes=4)
        if trainee.employee_no == _OTHERWISE:
            extended = (clock.astimezone(CHINA).date() + timedelta(days=60)).isoformat()
            probation.decide(session, actor=finished.checker, proposal_id=proposal.id,
                             accept=False, outcome="extend", effective_date=extended,
                             reason="成绩虽低，但每次补考都有进步；先延长考察期两个月，"
                                    "由带教每周跟进，到期再定。",
                             now=clock)
        elif n < _ACCEPTED:
            probation.decide(session, actor=finished.checker, proposal_id=proposal.id,
                             accept=True, outcome=None, effective_date=None,
                             reason="同意培训组长的提议。", now=clock)


AFTER_THE_WEEK.extend([_preferences, _placement, _probation])


# --- the cohort ---------------------------------------------------------------------------


def missing_content(session: Session) -> list[str]:
    """What must be imported before the finished cohort can be generated (empty: ready)."""
    missing = []
    if session.scalar(sa.select(Track).where(Track.key == TRACK_KEY)) is None:
        missing.append("courses (flask content import)")
    if set(STAGE_EXAMS.values()) - set(session.scalars(sa.select(Exam.key))):
        missing.append("exams (flask exams import)")
    if CHAT_DRILL not in chat_attempts.existing_drill_keys(session):
        missing.append("chat drills (flask chat import)")
    if session.scalar(sa.select(sa.func.count()).select_from(ObservationForm)) == 0:
        missing.append("observation forms (flask observations import)")
    return missing


def import_shipped_content(session: Session, *, now: datetime) -> None:
    """Everything `make demo` imports from the repository (courses, banks and exams, chats,
    observation forms), through the same services as the import commands (for tests and
    benchmarks that need the finished cohort without the command line)."""
    from portal.chat.files import load_folder as load_chats
    from portal.chat.services import imports as chat_imports
    from portal.content.loader import load_content
    from portal.exams.files import load_folder as load_exams
    from portal.observations.files import load_folder as load_forms

    courses.import_content(session, content=load_content(PROJECT_ROOT / "courses"),
                           actor_id=None, now=now)
    banks = load_exams(PROJECT_ROOT / "question_banks")
    exams.apply_import(session, banks=banks.banks, exams=banks.exams, actor_id=None, now=now)
    chats = load_chats(PROJECT_ROOT / "question_banks" / "chats")
    chat_imports.apply_import(session, scenarios=chats.scenarios, drills=chats.drills,
                              rules=chats.rules, actor_id=None, now=now)
    forms = load_forms(PROJECT_ROOT / "question_banks" / "observations")
    observations.apply_import(session, forms=forms.forms, actor_id=None, now=now)


def cohort_name(start: date) -> str:
    return f"{start.year}年{start.month}月第{(start.day - 1) // 7 + 1}期"


def load_finished_cohort(session: Session, *, trainer: User, supervisor: User,
                         password_hash: str, now: datetime,
                         people: Sequence[DemoTrainee] = DEMO_TRAINEES,
                         checker: User | None = None) -> FinishedCohort | None:
    """Generate the finished cohort of `people` unless its first trainee exists (None).

    `checker`, a second supervisor, joins the cohort's staff and decides some of the
    probation proposals (without one, every proposal waits)."""
    if session.scalar(sa.select(User).where(User.employee_no == people[0].employee_no)):
        return None
    today = now.astimezone(CHINA).date()
    start = today - timedelta(days=today.weekday() + 7)  # Monday of last week: it is over
    cohort = Cohort(name=cohort_name(start), start_date=start, track_key=TRACK_KEY,
                    created_at=_at(start, -7, time(10)))
    cohort.staff.extend([trainer, supervisor])
    if checker is not None:
        cohort.staff.append(checker)
    session.add(cohort)
    session.flush()
    trainees = []
    for person in people:
        user = User(employee_no=person.employee_no, display_name=person.display_name,
                    role=Role.TRAINEE, password_hash=password_hash, cohort_id=cohort.id,
                    hire_date=start, must_change_password=False, created_at=cohort.created_at,
                    updated_at=cohort.created_at)
        session.add(user)
        trainees.append(user)
    session.flush()
    week = _Week(session, start=start, trainer=trainer, supervisor=supervisor)
    for n, (person, user) in enumerate(zip(people, trainees, strict=True)):
        week.trainee(user, person.profile, random.Random(SEED + n))
    week.observe(trainees, [p.profile for p in people])
    finished = FinishedCohort(cohort=cohort, trainer=trainer, supervisor=supervisor,
                              trainees=trainees, now=now, checker=checker)
    after_the_week(session, finished)
    session.flush()
    return finished


def _at(start: date, day: int, clock: time) -> datetime:
    """Day `day` of the week (1 = the start date) at China time `clock`, in UTC."""
    local = datetime.combine(start + timedelta(days=day - 1), clock, tzinfo=CHINA)
    return local.astimezone(UTC)


# --- one trainee's week -----------------------------------------------------------------------


class _Week:
    def __init__(self, session: Session, *, start: date, trainer: User, supervisor: User) -> None:
        self.session = session
        self.start = start
        self.trainer = trainer
        self.supervisor = supervisor
        track = courses.get_track(session, TRACK_KEY)
        assert track.current_version is not None
        self.stages: tuple[Stage, ...] = track.current_version.stages

    def trainee(self, user: User, profile: Profile, rng: random.Random) -> None:
        clock = _at(self.start, 1, time(9, 30)) + timedelta(minutes=rng.randrange(0, 20))
        for stage in self.stages:
            clock = self._read(user, stage, clock, profile, rng)
            if stage.kind is StageKind.TEAM_INTEGRATION:
                clock = self._checklist(user, stage, clock, rng)
                continue
            exam_key = stage.exam_key
            if exam_key:
                clock, passed = self._exam(user, exam_key, clock, profile, rng)
                if not passed:
                    return  # the next stage stays locked: this trainee's week ends here
            if stage.chat_exam_key:
                clock = self._chat(user, stage.chat_exam_key, clock, profile, rng)

    # Reading: every module opened, read for a while, marked done.
    def _read(self, user: User, stage: Stage, clock: datetime, profile: Profile,
              rng: random.Random) -> datetime:
        clock = self._working(clock)
        for module_key in stage.modules:
            courses.open_module(self.session, user=user, track_key=TRACK_KEY,
                                module_key=module_key, now=clock)
            minutes = int(rng.randrange(12, 30) * profile.pace)
            # A heartbeat of the page counts active reading (at most two minutes each); one
            # per module keeps the load quick (each goes through open_module's checks).
            courses.record_reading(self.session, user=user, track_key=TRACK_KEY,
                                   module_key=module_key, seconds=rng.randrange(60, 121),
                                   anchor=None, now=clock + timedelta(minutes=minutes - 1))
            clock += timedelta(minutes=minutes)
            courses.set_module_done(self.session, user=user, track_key=TRACK_KEY,
                                    module_key=module_key, done=True, now=clock)
            clock = self._working(clock + timedelta(minutes=rng.randrange(2, 8)))
        return clock

    def _working(self, clock: datetime) -> datetime:
        """The same moment if it is within working hours (9:00–18:00), else the next start."""
        local = clock.astimezone(CHINA)
        if local.time() < time(9):
            return datetime.combine(local.date(), time(9), tzinfo=CHINA).astimezone(UTC)
        if local.time() >= time(17, 30):
            return datetime.combine(local.date() + timedelta(days=1), time(9, 10),
                                    tzinfo=CHINA).astimezone(UTC)
        return clock

    def _checklist(self, user: User, stage: Stage, clock: datetime,
                   rng: random.Random) -> datetime:
        clock = max(self._working(clock), _at(self.start, 3, time(9, 15)))
        for item in stage.checklist:
            clock += timedelta(minutes=rng.randrange(10, 35))
            courses.tick_checklist_item(self.session, user=user, track_key=TRACK_KEY,
                                        stage_key=stage.key, item_key=item.key, ticked=True,
                                        now=clock)
        clock += timedelta(minutes=rng.randrange(15, 60))
        courses.confirm_checklist(self.session, actor=self.supervisor, trainee_id=user.id,
                                  stage_key=stage.key, now=clock)
        return self._working(clock + timedelta(minutes=5))

    # Written exams: up to the allowed attempts, each answered per the profile.
    def _exam(self, user: User, exam_key: str, clock: datetime, profile: Profile,
              rng: random.Random) -> tuple[datetime, bool]:
        gain = 0.0
        while True:
            status = exams.exam_status(self.session, user=user, exam_key=exam_key, now=clock)
            if status.passed:
                return clock, True
            if not status.check.allowed:
                return clock, False
            attempt = exams.start_attempt(self.session, user=user, exam_key=exam_key, now=clock,
                                          seed=rng.randrange(2**31))
            clock = self._answer(user, attempt, clock, profile, gain, rng)
            exams.submit_attempt(self.session, user=user, attempt_id=attempt.id, now=clock)
            if attempt.status is AttemptStatus.SUBMITTED:
                clock = self._grade(attempt, clock, profile, rng)
            if attempt.passed:
                return self._working(clock + timedelta(minutes=10)), True
            gain += profile.retake_gain
            # Read the review, go over the modules again, then try again (after the wait).
            clock = self._working(clock + timedelta(minutes=rng.randrange(40, 90)))
            if rng.random() < 0.3 * profile.pace:  # a slow learner sleeps on it
                clock = self._working(clock + timedelta(hours=16))

    def _answer(self, user: User, attempt: Attempt, clock: datetime, profile: Profile,
                gain: float, rng: random.Random) -> datetime:
        for response in sorted(attempt.responses, key=lambda r: r.position):
            data = response.question_version.data
            chance = min(0.99, profile.knows[_area(data)] + gain)
            answer = demo_answer(data, right=rng.random() < chance, rng=rng)
            clock += timedelta(seconds=int(rng.randrange(25, 90) * profile.pace))
            if answer is None:
                continue  # left blank
            exams.save_answer(self.session, user=user, attempt_id=attempt.id,
                              position=response.position, answer=answer, revision=1, now=clock)
        return clock + timedelta(seconds=rng.randrange(30, 120))

    def _grade(self, attempt: Attempt, clock: datetime, profile: Profile,
               rng: random.Random) -> datetime:
        """The demo trainer scores each waiting answer against its rubric, later that day."""
        clock += timedelta(minutes=rng.randrange(20, 70))
        for response in sorted(attempt.responses, key=lambda r: r.position):
            if not response.needs_manual:
                continue
            page = grading.claim_response(self.session, actor=self.trainer,
                                          response_id=response.id, now=clock)
            scores: dict[str, Any] = {}
            for section in page.sections:
                if not section.manual:
                    continue
                given = {str(line.number): _rubric_points(line.points, profile, rng)
                         for line in section.criteria}
                if section.key:
                    scores[section.key] = given
                else:
                    scores.update(given)
            clock += timedelta(minutes=rng.randrange(2, 6))
            grading.grade_response(self.session, actor=self.trainer, response_id=response.id,
                                   scores=scores, comment=_comment(profile), now=clock)
        return clock

    # The chat exam: customers served as they speak, replies chosen per the profile.
    def _chat(self, user: User, drill_key: str, clock: datetime, profile: Profile,
              rng: random.Random) -> datetime:
        clock = max(self._working(clock),
                    _at(self.start, 4, time(14)) + timedelta(minutes=rng.randrange(0, 90)))
        status = chat_attempts.drill_status(self.session, user=user, drill_key=drill_key,
                                            now=clock)
        if not status.check.allowed:
            return clock
        attempt = chat_attempts.start_attempt(self.session, user=user, drill_key=drill_key,
                                              now=clock)
        _ChatPlayer(self.session, user=user, attempt=attempt, profile=profile,
                    rng=rng).play(clock)
        clock = self._working((attempt.ended_at or clock) + timedelta(minutes=15))
        if attempt.passed or attempt.fail_reason or not profile.chat_retake:
            return clock
        # Went over the review with the trainer; tries again the next morning, quicker.
        clock = max(clock, _at(self.start, 5, time(9, 30)))
        better = dataclasses.replace(
            profile, chat={}, chat_default=ReplyQuality.GOOD,
            reply_seconds=(profile.reply_seconds[0] // 2, profile.reply_seconds[1] // 2))
        attempt = chat_attempts.start_attempt(self.session, user=user, drill_key=drill_key,
                                              now=clock)
        _ChatPlayer(self.session, user=user, attempt=attempt, profile=better, rng=rng).play(clock)
        return self._working((attempt.ended_at or clock) + timedelta(minutes=15))

    # Observation forms, filled on days 4 and 5 by the trainer (skills) and the supervisor.
    def observe(self, trainees: list[User], profiles: list[Profile]) -> None:
        forms = observations.form_choices(self.session)
        rng = random.Random(SEED - 1)
        for form in forms:
            actor = self.trainer if form.key == "skills" else self.supervisor
            clock = _at(self.start, 4 if form.key == "skills" else 5, time(16))
            items = _form_items(self.session, form.key)
            for trainee, profile in zip(trainees, profiles, strict=True):
                for item in items:
                    score = round(profile.observed + rng.choice((-1, -0.5, 0, 0, 0.5, 1)))
                    clock += timedelta(seconds=rng.randrange(5, 20))
                    observations.record_entry(self.session, actor=actor, trainee_id=trainee.id,
                                              form_key=form.key, item=item,
                                              score=max(1, min(5, score)), note="", now=clock)


def _form_items(session: Session, form_key: str) -> list[str]:
    form = session.scalars(sa.select(ObservationForm).where(ObservationForm.key == form_key)).one()
    assert form.current_version is not None
    return [item["key"] for item in form.current_version.definition["items"]]


def _rubric_points(points: float, profile: Profile, rng: random.Random) -> float:
    """A criterion's score as the trainer gives it: full, half or none, per the profile."""
    roll = rng.random()
    knows = profile.knows[Area.GENERAL]
    if roll < knows - 0.15:
        return points
    if roll < knows + 0.1:
        return round(points / 2 * 2) / 2 if points >= 1 else 0
    return 0


def _comment(profile: Profile) -> str:
    if profile.knows[Area.GENERAL] >= 0.9:
        return "要点齐全，表述清楚。"
    if profile.knows[Area.GENERAL] >= 0.8:
        return "大体正确，个别要点没有写到。"
    return "要点缺得较多，建议重读本阶段模块后再练习。"


def _area(data: dict[str, Any]) -> Area:
    tags = data.get("tags", [])
    if "role:pre-sales" in tags:
        return Area.PRE_SALES
    if "role:after-sales" in tags:
        return Area.AFTER_SALES
    return Area.GENERAL


# --- answers ----------------------------------------------------------------------------------


def demo_answer(data: dict[str, Any], *, right: bool, rng: random.Random) -> Any:
    """An answer to a question as a trainee would give it: the key's, or a plausible mistake
    (None: left blank)."""
    kind = data["kind"]
    if kind == "single-choice":
        keys = [c["key"] for c in data["choices"] if c["correct"] == right]
        return rng.choice(keys) if keys else None
    if kind == "multiple-choice":
        correct = [c["key"] for c in data["choices"] if c["correct"]]
        if right:
            return correct
        wrong = [c["key"] for c in data["choices"] if not c["correct"]]
        answer = correct[:-1] if len(correct) > 1 else list(correct)
        if wrong and (len(correct) == 1 or rng.random() < 0.5):
            answer.append(rng.choice(wrong))
        return answer
    if kind == "true-false":
        return data["answer"] if right else not data["answer"]
    if kind == "fill-in":
        texts = [next(a["text"] for a in b["answers"] if a.get("credit", 100) == 100)
                 for b in data["blanks"]]
        return texts if right else [texts[0] if len(texts) > 1 else "不清楚"] + ["不清楚"] * (
            len(texts) - 1)
    if kind == "numeric":
        value = next(a["value"] for a in data["answers"] if a.get("credit", 100) == 100)
        return str(value if right else value * 2 + 1)
    if kind == "matching":
        rights = [p["right"] for p in data["pairs"]]
        if not right and len(rights) > 1:
            rights[0], rights[1] = rights[1], rights[0]
        return {str(i): r for i, r in enumerate(rights, 1)}
    if kind == "operation-task":
        return _operation_answer(data, right=right, rng=rng)
    if kind == "case":
        return {p["id"]: demo_answer(p, right=right or rng.random() < 0.5, rng=rng)
                for p in data["questions"]}
    if kind == "short-answer":
        reference = data.get("reference_answer", "").strip()
        if right:
            return reference
        return reference.split("。")[0] + "。" if reference else "先安抚买家，再按店铺规定处理。"
    return None


def _operation_answer(data: dict[str, Any], *, right: bool, rng: random.Random) -> dict[str, Any]:
    answer: dict[str, Any] = {}
    checked = [item for item in data["form"] if item.get("check")]
    spoil = rng.choice(checked)["name"] if checked and not right else None
    for item in data["form"]:
        check = item.get("check")
        value: Any = ""
        if check is None:
            value = item.get("options", [""])[0] if item.get("options") else "已处理"
        elif check["rule"] == "exact":
            value = check["value"]
        elif check["rule"] == "one-of":
            value = check["values"][0]
        elif check["rule"] == "contains-all":
            value = "，".join(check["values"])
        elif check["rule"] == "datetime-within":
            value = check["start"]
        elif check["rule"] == "non-empty":
            value = "已按流程处理并备注"
        elif check["rule"] == "regex":
            value = check.get("example", "")
        if item["name"] == spoil:
            value = ""
        answer[item["name"]] = value
    return answer


# --- chat -------------------------------------------------------------------------------------


@cache
def _labelled() -> dict[tuple[str, str, str], list[str]]:
    """The labelled replies by (scenario, state, label)."""
    table: dict[tuple[str, str, str], list[str]] = {}
    with LABELLED_REPLIES.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                row = json.loads(line)
                table.setdefault((row["scenario"], row["state"], row["label"]), []).append(
                    row["reply"])
    return table


class _ChatPlayer:
    """Plays one chat attempt on a simulated clock: polls, then answers each waiting customer
    after the profile's delay; says goodbye when a script ends (a good trainee does)."""

    STEP = timedelta(seconds=1)
    POLL = timedelta(seconds=30)

    def __init__(self, session: Session, *, user: User, attempt: ChatAttempt, profile: Profile,
                 rng: random.Random) -> None:
        self.session, self.user, self.attempt = session, user, attempt
        self.profile, self.rng = profile, rng
        self.due: dict[int, datetime] = {}       # slot -> when the trainee will answer
        self.answered: dict[int, int] = {}       # slot -> customer seq answered last
        self.farewell: set[int] = set()

    def play(self, start: datetime) -> None:
        clock = start
        end = self.attempt.deadline_at
        while clock < end:
            # The console polls every few seconds; nothing happens between the server's next
            # event and the trainee's next reply, so the clock jumps to whichever comes first.
            moments = [clock + self.POLL, *(d for d in self.due.values() if d > clock)]
            if self.attempt.next_event_at is not None and self.attempt.next_event_at > clock:
                moments.append(self.attempt.next_event_at)
            clock = max(clock + self.STEP, min(moments))
            chat_attempts.advance(self.session, attempt=self.attempt, now=clock)
            if self.attempt.status is not ChatAttemptStatus.IN_PROGRESS:
                return
            for row in self.attempt.conversations:
                self._serve(row, clock)
            if all(row.ended and (row.slot in self.farewell
                                  or not chat_attempts.takes_replies(row, clock))
                   for row in self.attempt.conversations):
                break
        chat_attempts.finish_attempt(self.session, user=self.user, attempt_id=self.attempt.id,
                                     now=clock + timedelta(seconds=10))

    def _quality(self, scenario: str) -> ReplyQuality:
        return self.profile.chat.get(scenario, self.profile.chat_default)

    def _serve(self, row: Any, clock: datetime) -> None:
        if clock < row.arrives_at or not chat_attempts.takes_replies(row, clock):
            self.due.pop(row.slot, None)
            return
        scenario: Scenario = chat_attempts.scenario_of(row.scenario_version)
        last = self.session.execute(
            sa.select(ChatMessage.seq, ChatMessage.sender)
            .where(ChatMessage.chat_conversation_id == row.id, ChatMessage.seq.is_not(None),
                   ChatMessage.sender != ChatSender.SYSTEM)
            .order_by(ChatMessage.seq.desc()).limit(1)).first()
        if last is None:
            return
        quality = self._quality(scenario.key)
        if row.ended:  # the script is over: a goodbye, from those who remember to say it
            if (row.slot not in self.farewell and last.sender is ChatSender.CUSTOMER
                    and quality is not ReplyQuality.POOR):
                self._send(row, FAREWELL, clock)
            self.farewell.add(row.slot)
            return
        if last.sender is not ChatSender.CUSTOMER or self.answered.get(row.slot) == last.seq:
            return
        due = self.due.setdefault(row.slot, clock + timedelta(
            seconds=self.rng.randrange(*self.profile.reply_seconds)))
        if clock < due:
            return
        text = self._reply(scenario.key, row.state, quality)
        if row.slot not in self.answered and quality is not ReplyQuality.POOR:
            text = GREETING + text  # a careful trainee greets first
        self._send(row, text, clock)
        self.answered[row.slot] = last.seq
        self.due.pop(row.slot, None)

    def _reply(self, scenario: str, state: str, quality: ReplyQuality) -> str:
        table = _labelled()
        for label in (quality, ReplyQuality.GOOD):
            options = table.get((scenario, state, label.value))
            if options:
                # A violation is the file's first example of it (the most typical one).
                return options[0] if label is ReplyQuality.VIOLATING else self.rng.choice(options)
        return FAREWELL if quality is not ReplyQuality.POOR else POOR_FILLER

    def _send(self, row: Any, text: str, clock: datetime) -> None:
        chat_attempts.reply(self.session, user_id=self.user.id, attempt_id=self.attempt.id,
                            slot=row.slot, text=text, now=clock)
