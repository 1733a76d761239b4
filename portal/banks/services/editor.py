"""The question editor: a question checked as it is typed, and saved by importing its bank
with that question replaced, so an edited question obeys the same rules and gets the same
kind of version as one imported from a file.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.orm import Session

from portal.banks import rules
from portal.banks.errors import (
    NothingChanged,
    QuestionInvalid,
    VersionChanged,
)
from portal.banks.services.browsing import get_bank, get_question
from portal.banks.services.uploads import exams_broken_by
from portal.content.loader import Problem
from portal.exams import kinds
from portal.exams import services as exam_services
from portal.exams.bank import Bank, build_bank, parse_yaml
from portal.exams.models import Question, QuestionBank, QuestionVersion
from portal.exams.validation import Report
from portal.messages import N_, Message, msg

MAX_QUESTION_BYTES = 64 * 1024
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
    definition: kinds.QuestionDef | None  # when there is no problem
    problems: list[QuestionProblem]

    @property
    def public(self) -> kinds.PublicQuestion | None:
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


def question_yaml(definition: kinds.QuestionDef) -> str:
    """One question as the editor shows it; the bank loader reads it back unchanged."""
    return yaml.dump(definition.to_data(), Dumper=_EditorDumper, allow_unicode=True, sort_keys=False,
                     width=1000, default_flow_style=False)


def new_question_text(session: Session, *, bank_key: str, kind: str) -> str:
    """The template of a kind, with an id the bank has never used."""
    return rules.question_template(kind, new_question_id(session, bank_key=bank_key, kind=kind))


def new_question_id(session: Session, *, bank_key: str, kind: str) -> str:
    """An id for a new question of `kind` that the bank has never used."""
    bank = get_bank(session, bank_key)
    taken = set(session.scalars(sa.select(Question.qid).where(Question.bank_id == bank.id)))
    return rules.free_id(kind, taken)


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
            definition = _check_raw(session, raw, bank=bank, original=original,
                                    problems=problems, line=1)
    return CheckedQuestion(
        text=text, raw=raw, definition=definition,
        problems=[QuestionProblem(p.line, p.message, rules.line_text(text, p.line))
                  for p in problems])


def check_question_data(session: Session, *, bank_key: str, original_qid: str | None,
                        raw: dict[str, Any]) -> CheckedQuestion:
    """A question built by the form editor (data as a file holds it, its mappings carrying
    the numbers of the form's fields as their `__line__`s) checked as `check_question`
    checks a typed one; each problem's `line` is the number of the field it is about."""
    bank = get_bank(session, bank_key)
    original = None
    if original_qid:
        _, original = get_question(session, bank_key=bank_key, qid=original_qid)
    problems: list[Problem] = []
    definition = _check_raw(session, raw, bank=bank, original=original, problems=problems,
                            line=None)
    text = question_yaml(definition) if definition is not None else ""
    return CheckedQuestion(text=text, raw=raw, definition=definition,
                           problems=[QuestionProblem(p.line, p.message) for p in problems])


def _check_raw(session: Session, raw: Any, *, bank: QuestionBank, original: Question | None,
               problems: list[Problem], line: int | None) -> kinds.QuestionDef | None:
    """One question's data read by the bank loader as a one-question bank, and the bank's
    id rules; its definition when nothing is wrong."""
    report = Report(f"{bank.key}.yaml", problems, line=line)
    one = build_bank({"__line__": line, "key": bank.key, "title": bank.title,
                      "questions": [raw]}, report)
    _check_id(session, report, raw, bank=bank, original=original)
    if one is not None and not problems:
        return one.questions[0].definition
    return None


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
    return save_checked(session, bank_key=bank_key, original_qid=original_qid, checked=checked,
                        base_number=base_number, actor_id=actor_id, now=now)


def save_checked(session: Session, *, bank_key: str, original_qid: str | None,
                 checked: CheckedQuestion, base_number: int | None, actor_id: int | None,
                 now: datetime) -> Question:
    """Save a question checked by `check_question` or `check_question_data` (see
    `save_question`)."""
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
    _, saved = get_question(session, bank_key=bank_key, qid=checked.definition.id)
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
