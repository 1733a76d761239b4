"""Probation (转正) as pure rules: the policy, the evidence, and the recommendation with reasons.

`recommend(policy, evidence, today)` says what the portal recommends for one trainee:
confirm on schedule, extend the observation period to a new date, or do not confirm, with
every reason and, for each, the evidence it rests on (an attempt, an observation entry) as
typed references the views turn into links. What each failure leads to is the policy's
(`question_banks/probation/policy.yaml`, docs/probation.md), not this module's.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from portal.messages import N_, Message, msg


class Outcome(StrEnum):
    """What is recommended, proposed or decided; the value is stored in the trail's rows."""

    CONFIRM = "confirm"  # 按期转正
    EXTEND = "extend"  # 延长考察期
    DO_NOT_CONFIRM = "do_not_confirm"  # 不予转正

    @property
    def label(self) -> str:
        return _OUTCOME_LABELS[self]

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_OUTCOME_LABELS = {
    Outcome.CONFIRM: N_("按期转正"),
    Outcome.EXTEND: N_("延长考察期"),
    Outcome.DO_NOT_CONFIRM: N_("不予转正"),
}
_SEVERITY = {Outcome.CONFIRM: 0, Outcome.EXTEND: 1, Outcome.DO_NOT_CONFIRM: 2}


class Finding(StrEnum):
    """A kind of reason. The failures are the keys of the policy's `outcomes:`."""

    ASSESSMENT_PASSED = "assessment_passed"
    STANDARD_MET = "standard_met"
    NO_CRITICAL = "no_critical"
    # failures
    ASSESSMENT_MISSING = "assessment_missing"  # not taken yet, or still being graded
    ASSESSMENT_FAILED = "assessment_failed"  # taken, not passed
    OBSERVATION_MISSING = "observation_missing"  # too few items scored on a form
    STANDARD_NEAR_MISS = "standard_near_miss"  # a form's mean short by at most the margin
    STANDARD_MISSED = "standard_missed"  # further short, or a required item too low
    CRITICAL_VIOLATION = "critical_violation"  # one critical violation in the chat exams
    CRITICAL_REPEATED = "critical_repeated"  # as many as the policy's repeat limit
    MISSED_AFTER_EXTENSION = "missed_after_extension"  # a failure after an extension

    @property
    def is_failure(self) -> bool:
        return self not in (Finding.ASSESSMENT_PASSED, Finding.STANDARD_MET, Finding.NO_CRITICAL)


FAILURES = tuple(f for f in Finding if f.is_failure and f is not Finding.MISSED_AFTER_EXTENSION)
# What a failure leads to when the policy file does not say.
DEFAULT_OUTCOMES: dict[Finding, Outcome] = {
    Finding.ASSESSMENT_MISSING: Outcome.EXTEND,
    Finding.ASSESSMENT_FAILED: Outcome.EXTEND,
    Finding.OBSERVATION_MISSING: Outcome.EXTEND,
    Finding.STANDARD_NEAR_MISS: Outcome.EXTEND,
    Finding.STANDARD_MISSED: Outcome.DO_NOT_CONFIRM,
    Finding.CRITICAL_VIOLATION: Outcome.EXTEND,
    Finding.CRITICAL_REPEATED: Outcome.DO_NOT_CONFIRM,
}


class AssessmentKind(StrEnum):
    EXAM = "exam"  # a written exam (portal.exams)
    CHAT_EXAM = "chat-exam"  # a simulated-chat drill (portal.chat)

    @property
    def label(self) -> str:
        return N_("笔试") if self is AssessmentKind.EXAM else N_("模拟接待考核")


# --- the policy -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentRef:
    kind: AssessmentKind
    key: str


@dataclass(frozen=True)
class FormStandard:
    """The observation standard of one form: its mean, its required items, how many scored."""

    form: str
    min_mean: float
    min_required: int  # no required item below this
    min_items: int  # at least this many items scored


