"""Pure rules of bank management: file formats, dry-run reports, filters, question templates."""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class FileFormat(StrEnum):
    YAML = "yaml"  # a bank or an exam definition: the content decides
    BANK = "bank"
    EXAM = "exam"
    GIFT = "gift"
    MOODLE_XML = "moodle-xml"


EXTENSIONS = {".yaml": FileFormat.YAML, ".yml": FileFormat.YAML, ".gift": FileFormat.GIFT,
              ".txt": FileFormat.GIFT, ".xml": FileFormat.MOODLE_XML}
INTEROP_FORMATS = (FileFormat.GIFT, FileFormat.MOODLE_XML)
# Keys an exam definition has and a bank never has.
EXAM_ONLY_FIELDS = ("pass_mark", "time_limit_minutes", "attempts", "counts", "layout", "review",
                    "areas", "shuffle_questions", "shuffle_options", "wait_minutes")
MAX_NAME_CHARS = 120
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def file_format(name: str) -> FileFormat | None:
    """The format a file name says (None: not a file this page imports)."""
    lowered = name.lower()
    for extension, fmt in EXTENSIONS.items():
        if lowered.endswith(extension):
            return fmt
    return None


def yaml_format(raw: Any) -> FileFormat:
    """A YAML file is an exam definition when it looks like one, otherwise a bank (whose
    loader then reports whatever is wrong with it)."""
    if isinstance(raw, dict):
        if isinstance(raw.get("questions"), dict):
            return FileFormat.EXAM
        if "questions" not in raw and any(name in raw for name in EXAM_ONLY_FIELDS):
            return FileFormat.EXAM
    return FileFormat.BANK


def clean_file_name(name: str | None) -> str:
    """An uploaded file's name as shown in reports: no folders, no control characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = _CONTROL_RE.sub("", base).strip()
    return base[:MAX_NAME_CHARS] or "upload"


def file_stem(name: str) -> str:
    return name.rsplit(".", 1)[0] if "." in name else name


def default_bank_key(name: str) -> str:
    """What the GIFT and Moodle XML importers call a bank when no key is given."""
    key = re.sub(r"[^a-z0-9]+", "-", file_stem(name).lower()).strip("-")[:64].strip("-")
    return key or "imported"


def chunks(text: str, size: int) -> list[str]:
    """`text` in pieces of at most `size` characters (each a form field of its own)."""
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


# --- the dry-run report -----------------------------------------------------------------


class Change(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    REMOVED = "removed"


@dataclass(frozen=True)
class PlanEntry:
    what: str  # "question" or "exam"
    bank: str | None  # for questions
    key: str  # question id or exam key


@dataclass
class PlanReport:
    """An import plan grouped for people: per change, the questions by bank and the exams."""

    questions: dict[Change, dict[str, list[str]]] = field(default_factory=dict)
    exams: dict[Change, list[str]] = field(default_factory=dict)

    def count(self, change: Change, what: str | None = None) -> int:
        questions = sum(len(ids) for ids in self.questions.get(change, {}).values())
        exams = len(self.exams.get(change, []))
        return {"question": questions, "exam": exams}.get(what or "", questions + exams)

    @property
    def touched(self) -> bool:
        return any(self.count(c) for c in (Change.NEW, Change.CHANGED, Change.REMOVED))


def parse_entry(entry: str) -> PlanEntry:
    """ "question:bank/id" or "exam:key", as the import plan writes them."""
    what, _, ref = entry.partition(":")
    if what == "question" and "/" in ref:
        bank, _, qid = ref.partition("/")
        return PlanEntry("question", bank, qid)
    return PlanEntry("exam", None, ref)


def plan_report(lists: dict[Change, list[str]]) -> PlanReport:
    report = PlanReport()
    for change in Change:
        for entry in lists.get(change, []):
            parsed = parse_entry(entry)
            if parsed.what == "question":
                report.questions.setdefault(change, {}).setdefault(parsed.bank or "", []).append(
                    parsed.key)
            else:
                report.exams.setdefault(change, []).append(parsed.key)
    return report


def digest(files: list[tuple[str, bytes, str | None, str | None]],
           lists: dict[Change, list[str]]) -> str:
    """Fingerprint of what a trainer reviewed: the files (with the keys chosen for them) and
    what importing them would do. Confirming applies only exactly this."""
    content = {
        "files": [[name, hashlib.sha256(data).hexdigest(), key, title]
                  for name, data, key, title in files],
        "plan": {change.value: sorted(lists.get(change, [])) for change in Change},
    }
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True)
                          .encode("utf-8")).hexdigest()


# --- browsing a bank --------------------------------------------------------------------

STATUSES = ("active", "retired", "all")
MAX_SEARCH_CHARS = 100
MAX_CATEGORY_ARG = 1200  # a category path in the address (10 levels of 100 characters)


def fold(text: str) -> str:
    """Text for searching: full- and half-width alike, case ignored, spaces squeezed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def searchable_text(qid: str, definition: Any) -> str:
    """Every text of a question (prompt, choices, answers, explanation …) for the search box."""
    texts: list[str] = [qid]

    def walk(value: Any) -> None:
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(definition)
    return fold("\n".join(texts))


