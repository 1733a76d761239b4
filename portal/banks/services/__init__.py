"""Question banks in the browser, one module per seam: uploads (check as a dry run, then
import all or nothing), browsing and exports, the question editor, and the lint over the
stored banks (`quality`).

Everything goes through the exams domain's own loaders and import path, so an upload or an
edited question obeys the same rules as `flask exams import`. The public names of the three
modules are re-exported here, so callers write `banks.services.check_upload(...)`.
"""
from __future__ import annotations

from portal.banks.services.browsing import (  # noqa: F401
    BankListing,
    BankSummary,
    QuestionDetail,
    QuestionRow,
    VersionEntry,
    bank_listing,
    bank_overview,
    current_bank,
    export_gift,
    export_yaml,
    get_bank,
    get_question,
    question_detail,
    stage_choices,
)
from portal.banks.services.editor import (  # noqa: F401
    MAX_QUESTION_BYTES,
    CheckedQuestion,
    QuestionProblem,
    check_question,
    check_question_data,
    new_question_id,
    new_question_text,
    question_yaml,
    save_checked,
    save_question,
)
from portal.banks.services.quality import (  # noqa: F401
    acknowledge_warning,
    bank_warnings,
    edited_warnings,
    lint_stored,
    question_warnings,
    stored_banks,
)
from portal.banks.services.uploads import (  # noqa: F401
    MAX_UPLOAD_BYTES,
    MAX_UPLOAD_FILES,
    CheckedFile,
    UploadCheck,
    UploadedFile,
    check_upload,
    confirm_upload,
    exams_broken_by,
)