@dataclass(frozen=True)
class Policy:
    probation_days: int  # the scheduled confirmation: hire date (or cohort start) + these days
    extension_days: int  # an extension moves the date this far
    track_assessments: bool  # every assessment the trainee's track's stages name
    assessments: tuple[AssessmentRef, ...]  # and these, by key
    standards: tuple[FormStandard, ...]
    near_miss_margin: float  # a mean short by at most this is a near miss
    no_critical: bool  # chat exams without critical violations
    critical_repeat: int  # this many critical violations are "repeated"
    outcomes: dict[Finding, Outcome] = field(default_factory=lambda: dict(DEFAULT_OUTCOMES))
    after_extension: Outcome = Outcome.DO_NOT_CONFIRM  # any failure once extended

    def outcome_of(self, finding: Finding) -> Outcome:
        if finding is Finding.MISSED_AFTER_EXTENSION:
            return self.after_extension
        if not finding.is_failure:
            return Outcome.CONFIRM
        return self.outcomes.get(finding, DEFAULT_OUTCOMES[finding])

    def to_data(self) -> dict[str, Any]:
        data = asdict(self)
        data["outcomes"] = {k.value: v.value for k, v in self.outcomes.items()}
        return data

    @property
    def content_hash(self) -> str:
        text = json.dumps(self.to_data(), ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- the evidence -----------------------------------------------------------------------------


class EvidenceKind(StrEnum):
    EXAM_ATTEMPT = "exam-attempt"
    CHAT_ATTEMPT = "chat-attempt"
    OBSERVATION_ENTRY = "observation-entry"


@dataclass(frozen=True)
class EvidenceRef:
    """What a reason rests on, enough for a link and its text: an attempt (its id, number,
    score) or an observation entry (its id, the form and item it scores, the score)."""

    kind: EvidenceKind
    id: int
    title: str  # the exam's or the item's title
    number: int = 0  # an attempt's number
    score: float | None = None
    form_key: str = ""  # an entry's form and item, for its history page
    item: str = ""

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> EvidenceRef:
        return cls(**{**data, "kind": EvidenceKind(data["kind"])})


@dataclass(frozen=True)
class AttemptEvidence:
    id: int
    number: int
    score: float | None
    passed: bool | None  # None while it is being graded
    violations: tuple[str, ...] = ()  # Chinese labels of the critical violations


@dataclass(frozen=True)
class AssessmentEvidence:
    kind: AssessmentKind
    key: str
    title: str
    passed: bool
    attempts: tuple[AttemptEvidence, ...] = ()  # finished attempts, oldest first
    available: bool = True  # False: not online, or not open to the trainee yet

    def ref(self, attempt: AttemptEvidence) -> EvidenceRef:
        kind = (EvidenceKind.EXAM_ATTEMPT if self.kind is AssessmentKind.EXAM
                else EvidenceKind.CHAT_ATTEMPT)
        return EvidenceRef(kind=kind, id=attempt.id, title=self.title, number=attempt.number,
                           score=attempt.score)


@dataclass(frozen=True)
class ItemEvidence:
    key: str
    title: str
    required: bool
    entry_id: int | None = None  # the current entry of the cell
    score: int | None = None


@dataclass(frozen=True)
class FormEvidence:
    key: str
    title: str
    items: tuple[ItemEvidence, ...]

    @property
    def scored(self) -> tuple[ItemEvidence, ...]:
        return tuple(i for i in self.items if i.score is not None)

    @property
    def mean(self) -> float | None:
        scores = [i.score for i in self.scored if i.score is not None]
        return round(sum(scores) / len(scores), 2) if scores else None

    def ref(self, item: ItemEvidence) -> EvidenceRef:
        assert item.entry_id is not None
        return EvidenceRef(kind=EvidenceKind.OBSERVATION_ENTRY, id=item.entry_id,
                           title=item.title, score=item.score, form_key=self.key, item=item.key)


@dataclass(frozen=True)
class Evidence:
    """Everything the recommendation reads for one trainee."""

    scheduled: date  # the scheduled confirmation date (an extension's new date once extended)
    assessments: tuple[AssessmentEvidence, ...]
    forms: dict[str, FormEvidence]  # by form key; a form not imported is absent
    extended: bool = False  # an earlier decision extended the observation period
    track_missing: bool = False  # the policy asks for the track's assessments; none is published


# --- the recommendation -----------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    finding: Finding
    outcome: Outcome  # what this reason alone leads to
    message: Message
    evidence: tuple[EvidenceRef, ...] = ()

    def to_data(self) -> dict[str, Any]:
        return {"finding": self.finding.value, "outcome": self.outcome.value,
                "text": self.message.text, "params": self.message.params,
                "evidence": [asdict(e) | {"kind": e.kind.value} for e in self.evidence]}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Reason:
        return cls(finding=Finding(data["finding"]), outcome=Outcome(data["outcome"]),
                   message=Message(data["text"], dict(data["params"])),
                   evidence=tuple(EvidenceRef.from_data(e) for e in data["evidence"]))


@dataclass(frozen=True)
class Recommendation:
    outcome: Outcome
    date: date  # confirm: the scheduled date; extend: the new date; do not confirm: today
    reasons: tuple[Reason, ...]

    @property
    def failures(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.finding.is_failure)

    def to_data(self) -> dict[str, Any]:
        """The JSON a proposal pins (the recommendation as it was when proposed)."""
        return {"outcome": self.outcome.value, "date": self.date.isoformat(),
                "reasons": [r.to_data() for r in self.reasons]}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Recommendation:
        return cls(outcome=Outcome(data["outcome"]), date=date.fromisoformat(data["date"]),
                   reasons=tuple(Reason.from_data(r) for r in data["reasons"]))


def _assessment_reasons(policy: Policy, a: AssessmentEvidence) -> list[Reason]:
    name = {"title": a.title}
    if a.passed:
        best = max((t for t in a.attempts if t.passed), key=lambda t: t.score or 0.0,
                   default=None)
        refs = (a.ref(best),) if best is not None else ()
        return [Reason(Finding.ASSESSMENT_PASSED, Outcome.CONFIRM,
                       msg(N_("已通过“%(title)s”"), **name), refs)]
    if not a.available:
        message = (msg(N_("“%(title)s”还不能参加，没有成绩"), **name) if a.title else
                   msg(N_("要求的一项%(kind)s尚未上线，没有成绩"), kind=a.kind.label))
        return [Reason(Finding.ASSESSMENT_MISSING, policy.outcome_of(Finding.ASSESSMENT_MISSING),
                       message)]
    graded = [t for t in a.attempts if t.passed is not None]
    pending = [t for t in a.attempts if t.passed is None]
    if not graded:
        text = (N_("“%(title)s”的答卷还在评分中，暂无成绩") if pending
                else N_("还没有参加“%(title)s”"))
        return [Reason(Finding.ASSESSMENT_MISSING, policy.outcome_of(Finding.ASSESSMENT_MISSING),
                       msg(text, **name), tuple(a.ref(t) for t in pending))]
    return [Reason(Finding.ASSESSMENT_FAILED, policy.outcome_of(Finding.ASSESSMENT_FAILED),
                   msg(N_("“%(title)s”未通过（共作答 %(n)d 次）"), n=len(graded), **name),
                   tuple(a.ref(t) for t in graded))]


def _critical_reasons(policy: Policy, assessments: tuple[AssessmentEvidence, ...]) -> list[Reason]:
    chats = [a for a in assessments if a.kind is AssessmentKind.CHAT_EXAM]
    if not policy.no_critical or not chats:
        return []
    hits = [(a, t, v) for a in chats for t in a.attempts for v in t.violations]
    if not hits:
        return [Reason(Finding.NO_CRITICAL, Outcome.CONFIRM,
                       msg(N_("模拟接待考核中没有严重违规")))]
    refs = tuple(dict.fromkeys(a.ref(t) for a, t, _ in hits))
    labels = "、".join(dict.fromkeys(v for _, _, v in hits))
    finding = (Finding.CRITICAL_REPEATED if len(hits) >= policy.critical_repeat
               else Finding.CRITICAL_VIOLATION)
    text = (N_("模拟接待考核中严重违规 %(n)d 次（%(labels)s）") if len(hits) > 1
            else N_("模拟接待考核中有一次严重违规（%(labels)s）"))
    return [Reason(finding, policy.outcome_of(finding), msg(text, n=len(hits), labels=labels),
                   refs)]


def _standard_reasons(policy: Policy, standard: FormStandard,
                      form: FormEvidence | None) -> list[Reason]:
    if form is None:
        return [Reason(Finding.OBSERVATION_MISSING, policy.outcome_of(Finding.OBSERVATION_MISSING),
                       msg(N_("观察表“%(form)s”尚未导入，没有观察记录"), form=standard.form))]
    title = {"form": form.title}
    scored = form.scored
    refs = tuple(form.ref(i) for i in scored)
    needed = min(standard.min_items, len(form.items))
    if len(scored) < needed:
        return [Reason(Finding.OBSERVATION_MISSING, policy.outcome_of(Finding.OBSERVATION_MISSING),
                       msg(N_("“%(form)s”只评了 %(n)d 项，至少要评 %(need)d 项"),
                           n=len(scored), need=needed, **title), refs)]
    unscored_required = [i for i in form.items if i.required and i.score is None]
    if unscored_required:
        names = "、".join(i.title for i in unscored_required)
        return [Reason(Finding.OBSERVATION_MISSING, policy.outcome_of(Finding.OBSERVATION_MISSING),
                       msg(N_("“%(form)s”的必评项还没有评分：%(items)s"), items=names, **title),
                       refs)]
    reasons: list[Reason] = []
    low = [i for i in scored if i.required and (i.score or 0) < standard.min_required]
    mean = form.mean or 0.0
    if low:
        names = "、".join(f"{i.title} {i.score}" for i in low)
        reasons.append(Reason(
            Finding.STANDARD_MISSED, policy.outcome_of(Finding.STANDARD_MISSED),
            msg(N_("“%(form)s”有必评项低于 %(min)d 分：%(items)s"), min=standard.min_required,
                items=names, **title), tuple(form.ref(i) for i in low)))
    if mean < standard.min_mean:
        near = not low and standard.min_mean - mean <= policy.near_miss_margin + 1e-9
        finding = Finding.STANDARD_NEAR_MISS if near else Finding.STANDARD_MISSED
        reasons.append(Reason(finding, policy.outcome_of(finding),
                              msg(N_("“%(form)s”平均 %(mean)s 分，低于 %(min)s 分的标准"),
                                  mean=f"{mean:g}", min=f"{standard.min_mean:g}", **title), refs))
    if not reasons:
        reasons.append(Reason(Finding.STANDARD_MET, Outcome.CONFIRM,
                              msg(N_("“%(form)s”达标：平均 %(mean)s 分，评了 %(n)d 项"),
                                  mean=f"{mean:g}", n=len(scored), **title), refs))
    return reasons


def recommend(policy: Policy, evidence: Evidence, today: date) -> Recommendation:
    """The recommendation for one trainee: the most severe outcome any reason leads to.

    Every reason is listed, passes included. Once the observation period was extended, a
    failure that would extend it again leads to the policy's `after_extension` instead (a
    reason of its own says so). An extension's new date counts from the scheduled date, or
    from today when that has passed.
    """
    reasons: list[Reason] = []
    if evidence.track_missing:
        reasons.append(Reason(Finding.ASSESSMENT_MISSING,
                              policy.outcome_of(Finding.ASSESSMENT_MISSING),
                              msg(N_("培训路线尚未发布，无法核对各阶段的考核"))))
    for assessment in evidence.assessments:
        reasons.extend(_assessment_reasons(policy, assessment))
    reasons.extend(_critical_reasons(policy, evidence.assessments))
    for standard in policy.standards:
        reasons.extend(_standard_reasons(policy, standard, evidence.forms.get(standard.form)))
    outcome = max((r.outcome for r in reasons), key=lambda o: o.severity, default=Outcome.CONFIRM)
    if evidence.extended and outcome is Outcome.EXTEND:
        reasons.append(Reason(Finding.MISSED_AFTER_EXTENSION, policy.after_extension,
                              msg(N_("考察期已经延长过一次，仍未达到转正标准"))))
        outcome = max(outcome, policy.after_extension, key=lambda o: o.severity)
    if outcome is Outcome.CONFIRM:
        when = evidence.scheduled
    elif outcome is Outcome.EXTEND:
        when = max(evidence.scheduled, today) + timedelta(days=policy.extension_days)
    else:
        when = today
    return Recommendation(outcome=outcome, date=when, reasons=tuple(reasons))


def scheduled_date(*, hire_date: date | None, cohort_start: date | None, policy: Policy,
                   extended_to: date | None) -> date | None:
    """When the trainee is due for confirmation: an extension's date, else the hire date (or
    the cohort's start) plus the probation period; None without either date."""
    if extended_to is not None:
        return extended_to
    start = hire_date or cohort_start
    return start + timedelta(days=policy.probation_days) if start else None