@dataclass(frozen=True)
class QuestionFilter:
    kind: str = ""
    difficulty: str = ""
    tag: str = ""
    text: str = ""
    status: str = "all"
    # A category path, as exams.categories.join_path(levels, contexts=False) writes it.
    category: str = ""

    @classmethod
    def from_args(cls, args: Any) -> QuestionFilter:
        def arg(name: str) -> str:
            value = args.get(name, "")
            return value.strip() if isinstance(value, str) else ""

        status = arg("status")
        return cls(kind=arg("kind"), difficulty=arg("difficulty"), tag=arg("tag"),
                   text=arg("q")[:MAX_SEARCH_CHARS],
                   status=status if status in STATUSES else "all",
                   category=arg("category")[:MAX_CATEGORY_ARG])

    @property
    def active(self) -> bool:
        return bool(self.kind or self.difficulty or self.tag or self.text
                    or self.status != "all" or self.category)

    def matches(self, *, kind: str, difficulty: str, tags: list[str], retired: bool,
                text: str, category: str = "") -> bool:
        """`text` is the question's searchable_text; `category` its category path written
        as the filter's is, which must be the filter's path or lie below it."""
        if self.category and not within_category(category, self.category):
            return False
        if self.kind and kind != self.kind:
            return False
        if self.difficulty and difficulty != self.difficulty:
            return False
        if self.tag and self.tag not in tags:
            return False
        if self.status == "active" and retired or self.status == "retired" and not retired:
            return False
        return all(word in text for word in fold(self.text).split())


def within_category(path: str, prefix: str) -> bool:
    """Whether a category path is `prefix` or below it, both written with "/" between
    levels and "//" for a slash within a level (a level never starts or ends with "/", so a
    lone "/" is always a boundary): "售后/发票" is within "售后", "售后//售前" is not."""
    if path == prefix:
        return True
    if prefix.endswith("/"):  # not a path this portal writes
        return False
    rest = path[len(prefix):] if path.startswith(prefix) else ""
    return rest.startswith("/") and not rest.startswith("//")


def excerpt(text: str, limit: int = 60) -> str:
    """The first line of a prompt, shortened: to recognise a question in a list."""
    line = " ".join((text or "").split())
    return line if len(line) <= limit else line[:limit - 1] + "…"


# --- the editor -------------------------------------------------------------------------

ID_PLACEHOLDER = "__ID__"

