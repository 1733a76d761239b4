"""Exam definition files: what an exam is made of and its rules, validated by file and line.

Pure: it reads text and returns a typed `ExamDefinition` (with its `RandomPick`s and its
blueprint's `Requirement`s); question references, and whether the pools can satisfy the
blueprint, are checked against the banks by the caller (who knows which questions exist:
`rules.prove_blueprint`). `ExamDefinition.to_data()` is what an exam version stores and
`from_data` reads it back.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from portal.content.loader import KEY_RE, Problem, _line
from portal.exams import kinds as question_kinds
from portal.exams.bank import parse_yaml
from portal.exams.kinds import TAG_RE, Acknowledgement
from portal.exams.rules import Dimension, RandomPick, Requirement
from portal.exams.warning_codes import CODES as WARNING_CODES
from portal.exams.warning_codes import WarningCode
from portal.messages import N_, msg

MAX_EXAM_BYTES = 256 * 1024
MAX_TITLE = 200
MAX_INSTRUCTIONS = 20_000
MAX_REFERENCE = 200  # "bank/question-id", a tag
LAYOUTS = ("one-per-page", "all-on-one-page")
COUNTS = ("highest", "last")
REVIEW_WHEN = ("after-submit", "after-close", "never")
REVIEW_SHOW = ("score", "responses", "correct", "explanations")
AREAS = ("pre-sales", "after-sales", "general")
DIFFICULTIES = ("easy", "medium", "hard")
KINDS = ("written", "chat")


@dataclass(frozen=True)
class ExamDefinition:
    """An exam: its rules and review policy, its questions (fixed ones and random picks) and
    the blueprint (`require`) every attempt must meet. The file-only fields (path, source)
    are empty when read back from a stored version."""

    key: str = ""
    path: str = ""
    title: str = ""
    kind: str = "written"
    track: str | None = None
    stage: str | None = None
    pass_mark: int = 60
    time_limit_minutes: int = 30
    attempts: int = 1
    counts: str = "highest"
    wait_minutes: int = 0
    shuffle_questions: bool = True
    shuffle_options: bool = True
    layout: str = "all-on-one-page"
    review_when: str = "after-submit"
    review_show: list[str] = field(default_factory=lambda: ["score"])
    areas: dict[str, str] = field(default_factory=dict)  # question tag -> placement area
    fixed: list[str] = field(default_factory=list)  # "bank/question-id"
    random: list[RandomPick] = field(default_factory=list)
    require: tuple[Requirement, ...] = ()
    instructions: str = ""
    acknowledged: tuple[Acknowledgement, ...] = ()  # lint warnings accepted for the exam
    source_text: str = ""
    source_hash: str = field(default="")
    time_warning_minutes: int = 5  # the exam page warns this long before the end (0: never)
    instructions_line: int | None = None  # in the exam file (not stored)

    def to_data(self) -> dict[str, Any]:
        """What an exam version stores (no file, source or lines)."""
        data: dict[str, Any] = {
            "key": self.key, "title": self.title, "kind": self.kind, "track": self.track,
            "stage": self.stage, "pass_mark": self.pass_mark,
            "time_limit_minutes": self.time_limit_minutes, "attempts": self.attempts,
            "counts": self.counts, "wait_minutes": self.wait_minutes,
            "time_warning_minutes": self.time_warning_minutes,
            "shuffle_questions": self.shuffle_questions,
            "shuffle_options": self.shuffle_options, "layout": self.layout,
            "review_when": self.review_when, "review_show": list(self.review_show),
            "areas": dict(self.areas), "fixed": list(self.fixed),
            "random": [p.to_data() for p in self.random], "instructions": self.instructions,
        }
        if self.require:
            data["require"] = {d.value: {r.value: r.minimum for r in self.require
                                         if r.dimension is d}
                               for d in Dimension if any(r.dimension is d for r in self.require)}
        if self.acknowledged:
            data["acknowledged"] = [a.to_data() for a in self.acknowledged]
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ExamDefinition:
        """A stored version's definition (versions stored before blueprints have none)."""
        require = tuple(Requirement(Dimension(dimension), value, minimum)
                        for dimension, wanted in (data.get("require") or {}).items()
                        for value, minimum in wanted.items())
        return cls(
            key=data.get("key", ""), title=data.get("title", ""),
            kind=data.get("kind", "written"), track=data.get("track"), stage=data.get("stage"),
            pass_mark=data.get("pass_mark", 60),
            time_limit_minutes=data.get("time_limit_minutes", 30),
            attempts=data.get("attempts", 1), counts=data.get("counts", "highest"),
            wait_minutes=data.get("wait_minutes", 0),
            time_warning_minutes=data.get("time_warning_minutes", 5),
            shuffle_questions=data.get("shuffle_questions", True),
            shuffle_options=data.get("shuffle_options", True),
            layout=data.get("layout", "all-on-one-page"),
            review_when=data.get("review_when", "after-submit"),
            review_show=list(data.get("review_show", ["score"])),
            areas=dict(data.get("areas") or {}), fixed=list(data.get("fixed", [])),
            random=[RandomPick.from_data(p) for p in data.get("random", [])],
            require=require, instructions=data.get("instructions", ""),
            acknowledged=tuple(Acknowledgement.from_data(a)
                               for a in data.get("acknowledged", ())))

    def acknowledgement(self, code: WarningCode) -> Acknowledgement | None:
        return next((a for a in self.acknowledged if a.warning == code), None)


