"""The item-writing lint over the banks as they are in the database: the bank browser's
marks, one question's warnings, the editor's warnings for the edited question, and a
trainer acknowledging a warning (saved into the question as its new version)."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from portal.banks.errors import QuestionInvalid
from portal.banks.services.browsing import get_question, lint_stored, stored_banks
from portal.banks.services.editor import (
    CheckedQuestion,
    QuestionProblem,
    question_yaml,
    save_question,
)
from portal.exams import bank as bank_files
from portal.exams import kinds
from portal.exams.kinds.base import MAX_REASON
from portal.exams.lint import LintWarning
from portal.exams.models import Question
from portal.exams.warning_codes import CODES, WarningCode
from portal.messages import N_, msg


def bank_warnings(session: Session, *, bank_key: str) -> dict[str, list[LintWarning]]:
    """The open warnings of a bank's questions, by question id (the browser marks them)."""
    found: dict[str, list[LintWarning]] = {}
    for warning in lint_stored(session).open:
        if warning.bank == bank_key:
            found.setdefault(warning.question, []).append(warning)
    return found


def question_warnings(session: Session, *, bank_key: str, qid: str) -> list[LintWarning]:
    """Every warning on one question, the acknowledged ones with their reason."""
    return lint_stored(session).for_question(bank_key, qid)


def edited_warnings(session: Session, *, bank_key: str,
                    checked: CheckedQuestion) -> list[LintWarning]:
    """The warnings the edited question would have once saved (none while it has problems)."""
    definition = checked.definition
    if definition is None:
        return []
    stored = next((b for b in stored_banks(session) if b.key == bank_key), None)
    if stored is None:
        return []
    edited = bank_files.Question(definition.id, definition.kind, None, definition)
    others = tuple(q for q in stored.questions if q.id != definition.id)
    bank = replace(stored, questions=(*others, edited))
    return lint_stored(session, replacing=[bank]).for_question(bank_key, definition.id)


def acknowledge_warning(session: Session, *, bank_key: str, qid: str, warning: str, reason: str,
                        base_number: int | None, actor_id: int | None,
                        now: datetime) -> Question:
    """Write `acknowledged: {warning, reason}` into the question and save it as its new
    version (the editor's save path: same checks, same versions, same audit)."""
    reason = " ".join((reason or "").split())
    if warning not in CODES:
        raise QuestionInvalid(N_("要确认的提醒不存在，没有保存"), [])
    if not reason or len(reason) > MAX_REASON:
        raise QuestionInvalid(N_("请写明确认的理由（不超过 %(n)d 个字），没有保存"), [
            QuestionProblem(None, msg(N_("确认理由不能为空，也不能超过 %(n)d 个字"), n=MAX_REASON))],
            n=MAX_REASON)
    _, question = get_question(session, bank_key=bank_key, qid=qid)
    assert question.current_version is not None
    definition = question.current_version.definition
    code = WarningCode(warning)
    kept = tuple(a for a in definition.acknowledged if a.warning != code)
    acknowledged = replace(definition, acknowledged=(
        *kept, kinds.Acknowledgement(warning=code, reason=reason)))
    return save_question(session, bank_key=bank_key, original_qid=qid,
                         text=question_yaml(acknowledged), base_number=base_number,
                         actor_id=actor_id, now=now)
