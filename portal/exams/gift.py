"""GIFT, Moodle's text format for questions: import into a bank, export a bank.

Import follows Moodle's own reader (question/format/gift/format.php): questions are separated
by blank lines, `//` lines are comments, `\\~ \\= \\# \\{ \\} \\: \\\\ \\n` are escapes, and the
question type is decided from the answer block the same way. Each GIFT question becomes one of
this portal's kinds (see docs/question-bank-format.md) and is then checked by the same rules
as a YAML bank, so problems are reported by line and nothing is imported unless all is valid.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from portal.content.loader import Problem
from portal.exams import kinds
from portal.exams.bank import Bank, ImportResult, decode_utf8
from portal.exams.categories import join_path
from portal.exams.interop import Importer, imported_tag
from portal.exams.kinds import NUMBER_RE
from portal.exams.kinds.choice import TRUE_FALSE
from portal.exams.markup import html_to_text
from portal.exams.normalize import normalize_number_text
from portal.messages import N_, msg

MAX_GIFT_BYTES = 1024 * 1024
FORMATS = ("html", "moodle", "plain", "markdown")
# Escaped control characters are held as Unicode noncharacters while a question is parsed.
_ESCAPABLE = "\\:#={}~n"
_HOLD = {c: chr(0xFDD0 + i) for i, c in enumerate(_ESCAPABLE)}
_RELEASE = {v: ("\n" if k == "n" else k) for k, v in _HOLD.items()}
_NONCHARACTERS = re.compile("[\ufdd0-\ufdef]")
_GAP = "\ufdef"  # where the answer block was, in a missing-word question
_FORMAT_RE = re.compile(r"\s*\[(html|moodle|plain|markdown)\]")
WEIGHT_RE = re.compile(r"\s*%(-?\d{1,3}(?:\.\d{1,6})?)%")
META_RE = re.compile(r"\[(id|tag|points|difficulty|unit):([^\]\n]*)\]")
MAX_SEGMENTS = 100  # answers in one answer block


@dataclass
class _Block:
    line: int  # line of the block's first character
    text: str  # escapes held, lines trimmed, joined with \n
    comments: str
    breaks: list[int] = field(default_factory=list)  # offsets of the \n in text

    def __post_init__(self) -> None:
        self.breaks = [i for i, ch in enumerate(self.text) if ch == "\n"]

    def line_at(self, offset: int) -> int:
        return self.line + bisect.bisect_left(self.breaks, max(0, offset))


def _hold(text: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(text):
        ch = text[index]
        if ch == "\\" and index + 1 < len(text) and text[index + 1] in _HOLD:
            out.append(_HOLD[text[index + 1]])
            index += 2
        else:
            out.append(ch)
            index += 1
    return "".join(out)


def _release(text: str) -> str:
    return "".join(_RELEASE.get(ch, ch) for ch in text)


_UNHOLD = {v: "\\" + k for k, v in _HOLD.items()}


def _unhold(text: str) -> str:
    """Held text as it was written, escapes included."""
    return "".join(_UNHOLD.get(ch, ch) for ch in text)


def _blocks(text: str) -> list[_Block]:
    """Questions as Moodle separates them: by blank lines, comment lines set aside."""
    blocks: list[_Block] = []
    lines: list[str] = []
    comments: list[str] = []
    start = 1

    def flush() -> None:
        joined = "\n".join(lines)
        lead = len(joined) - len(joined.lstrip())
        body = joined.strip()
        if body or comments:
            blocks.append(_Block(start + joined.count("\n", 0, lead), _hold(body),
                                 "\n".join(comments)))

    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        if not line:
            if lines:
                flush()
            lines, comments = [], []
            continue
        if not lines:
            start = number
        if line.startswith("//"):
            comments.append(line)
            lines.append(" ")
        else:
            lines.append(line)
    if lines:
        flush()
    return blocks


def _format(text: str, default: str) -> tuple[str, str]:
    match = _FORMAT_RE.match(text)
    if match:
        return match[1], text[match.end():]
    return default, text


def _convert(held: str, fmt: str, state: Importer, line: int, *, detect: bool = True) -> str:
    """Held text to the Markdown a bank stores: escapes released, HTML turned into text.
    An answer or feedback may start with its own [format]."""
    if detect:
        fmt, held = _format(held, fmt)
    text = _release(held)
    if fmt == "html":
        text, images = html_to_text(text)
        if images:
            state.notice(line, N_("图片没有导入（只导入文字）"), line=line)
    return text.strip()


def _segments(body: str, markers: str) -> list[tuple[int, str, str]]:
    """The answers of a block: (offset in body, marker, text). Text before the first marker
    counts as an answer without marker, as in Moodle, unless it is blank."""
    found: list[tuple[int, str, str]] = []
    start, marker = 0, ""
    for index, ch in enumerate(body):
        if ch in markers:
            found.append((start, marker, body[start:index]))
            start, marker = index + 1, ch
    found.append((start, marker, body[start:]))
    if not found[0][2].strip() and not found[0][1]:
        found.pop(0)
    return found


def _weight(text: str, state: Importer, line: int) -> tuple[float | None, str]:
    """A leading %weight% (percent of the points), if any, and the text after it."""
    match = WEIGHT_RE.match(text)
    if not match:
        return None, text
    weight = float(match[1])
    if abs(weight) > 100:
        state.problem(line, N_("权重 %(weight)s%% 超出了 -100%% 到 100%% 的范围"), weight=match[1])
        weight = 0.0
    return weight, text[match.end():]


def _number(text: str) -> Decimal | None:
    typed = normalize_number_text(text)
    if not NUMBER_RE.fullmatch(typed):
        return None
    return Decimal(typed)


def _plain_number(value: Decimal) -> int | float:
    if value == value.to_integral_value():
        return int(value)
    return float(value)


# --- reading one question ---------------------------------------------------------------


def _parse_block(block: _Block, state: Importer) -> None:
    held = block.text
    if not held:
        return  # only comments
    if held.startswith("$CATEGORY:"):  # taken literally, escapes and all, as Moodle does
        state.category(_unhold(held[len("$CATEGORY:"):]), block.line)
        return
    pos, name = 0, None
    if held.startswith("::"):
        end = held.find("::", 2)
        if end >= 0:
            name = _release(held[2:end]).strip()
            pos = end + 2
        else:
            pos = 2
    opening, closing = held.find("{", pos), held.find("}", pos)
    if opening < 0 and closing < 0:
        state.notice(block.line, N_("这是没有答案区的说明文字，已跳过（本门户只导入题目）"),
                     line=block.line)
        return
    if opening < 0 or 0 <= closing < opening:
        state.problem(block.line_at(closing), N_("多余的 }：答案写在 {…} 中，文字里的花括号请写成 \\{ 和 \\}"))
        return
    if closing < 0:
        state.problem(block.line_at(opening), N_("答案区的 { 没有对应的 }（题目之间要空一行）"))
        return
    rest = held[closing + 1:]
    if held.find("{", opening + 1, closing) >= 0 or "{" in rest or "}" in rest:
        state.problem(block.line_at(opening), N_("一道题只能有一个答案区 {…}；题目之间要空一行，文字里的花括号请写成 \\{ 和 \\}"))
        return
    fmt, before = _format(held[pos:opening].lstrip(), "moodle")
    after = held[closing + 1:]
    answer = held[opening + 1:closing]
    base = opening + 1
    if answer.count("=") + answer.count("~") > MAX_SEGMENTS:
        state.problem(block.line_at(opening), N_("一道题最多 %(count)d 个答案"), count=MAX_SEGMENTS)
        return
    raw: dict[str, Any] = {"__line__": block.line}
    general = answer.rfind("####")
    if general >= 0:
        explanation = _convert(answer[general + 4:], fmt, state, block.line_at(base + general))
        if explanation:
            raw["explanation"] = explanation
        answer = answer[:general]
    body = answer.strip()
    kind = kinds.get_kind(_detect(body))
    raw["kind"] = kind.name
    gap = kind.gift_gap
    prompt_held = before + _GAP + after if after.strip() else before
    raw["prompt"] = _convert(prompt_held, fmt, state, block.line, detect=False).replace(_GAP, gap)
    meta = _meta(block, state)
    raw["points"] = meta.get("points", 1)
    if "difficulty" in meta:
        raw["difficulty"] = meta["difficulty"]
    if "id" in meta:
        raw["id"] = meta["id"]
    if not kind.from_gift(raw, _Answers(answer, base, fmt, block, state, meta)):
        return
    state.add(raw, name, meta["tags"])


def _detect(body: str) -> str:
    """The kind, decided as Moodle decides the GIFT question type."""
    if not body:
        return "short-answer"  # essay
    if body.startswith("#"):
        return "numeric"
    if "~" in body:
        return "single-choice" if "=" in body else "multiple-choice"
    if "=" in body and "->" in body:
        return "matching"
    head = body.split("#", 1)[0].strip() if body.find("#") > 0 else body
    return "true-false" if head in TRUE_FALSE else "fill-in"


@dataclass
class _Answers:
    """One question's answer block, as its kind reads it (`QuestionKind.from_gift`):
    the GIFT syntax is here, what the answers mean is the kind's."""

    text: str  # the block between { and }, escapes held, general feedback cut off
    base: int  # its offset in the question's block
    fmt: str
    block: _Block
    state: Importer
    meta: dict[str, Any]

    @property
    def body(self) -> str:
        return self.text.strip()

    @property
    def line(self) -> int:
        return self.block.line

    def line_at(self, offset: int) -> int:
        """The file line of an offset into the answer block."""
        return self.block.line_at(self.base + offset)

    def segments(self, markers: str, text: str | None = None,
                 start: int = 0) -> list[tuple[int, str, str]]:
        """The answers (line, marker, text) of the block, or of `text` found at `start`."""
        return [(self.line_at(start + offset + len(segment) - len(segment.lstrip())), marker,
                 segment)
                for offset, marker, segment in _segments(self.text if text is None else text,
                                                         markers)]

    def convert(self, text: str, line: int) -> str:
        return _convert(text, self.fmt, self.state, line)

    @staticmethod
    def release(text: str) -> str:
        return _release(text)

    def weight(self, text: str, line: int) -> tuple[float | None, str]:
        return _weight(text, self.state, line)

    def feedback(self, item: dict[str, Any], text: str, line: int) -> None:
        _feedback(item, text, self.fmt, self.state, line)

    number = staticmethod(_number)
    plain_number = staticmethod(_plain_number)

    def problem(self, where: int | None, text: str, /, **params: Any) -> None:
        self.state.problem(where, text, **params)

    def notice(self, where: int | None, text: str, /, **params: Any) -> None:
        self.state.notice(where, text, **params)


