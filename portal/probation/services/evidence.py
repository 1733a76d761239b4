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


def _exam(session: Session, trainee: User, key: str, now: datetime) -> AssessmentEvidence:
    try:
        record = exams.exam_record(session, user=trainee, exam_key=key, now=now)
    except DomainError:  # not online, or its stage not open to the trainee yet
        return AssessmentEvidence(AssessmentKind.EXAM, key, _exam_title(session, key),
                                  passed=False, available=False)
    attempts = tuple(
        AttemptEvidence(id=a.attempt_id, number=a.number, score=a.score,
                        passed=None if a.state is AttemptState.PENDING
                        else a.state is AttemptState.PASSED)
        for a in record.attempts if a.state is not AttemptState.IN_PROGRESS)
    return AssessmentEvidence(AssessmentKind.EXAM, key, record.title, passed=record.passed,
                              attempts=attempts)


def _exam_title(session: Session, key: str) -> str:
    try:
        version = exams.get_exam(session, key).current_version
    except DomainError:
        return ""
    return version.title if version is not None else ""


def _chat(session: Session, trainee: User, key: str, now: datetime) -> AssessmentEvidence:
    try:
        status = chat.drill_status(session, user=trainee, drill_key=key, now=now)
    except DomainError:
        title = ""
        try:
            version = chat.get_drill(session, key).current_version
            title = version.title if version is not None else ""
        except DomainError:
            pass
        return AssessmentEvidence(AssessmentKind.CHAT_EXAM, key, title, passed=False,
                                  available=False)
    attempts = []
    for a in status.attempts:
        if a.ended_at is None:  # still in progress
            continue
        result = chat_review.engine_result(a)
        labels = tuple(v.id.label for v in result.violations) if result is not None else ()
        attempts.append(AttemptEvidence(id=a.id, number=a.number, score=a.score,
                                        passed=bool(a.passed), violations=labels))
    return AssessmentEvidence(AssessmentKind.CHAT_EXAM, key, status.version.title,
                              passed=status.passed, attempts=tuple(attempts))


def assessment_evidence(session: Session, *, trainee: User, refs: list[AssessmentRef],
                        now: datetime) -> tuple[AssessmentEvidence, ...]:
    return tuple(_exam(session, trainee, r.key, now) if r.kind is AssessmentKind.EXAM
                 else _chat(session, trainee, r.key, now) for r in refs)


def cohort_forms(session: Session, *, actor: User, cohort_id: int,
                 form_keys: list[str]) -> dict[int, dict[str, FormEvidence]]:
    """Each trainee's current observation entries per form (trainee id -> form key -> form);
    a form not imported is left out. Four queries a form, whatever the cohort's size."""
    imported = {c.key for c in observations.form_choices(session)}
    found: dict[int, dict[str, FormEvidence]] = {}
    for key in form_keys:
        if key not in imported:
            continue
        grid = observations.cohort_grid(session, actor=actor, cohort_id=cohort_id, form_key=key)
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
