"""Question-bank uploads: every file checked as a dry run, then imported all or nothing.

An upload is read by the same loaders and import path as `flask exams import`.
"""
from __future__ import annotations

import hmac
import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.banks import rules
from portal.banks.errors import (
    PlanChanged,
    UploadRefused,
)
from portal.banks.rules import Change, FileFormat
from portal.banks.services.browsing import lint_stored
from portal.content.loader import Problem
from portal.exams import bank as bank_files
from portal.exams import gift, moodle_xml
from portal.exams import rules as exam_rules
from portal.exams import services as exam_services
from portal.exams.bank import MAX_BANK_BYTES, Bank, decode_utf8, parse_yaml
from portal.exams.definitions import ExamDefinition, load_exam
from portal.exams.lint import LintReport, lint_exams
from portal.exams.models import Exam
from portal.messages import N_, Message, msg

MAX_UPLOAD_FILES = 20
# All files of one upload together. The confirm step carries them back in the page
# (base64, a third larger), which must stay under the app's MAX_CONTENT_LENGTH (8 MB).
MAX_UPLOAD_BYTES = 4 * 1024 * 1024
# --- uploads: check (dry run) and confirm --------------------------------------------


@dataclass(frozen=True)
class UploadedFile:
    """One uploaded file; for GIFT and Moodle XML, the bank key and title chosen for it."""

    name: str
    data: bytes
    bank_key: str | None = None
    bank_title: str | None = None


@dataclass(frozen=True)
class CheckedFile:
    name: str
    format: FileFormat | None  # None: not a format this page imports
    problems: list[Problem]
    notices: list[Problem]
    bank_key: str | None = None  # the bank the file makes, when it is valid
    exam_key: str | None = None
    title: str = ""
    questions: int = 0
    default_key: str = ""  # for GIFT and Moodle XML: the key taken from the file name

    @property
    def interop(self) -> bool:
        return self.format in rules.INTEROP_FORMATS


@dataclass
class UploadCheck:
    """Everything about an upload before anything is written: each file with its problems,
    what the import would do, and a fingerprint of exactly that."""

    files: list[CheckedFile]
    problems: list[Problem]  # every problem, each with its file and line
    notices: list[Problem]  # remarks that block nothing (a skipped GIFT description …)
    banks: list[Bank] = field(default_factory=list)
    exams: list[ExamDefinition] = field(default_factory=list)
    report: rules.PlanReport | None = None  # None when there are problems
    digest: str = ""
    # The item-writing lint of the uploaded banks and exams (warnings; they block nothing).
    lint: LintReport = field(default_factory=LintReport)

    @property
    def ok(self) -> bool:
        return not self.problems and self.report is not None


@dataclass
class _Read:
    file: CheckedFile
    bank: Bank | None = None
    exam: ExamDefinition | None = None
    key_line: int | None = None


