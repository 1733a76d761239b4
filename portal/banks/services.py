"""Question banks in the browser: uploads checked as a dry run and imported all or nothing,
the bank browser, exports, and the question editor.

Everything goes through the exams domain's own loaders and import path (`plan_import`,
`apply_import`): an upload is read by the same code as `flask exams import`, and an edited
question is saved by importing its bank with that question replaced, so a question edited
here obeys the same rules and gets the same kind of version as one imported from a file.
"""
from __future__ import annotations

import copy
import hmac
import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.banks import rules
from portal.banks.errors import (
    NothingChanged,
    PlanChanged,
    QuestionInvalid,
    UploadRefused,
    VersionChanged,
)
from portal.banks.rules import Change, FileFormat
from portal.content.loader import Problem
from portal.errors import NotFound
from portal.exams import bank as bank_files
from portal.exams import categories, gift, kinds, moodle_xml
from portal.exams import rules as exam_rules
from portal.exams import services as exam_services
from portal.exams.bank import MAX_BANK_BYTES, Bank, build_bank, decode_utf8, dump_bank, parse_yaml
from portal.exams.definitions import ExamDefinition, load_exam
from portal.exams.models import Exam, Question, QuestionBank, QuestionVersion, Response
from portal.exams.validation import Report
from portal.messages import N_, Message, msg

MAX_UPLOAD_FILES = 20
# All files of one upload together. The confirm step carries them back in the page
# (base64, a third larger), which must stay under the app's MAX_CONTENT_LENGTH (8 MB).
MAX_UPLOAD_BYTES = 4 * 1024 * 1024
MAX_QUESTION_BYTES = 64 * 1024


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
        # The keys and titles the files ended up with (a blank key is the file name's).
        check.digest = rules.digest(
            [(f.name, upload.data, f.bank_key or f.exam_key, f.title)
             for f, upload in zip(checked, files, strict=True)], lists)
    return check


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
    seen_banks: dict[str, str] = {}
    seen_exams: dict[str, str] = {}
    for read in reads:
        if read.bank is not None:
            other = seen_banks.setdefault(read.bank.key, read.file.name)
            if other != read.file.name:
                read.file.problems.append(Problem(read.file.name, read.key_line, msg(
                    N_("题库 key %(key)s 与 %(other)s 重复"), key=read.bank.key, other=other)))
                read.bank = None
        if read.exam is not None:
            other = seen_exams.setdefault(read.exam.key, read.file.name)
            if other != read.file.name:
                read.file.problems.append(Problem(read.file.name, read.key_line, msg(
                    N_("考试 key %(key)s 与 %(other)s 重复"), key=read.exam.key, other=other)))
                read.exam = None


def _plan_problem(text: str) -> Problem:
    """The import plan reports "file: problem" strings."""
    path, sep, message = text.partition(": ")
    return Problem(path, None, Message(message)) if sep else Problem("", None, Message(text))


def _pool(session: Session) -> dict[str, exam_rules.Candidate]:
    """Every question exams may draw now (current versions of questions in use)."""
    rows = session.execute(
        sa.select(QuestionBank.key, Question.qid, QuestionVersion.tags, QuestionVersion.difficulty)
        .join(Question, Question.bank_id == QuestionBank.id)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(Question.retired.is_(False)))
    return {f"{bank}/{qid}": exam_rules.Candidate(f"{bank}/{qid}", frozenset(tags), difficulty)
            for bank, qid, tags, difficulty in rows}


def _selection_error(definition: dict[str, Any],
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
    before = _pool(session)
    keys = {b.key for b in banks}
    after = {ref: c for ref, c in before.items() if ref.split("/", 1)[0] not in keys}
    for bank in banks:
        for q in bank.questions:
            ref = f"{bank.key}/{q.id}"
            after[ref] = exam_rules.Candidate(ref, frozenset(q.tags), q.difficulty)
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


# --- browsing --------------------------------------------------------------------------


@dataclass(frozen=True)
class BankSummary:
    bank: QuestionBank
    active: int
    retired: int
    kinds: dict[str, int]  # questions in use, by kind


def bank_overview(session: Session) -> list[BankSummary]:
    banks = list(session.scalars(sa.select(QuestionBank).order_by(QuestionBank.key)))
    counts: dict[int, dict[str, Any]] = {b.id: {"active": 0, "retired": 0, "kinds": {}}
                                         for b in banks}
    rows = session.execute(
        sa.select(Question.bank_id, Question.retired, QuestionVersion.kind)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id))
    for bank_id, retired, kind in rows:
        entry = counts.get(bank_id)
        if entry is None:
            continue
        if retired:
            entry["retired"] += 1
        else:
            entry["active"] += 1
            entry["kinds"][kind] = entry["kinds"].get(kind, 0) + 1
    return [BankSummary(bank=b, active=counts[b.id]["active"], retired=counts[b.id]["retired"],
                        kinds=dict(sorted(counts[b.id]["kinds"].items(),
                                          key=lambda kv: list(kinds.KINDS).index(kv[0])
                                          if kv[0] in kinds.KINDS else 99)))
            for b in banks]


