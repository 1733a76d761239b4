"""Cohort analytics for trainers and supervisors: one cohort's stage times against the plan,
pass rates per attempt number and the modules that those who failed a question had not
opened; and the cohorts they follow side by side.

Reads go through the owning domains' services wherever they have one: the progress grid
(`progress.cohort_grid`: trainees, stage completions), the stages' online assessments
(`courses.online_stage_assessments`), the attempts (`exams.exam_records`,
`chat_attempts.drill_statuses`: expired attempts are finished first, as on the dashboard),
the first visit of each module (`progress.first_openings`). The responses of failed
questions and the tracks' module titles are read in one query each. Every read takes a whole
cohort at once: the number of statements does not grow with the cohort
(tests/analytics/test_cohort_service.py counts them). The figures are `cohort_rules` (pure).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from portal.analytics import cohort_charts
from portal.analytics import cohort_rules as rules
from portal.analytics.cohort_rules import AttemptNumberRow, Outcome, StageTime
from portal.analytics.stats import WarningCode
from portal.auth import access
from portal.auth.models import Cohort, Role, User
from portal.banks.rules import excerpt
from portal.chat.models import ChatAttemptStatus
from portal.chat.services import attempts as chat_attempts
from portal.cohorts.charts import Chart
from portal.courses import services as courses
from portal.courses.models import Module, ModuleVersion, Track
from portal.courses.rules import AssessmentSource, Stage
from portal.errors import NotFound
from portal.exams import services as exams
from portal.exams.models import (
    Attempt,
    AttemptStatus,
    ExamVersion,
    Question,
    QuestionBank,
    QuestionVersion,
    Response,
)
from portal.messages import N_, Message, msg
from portal.progress import services as progress

# Who opens these pages: the staff who follow a cohort (every cohort is someone's).
ROLES = (Role.TRAINER, Role.SUPERVISOR)
TOP_MODULES = 3  # modules shown per failed question on the cohort page (the CSV has all)

KIND_LABELS: dict[AssessmentSource, str] = {
    AssessmentSource.EXAM: N_("笔试"),
    AssessmentSource.CHAT_EXAM: N_("模拟对话"),
}

# The one warning these pages give (`cohort_rules.small_sample`), as a trainer reads it:
# a short badge beside the figure and the sentence that explains it (docs/analytics.md:
# "n < 10: figures are shown, but they describe these few attempts, not the question").
WARNING_LABELS: dict[WarningCode, str] = {WarningCode.TOO_FEW_ATTEMPTS: N_("样本少")}
WARNING_NOTES: dict[WarningCode, str] = {
    WarningCode.TOO_FEW_ATTEMPTS: N_("样本少：不足 10 人（次），数字只描述这几个人（次），"
                                     "不代表一般情况"),
}


def warning_label(code: WarningCode) -> str:
    return WARNING_LABELS[code]


def warning_note(code: WarningCode) -> str:
    return WARNING_NOTES[code]


def _followed_cohort(session: Session, *, actor: User, cohort_id: int) -> Cohort:
    """The cohort if `actor` follows it; any other is "not found" (its name stays unknown)."""
    access.check_sees_trainees(actor)
    if cohort_id not in access.visible_cohort_ids(session, actor=actor):
        raise NotFound(N_("找不到该批次"))
    cohort = session.get(Cohort, cohort_id)
    if cohort is None:
        raise NotFound(N_("找不到该批次"))
    return cohort


# --- what a cohort did --------------------------------------------------------------------


@dataclass(frozen=True)
class _CohortReads:
    cohort: Cohort
    track_title: str | None
    stages: tuple[Stage, ...]          # the track's current stages (none while unpublished)
    trainees: list[User]               # active, by employee number
    passed_on: list[dict[str, date]]   # per trainee: stage key -> local date passed


def _read_cohort(session: Session, *, actor: User, cohort: Cohort, now: datetime,
                 tz: tzinfo) -> _CohortReads:
    grid = progress.cohort_grid(session, actor=actor, cohort_id=cohort.id,
                                filters=progress.GridFilters(), now=now, tz=tz)
    stages: tuple[Stage, ...] = ()
    if grid.track_title is not None:
        version = courses.get_track(session, cohort.track_key).current_version
        stages = version.stages if version is not None else ()
    passed_on = [{key: cell.completed_at.astimezone(tz).date()
                  for key, cell in row.stages.items() if cell.completed_at is not None}
                 for row in grid.rows]
    return _CohortReads(cohort=cohort, track_title=grid.track_title, stages=stages,
                        trainees=[row.trainee for row in grid.rows], passed_on=passed_on)


def _specs(stages: Sequence[Stage]) -> list[rules.StageSpec]:
    return [rules.StageSpec(key=s.key, title=s.title, planned_day=s.planned.day,
                            duration=s.planned.duration) for s in stages]


@dataclass(frozen=True)
class AssessmentAttempts:
    """One written exam or chat drill of a stage: the cohort's attempts per attempt number."""

    source: AssessmentSource
    key: str
    title: str
    stage_title: str
    rows: tuple[AttemptNumberRow, ...]

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.source]

    @property
    def first(self) -> AttemptNumberRow:
        return rules.first_attempt(self.rows)

    @property
    def column(self) -> str:
        """Its column in the cohorts' table (one per assessment of a track)."""
        return f"{self.source.value}:{self.key}"


