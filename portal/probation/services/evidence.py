"""A trainee's probation evidence, read through each domain's own services.

Written exams through `portal.exams` (`exam_record`), chat exams through `portal.chat`
(`drill_status`, the engine's stored violations via `review.engine_result`), observation
entries through `portal.observations` (`cohort_grid`), which stages name which
assessments through `portal.courses`; never their tables (CONVENTIONS 15).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.chat.services import attempts as chat
from portal.chat.services import review as chat_review
from portal.courses import services as courses
from portal.courses.rules import AssessmentSource
from portal.errors import DomainError
from portal.exams import services as exams
from portal.exams.services.attempts import AttemptState
from portal.observations import services as observations
from portal.probation.rules import (
    AssessmentEvidence,
    AssessmentKind,
    AssessmentRef,
    AttemptEvidence,
    FormEvidence,
    ItemEvidence,
    Policy,
)

_KINDS = {AssessmentSource.EXAM: AssessmentKind.EXAM,
          AssessmentSource.CHAT_EXAM: AssessmentKind.CHAT_EXAM}


def required_assessments(session: Session, *, policy: Policy,
                         track_key: str | None) -> tuple[list[AssessmentRef], bool]:
    """What the policy asks of a trainee on `track_key`: the track's stages' written and chat
    exams (when the policy says so) and those it names, each once, in stage order; and
    whether the policy asks for the track's but the track is not published."""
    found: list[AssessmentRef] = []
    missing = False
    if policy.track_assessments:
        stages = courses.stage_assessment_lists(session, track_key=track_key) if track_key else None
        missing = stages is None
        for assessments in (stages or {}).values():
            for a in assessments:
                if a.source in _KINDS and a.key:
                    found.append(AssessmentRef(_KINDS[a.source], a.key))
    found.extend(policy.assessments)
    return list(dict.fromkeys(found)), missing


def _exam_evidence(session: Session, key: str, trainees: list[User], now: datetime
                   ) -> dict[int, AssessmentEvidence]:
    try:
        records = exams.exam_records(session, users=trainees, exam_key=key, now=now)
    except DomainError:  # not online
        records = {t.id: None for t in trainees}
    title = _exam_title(session, key) if None in records.values() else ""
    found = {}
    for trainee_id, record in records.items():
        if record is None:  # not online, or its stage not open to the trainee yet
            found[trainee_id] = AssessmentEvidence(AssessmentKind.EXAM, key, title,
                                                   passed=False, available=False)
            continue
        attempts = tuple(
            AttemptEvidence(id=a.attempt_id, number=a.number, score=a.score,
                            passed=None if a.state is AttemptState.PENDING
                            else a.state is AttemptState.PASSED)
            for a in record.attempts if a.state is not AttemptState.IN_PROGRESS)
        found[trainee_id] = AssessmentEvidence(AssessmentKind.EXAM, key, record.title,
                                               passed=record.passed, attempts=attempts)
    return found


def _exam_title(session: Session, key: str) -> str:
    try:
        version = exams.get_exam(session, key).current_version
    except DomainError:
        return ""
    return version.title if version is not None else ""


def _drill_title(session: Session, key: str) -> str:
    try:
        version = chat.get_drill(session, key).current_version
    except DomainError:
        return ""
    return version.title if version is not None else ""


def _chat_evidence(session: Session, key: str, trainees: list[User], now: datetime
                   ) -> dict[int, AssessmentEvidence]:
    try:
        statuses = chat.drill_statuses(session, users=trainees, drill_key=key, now=now)
    except DomainError:  # not online
        statuses = {t.id: None for t in trainees}
    title = _drill_title(session, key) if None in statuses.values() else ""
    found = {}
    for trainee_id, status in statuses.items():
        if status is None:
            found[trainee_id] = AssessmentEvidence(AssessmentKind.CHAT_EXAM, key, title,
                                                   passed=False, available=False)
            continue
        attempts = []
        for a in status.attempts:
            if a.ended_at is None:  # still in progress
                continue
            result = chat_review.engine_result(a)
            labels = tuple(v.id.label for v in result.violations) if result is not None else ()
            attempts.append(AttemptEvidence(id=a.id, number=a.number, score=a.score,
                                            passed=bool(a.passed), violations=labels))
        found[trainee_id] = AssessmentEvidence(AssessmentKind.CHAT_EXAM, key,
                                               status.version.title, passed=status.passed,
                                               attempts=tuple(attempts))
    return found


def assessment_evidence(session: Session, *, trainees: list[User], refs: list[AssessmentRef],
                        now: datetime) -> dict[int, tuple[AssessmentEvidence, ...]]:
    """Each trainee's evidence for `refs`, in their order, by trainee id: a few queries per
    assessment whatever the number of trainees (a cohort's dashboard reads 200 at once)."""
    per_ref = [(_exam_evidence if r.kind is AssessmentKind.EXAM else _chat_evidence)(
        session, r.key, trainees, now) for r in refs]
    return {t.id: tuple(found[t.id] for found in per_ref) for t in trainees}


def cohort_forms(session: Session, *, actor: User, cohort_id: int,
                 form_keys: list[str]) -> dict[int, dict[str, FormEvidence]]:
    """Each trainee's current observation entries per form (trainee id -> form key -> form);
    a form not imported is left out. Four queries a form, whatever the cohort's size."""
    imported = {c.key for c in observations.form_choices(session)}
    found: dict[int, dict[str, FormEvidence]] = {}
    for key in form_keys:
        if key not in imported:
            continue
        grid = observations.cohort_grid(session, actor=actor, cohort_id=cohort_id, form_key=key,
                                    with_chat=False)
        for row in grid.rows:
            items = []
            for item in grid.form.items:
                current = row.cells[item.key].current
                items.append(ItemEvidence(key=item.key, title=item.title, required=item.required,
                                          entry_id=current.id if current else None,
                                          score=current.score if current else None))
            found.setdefault(row.trainee.id, {})[key] = FormEvidence(
                key=key, title=grid.form.title, items=tuple(items))
    return found