# A starting point per kind: valid as it is (a test checks), every field of the kind shown.
QUESTION_TEMPLATES: dict[str, str] = {
    "single-choice": """\
id: __ID__
kind: single-choice
prompt: 题干（可用 Markdown）
points: 1
difficulty: medium
tags: [topic:主题]
choices:
  - text: 正确的选项
    correct: true
    feedback: 可选，选了这一项时在回顾里显示
  - text: 错误的选项
  - text: 部分正确的选项
    credit: 50
explanation: 解析：为什么这样答（交卷后显示）
""",
    "multiple-choice": """\
id: __ID__
kind: multiple-choice
prompt: 以下哪些做法是正确的？
points: 2
difficulty: medium
tags: [topic:主题]
scoring: all-or-nothing   # all-or-nothing | proportional | weighted
choices:
  - text: 正确的选项一
    correct: true
  - text: 正确的选项二
    correct: true
  - text: 错误的选项
explanation: 解析
""",
    "true-false": """\
id: __ID__
kind: true-false
prompt: 一句需要判断对错的话。
points: 1
difficulty: easy
tags: [topic:主题]
answer: true
feedback_correct: 可选，答对时显示
feedback_incorrect: 可选，答错时显示
explanation: 解析
""",
    "fill-in": """\
id: __ID__
kind: fill-in
prompt: 签收后 [[1]] 天内可以申请 [[2]]。
points: 2
difficulty: easy
tags: [topic:主题]
blanks:
  - [七, 7]
  - answers:
      - 七天无理由退货
      - {text: 退货, credit: 50, feedback: 完整说法是“七天无理由退货”}
explanation: 解析
""",
    "numeric": """\
id: __ID__
kind: numeric
prompt: 销售额 30000 元、100 单，客单价是多少元？
points: 2
difficulty: medium
tags: [topic:主题]
value: 300
tolerance: 0        # 绝对误差，或百分比如 "2%"
unit: 元
explanation: 30000 ÷ 100 = 300 元
""",
    "matching": """\
id: __ID__
kind: matching
prompt: 把左边的项目与右边的说明对应起来。
points: 2
difficulty: easy
tags: [topic:主题]
scoring: proportional   # proportional | all-or-nothing
pairs:
  - {left: 客服群, right: 接收排班与活动通知}
  - {left: 物流群, right: 跟进异常件和催件}
distractors: [发布个人广告]
explanation: 解析
""",
    "short-answer": """\
id: __ID__
kind: short-answer
prompt: 写出你的回复和处理步骤。
difficulty: hard
tags: [topic:主题]
rubric:
  - criterion: 先安抚情绪并致歉
    points: 2
  - criterion: 给出处理方案
    points: 2
    guidance: 可选，给阅卷人的说明
reference_answer: 可选，阅卷时显示的参考答案
max_chars: 800
explanation: 解析
""",
    "case": """\
id: __ID__
kind: case
prompt: 阅读情景，回答下列小题。
difficulty: medium
tags: [topic:主题]
scenario: |
  情景描述……
questions:
  - id: q1
    kind: single-choice
    prompt: 应当怎样处理？
    points: 2
    choices:
      - text: 正确的做法
        correct: true
      - text: 错误的做法
  - id: q2
    kind: true-false
    prompt: 一句需要判断对错的话。
    points: 1
    answer: false
explanation: 解析
""",
    "operation-task": """\
id: __ID__
kind: operation-task
prompt: 根据情景填写订单备注。
difficulty: medium
tags: [topic:订单备注]
form:
  - name: reason
    label: 备注原因
    type: text
    check: {rule: contains-all, values: [缺货, 换款]}
    points: 2
  - name: staff_id
    label: 工号
    type: text
    check: {rule: regex, pattern: 'KF\\d{4}'}
    points: 1
  - name: decision
    label: 处理结果
    type: select
    options: [退款, 换款, 等待补货]
    check: {rule: exact, value: 换款}
    points: 1
explanation: 解析
""",
}


def free_id(kind: str, taken: set[str]) -> str:
    """A question id not used in the bank yet (retired ids count: ids are never reused)."""
    n = 1
    while f"{kind}-{n:02d}" in taken:
        n += 1
    return f"{kind}-{n:02d}"


def question_template(kind: str, qid: str) -> str:
    return QUESTION_TEMPLATES[kind].replace(ID_PLACEHOLDER, qid)


def line_text(text: str, line: int | None, limit: int = 80) -> str:
    """The text of line `line` (1-based), shortened: shown next to a problem."""
    if line is None or line < 1:
        return ""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if line > len(lines):
        return ""
    value = lines[line - 1].strip()
    return value if len(value) <= limit else value[:limit - 1] + "…"


def gift_with_notes(text: str, notes: list[str], *, heading: str) -> str:
    """A GIFT export with a header comment listing what GIFT could not express (Moodle and
    this portal skip `//` lines)."""
    if not notes:
        return text
    lines = text.split("\n")
    header = [f"// {heading}"] + [f"//   - {' '.join(note.split())}" for note in notes]
    at = 0
    while at < len(lines) and lines[at].startswith("//"):
        at += 1  # after the exporter's own header comments
    return "\n".join(lines[:at] + header + lines[at:])


# --- tags -------------------------------------------------------------------------------

_TAG_RE = re.compile(r"^(?P<prefix>stage|role|topic):(?P<value>\S{1,40})$")


@dataclass(frozen=True)
class TagChip:
    """A tag split for showing: its prefix (None for a tag of no known shape) and its value
    (a stage's title instead of its key when the stage is known)."""

    prefix: str | None
    value: str


def tag_chip(tag: str, stage_titles: dict[str, str]) -> TagChip:
    match = _TAG_RE.match(tag)
    if match is None:
        return TagChip(None, tag)
    value = match["value"]
    if match["prefix"] == "stage":
        value = stage_titles.get(value, value)
    return TagChip(match["prefix"], value)
