"""The exams domain's services, one module per seam: importing banks and exam definitions
(`imports`) and taking attempts (`attempts`: start, autosave, submit, deadline, settling,
what the trainee sees). Their public names are re-exported here.
"""
from __future__ import annotations

from portal.exams.services.attempts import (  # noqa: F401
    MAX_ANSWER_BYTES,
    MAX_REVISION,
    AttemptRecord,
    AttemptState,
    ExamRecord,
    ExamStatus,
    Review,
    ReviewItem,
    SavedAnswer,
    ShownQuestion,
    attempt_graded_at,
    attempted_exam_keys,
    attempts_of,
    exam_record,
    exam_records,
    exam_status,
    existing_exam_keys,
    finalize_if_expired,
    get_attempt,
    get_exam,
    review,
    review_fields,
    save_answer,
    set_flag,
    settle_attempt,
    shown_question,
    shown_questions,
    start_attempt,
    submit_attempt,
    sweep_expired,
)
from portal.exams.services.imports import (  # noqa: F401
    ImportPlan,
    KnownBankFile,
    apply_import,
    blueprint_problems,
    candidate,
    known_bank_files,
    plan_import,
    pool_of,
    question_pool,
)
