"""Exam definition files: what an exam is made of and its rules, validated by file and line.

Pure: it reads text and returns plain data; question references are checked against the
banks by the caller (who knows which questions exist).
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from portal.content.loader import KEY_RE, Problem, _line
from portal.exams.bank import parse_yaml
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
class RandomPick:
    count: int
    tags: list[str]
    difficulty: dict[str, int]  # how many of each difficulty; empty = any


@dataclass(frozen=True)
class ExamDefinition:
    key: str
    path: str
    title: str
    kind: str
    track: str | None
    stage: str | None
    pass_mark: int
    time_limit_minutes: int
    attempts: int
    counts: str
    wait_minutes: int
    shuffle_questions: bool
    shuffle_options: bool
    layout: str
    review_when: str
    review_show: list[str]
    areas: dict[str, str]  # question tag -> placement area
    fixed: list[str]  # "bank/question-id"
    random: list[RandomPick]
    instructions: str
    source_text: str
    source_hash: str = field(default="")
    time_warning_minutes: int = 5  # the exam page warns this long before the end (0: never)


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
        tags = pick.get("tags", [])
        if not isinstance(tags, list) or not tags or not all(
                isinstance(t, str) and len(t) <= MAX_REFERENCE for t in tags):
            problems.append(Problem(rel, _line(pick, key="tags"), msg(N_("tags 应为非空的标签列表"))))
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
        random.append(RandomPick(count=count, tags=[str(t) for t in tags], difficulty=difficulty))
    if not fixed and not random and isinstance(questions, dict) and questions:
        problems.append(Problem(rel, _line(data, key="questions"), msg(N_("考试没有任何题目"))))
    definition = ExamDefinition(
        key=key, path=rel, title=title, kind=kind, track=track, stage=stage, pass_mark=pass_mark,
        time_limit_minutes=time_limit, attempts=attempts, counts=counts, wait_minutes=wait,
        shuffle_questions=shuffle_questions, shuffle_options=shuffle_options, layout=layout,
        review_when=review_when, review_show=[str(s) for s in show], areas=areas, fixed=fixed,
        random=random, instructions=instructions, source_text=text,
        source_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        time_warning_minutes=warning)
    return definition, problems