_EXAM_OUTCOMES = {exams.AttemptState.IN_PROGRESS: Outcome.IN_PROGRESS,
                  exams.AttemptState.PENDING: Outcome.PENDING,
                  exams.AttemptState.PASSED: Outcome.PASSED,
                  exams.AttemptState.FAILED: Outcome.FAILED}


def _chat_outcome(status: ChatAttemptStatus, passed: bool | None) -> Outcome:
    if status is ChatAttemptStatus.IN_PROGRESS:
        return Outcome.IN_PROGRESS
    if passed is None:  # finished without a result: shown as waiting, never dropped
        return Outcome.PENDING
    return Outcome.PASSED if passed else Outcome.FAILED


def _assessments(session: Session, *, stages: Sequence[Stage], trainees: list[User],
                 now: datetime) -> list[AssessmentAttempts]:
    """Each online assessment of the stages, in stage order, with the trainees' attempts."""
    online = courses.online_stage_assessments(session, stages)
    found = []
    for stage in stages:
        for assessment in online.get(stage.key, []):
            key = assessment.key or ""
            if assessment.source is AssessmentSource.EXAM:
                exam = exams.get_exam(session, key)
                title = exam.current_version.title if exam.current_version else key
                records = exams.exam_records(session, users=trainees, exam_key=key, now=now)
                outcomes = [(a.number, _EXAM_OUTCOMES[a.state]) for record in records.values()
                            if record is not None for a in record.attempts]
            elif assessment.source is AssessmentSource.CHAT_EXAM:
                drill = chat_attempts.get_drill(session, key)
                title = drill.current_version.title if drill.current_version else key
                statuses = chat_attempts.drill_statuses(session, users=trainees, drill_key=key,
                                                        now=now)
                outcomes = [(a.number, _chat_outcome(a.status, a.passed))
                            for status in statuses.values() if status is not None
                            for a in status.attempts]
            else:
                continue
            found.append(AssessmentAttempts(source=assessment.source, key=key, title=title,
                                            stage_title=stage.title,
                                            rows=tuple(rules.attempt_rows(outcomes))))
    return found


# --- modules not opened by those who failed a question ----------------------------------------


class ModuleGap(NamedTuple):
    track_key: str
    module_key: str
    title: str
    not_opened: int  # trainees who failed the question without having opened the module


@dataclass(frozen=True)
class QuestionModuleGaps:
    """The trainees who failed a question (fewer points than its maximum in a graded attempt)
    and, for each module of the exam's stage and the stages before it, how many of them had
    not opened it when the attempt started; most first, modules nobody missed left out."""

    question_id: int
    failed: int
    modules: tuple[ModuleGap, ...] = ()


@dataclass(frozen=True)
class _Failure:
    user_id: int
    started_at: datetime
    track_key: str | None
    stage_key: str | None
    exam_title: str
    question_id: int
    version_id: int


@dataclass(frozen=True)
class _TrackModules:
    title: str
    stages: tuple[Stage, ...]
    titles: dict[str, str]  # module key -> its current title

    def scope(self, stage_key: str | None) -> list[str]:
        """The modules of `stage_key` and of the stages before it, in reading order (every
        stage's when the exam names no stage of this track)."""
        keys = [s.key for s in self.stages]
        end = keys.index(stage_key) + 1 if stage_key in keys else len(keys)
        return [m for s in self.stages[:end] for m in s.modules if m in self.titles]

    def position(self, module_key: str) -> int:
        order = [m for s in self.stages for m in s.modules]
        return order.index(module_key) if module_key in order else len(order)