def check_upload(session: Session, *, files: list[UploadedFile]) -> UploadCheck:
    """Read and validate every file, then compare with the database; writes nothing."""
    problems: list[Problem] = []
    if not files:
        problems.append(Problem("", None, msg(N_("请选择要导入的文件"))))
    if len(files) > MAX_UPLOAD_FILES:
        problems.append(Problem("", None, msg(N_("一次最多导入 %(n)d 个文件"), n=MAX_UPLOAD_FILES)))
    if sum(len(f.data) for f in files) > MAX_UPLOAD_BYTES:
        problems.append(Problem("", None, msg(N_("上传的文件合计超过 %(mb)d MB 上限"),
                                              mb=MAX_UPLOAD_BYTES // (1024 * 1024))))
    if problems:
        return UploadCheck(files=[], problems=problems, notices=[])
    reads = [_read(upload) for upload in files]
    _check_unique_keys(reads)
    checked = [r.file for r in reads]
    problems = [p for f in checked for p in f.problems]
    notices = [n for f in checked for n in f.notices]
    if problems:
        return UploadCheck(files=checked, problems=problems, notices=notices)
    banks = [r.bank for r in reads if r.bank is not None]
    exams = [r.exam for r in reads if r.exam is not None]
    plan = exam_services.plan_import(session, banks=banks, exams=exams)
    problems = [_plan_problem(text) for text in plan.problems]
    problems += exams_broken_by(session, banks=banks, replaced_exams={e.key for e in exams})
    lists = {Change.NEW: plan.new, Change.CHANGED: plan.changed,
             Change.UNCHANGED: plan.unchanged, Change.REMOVED: plan.removed}
    check = UploadCheck(files=checked, problems=problems, notices=notices)
    if not problems:
        check.banks, check.exams = banks, exams
        check.report = rules.plan_report(lists)
        check.lint = _upload_lint(session, banks, exams)
        # The keys and titles the files ended up with (a blank key is the file name's).
        check.digest = rules.digest(
            [(f.name, upload.data, f.bank_key or f.exam_key, f.title)
             for f, upload in zip(checked, files, strict=True)], lists)
    return check


def _upload_lint(session: Session, banks: list[Bank], exams: list[ExamDefinition]) -> LintReport:
    """The warnings on what this upload brings: its banks' questions (compared with every
    stored bank too) and its exams' coverage, drawn from the pool as it would be."""
    keys = {b.key for b in banks}
    stored = lint_stored(session, replacing=banks)
    pool = [c for ref, c in exam_services.question_pool(session).items()
            if ref.split("/", 1)[0] not in keys] + exam_services.pool_of(banks)
    own = [w for w in stored.warnings if w.bank in keys]
    return LintReport((*own, *lint_exams(exams, pool)))


def confirm_upload(session: Session, *, files: list[UploadedFile], expected_digest: str,
                   actor_id: int | None, now: datetime) -> UploadCheck:
    """Check the files again and import them all, but only if the result is exactly what the
    trainer reviewed (`expected_digest`); otherwise import nothing."""
    check = check_upload(session, files=files)
    if not check.ok:
        raise UploadRefused(N_("有 %(n)d 处问题，未导入任何内容"), check, n=len(check.problems))
    if not hmac.compare_digest(check.digest, expected_digest or ""):
        raise PlanChanged(N_("检查之后，文件、所选的题库 key 或题库中的内容有了变化，没有导入。"
                             "请查看下面新的检查结果，再确认导入。"), check)
    exam_services.apply_import(session, banks=check.banks, exams=check.exams, actor_id=actor_id,
                               now=now)
    return check


def _read(upload: UploadedFile) -> _Read:
    name = upload.name
    fmt = rules.file_format(name)
    problems: list[Problem] = []
    notices: list[Problem] = []
    if fmt is None:
        problems.append(Problem(name, None, msg(N_(
            "不支持的文件类型：请上传 .yaml 或 .yml（题库或考试定义）、.gift 或 .txt（GIFT）、"
            ".xml（Moodle XML）文件"))))
        return _Read(CheckedFile(name, None, problems, notices))
    if fmt is FileFormat.YAML:
        return _read_yaml(upload, problems)
    default_key = rules.default_bank_key(name)
    importer = gift.import_gift if fmt is FileFormat.GIFT else moodle_xml.import_moodle_xml
    result = importer(upload.data, name, key=upload.bank_key or None,
                      title=upload.bank_title or None)
    bank = result.bank if not result.problems else None
    return _Read(CheckedFile(name, fmt, list(result.problems), list(result.notices),
                             bank_key=bank.key if bank else upload.bank_key or default_key,
                             title=bank.title if bank else "",
                             questions=len(bank.questions) if bank else 0,
                             default_key=default_key), bank=bank)


def _read_yaml(upload: UploadedFile, problems: list[Problem]) -> _Read:
    """A YAML bank or exam. Both are first read by the bank loader's strict YAML reader (no
    aliases, anchors or tags), so a hostile exam file is refused just like a bank."""
    name = upload.name
    text = decode_utf8(upload.data, name, problems, limit=MAX_BANK_BYTES)
    raw = parse_yaml(text, name, problems) if text is not None else None
    if problems or text is None:
        return _Read(CheckedFile(name, FileFormat.YAML, problems, []))
    fmt = rules.yaml_format(raw)
    key_line = _key_line(raw)
    if fmt is FileFormat.EXAM:
        exam, found = load_exam(text, name)
        problems.extend(found)
        exam = exam if not found else None
        return _Read(CheckedFile(name, fmt, problems, [], exam_key=exam.key if exam else None,
                                 title=exam.title if exam else ""), exam=exam, key_line=key_line)
    bank, found = bank_files.load_bank(upload.data, name)
    problems.extend(found)
    return _Read(CheckedFile(name, fmt, problems, [], bank_key=bank.key if bank else None,
                             title=bank.title if bank else "",
                             questions=len(bank.questions) if bank else 0),
                 bank=bank, key_line=key_line)


def _key_line(raw: Any) -> int | None:
    if isinstance(raw, dict):
        lines = raw.get("__lines__")
        if isinstance(lines, dict) and isinstance(lines.get("key"), int):
            return lines["key"]
    return None


def _check_unique_keys(reads: list[_Read]) -> None:
    """One bank (and one exam) per key in an upload."""
    for attr, message in (("bank", N_("题库 key %(key)s 与 %(other)s 重复")),
                          ("exam", N_("考试 key %(key)s 与 %(other)s 重复"))):
        seen: dict[str, str] = {}
        for read in reads:
            item = getattr(read, attr)
            if item is None:
                continue
            other = seen.setdefault(item.key, read.file.name)
            if other != read.file.name:
                read.file.problems.append(Problem(read.file.name, read.key_line, msg(
                    message, key=item.key, other=other)))
                setattr(read, attr, None)


def _plan_problem(text: str) -> Problem:
    """The import plan reports "file: problem" (or "file:line: problem") strings."""
    path, sep, message = text.partition(": ")
    if not sep:
        return Problem("", None, Message(text))
    name, colon, line = path.rpartition(":")
    if colon and line.isdigit():
        return Problem(name, int(line), Message(message))
    return Problem(path, None, Message(message))


def _selection_error(definition: ExamDefinition,
                     pool: list[exam_rules.Candidate]) -> Message | None:
    try:
        exam_rules.select_questions(definition, pool, random.Random(0))
    except exam_rules.SelectionError as exc:
        return exc.message
    return None


def exams_broken_by(session: Session, *, banks: list[Bank],
                    replaced_exams: set[str]) -> list[Problem]:
    """Exams already imported that could be put together before and no longer could once
    `banks` replace theirs (a question removed, a tag or difficulty changed)."""
    before = exam_services.question_pool(session)
    keys = {b.key for b in banks}
    after = {ref: c for ref, c in before.items() if ref.split("/", 1)[0] not in keys}
    for bank in banks:
        for q in bank.questions:
            ref = f"{bank.key}/{q.id}"
            after[ref] = exam_services.candidate(ref, q)
    problems: list[Problem] = []
    exams = session.scalars(sa.select(Exam).where(Exam.current_version_id.is_not(None))
                            .order_by(Exam.key))
    for exam in exams:
        version = exam.current_version
        if exam.key in replaced_exams or version is None:
            continue
        if _selection_error(version.definition, list(before.values())) is not None:
            continue  # already broken: not this import's doing
        error = _selection_error(version.definition, list(after.values()))
        if error is not None:
            problems.append(Problem("", None, msg(
                N_("导入后，已有的考试“%(title)s”（%(exam)s）将无法组卷：%(reason)s"),
                title=version.title, exam=exam.key, reason=str(error))))
    return problems