def get_bank(session: Session, bank_key: str) -> QuestionBank:
    bank = session.scalar(sa.select(QuestionBank).where(QuestionBank.key == bank_key))
    if bank is None:
        raise NotFound(N_("找不到题库 %(key)s"), key=bank_key)
    return bank


def get_question(session: Session, *, bank_key: str, qid: str) -> tuple[QuestionBank, Question]:
    bank = get_bank(session, bank_key)
    question = session.scalar(sa.select(Question).where(Question.bank_id == bank.id,
                                                        Question.qid == qid))
    if question is None or question.current_version is None:
        raise NotFound(N_("题库 %(bank)s 中没有题目 %(id)s"), bank=bank_key, id=qid)
    return bank, question


@dataclass(frozen=True)
class QuestionRow:
    question: Question
    version: QuestionVersion
    excerpt: str
    title: str = ""  # shown instead of the id when the question has one
    category: tuple[str, ...] = ()  # its category path


@dataclass(frozen=True)
class BankListing:
    bank: QuestionBank
    total: int
    rows: list[QuestionRow]  # the ones the filters let through
    kinds: list[str]  # present in the bank, for the filter
    difficulties: list[str]
    tags: list[str]
    categories: list[tuple[str, ...]] = field(default_factory=list)  # every path and prefix present


def bank_listing(session: Session, *, bank_key: str,
                 filters: rules.QuestionFilter) -> BankListing:
    bank = get_bank(session, bank_key)
    found = session.execute(
        sa.select(Question, QuestionVersion)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(Question.bank_id == bank.id).order_by(Question.id)).all()
    rows: list[QuestionRow] = []
    tags: set[str] = set()
    present_kinds: set[str] = set()
    difficulties: set[str] = set()
    paths: set[tuple[str, ...]] = set()
    for question, version in found:
        tags.update(version.tags)
        present_kinds.add(version.kind)
        difficulties.add(version.difficulty)
        data = version.data
        category = tuple(data.get("category", ()))
        paths.update(categories.prefixes(category))
        if filters.matches(kind=version.kind, difficulty=version.difficulty, tags=version.tags,
                           retired=question.retired,
                           text=rules.searchable_text(question.qid, data),
                           category=categories.join_path(category, contexts=False)):
            rows.append(QuestionRow(question, version,
                                    rules.excerpt(data.get("prompt") or data.get("scenario", "")),
                                    title=data.get("title", ""), category=category))
    order = list(kinds.KINDS)
    return BankListing(bank=bank, total=len(found), rows=rows,
                       kinds=[k for k in order if k in present_kinds],
                       difficulties=[d for d in kinds.DIFFICULTIES if d in difficulties],
                       tags=sorted(tags), categories=sorted(paths))


@dataclass(frozen=True)
class VersionEntry:
    version: QuestionVersion
    author: User | None
    attempts: int  # attempts that were given this version


@dataclass(frozen=True)
class QuestionDetail:
    bank: QuestionBank
    question: Question
    version: QuestionVersion  # the one shown
    history: list[VersionEntry]  # newest first

    @property
    def current(self) -> QuestionVersion:
        assert self.question.current_version is not None
        return self.question.current_version


def question_detail(session: Session, *, bank_key: str, qid: str,
                    number: int | None = None) -> QuestionDetail:
    bank, question = get_question(session, bank_key=bank_key, qid=qid)
    versions = list(session.scalars(sa.select(QuestionVersion)
                                    .where(QuestionVersion.question_id == question.id)
                                    .order_by(QuestionVersion.number.desc())))
    shown = question.current_version
    if number is not None:
        shown = next((v for v in versions if v.number == number), None)
        if shown is None:
            raise NotFound(N_("题目 %(id)s 没有第 %(n)d 版"), id=qid, n=number)
    assert shown is not None
    used = {version_id: count for version_id, count in session.execute(
        sa.select(Response.question_version_id, sa.func.count(sa.distinct(Response.attempt_id)))
        .where(Response.question_version_id.in_([v.id for v in versions]))
        .group_by(Response.question_version_id))}
    author_ids = {v.created_by_id for v in versions if v.created_by_id is not None}
    authors = {u.id: u for u in session.scalars(sa.select(User).where(User.id.in_(author_ids)))}
    history = [VersionEntry(v, authors.get(v.created_by_id or 0), int(used.get(v.id, 0)))
               for v in versions]
    return QuestionDetail(bank=bank, question=question, version=shown, history=history)