def _meta(block: _Block, state: Importer) -> dict[str, Any]:
    """Moodle's [id:…] and [tag:…] comments, and this portal's [points:…], [difficulty:…]
    and [unit:…] (a numeric question's unit)."""
    meta: dict[str, Any] = {"tags": []}
    for match in META_RE.finditer(block.comments):
        name, value = match[1], match[2].strip()
        if name == "id":
            meta["id"] = value
        elif name == "tag":
            meta["tags"].append(imported_tag(value))
        elif name in ("difficulty", "unit"):
            meta[name] = value
        else:
            number = _number(value)
            if number is None:
                state.problem(block.line, N_("注释中的 [points:%(value)s] 不是数"), value=value)
            else:
                meta["points"] = _plain_number(number)
    return meta


def _feedback(item: dict[str, Any], text: str, fmt: str, state: Importer, line: int) -> None:
    feedback = _convert(text, fmt, state, line)
    if feedback:
        item["feedback"] = feedback


def import_gift(data: bytes, path: str, *, key: str | None = None,
                title: str | None = None) -> ImportResult:
    """Import a GIFT file as a bank (key and title default to the file's name)."""
    problems: list[Problem] = []
    notices: list[Problem] = []
    text = decode_utf8(data, path, problems, limit=MAX_GIFT_BYTES)
    if text is None:
        return ImportResult(None, problems, notices)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    bad = _NONCHARACTERS.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        problems.append(Problem(path, line, msg(N_("含有不允许的字符 U+%(code)04X"),
                                                line=line, code=ord(bad[0]))))
        return ImportResult(None, problems, notices)
    state = Importer(path, problems, notices)
    for block in _blocks(text):
        _parse_block(block, state)
    return state.finish(key=key, title=title)