def _failures(session: Session, *, cohort_ids: Collection[int],
              question_id: int | None = None) -> list[_Failure]:
    """Every response with fewer points than its maximum in a graded attempt of an active
    trainee of the cohorts (of one question, if given), in one query."""
    query = (
        sa.select(Attempt.user_id, Attempt.started_at, ExamVersion.track_key,
                  ExamVersion.stage_key, ExamVersion.title, QuestionVersion.question_id,
                  QuestionVersion.id)
        .select_from(Response)
        .join(Attempt, Attempt.id == Response.attempt_id)
        .join(User, User.id == Attempt.user_id)
        .join(ExamVersion, ExamVersion.id == Attempt.exam_version_id)
        .join(QuestionVersion, QuestionVersion.id == Response.question_version_id)
        .where(Attempt.status == AttemptStatus.GRADED, Response.points.is_not(None),
               Response.points < Response.max_points, User.cohort_id.in_(list(cohort_ids)),
               User.role == Role.TRAINEE, User.active.is_(True)))
    if question_id is not None:
        query = query.where(QuestionVersion.question_id == question_id)
    return [_Failure(*row) for row in session.execute(query)]


def _track_modules(session: Session, keys: Collection[str]) -> dict[str, _TrackModules]:
    """The tracks' stages and current module titles, in two queries."""
    if not keys:
        return {}
    tracks = session.scalars(sa.select(Track).where(Track.key.in_(list(keys)))
                             .options(joinedload(Track.current_version))).all()
    titles: dict[str, dict[str, str]] = defaultdict(dict)
    for track_key, module_key, title in session.execute(
            sa.select(Track.key, Module.key, ModuleVersion.title)
            .join(Module, Module.track_id == Track.id)
            .join(ModuleVersion, ModuleVersion.id == Module.current_version_id)
            .where(Track.key.in_(list(keys)))):
        titles[track_key][module_key] = title
    return {t.key: _TrackModules(title=t.current_version.title, stages=t.current_version.stages,
                                 titles=titles[t.key])
            for t in tracks if t.current_version is not None}


def _gaps(session: Session, failures: list[_Failure]
          ) -> tuple[dict[int, QuestionModuleGaps], dict[str, _TrackModules]]:
    """Per question id: who failed it and the modules they had not opened before the attempt
    (a trainee counts once per module, whichever failed attempt found it unopened)."""
    track_keys = {f.track_key for f in failures if f.track_key}
    tracks = _track_modules(session, track_keys)
    opened = progress.first_openings(session, user_ids={f.user_id for f in failures},
                                     track_keys=track_keys)
    missed: dict[int, dict[int, set[tuple[str, str]]]] = defaultdict(lambda: defaultdict(set))
    for f in failures:
        seen = missed[f.question_id][f.user_id]  # the trainee failed it, modules or not
        track = tracks.get(f.track_key or "")
        if track is None or f.track_key is None:
            continue
        for module_key in track.scope(f.stage_key):
            first = opened.get((f.user_id, f.track_key, module_key))
            if first is None or first >= f.started_at:
                seen.add((f.track_key, module_key))
    result = {}
    for question_id, by_user in missed.items():
        counts = Counter(m for modules in by_user.values() for m in modules)
        ordered = sorted(counts.items(),
                         key=lambda item: (-item[1], item[0][0], tracks[item[0][0]].position(
                             item[0][1])))
        result[question_id] = QuestionModuleGaps(
            question_id=question_id, failed=len(by_user),
            modules=tuple(ModuleGap(track_key, module_key, tracks[track_key].titles[module_key],
                                    n) for (track_key, module_key), n in ordered))
    return result, tracks