# --- export ----------------------------------------------------------------------------


def current_bank(session: Session, *, bank_key: str) -> Bank:
    """The bank as it is now: the current version of every question in use, in the order
    they were first imported."""
    bank = get_bank(session, bank_key)
    rows = session.execute(
        sa.select(Question.qid, QuestionVersion)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(Question.bank_id == bank.id, Question.retired.is_(False))
        .order_by(Question.id))
    questions = tuple(bank_files.Question(qid, version.kind, None, version.data)
                      for qid, version in rows)
    return Bank(key=bank.key, title=bank.title, path=f"{bank.key}.yaml", questions=questions,
                description=bank.description)


def export_yaml(session: Session, *, bank_key: str) -> str:
    """The portal's YAML format; importing it again changes nothing."""
    return dump_bank(current_bank(session, bank_key=bank_key))


def export_gift(session: Session, *, bank_key: str) -> gift.ExportResult:
    """GIFT, with the questions GIFT cannot express (or only with a loss) as notices."""
    return gift.export_gift(current_bank(session, bank_key=bank_key))


# --- the question editor ---------------------------------------------------------------


@dataclass(frozen=True)
class QuestionProblem:
    """One broken rule, at its line of the edited text (None: not tied to a line)."""

    line: int | None
    message: Message
    excerpt: str = ""  # the line itself, to find it in a textarea without line numbers


@dataclass(frozen=True)
class CheckedQuestion:
    text: str
    raw: Any  # as the YAML reader read it (with lines), for building the bank on save
    definition: dict[str, Any] | None  # canonical, when there is no problem
    problems: list[QuestionProblem]

    @property
    def public(self) -> dict[str, Any] | None:
        """What a trainee sees before submitting: never a key or an explanation."""
        return kinds.public_view(self.definition) if self.definition is not None else None


