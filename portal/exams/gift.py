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
from portal.exams.bank import Bank, ImportResult, decode_utf8
from portal.exams.categories import join_path
from portal.exams.interop import Importer, choice_fields, essay_fields, imported_tag
from portal.exams.kinds import NUMBER_RE
from portal.exams.markup import html_to_text
from portal.exams.normalize import normalize_number_text
from portal.exams.validation import tidy
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
TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
BLANK = "_____"
FILL_IN_MARK = "[[1]]"
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
            state.notice(line, N_("第 %(line)d 行的图片没有导入（只导入文字）"), line=line)
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
        state.notice(block.line, N_("第 %(line)d 行是没有答案区的说明文字，已跳过（本门户只导入题目）"),
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
    kind = _detect(body)
    raw["kind"] = kind
    gap = FILL_IN_MARK if kind == "fill-in" else BLANK
    prompt_held = before + _GAP + after if after.strip() else before
    raw["prompt"] = _convert(prompt_held, fmt, state, block.line, detect=False).replace(_GAP, gap)
    meta = _meta(block, state)
    raw["points"] = meta.get("points", 1)
    if "difficulty" in meta:
        raw["difficulty"] = meta["difficulty"]
    if "id" in meta:
        raw["id"] = meta["id"]
    if "unit" in meta and kind == "numeric":
        raw["unit"] = meta["unit"]
    line_of = block.line_at
    if kind == "short-answer":
        essay_fields(raw)
    elif kind == "numeric":
        if not _numeric(raw, answer, base, fmt, block, state):
            return
    elif kind in ("single-choice", "multiple-choice"):
        _choices(raw, answer, base, fmt, block, state)
    elif kind == "matching":
        if not _matching(raw, answer, base, fmt, block, state):
            return
    elif kind == "true-false":
        head, _, feedback = body.partition("#")
        raw["answer"] = TRUE_FALSE[head.strip()]
        wrong, _, right = feedback.partition("#")
        line = line_of(base)
        for key, value in (("feedback_incorrect", wrong), ("feedback_correct", right)):
            text = _convert(value, fmt, state, line)
            if text:
                raw[key] = text
    else:
        _fill_in(raw, answer, base, fmt, block, state)
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


def _choices(raw: dict[str, Any], answer: str, base: int, fmt: str, block: _Block,
             state: Importer) -> None:
    entries: list[tuple[dict[str, Any], float]] = []
    for offset, marker, segment in _segments(answer, "~="):
        line = block.line_at(base + offset + len(segment) - len(segment.lstrip()))
        weight: float | None = 100.0 if marker == "=" else None
        if marker != "=":  # after "=" a choice is simply right, as in Moodle
            weight, segment = _weight(segment, state, line)
        choice_text, _, feedback = segment.partition("#")
        item: dict[str, Any] = {"__line__": line, "text": _convert(choice_text, fmt, state, line)}
        _feedback(item, feedback, fmt, state, line)
        entries.append((item, weight or 0.0))
    choice_fields(raw, entries, state)


def _fill_in(raw: dict[str, Any], answer: str, base: int, fmt: str, block: _Block,
             state: Importer) -> None:
    answers: list[dict[str, Any]] = []
    for offset, _, segment in _segments(answer, "="):
        line = block.line_at(base + offset + len(segment) - len(segment.lstrip()))
        weight, segment = _weight(segment, state, line)
        accepted, _, feedback = segment.partition("#")
        if weight is not None and weight <= 0:
            state.notice(line, N_("第 %(line)d 行的 0 分或负分答案已忽略（本门户的填空题只列可接受的答案）"),
                         line=line)
            continue
        item: dict[str, Any] = {"__line__": line, "text": _convert(accepted, fmt, state, line),
                                "credit": tidy(weight) if weight is not None else 100}
        _feedback(item, feedback, fmt, state, line)
        answers.append(item)
    raw["answers"] = answers


def _matching(raw: dict[str, Any], answer: str, base: int, fmt: str, block: _Block,
              state: Importer) -> bool:
    pairs: list[dict[str, Any]] = []
    distractors: list[str] = []
    for offset, _, segment in _segments(answer, "="):
        line = block.line_at(base + offset + len(segment) - len(segment.lstrip()))
        if "->" not in segment:
            state.problem(line, N_("匹配题的每一项应写成 =左侧 -> 右侧"))
            return False
        left, right = segment.split("->", 1)
        left_text = _convert(left, fmt, state, line)
        right_text = _release(right).strip()
        if left_text:
            pairs.append({"__line__": line, "left": left_text, "right": right_text})
        else:
            distractors.append(right_text)
    raw["pairs"] = pairs
    if distractors:
        raw["distractors"] = distractors
    return True


def _numeric(raw: dict[str, Any], answer: str, base: int, fmt: str, block: _Block,
             state: Importer) -> bool:
    body_start = answer.find("#") + 1
    body = answer[body_start:]
    wrong = body.find("~")
    if wrong >= 0:
        state.notice(block.line_at(base + body_start + wrong),
                     N_("第 %(line)d 行数值题的“其他答案”反馈（~…）没有导入"),
                     line=block.line_at(base + body_start + wrong))
        body = body[:wrong]
    answers: list[dict[str, Any]] = []
    for offset, _, segment in _segments(body, "="):
        line = block.line_at(base + body_start + offset + len(segment) - len(segment.lstrip()))
        weight, segment = _weight(segment, state, line)
        number_text, _, feedback = segment.partition("#")
        number_text = _release(number_text).strip()
        if weight is not None and weight <= 0:
            state.notice(line, N_("第 %(line)d 行的 0 分或负分答案已忽略（本门户的数值题只列可接受的答案）"),
                         line=line)
            continue
        if ".." in number_text[1:]:
            low_text, high_text = number_text.split("..", 1)
            low, high = _number(low_text), _number(high_text)
            if low is None or high is None or high < low:
                state.problem(line, N_("数值范围 %(text)s 应写成 较小值..较大值"), text=number_text)
                return False
            value, tolerance = (low + high) / 2, (high - low) / 2
        elif ":" in number_text[1:]:
            value_text, tolerance_text = number_text.split(":", 1)
            value, tolerance = _number(value_text), _number(tolerance_text)  # type: ignore[assignment]
        else:
            value, tolerance = _number(number_text), Decimal(0)  # type: ignore[assignment]
        if value is None or tolerance is None:
            state.problem(line, N_("数值题答案 %(text)s 应为数，可写成 值:误差 或 最小值..最大值"),
                          text=number_text)
            return False
        item: dict[str, Any] = {"__line__": line, "value": _plain_number(value),
                                "tolerance": _plain_number(tolerance),
                                "credit": tidy(weight) if weight is not None else 100}
        _feedback(item, feedback, fmt, state, line)
        answers.append(item)
    if not answers:
        state.problem(block.line, N_("数值题没有可接受的答案"))
        return False
    raw["answers"] = answers
    return True


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
        problems.append(Problem(path, line, msg(N_("第 %(line)d 行含有不允许的字符 U+%(code)04X"),
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


def _answer_lines(q: dict[str, Any], note: Any) -> list[str] | None:
    kind = q["kind"]
    if kind == "single-choice":
        # After "=" Moodle reads no weight: the right choice is written without one.
        return [f"\t={_escape(c['text'])}"
                + (f"#{_escape(c['feedback'])}" if c.get("feedback") else "")
                if c["correct"] else
                _item("~", c["text"], credit=c.get("credit", 0), feedback=c.get("feedback", ""))
                for c in q["choices"]]
    if kind == "multiple-choice":
        scoring = q["scoring"]
        if scoring == "weighted":
            credits = [c["credit"] for c in q["choices"]]
        else:
            if scoring == "all-or-nothing":
                note(N_("题目 %(id)s：多选题“全对才得分”在 GIFT 中无法表达，已按比例计分导出"))
            share = 100 / sum(1 for c in q["choices"] if c["correct"])
            credits = [tidy(share if c["correct"] else -share) for c in q["choices"]]
        return [_item("~", c["text"], credit=credit, feedback=c.get("feedback", ""))
                for c, credit in zip(q["choices"], credits, strict=True)]
    if kind == "true-false":
        feedback = ""
        if q.get("feedback_incorrect") or q.get("feedback_correct"):
            feedback = f"#{_escape(q.get('feedback_incorrect', ''))}"
            if q.get("feedback_correct"):
                feedback += f"#{_escape(q['feedback_correct'])}"
        return [f"\t{'TRUE' if q['answer'] else 'FALSE'}{feedback}"]
    if kind == "fill-in":
        if len(q["blanks"]) > 1:
            note(N_("题目 %(id)s：多空填空题无法用 GIFT 表达，未导出"))
            return None
        answers = q["blanks"][0]["answers"]
        if any("->" in a["text"] for a in answers):
            note(N_("题目 %(id)s：答案含有“->”，GIFT 会把它当作匹配题，未导出"))
            return None
        return [_item("=", a["text"], credit=a["credit"], feedback=a.get("feedback", ""))
                for a in answers]
    if kind == "numeric":
        lines = ["\t#"]
        for a in q["answers"]:
            tolerance = a["tolerance"]
            if isinstance(tolerance, str):
                note(N_("题目 %(id)s：百分比误差已换算成绝对误差导出"))
                tolerance = abs(Decimal(str(a["value"]))) * Decimal(tolerance.rstrip("%")) / 100
            weight = "" if a["credit"] == 100 else f"%{_weight_text(a['credit'])}%"
            feedback = f"#{_escape(a['feedback'])}" if a.get("feedback") else ""
            value = f"{_number_text(a['value'])}:{_number_text(tolerance)}"
            lines.append(f"\t={weight}{value}{feedback}")
        return lines
    if kind == "matching":
        if any("->" in p["left"] for p in q["pairs"]):
            note(N_("题目 %(id)s：匹配题左侧含有“->”，无法用 GIFT 表达，未导出"))
            return None
        if q.get("scoring") == "all-or-nothing":
            note(N_("题目 %(id)s：匹配题“全对才得分”在 GIFT 中无法表达，已按每对计分导出"))
        lines = [f"\t={_escape(p['left'])} -> {_escape(p['right'])}" for p in q["pairs"]]
        return lines + [f"\t= -> {_escape(d)}" for d in q.get("distractors", [])]
    if kind == "short-answer":
        note(N_("题目 %(id)s：简答题导出为 GIFT 问答题，评分标准和参考答案没有导出"))
        return []
    note(N_("题目 %(id)s：%(kind)s 题型无法用 GIFT 表达，未导出"))
    return None


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

        def note(text: str, _q: dict[str, Any] = q, _line: int | None = question.line) -> None:
            notices.append(Problem(bank.path, _line, msg(text, id=_q["id"], kind=_q["kind"])))

        lines = _answer_lines(q, note)
        if lines is None:
            continue
        meta = (f"// [id:{q['id']}] [points:{_number_text(q['points'])}]"
                f" [difficulty:{q['difficulty']}]")
        if q.get("unit") and "]" not in q["unit"]:
            meta += f" [unit:{q['unit']}]"
        for tag in q["tags"]:
            if "]" in tag:
                note(N_("题目 %(id)s：含有“]”的标签没有导出"))
            else:
                meta += f" [tag:{tag}]"
        if q.get("explanation"):
            lines.append(f"\t####{_escape(q['explanation'])}")
        block = "{" + ("\n" + "\n".join(lines) + "\n" if lines else "") + "}"
        prompt = q["prompt"]
        gap = FILL_IN_MARK if q["kind"] == "fill-in" else BLANK
        if prompt.count(gap) == 1 and not prompt.endswith(gap):
            before, after = prompt.split(gap)
            body = _escape(before) + block + _escape(after)
        else:
            body = _escape(prompt) + block
        if q.get("category", []) != category:  # $CATEGORY: when it changes, as Moodle writes
            category = q.get("category", [])
            out.extend([f"$CATEGORY: {join_path(category)}", ""])
        title = f"::{_escape(q['title'])}::" if q.get("title") else ""
        out.extend([meta, f"{title}[markdown]{body}", ""])
    return ExportResult("\n".join(out), notices)