def unopened_modules_for_question(session: Session, *, question_id: int,
                                  cohort_ids: Collection[int]) -> QuestionModuleGaps:
    """For one question (`Question.id`, every version) and the active trainees of the cohorts
    (the caller passes those the reader may see, `access.visible_cohort_ids`): how many failed
    it in a graded attempt, and which modules of the exam's stage and the earlier stages
    they had not opened (`progress.first_openings`) before that attempt started."""
    if not cohort_ids:
        return QuestionModuleGaps(question_id=question_id, failed=0)
    gaps, _ = _gaps(session, _failures(session, cohort_ids=cohort_ids, question_id=question_id))
    return gaps.get(question_id, QuestionModuleGaps(question_id=question_id, failed=0))


def unopened_modules_by_question(session: Session, *, cohort_ids: Collection[int]
                                 ) -> dict[int, QuestionModuleGaps]:
    """`unopened_modules_for_question` for every question the cohorts' active trainees
    failed, by `Question.id`, in the same few queries (for a page listing many questions)."""
    if not cohort_ids:
        return {}
    return _gaps(session, _failures(session, cohort_ids=cohort_ids))[0]


@dataclass(frozen=True)
class QuestionGaps:
    """A question the cohort failed, as the cohort page lists it."""

    question_id: int
    qid: str            # the question's id in its bank
    bank_title: str
    label: str          # its title, or the start of its prompt
    versions: tuple[int, ...]   # the versions answered wrong
    exam_titles: tuple[str, ...]
    gaps: QuestionModuleGaps
    track_titles: dict[str, str] = field(default_factory=dict)  # track key -> title

    @property
    def top(self) -> tuple[ModuleGap, ...]:
        return self.gaps.modules[:TOP_MODULES]


def _question_rows(session: Session, failures: list[_Failure],
                   gaps: dict[int, QuestionModuleGaps],
                   tracks: dict[str, _TrackModules]) -> list[QuestionGaps]:
    if not failures:
        return []
    versions = session.execute(
        sa.select(QuestionVersion, Question.qid, QuestionBank.title)
        .join(Question, Question.id == QuestionVersion.question_id)
        .join(QuestionBank, QuestionBank.id == Question.bank_id)
        .where(QuestionVersion.id.in_({f.version_id for f in failures}))).all()
    latest: dict[int, tuple[QuestionVersion, str, str]] = {}
    numbers: dict[int, set[int]] = defaultdict(set)
    for version, qid, bank_title in versions:
        numbers[version.question_id].add(version.number)
        seen = latest.get(version.question_id)
        if seen is None or version.number > seen[0].number:
            latest[version.question_id] = (version, qid, bank_title)
    exam_titles: dict[int, set[str]] = defaultdict(set)
    for f in failures:
        exam_titles[f.question_id].add(f.exam_title)
    track_titles = {key: t.title for key, t in tracks.items()}
    rows = []
    for question_id, (version, qid, bank_title) in latest.items():
        definition = version.definition
        rows.append(QuestionGaps(
            question_id=question_id, qid=qid, bank_title=bank_title,
            label=definition.title or excerpt(definition.summary_text),
            versions=tuple(sorted(numbers[question_id])),
            exam_titles=tuple(sorted(exam_titles[question_id])), gaps=gaps[question_id],
            track_titles=track_titles))
    rows.sort(key=lambda r: (-(r.top[0].not_opened if r.top else 0), -r.gaps.failed,
                             r.bank_title, r.qid))
    return rows


# --- the cohort page ----------------------------------------------------------------------


@dataclass(frozen=True)
class CohortAnalytics:
    cohort: Cohort
    track_title: str | None  # None while the cohort's track is not published
    trainees: int            # active trainees
    stages: tuple[StageTime, ...]
    chart: Chart | None
    assessments: tuple[AssessmentAttempts, ...]
    questions: tuple[QuestionGaps, ...]
    on: date                 # today in the reader's time zone (the files' names)

    @property
    def warnings(self) -> tuple[WarningCode, ...]:
        return rules.small_sample(self.trainees)

    @property
    def with_gaps(self) -> tuple[QuestionGaps, ...]:
        """The failed questions some of whose failers had not opened a module, most first."""
        return tuple(q for q in self.questions if q.gaps.modules)

    @property
    def without_gaps(self) -> tuple[QuestionGaps, ...]:
        """The failed questions whose failers had all opened every module before."""
        return tuple(q for q in self.questions if not q.gaps.modules)


