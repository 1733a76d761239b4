"""The trainer's side of exams, one module per seam: the grading queue and its locks (`queue`),
grading one response against its rubric (`manual`), staff views of results and attempts
(`results`), per-trainee overrides (`overrides`) and regrading after a key is fixed
(`regrade`). `common` holds who may reach what: staff see the attempts of the trainees
`portal.auth.access` lets them see; only trainers grade, grant overrides and regrade.
Public names are re-exported here.
"""
from __future__ import annotations

from portal.exams.grading.common import (  # noqa: F401
    FINISHED,
    LOCK_MINUTES,
    LOCK_TTL,
    MAX_COMMENT_CHARS,
    MAX_EXTRA_ATTEMPTS,
    MAX_EXTRA_MINUTES,
    MAX_REASON_CHARS,
    followed_cohort_ids,
    lock_live,
)
from portal.exams.grading.manual import (  # noqa: F401
    GradingPage,
    GradingSection,
    RubricLine,
    claim_response,
    grade_response,
    grading_page,
    grading_sections,
    release_response,
)
from portal.exams.grading.overrides import (  # noqa: F401
    OverrideResult,
    create_override,
    override_target,
)
from portal.exams.grading.queue import (  # noqa: F401
    ExamChoice,
    GradingQueue,
    QueueItem,
    grading_queue,
)
from portal.exams.grading.regrade import (  # noqa: F401
    Regraded,
    RegradeLine,
    RegradePlan,
    apply_regrade,
    plan_regrade,
    regraded,
)
from portal.exams.grading.results import (  # noqa: F401
    AttemptReview,
    ExamResults,
    ExamSummary,
    OverrideLine,
    StaffReviewItem,
    TraineeResult,
    attempt_review,
    exam_results,
    exams_overview,
)