# --- writing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportResult:
    text: str
    notices: list[Problem]  # questions left out, or written with something lost


def _escape(text: str) -> str:
    text = text.replace("\\", "\\\\")
    for ch in "~=#{}:":
        text = text.replace(ch, "\\" + ch)
    return text.replace("\n", "\\n")


def _weight_text(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def _item(marker: str, text: str, *, credit: float, feedback: str = "") -> str:
    """One answer line; the weight is written unless GIFT's default (100 after "=", 0 after
    "~") says it, or when the text itself starts like a weight."""
    escaped = _escape(text)
    default = 100 if marker == "=" else 0
    weight = f"%{_weight_text(credit)}%" if credit != default or WEIGHT_RE.match(escaped) else ""
    return f"\t{marker}{weight}{escaped}" + (f"#{_escape(feedback)}" if feedback else "")


def _number_text(value: float | Decimal) -> str:
    if isinstance(value, Decimal):
        value = _plain_number(value)
    return repr(value) if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class _Writer:
    """What a kind writes its answer block with (`QuestionKind.to_gift`)."""

    note: Any  # note(text): a remark on this question (left out, or written with a loss)

    escape = staticmethod(_escape)
    item = staticmethod(_item)
    weight_text = staticmethod(_weight_text)
    number_text = staticmethod(_number_text)


def export_gift(bank: Bank) -> ExportResult:
    """The bank in GIFT; kinds GIFT cannot express are left out and reported."""
    notices: list[Problem] = []
    title = " ".join(bank.title.split())
    out = [f"// {title} ({bank.key})",
           ("// Exported in GIFT format; [points:…] and [difficulty:…] comments are read back "
            "by the training portal."), ""]
    category: list[str] = []
    for question in bank.questions:
        q = question.definition

        def note(text: str, _q: kinds.QuestionDef = q, _line: int | None = question.line) -> None:
            notices.append(Problem(bank.path, _line, msg(text, id=_q.id, kind=_q.kind)))

        kind = kinds.get_kind(q.kind)
        lines = kind.to_gift(q, _Writer(note))
        if lines is None:
            continue
        meta = (f"// [id:{q.id}] [points:{_number_text(q.points)}]"
                f" [difficulty:{q.difficulty}]")
        for word in kind.gift_meta(q):
            meta += f" {word}"
        for tag in q.tags:
            if "]" in tag:
                note(N_("题目 %(id)s：含有“]”的标签没有导出"))
            else:
                meta += f" [tag:{tag}]"
        if q.explanation:
            lines.append(f"\t####{_escape(q.explanation)}")
        block = "{" + ("\n" + "\n".join(lines) + "\n" if lines else "") + "}"
        prompt = q.prompt
        gap = kind.gift_gap
        if prompt.count(gap) == 1 and not prompt.endswith(gap):
            before, after = prompt.split(gap)
            body = _escape(before) + block + _escape(after)
        else:
            body = _escape(prompt) + block
        if list(q.category) != category:  # $CATEGORY: when it changes, as Moodle writes
            category = list(q.category)
            out.extend([f"$CATEGORY: {join_path(category)}", ""])
        title = f"::{_escape(q.title)}::" if q.title else ""
        out.extend([meta, f"{title}[markdown]{body}", ""])
    return ExportResult("\n".join(out), notices)