def cohort_analytics(session: Session, *, actor: User, cohort_id: int, now: datetime,
                     tz: tzinfo) -> CohortAnalytics:
    """Stage times, pass rates per attempt number and the failed questions' unopened
    modules of a cohort `actor` follows (another is "not found")."""
    cohort = _followed_cohort(session, actor=actor, cohort_id=cohort_id)
    reads = _read_cohort(session, actor=actor, cohort=cohort, now=now, tz=tz)
    today = now.astimezone(tz).date()
    times = rules.stage_times(stages=_specs(reads.stages), start=cohort.start_date,
                              passed_on=reads.passed_on, today=today)
    # The attempts first: reading them submits those whose time is up, which the failed
    # questions must then include.
    assessments = _assessments(session, stages=reads.stages, trainees=reads.trainees, now=now)
    failures = _failures(session, cohort_ids=[cohort.id])
    gaps, tracks = _gaps(session, failures)
    return CohortAnalytics(
        cohort=cohort, track_title=reads.track_title, trainees=len(reads.trainees),
        stages=tuple(times), chart=cohort_charts.stage_times(times) if times else None,
        assessments=tuple(assessments),
        questions=tuple(_question_rows(session, failures, gaps, tracks)), on=today)


# --- the cohorts side by side -------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentColumn:
    column: str         # AssessmentAttempts.column
    title: str
    stage_title: str
    kind_label: str


@dataclass(frozen=True)
class CohortRow:
    cohort: Cohort
    trainees: int
    finish_days: tuple[int, ...]  # working day each trainee who passed every stage finished
    first: dict[str, AttemptNumberRow]  # column -> the first attempts

    @property
    def finished(self) -> int:
        return len(self.finish_days)

    @property
    def median_days(self) -> float | None:
        return rules.median(self.finish_days)

    @property
    def warnings(self) -> tuple[WarningCode, ...]:
        return rules.small_sample(self.trainees)


@dataclass(frozen=True)
class TrackGroup:
    """The followed cohorts of one track (their assessments are the same columns)."""

    track_key: str
    track_title: str | None  # None while the track is not published
    stage_count: int
    columns: tuple[AssessmentColumn, ...]
    rows: tuple[CohortRow, ...]


@dataclass(frozen=True)
class CohortsOverview:
    groups: tuple[TrackGroup, ...]
    on: date

    @property
    def cohorts(self) -> int:
        return sum(len(g.rows) for g in self.groups)


def cohorts_overview(session: Session, *, actor: User, now: datetime,
                     tz: tzinfo) -> CohortsOverview:
    """Every cohort `actor` follows, newest first, grouped by track: size, start, the median
    working day they finished the track on, and each stage assessment's first-attempt pass
    rate."""
    access.check_sees_trainees(actor)
    rows: dict[str, list[CohortRow]] = defaultdict(list)
    columns: dict[str, tuple[AssessmentColumn, ...]] = {}
    titles: dict[str, str | None] = {}
    stage_counts: dict[str, int] = {}
    for cohort in access.visible_cohorts(session, actor=actor):
        reads = _read_cohort(session, actor=actor, cohort=cohort, now=now, tz=tz)
        assessments = _assessments(session, stages=reads.stages, trainees=reads.trainees,
                                   now=now)
        key = cohort.track_key
        titles[key] = reads.track_title
        stage_counts[key] = len(reads.stages)
        columns.setdefault(key, tuple(
            AssessmentColumn(column=a.column, title=a.title, stage_title=a.stage_title,
                             kind_label=a.kind_label) for a in assessments))
        rows[key].append(CohortRow(
            cohort=cohort, trainees=len(reads.trainees),
            finish_days=tuple(rules.track_finish_days(
                stage_keys=[s.key for s in reads.stages], start=cohort.start_date,
                passed_on=reads.passed_on)),
            first={a.column: a.first for a in assessments}))
    order = sorted(rows, key=lambda k: (titles[k] is None, titles[k] or "", k))
    return CohortsOverview(
        groups=tuple(TrackGroup(track_key=k, track_title=titles[k], stage_count=stage_counts[k],
                                columns=columns[k], rows=tuple(rows[k])) for k in order),
        on=now.astimezone(tz).date())


# --- the tables as files ------------------------------------------------------------------


Cell = str | float | int | Message | None  # a Message is translated by the web layer


@dataclass(frozen=True)
class Table:
    """A page's table as a file: headers and rows (messages for the web layer to translate)."""

    headers: tuple[Message, ...]
    rows: tuple[tuple[Cell, ...], ...]


