"""Reading the question_banks/ folder: banks and exam definitions, all problems at once."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from portal.content.loader import Problem
from portal.exams.bank import Bank, decode_utf8, load_banks
from portal.exams.definitions import MAX_EXAM_BYTES, ExamDefinition, load_exam
from portal.messages import N_, msg


@dataclass
class ExamContent:
    banks: list[Bank] = field(default_factory=list)
    exams: list[ExamDefinition] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


Recognise = Callable[[list[tuple[str, bytes]]], Mapping[str, str]]


def load_folder(root: Path, *, recognise: Recognise | None = None) -> ExamContent:
    """`root/banks/*.yaml` and `root/exams/*.yaml`; nothing is returned unless all is valid.

    `recognise`: given every bank file's (path, bytes), the path -> bank key of those not to
    read again (files imported exactly as they are: `services.known_bank_files`); they are
    then in no list here, but their keys still count as taken."""
    content = ExamContent()
    base = root.parent
    bank_files = [(str(p.relative_to(base)), p.read_bytes())
                  for p in sorted((root / "banks").glob("*.yaml"))]
    known = recognise(bank_files) if recognise is not None else None
    banks, problems = load_banks(bank_files, known=known)
    content.problems.extend(problems)
    keys: dict[str, str] = {}
    for path in sorted((root / "exams").glob("*.yaml")):
        rel = str(path.relative_to(base))
        text = decode_utf8(path.read_bytes(), rel, content.problems, limit=MAX_EXAM_BYTES)
        if text is None:
            continue
        exam, found = load_exam(text, rel)  # the bank files' safe reader and limits
        content.problems.extend(found)
        if exam is not None and not found:
            if exam.key in keys:
                content.problems.append(Problem(rel, 1, msg(
                    N_("考试 key %(key)s 与 %(other)s 重复"), key=exam.key, other=keys[exam.key])))
            keys[exam.key] = rel
            content.exams.append(exam)
    if not content.problems:
        content.banks = banks
    else:
        content.exams = []
    return content
