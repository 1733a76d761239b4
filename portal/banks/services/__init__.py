"""Question banks in the browser, one module per seam: uploads (check as a dry run, then
import all or nothing), browsing and exports, and the question editor.

Everything goes through the exams domain's own loaders and import path, so an upload or an
edited question obeys the same rules as `flask exams import`. The public names of the three
modules are re-exported here, so callers write `banks.services.check_upload(...)`.
"""
from __future__ import annotations

from portal.banks.services.uploads import (  # noqa: F401
    MAX_UPLOAD_FILES,
    MAX_UPLOAD_BYTES,
    UploadedFile,
    CheckedFile,
    UploadCheck,
    check_upload,
    confirm_upload,
    exams_broken_by,
)
from portal.banks.services.browsing import (  # noqa: F401
    BankSummary,
    bank_overview,
    get_bank,
    get_question,
    QuestionRow,
    BankListing,
    bank_listing,
    VersionEntry,
    QuestionDetail,
    question_detail,
    current_bank,
    export_yaml,
    export_gift,
)
from portal.banks.services.editor import (  # noqa: F401
    MAX_QUESTION_BYTES,
    QuestionProblem,
    CheckedQuestion,
    question_yaml,
    new_question_text,
    check_question,
    save_question,
)
