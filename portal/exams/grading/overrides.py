"""Per-trainee overrides of an exam (extra time, extra attempts), audited."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from portal.audit import services as audit
from portal.auth.models import User
from portal.errors import NotFound
from portal.exams import services
from portal.exams.errors import OverrideInvalid
from portal.exams.grading.common import (
    MAX_EXTRA_ATTEMPTS,
    MAX_EXTRA_MINUTES,
    MAX_REASON_CHARS,
    _check_trainer,
    _followed_trainee,
)
from portal.exams.models import (
    Attempt,
    AttemptStatus,
    Exam,
    ExamOverride,
)
from portal.messages import N_

# --- overrides ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverrideResult:
    trainee: User
    override: ExamOverride
    extended: Attempt | None  # the attempt in progress whose deadline moved


def override_target(session: Session, *, actor: User, exam_key: str,
                    trainee_id: int) -> tuple[Exam, User]:
    """The exam and the trainee a trainer may grant an override for (or the refusal)."""
    exam = services.get_exam(session, exam_key)
    trainee = _followed_trainee(session, actor, trainee_id)
    _check_trainer(actor)
    version = exam.current_version
    assert version is not None
    cohort = trainee.cohort
    if not trainee.active or (version.track_key and (cohort is None
                                                     or cohort.track_key != version.track_key)):
        raise NotFound(N_("该新客服不参加这场考试"))
    return exam, trainee


def create_override(session: Session, *, actor: User, exam_key: str, trainee_id: int,
                    extra_minutes: int, extra_attempts: int, reason: str,
                    now: datetime) -> OverrideResult:
    """Grant a trainee extra minutes and/or attempts, with a reason (audited). An attempt in
    progress gets its deadline moved at once; later attempts get the time when they start."""
    exam, trainee = override_target(session, actor=actor, exam_key=exam_key,
                                    trainee_id=trainee_id)
    reason = (reason or "").strip()
    if not 0 <= extra_minutes <= MAX_EXTRA_MINUTES:
        raise OverrideInvalid(N_("加时应在 0 到 %(n)d 分钟之间"), n=MAX_EXTRA_MINUTES)
    if not 0 <= extra_attempts <= MAX_EXTRA_ATTEMPTS:
        raise OverrideInvalid(N_("补考次数应在 0 到 %(n)d 次之间"), n=MAX_EXTRA_ATTEMPTS)
    if not extra_minutes and not extra_attempts:
        raise OverrideInvalid(N_("请填写加时分钟数或补考次数"))
    if not reason:
        raise OverrideInvalid(N_("请填写原因"))
    if len(reason) > MAX_REASON_CHARS:
        raise OverrideInvalid(N_("原因最多 %(n)d 个字"), n=MAX_REASON_CHARS)
    override = ExamOverride(user_id=trainee.id, exam_id=exam.id, extra_minutes=extra_minutes,
                            extra_attempts=extra_attempts, reason=reason, by_user_id=actor.id,
                            created_at=now)
    session.add(override)
    extended = None
    for attempt in services.attempts_of(session, user_id=trainee.id, exam_id=exam.id):
        # An attempt whose time is already up is submitted as the rules promise; extra
        # time cannot reopen it (an extra attempt can give another go).
        services.finalize_if_expired(session, attempt=attempt, now=now)
        if attempt.status is AttemptStatus.IN_PROGRESS and extra_minutes:
            attempt.deadline_at = attempt.deadline_at + timedelta(minutes=extra_minutes)
            extended = attempt
    session.flush()
    audit.record(session, actor_id=actor.id, action="exam.override", target_type="user",
                 target_id=trainee.id,
                 details={"exam": exam.key, "extra_minutes": extra_minutes,
                          "extra_attempts": extra_attempts, "reason": reason,
                          "attempt": extended.id if extended else None,
                          "deadline": extended.deadline_at.isoformat() if extended else None},
                 now=now)
    return OverrideResult(trainee=trainee, override=override, extended=extended)