class _EditorDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # the bank loader refuses aliases


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", data,
                                   style="|" if "\n" in data else None)


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.SequenceNode:
    # Short lists of short words (tags, accepted answers, options) on one line, like a
    # trainer would write them; everything else in block style.
    flow = 0 < len(data) <= 10 and all(
        isinstance(v, int | float) or isinstance(v, str) and "\n" not in v and len(v) <= 30
        for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_EditorDumper.add_representer(str, _represent_str)
_EditorDumper.add_representer(list, _represent_list)


def question_yaml(definition: dict[str, Any]) -> str:
    """One question as the editor shows it; the bank loader reads it back unchanged."""
    return yaml.dump(definition, Dumper=_EditorDumper, allow_unicode=True, sort_keys=False,
                     width=1000, default_flow_style=False)


def new_question_text(session: Session, *, bank_key: str, kind: str) -> str:
    """The template of a kind, with an id the bank has never used."""
    bank = get_bank(session, bank_key)
    taken = set(session.scalars(sa.select(Question.qid).where(Question.bank_id == bank.id)))
    return rules.question_template(kind, rules.free_id(kind, taken))


def check_question(session: Session, *, bank_key: str, original_qid: str | None,
                   text: str) -> CheckedQuestion:
    """The edited text read by the bank loader as a one-question bank, and the bank's id
    rules; problems point at lines of the text."""
    bank = get_bank(session, bank_key)
    original = None
    if original_qid:
        _, original = get_question(session, bank_key=bank_key, qid=original_qid)
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    path = f"{bank.key}.yaml"
    problems: list[Problem] = []
    raw: Any = None
    definition = None
    if len(text.encode("utf-8")) > MAX_QUESTION_BYTES:
        problems.append(Problem(path, None, msg(N_("题目定义太长（最多 %(kb)d KB）"),
                                                kb=MAX_QUESTION_BYTES // 1024)))
    elif not text.strip():
        problems.append(Problem(path, None, msg(N_("请填写题目定义"))))
    else:
        raw = parse_yaml(text, path, problems)
        if isinstance(raw, list) and len(raw) == 1 and isinstance(raw[0], dict):
            raw = raw[0]  # written as a bank's list item ("- id: …"): take the question
        if not problems:
            report = Report(path, problems, line=1)
            one = build_bank({"__line__": 1, "key": bank.key, "title": bank.title,
                              "questions": [raw]}, report)
            _check_id(session, report, raw, bank=bank, original=original)
            if one is not None and not problems:
                definition = one.questions[0].definition
    return CheckedQuestion(
        text=text, raw=raw, definition=definition,
        problems=[QuestionProblem(p.line, p.message, rules.line_text(text, p.line))
                  for p in problems])


def _check_id(session: Session, report: Report, raw: Any, *, bank: QuestionBank,
              original: Question | None) -> None:
    qid = raw.get("id") if isinstance(raw, dict) else None
    if not isinstance(qid, str):
        return
    if original is not None and qid != original.qid:
        report.add(raw, "id", N_("不能修改题目 id（原来是 %(old)s）：考试和作答记录靠它找到这道题。"
                                 "要换 id，请新建一道题"), old=original.qid)
    elif original is None and session.scalar(sa.select(Question.id).where(
            Question.bank_id == bank.id, Question.qid == qid)) is not None:
        report.add(raw, "id", N_("题库中已有 id 为 %(id)s 的题目（包括已停用的题目，id 不能重复使用）"),
                   id=qid)


def save_question(session: Session, *, bank_key: str, original_qid: str | None, text: str,
                  base_number: int | None, actor_id: int | None, now: datetime) -> Question:
    """Save the edited question as its new version (or a new question) by importing its bank
    with the question replaced: all or nothing, through the same path as a file import.
    Attempts keep the versions they were given."""
    checked = check_question(session, bank_key=bank_key, original_qid=original_qid, text=text)
    if checked.problems:
        raise QuestionInvalid(N_("有 %(n)d 处问题，未保存"), checked.problems,
                              n=len(checked.problems))
    bank = get_bank(session, bank_key)
    original = None
    if original_qid:
        _, original = get_question(session, bank_key=bank_key, qid=original_qid)
        current = original.current_version
        if base_number is not None and current is not None and current.number != base_number:
            raise VersionChanged(N_("在你编辑期间，这道题已被保存为第 %(n)d 版。再次点击保存会用你的内容"
                                    "覆盖它；也可以先在新标签页打开这道题查看改动。"),
                                 current_number=current.number, n=current.number)
    edited = _edited_bank(session, bank, original, checked)
    plan = exam_services.plan_import(session, banks=[edited], exams=[])
    broken = exams_broken_by(session, banks=[edited], replaced_exams=set())
    if plan.problems or broken:
        problems = [QuestionProblem(None, p.message) for p in broken]
        problems += [QuestionProblem(None, Message(text)) for text in plan.problems]
        raise QuestionInvalid(N_("有 %(n)d 处问题，未保存"), problems, n=len(problems))
    if not plan.touched:
        raise NothingChanged(N_("题目没有改动，没有生成新版本"))
    exam_services.apply_import(session, banks=[edited], exams=[], actor_id=actor_id, now=now)
    assert checked.definition is not None
    _, saved = get_question(session, bank_key=bank_key, qid=checked.definition["id"])
    return saved


def _edited_bank(session: Session, bank: QuestionBank, original: Question | None,
                 checked: CheckedQuestion) -> Bank:
    """The whole bank, loaded again with the edited question in its place (or added): ids,
    limits and every question's rules checked together."""
    rows = session.execute(
        sa.select(Question, QuestionVersion)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(Question.bank_id == bank.id, Question.retired.is_(False))
        .order_by(Question.id)).all()
    questions: list[Any] = []
    for question, version in rows:
        if original is not None and question.id == original.id:
            questions.append(checked.raw)
        else:
            questions.append(copy.deepcopy(version.data))
    if original is None or original.retired:
        questions.append(checked.raw)  # a new question, or a retired one brought back
    problems: list[Problem] = []
    edited = build_bank({"key": bank.key, "title": bank.title, "questions": questions},
                        Report(f"{bank.key}.yaml", problems, line=None))
    if edited is None or problems:
        raise QuestionInvalid(N_("有 %(n)d 处问题，未保存"),
                              [QuestionProblem(p.line, p.message,
                                               rules.line_text(checked.text, p.line))
                               for p in problems], n=len(problems))
    return edited
