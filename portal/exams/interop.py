"""What the GIFT and Moodle XML importers share: Moodle's question types mapped to this
portal's kinds, ids, tags, and the final all-or-nothing check as a bank."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from portal.content.loader import KEY_RE, Problem
from portal.exams.bank import ImportResult, build_bank
from portal.exams.categories import clean_category, split_path
from portal.exams.kinds import TAG_PREFIXES, TAG_RE
from portal.exams.validation import Report
from portal.messages import N_, Message


@dataclass
class Importer:
    """Questions read so far from one file, and what was found wrong or worth a remark."""

    path: str
    problems: list[Problem] = field(default_factory=list)
    notices: list[Problem] = field(default_factory=list)
    topic: str | None = None  # from the last category, for the questions that follow
    category_path: list[str] = field(default_factory=list)  # the same, level by level
    questions: list[dict[str, Any]] = field(default_factory=list)
    names: list[str | None] = field(default_factory=list)

    def problem(self, where: int | None, text: str, /, **params: Any) -> None:
        self.problems.append(Problem(self.path, where, Message(text, params)))

    def notice(self, where: int | None, text: str, /, **params: Any) -> None:
        self.notices.append(Problem(self.path, where, Message(text, params)))

    def add(self, raw: dict[str, Any], name: str | None, tags: list[str | None]) -> None:
        kept = [t for t in tags if t]
        if self.topic and self.topic not in kept:
            kept.append(self.topic)
        raw["tags"] = kept
        if self.category_path:
            raw["category"] = list(self.category_path)
        title = " ".join(name.split()) if name else ""
        if title:
            raw["title"] = title
        self.questions.append(raw)
        self.names.append(name)

    def category(self, path: str, line: int | None = None) -> None:
        """A Moodle category ("$course$/top/售后/发货承诺") for the questions that follow:
        their category path, and a topic tag of its last level (exams draw by tag)."""
        levels = split_path(path)
        report = Report(self.path, self.problems, line=line)
        start = report.count()
        levels = clean_category(report, {"category": levels})
        if report.count() > start:  # reported here, at the category's line, and only once
            levels = []
        self.category_path = levels
        self.topic = imported_tag(levels[-1]) if levels else None

    def finish(self, *, key: str | None, title: str | None) -> ImportResult:
        """Ids given, then everything checked as one bank; a bank only if all is valid."""
        self._assign_ids()
        if not self.questions:
            if not self.problems:
                self.problem(None, N_("文件中没有找到任何题目"))
            return ImportResult(None, self.problems, self.notices)
        stem = PurePosixPath(self.path.replace("\\", "/")).stem
        raw_bank = {"__line__": 1, "key": key or slug(stem) or "imported",
                    "title": title or stem or "imported", "questions": self.questions}
        report = Report(self.path, self.problems, line=1)
        bank = build_bank(raw_bank, report)
        return ImportResult(bank if not self.problems else None, self.problems, self.notices)

    def _assign_ids(self) -> None:
        """Ids given in the file, else from the question names, else by position."""
        for question in self.questions:
            given = question.get("id")
            if given is not None and not (isinstance(given, str) and KEY_RE.match(given)):
                self.notice(question.get("__line__"), N_(
                    "编号 %(id)s 不符合本门户的题目 id 规则（小写字母、数字、连字符），"
                    "已另起 id"), id=str(given))
                del question["id"]
        taken = {q["id"] for q in self.questions if "id" in q}
        for number, (question, name) in enumerate(zip(self.questions, self.names, strict=True), 1):
            if "id" in question:
                continue
            base = (slug(name) if name else None) or f"q-{number}"
            candidate, suffix = base, 2
            while candidate in taken:
                candidate = f"{base[:58]}-{suffix}"
                suffix += 1
            taken.add(candidate)
            question["id"] = candidate


def slug(text: str) -> str | None:
    """A name as an id: "Kanji Origins" -> "kanji-origins"; None when nothing is left."""
    result = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:64].strip("-")
    return result if result and KEY_RE.match(result) else None


def imported_tag(tag: str) -> str | None:
    """A tag from another system as one of this portal's: plain words become topics."""
    tag = tag.strip()
    match = TAG_RE.match(tag)
    if match and match["prefix"] in TAG_PREFIXES:
        return tag
    topic = re.sub(r"\s+", "-", tag).lower()[:40]
    return f"topic:{topic}" if topic and TAG_RE.match(f"topic:{topic}") else None