def _int(data: dict[str, Any], name: str, rel: str, problems: list[Problem], *, low: int,
         high: int, default: int | None = None) -> int:
    value = data.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        problems.append(Problem(rel, _line(data, key=name), msg(
            N_("%(name)s 应为 %(low)d 到 %(high)d 之间的整数"), name=name, low=low, high=high)))
        return default if default is not None else low
    return value


def _choice(data: dict[str, Any], name: str, allowed: tuple[str, ...], rel: str,
            problems: list[Problem], default: str) -> str:
    value = data.get(name, default)
    if value not in allowed:
        problems.append(Problem(rel, _line(data, key=name), msg(
            N_("%(name)s 只能是 %(allowed)s 之一"), name=name, allowed=", ".join(allowed))))
        return default
    return str(value)


def _too_long(data: dict[str, Any], name: str, rel: str, limit: int) -> Problem:
    return Problem(rel, _line(data, key=name), msg(
        N_("%(name)s 过长（最多 %(limit)d 个字符）"), name=name, limit=limit))


__all__ = ["Dimension", "ExamDefinition", "RandomPick", "Requirement", "load_exam"]


def load_exam(text: str, rel: str) -> tuple[ExamDefinition | None, list[Problem]]:
    problems: list[Problem] = []
    if len(text.encode("utf-8")) > MAX_EXAM_BYTES:
        return None, [Problem(rel, None, msg(N_("文件超过 %(kb)d KB 上限"),
                                             kb=MAX_EXAM_BYTES // 1024))]
    # The bank files' strict reader: no aliases, anchors or tags (no alias bomb), bounded
    # nesting and size, every YAML error in Chinese with its line.
    data = parse_yaml(text, rel, problems)
    if problems:
        return None, problems
    if not isinstance(data, dict):
        return None, [Problem(rel, 1, msg(N_("考试文件应为“字段: 值”的形式")))]
    for dup in data.get("__duplicates__", []):
        problems.append(Problem(rel, _line(data), msg(N_("字段 %(name)s 重复"), name=dup)))
    key = str(data.get("key", ""))
    if not KEY_RE.match(key):
        problems.append(Problem(rel, _line(data, key="key"), msg(
            N_("key 应为小写字母、数字和连字符组成的考试标识"))))
    title = str(data.get("title") or "").strip()
    if not title:
        problems.append(Problem(rel, _line(data, key="title"), msg(N_("缺少字段 %(name)s"),
                                                                     name="title")))
    elif len(title) > MAX_TITLE:
        problems.append(_too_long(data, "title", rel, MAX_TITLE))
        title = title[:MAX_TITLE]
    instructions = str(data.get("instructions") or "").strip()
    if len(instructions) > MAX_INSTRUCTIONS:
        problems.append(_too_long(data, "instructions", rel, MAX_INSTRUCTIONS))
        instructions = instructions[:MAX_INSTRUCTIONS]
    kind = _choice(data, "kind", KINDS, rel, problems, "written")
    track = data.get("track")
    stage = data.get("stage")
    for name, value in (("track", track), ("stage", stage)):
        if value is not None and (not isinstance(value, str) or not KEY_RE.match(value)):
            problems.append(Problem(rel, _line(data, key=name), msg(
                N_("%(name)s 应为路线或阶段的 key"), name=name)))
    if (track is None) != (stage is None):
        problems.append(Problem(rel, _line(data), msg(N_("track 和 stage 须同时填写或同时省略"))))
    pass_mark = _int(data, "pass_mark", rel, problems, low=0, high=100, default=60)
    time_limit = _int(data, "time_limit_minutes", rel, problems, low=1, high=600, default=30)
    attempts = _int(data, "attempts", rel, problems, low=1, high=20, default=1)
    wait = _int(data, "wait_minutes", rel, problems, low=0, high=10080, default=0)
    warning = _int(data, "time_warning_minutes", rel, problems, low=0, high=600, default=5)
    counts = _choice(data, "counts", COUNTS, rel, problems, "highest")
    layout = _choice(data, "layout", LAYOUTS, rel, problems, "all-on-one-page")
    shuffle_questions = bool(data.get("shuffle_questions", True))
    shuffle_options = bool(data.get("shuffle_options", True))
    review = data.get("review") or {}
    if not isinstance(review, dict):
        problems.append(Problem(rel, _line(data, key="review"), msg(N_("review 应为“字段: 值”的形式"))))
        review = {}
    review_when = _choice(review, "when", REVIEW_WHEN, rel, problems, "after-submit")
    show = review.get("show", list(REVIEW_SHOW))
    if not isinstance(show, list) or any(s not in REVIEW_SHOW for s in show):
        problems.append(Problem(rel, _line(review, key="show"), msg(
            N_("review.show 只能包含 %(allowed)s"), allowed=", ".join(REVIEW_SHOW))))
        show = ["score"]
    areas_raw = data.get("areas") or {}
    areas: dict[str, str] = {}
    if not isinstance(areas_raw, dict):
        problems.append(Problem(rel, _line(data, key="areas"), msg(N_("areas 应为“标签: 方向”的形式"))))
    else:
        for tag, area in areas_raw.items():
            if isinstance(tag, str) and tag.startswith("__"):
                continue
            if not isinstance(tag, str) or len(tag) > MAX_REFERENCE:
                problems.append(Problem(rel, _line(areas_raw), msg(
                    N_("areas 的标签应为不超过 %(limit)d 个字符的文字"), limit=MAX_REFERENCE)))
            elif area not in AREAS:
                problems.append(Problem(rel, _line(areas_raw, key=tag), msg(
                    N_("标签 %(tag)s 的方向只能是 %(allowed)s 之一"), tag=tag,
                    allowed=", ".join(AREAS))))
            else:
                areas[str(tag)] = str(area)
    fixed: list[str] = []
    random: list[RandomPick] = []
    questions = data.get("questions")
    if not isinstance(questions, dict):
        problems.append(Problem(rel, _line(data, key="questions"), msg(
            N_("questions 应包含 fixed（固定题目列表）和/或 random（随机抽题规则）"))))
        questions = {}
    raw_fixed = questions.get("fixed", [])
    if not isinstance(raw_fixed, list) or not all(
            isinstance(q, str) and "/" in q and len(q) <= MAX_REFERENCE for q in raw_fixed):
        problems.append(Problem(rel, _line(questions, key="fixed"), msg(
            N_("fixed 应为“题库/题目id”形式的列表（每项不超过 %(limit)d 个字符）"),
            limit=MAX_REFERENCE)))
    else:
        fixed = list(raw_fixed)
        dupes = sorted(q for q, n in Counter(fixed).items() if n > 1)  # linear, not O(n²)
        if dupes:
            problems.append(Problem(rel, _line(questions, key="fixed"), msg(
                N_("fixed 中题目重复：%(ids)s"), ids=", ".join(dupes))))
    raw_random = questions.get("random", [])
    if not isinstance(raw_random, list):
        problems.append(Problem(rel, _line(questions, key="random"), msg(N_("random 应为列表"))))
        raw_random = []
    for pick in raw_random:
        if not isinstance(pick, dict):
            problems.append(Problem(rel, _line(questions, key="random"), msg(
                N_("random 的每一项应为“字段: 值”的形式"))))
            continue
        count = _int(pick, "count", rel, problems, low=1, high=200, default=1)
        pick_kinds = _kinds(pick, rel, problems)
        tags = pick.get("tags", [])
        if pick_kinds is None:  # reported; an empty tag list is no second problem then
            pick_kinds = ()
            tags = tags if isinstance(tags, list) and tags else ["-"]
        if not isinstance(tags, list) or not (tags or pick_kinds) or not all(
                isinstance(t, str) and len(t) <= MAX_REFERENCE for t in tags):
            problems.append(Problem(rel, _line(pick, key="tags"), msg(
                N_("tags 应为非空的标签列表（只按题型抽题时可以省略 tags，但要写 kinds）"))))
            tags = []
        mix = pick.get("difficulty") or {}
        difficulty: dict[str, int] = {}
        if not isinstance(mix, dict):
            problems.append(Problem(rel, _line(pick, key="difficulty"), msg(
                N_("difficulty 应为“难度: 数量”的形式"))))
        else:
            for level, n in mix.items():
                if isinstance(level, str) and level.startswith("__"):
                    continue
                if level not in DIFFICULTIES or not isinstance(n, int) or isinstance(n, bool) \
                        or not 0 <= n <= 200:
                    problems.append(Problem(rel, _line(mix, key=level), msg(
                        N_("难度只能是 easy、medium、hard，数量为非负整数"))))
                else:
                    difficulty[level] = n
            if difficulty and sum(difficulty.values()) != count:
                problems.append(Problem(rel, _line(pick, key="difficulty"), msg(
                    N_("各难度数量之和（%(sum)d）应等于 count（%(count)d）"),
                    sum=sum(difficulty.values()), count=count)))
        random.append(RandomPick(count=count, tags=tuple(str(t) for t in tags),
                                 difficulty=difficulty, kinds=pick_kinds, line=_line(pick)))
    if not fixed and not random and isinstance(questions, dict) and questions:
        problems.append(Problem(rel, _line(data, key="questions"), msg(N_("考试没有任何题目"))))
    require = _requirements(data, rel, problems)
    acknowledged = _acknowledged(data, rel, problems)
    definition = ExamDefinition(
        key=key, path=rel, title=title, kind=kind, track=track, stage=stage, pass_mark=pass_mark,
        time_limit_minutes=time_limit, attempts=attempts, counts=counts, wait_minutes=wait,
        shuffle_questions=shuffle_questions, shuffle_options=shuffle_options, layout=layout,
        review_when=review_when, review_show=[str(s) for s in show], areas=areas, fixed=fixed,
        random=random, require=require, instructions=instructions, acknowledged=acknowledged,
        source_text=text, source_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        instructions_line=_line(data, key="instructions") if instructions else None,
        time_warning_minutes=warning)
    return definition, problems


def _kinds(pick: dict[str, Any], rel: str, problems: list[Problem]) -> tuple[str, ...] | None:
    """The kinds a pick is limited to (none: any kind); None when they were wrong."""
    value = pick.get("kinds", [])
    if not isinstance(value, list) or not all(k in question_kinds.KINDS for k in value):
        problems.append(Problem(rel, _line(pick, key="kinds"), msg(
            N_("kinds 应为题型列表，题型只能是 %(allowed)s"),
            allowed=", ".join(question_kinds.KINDS))))
        return None
    if len(set(value)) != len(value):
        problems.append(Problem(rel, _line(pick, key="kinds"), msg(N_("kinds 中题型重复"))))
    return tuple(dict.fromkeys(str(k) for k in value))


def _requirements(data: dict[str, Any], rel: str,
                  problems: list[Problem]) -> tuple[Requirement, ...]:
    """`require: {kinds: {operation-task: 1}, tags: {topic:发货承诺: 1}}`: the blueprint."""
    raw = data.get("require")
    if raw is None:
        return ()
    if not isinstance(raw, dict) or any(
            k not in (d.value for d in Dimension) for k in raw if not str(k).startswith("__")):
        problems.append(Problem(rel, _line(data, key="require"), msg(
            N_("require 只能包含 kinds（每种题型至少几道）和 tags（每个标签至少几道）"))))
        return ()
    found: list[Requirement] = []
    for dimension in Dimension:
        wanted = raw.get(dimension.value)
        if wanted is None:
            continue
        if not isinstance(wanted, dict):
            problems.append(Problem(rel, _line(raw, key=dimension.value), msg(
                N_("require.%(name)s 应为“名称: 至少几道”的形式"), name=dimension.value)))
            continue
        for value, minimum in wanted.items():
            if isinstance(value, str) and value.startswith("__"):
                continue
            line = _line(wanted, key=value)
            if dimension is Dimension.KIND and value not in question_kinds.KINDS:
                problems.append(Problem(rel, line, msg(
                    N_("require.kinds 中的题型 %(kind)s 不存在（可用：%(allowed)s）"),
                    kind=str(value), allowed=", ".join(question_kinds.KINDS))))
            elif dimension is Dimension.TAG and not (isinstance(value, str)
                                                     and TAG_RE.match(value)):
                problems.append(Problem(rel, line, msg(
                    N_("require.tags 中的 %(tag)s 不是标签（应如 topic:发货承诺）"), tag=str(value))))
            elif not isinstance(minimum, int) or isinstance(minimum, bool) \
                    or not 1 <= minimum <= 200:
                problems.append(Problem(rel, line, msg(
                    N_("require 中 %(name)s 的数量应为 1 到 200 之间的整数"), name=str(value))))
            else:
                found.append(Requirement(dimension, str(value), minimum, line))
    return tuple(found)


def _acknowledged(data: dict[str, Any], rel: str,
                  problems: list[Problem]) -> tuple[Acknowledgement, ...]:
    """`acknowledged: [{warning: coverage, reason: …}]`: lint warnings accepted for the exam."""
    raw = data.get("acknowledged")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(Problem(rel, _line(data, key="acknowledged"), msg(
            N_("acknowledged 应为列表，每项写 warning 和 reason"))))
        return ()
    found: list[Acknowledgement] = []
    for entry in raw:
        line = _line(entry) if isinstance(entry, dict) else _line(data, key="acknowledged")
        if not isinstance(entry, dict) or entry.get("warning") not in WARNING_CODES:
            problems.append(Problem(rel, line, msg(
                N_("acknowledged 的 warning 只能是 %(allowed)s 之一"),
                allowed=", ".join(WARNING_CODES))))
            continue
        reason = str(entry.get("reason") or "").strip()
        if not reason or len(reason) > MAX_REFERENCE * 2:
            problems.append(Problem(rel, line, msg(
                N_("acknowledged 的每一项都要写 reason（不超过 %(limit)d 个字符）"),
                limit=MAX_REFERENCE * 2)))
            continue
        found.append(Acknowledgement(warning=WarningCode(entry["warning"]), reason=reason))
    return tuple(found)