def _warnings(codes: Iterable[WarningCode]) -> Message | None:
    codes = list(codes)
    return msg(WARNING_NOTES[codes[0]]) if codes else None


def _number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(value, 1)


def stages_table(page: CohortAnalytics) -> Table:
    headers = (msg(N_("阶段")), msg(N_("计划用时")), msg(N_("计划天数（工作日）")),
               msg(N_("已完成人数")), msg(N_("用时中位数（工作日）")), msg(N_("最短（工作日）")),
               msg(N_("最长（工作日）")), msg(N_("超出计划人数")), msg(N_("进行中人数")),
               msg(N_("进行中且已超出计划人数")), msg(N_("尚未开始人数")), msg(N_("在训人数")),
               msg(N_("提示")))
    rows = tuple((f"{s.number}. {s.title}", s.duration or None, s.plan.days, s.finished,
                  _number(s.median), s.shortest, s.longest, s.late, s.on_it, s.overdue,
                  s.not_started, s.total, _warnings(s.warnings)) for s in page.stages)
    return Table(headers=headers, rows=rows)


def attempts_table(page: CohortAnalytics) -> Table:
    headers = (msg(N_("考核")), msg(N_("类型")), msg(N_("阶段")), msg(N_("第几次作答")),
               msg(N_("作答次数")), msg(N_("通过")), msg(N_("未通过")), msg(N_("待评分")),
               msg(N_("作答中")), msg(N_("通过率（%%）")), msg(N_("提示")))
    rows = tuple((a.title, msg(a.kind_label), a.stage_title, r.number, r.made, r.passed,
                  r.failed, r.pending, r.in_progress, rules.percent(r.rate),
                  _warnings(r.warnings))
                 for a in page.assessments for r in a.rows)
    return Table(headers=headers, rows=rows)


def modules_table(page: CohortAnalytics) -> Table:
    """One line per question and module not opened (every module, not only the top ones)."""
    headers = (msg(N_("题库")), msg(N_("题目编号")), msg(N_("题目")), msg(N_("版本")),
               msg(N_("考试")), msg(N_("答错人数")), msg(N_("培训路线")), msg(N_("模块")),
               msg(N_("答错且答题前没打开过该模块的人数")))
    rows: list[tuple[Cell, ...]] = []
    for q in page.questions:
        common: tuple[Cell, ...] = (q.bank_title, q.qid, q.label,
                                    "、".join(str(v) for v in q.versions),
                                    "、".join(q.exam_titles), q.gaps.failed)
        if not q.gaps.modules:
            rows.append((*common, None, None, 0))
        for gap in q.gaps.modules:
            rows.append((*common, q.track_titles.get(gap.track_key), gap.title, gap.not_opened))
    return Table(headers=headers, rows=tuple(rows))


def overview_table(overview: CohortsOverview) -> Table:
    """One line per cohort; each assessment of every track a pair of columns (the first
    attempts' pass rate and how many have a result), empty for another track's cohorts."""
    columns = [c for g in overview.groups for c in g.columns]
    headers: list[Message] = [msg(N_("批次")), msg(N_("培训路线")), msg(N_("开始日期")),
                              msg(N_("在训人数")), msg(N_("完成路线人数")),
                              msg(N_("完成路线用时中位数（工作日）"))]
    for c in columns:
        headers += [msg(N_("%(title)s 首次通过率（%%）"), title=c.title),
                    msg(N_("%(title)s 首次作答已出结果"), title=c.title),
                    msg(N_("%(title)s 首次作答待评分"), title=c.title)]
    headers.append(msg(N_("提示")))
    rows = []
    for group in overview.groups:
        for row in group.rows:
            cells: list[Cell] = [row.cohort.name, group.track_title,
                                 row.cohort.start_date.isoformat(), row.trainees, row.finished,
                                 _number(row.median_days)]
            for c in columns:
                first = row.first.get(c.column)
                cells += ([rules.percent(first.rate), first.graded, first.pending]
                          if first is not None else [None, None, None])
            small = [*row.warnings, *(w for f in row.first.values() for w in f.warnings)]
            cells.append(_warnings(small))
            rows.append(tuple(cells))
    return Table(headers=tuple(headers), rows=tuple(rows))
