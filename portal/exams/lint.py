"""The item-writing lint: warnings (never refusals) about how questions leak or contradict.

Pure: banks (and exams with the pool they draw from) in, `LintWarning`s out. Each warning
has a stable code (`WarningCode`), the file and line, the question and why, in Chinese.
A trainer accepts a warning for one question by writing `acknowledged: [{warning: code,
reason: …}]` into it; the warning is then still reported, with the reason, but counted as
acknowledged rather than shown. The checks and their thresholds are documented in
docs/question-bank-format.md ("Lint").

- Answer cues, per bank (top-level questions): the correct single choice mostly in one
  position, mostly the longest option, or (the reverse cue) almost never the longest;
  multiple choice whose correct options come before
  every wrong one; true/false keys one-sided. A cue fires only when it is both unlikely by
  chance (an exact test at `ALPHA`, see `_tail`) and large (`EFFECT`); the questions that
  follow the cue get the warning.
- Credit that rewards the wrong action: partial credit on an option or accepted answer whose
  own feedback, or a sentence of the explanation that quotes it, calls it wrong (`WRONG_WORDS`).
- Contradictions: near-duplicate stems across all banks whose keys differ; an explanation
  that points at another question ("上一题") or quotes text found only in another question.
- Coverage (exams): see `lint_exams`.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from portal.exams import kinds
from portal.exams.bank import Bank
from portal.exams.definitions import ExamDefinition
from portal.exams.normalize import normalize_answer
from portal.exams.rules import Candidate, Dimension, Requirement, guaranteed
from portal.exams.warning_codes import LABELS, WarningCode
from portal.messages import N_, Message, msg

ALPHA = 0.10  # a cue fires when chance alone would produce it less often than this
EFFECT = 1.5  # ... and the cue is at least this many times what chance gives
MIN_QUESTIONS = 5  # fewer questions of a kind in a bank: no cue is judged
TRUE_FALSE_SHARE = 0.6  # true/false: the majority key must hold at least this share
STEM_SIMILARITY = 90  # rapidfuzz ratio (0-100) of normalised stems called near-duplicates
MIN_STEM = 8  # normalised characters; shorter stems ("以下正确的是") are not compared
OPTION_SIMILARITY = 90  # two options (or answers) read as the same text
QUOTE_MIN = 6  # a quoted fragment this long (normalised) is matched against other questions
# What a feedback or explanation says about an option it calls wrong: the option is wrong,
# forbidden, or leads to what the lessons teach to avoid (a complaint, a penalty).
WRONG_WORDS = ("错误", "不对", "不正确", "不恰当", "不妥", "违规", "不合规", "违反", "违背",
               "不能", "不可", "不应", "不该", "不得", "不要", "禁止", "切勿", "不允许",
               "投诉", "处罚", "扣分", "差评", "纠纷", "敷衍")
# A wrong word right after one of these is denied ("不算违背承诺"), not said.
DENIALS = ("不算", "不是", "并非", "没有", "不会", "并不", "不构成", "不至于")
# An explanation that points at another question; the order of questions is not fixed
# (random picks, shuffling), so such a reference has nothing to point at.
REFERENCE_RE = re.compile(
    r"上一题|上题|前一题|前题|下一题|下题|(?:前面|上面|上述)的?那?(?:一|几)?道题|同上题|"
    r"参见.{0,6}题|第\s*[0-9一二三四五六七八九十百]+\s*题")
QUOTE_RE = re.compile(r"[“「『\"]([^”」』\"]{1,200})[”」』\"]")
SENTENCE_RE = re.compile(r"[^。！？；!?;\n]+")
_NOT_TEXT = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class LintWarning:
    """One warning: where it is (file, line, question) and why, in Chinese."""

    code: WarningCode
    path: str
    line: int | None
    why: Message
    bank: str = ""  # the question's bank key ("" for an exam's warning)
    question: str = ""  # the question's id ("" for an exam's warning)
    exam: str = ""  # the exam's key, for an exam's warning
    acknowledged: str | None = None  # the trainer's reason, when acknowledged

    @property
    def label(self) -> str:
        """The Chinese name of the warning (N_ marked) that pages show instead of the code."""
        return LABELS[self.code]

    @property
    def ref(self) -> str:
        """"bank/question-id" (or the exam's key)."""
        return f"{self.bank}/{self.question}" if self.question else self.exam

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line is not None else self.path

    def describe(self) -> str:
        """One line for the command line: "file:line: 警告（label）bank/question：why"."""
        line = f"{self.location}: 警告（{self.label}）{self.ref}：{self.why}"
        if self.acknowledged is not None:
            line += f"（已确认：{self.acknowledged}）"
        return line


@dataclass(frozen=True)
class LintReport:
    warnings: tuple[LintWarning, ...] = ()

    @property
    def open(self) -> list[LintWarning]:
        """The warnings nobody acknowledged: the ones to print and show."""
        return [w for w in self.warnings if w.acknowledged is None]

    @property
    def acknowledged(self) -> list[LintWarning]:
        return [w for w in self.warnings if w.acknowledged is not None]

    def for_question(self, bank: str, question: str) -> list[LintWarning]:
        return [w for w in self.warnings if w.bank == bank and w.question == question]

    def flagged(self) -> set[str]:
        """"bank/question-id" of every question with an open warning."""
        return {w.ref for w in self.open if w.question}


def lint_banks(banks: Sequence[Bank]) -> list[LintWarning]:
    """Every warning about the questions of `banks` (contradictions across all of them)."""
    found: list[LintWarning] = []
    for bank in banks:
        found.extend(_once(_position_cue(bank)))
        found.extend(_once(_length_cue(bank)))
        found.extend(_once(_short_key_cue(bank)))
        found.extend(_once(_correct_first_cue(bank)))
        found.extend(_once(_true_false_balance(bank)))
        found.extend(_wrong_credit(bank))
    found.extend(_duplicate_stems(banks))
    found.extend(_cross_references(banks))
    return _acknowledge(banks, found)


def lint(banks: Sequence[Bank], exam_warnings: Iterable[LintWarning] = ()) -> LintReport:
    """The banks' warnings and any exam warnings (`lint_exams`), in file and line order."""
    warnings = [*lint_banks(banks), *exam_warnings]
    return LintReport(tuple(sorted(warnings, key=_order)))


def _order(w: LintWarning) -> tuple[str, int, str, str]:
    return (w.path, w.line or 0, w.ref, w.code.value)


def _acknowledge(banks: Sequence[Bank], found: list[LintWarning]) -> list[LintWarning]:
    by_ref = {(b.key, q.id): q.definition for b in banks for q in b.questions}
    result: list[LintWarning] = []
    for warning in found:
        definition = by_ref.get((warning.bank, warning.question))
        ack = definition.acknowledgement(warning.code) if definition is not None else None
        result.append(warning if ack is None else _with_reason(warning, ack.reason))
    return result


def _with_reason(warning: LintWarning, reason: str) -> LintWarning:
    return LintWarning(code=warning.code, path=warning.path, line=warning.line, why=warning.why,
                       bank=warning.bank, question=warning.question, exam=warning.exam,
                       acknowledged=reason)


def _warn(code: WarningCode, bank: Bank, question: Any, why: str, /,
          **params: Any) -> LintWarning:
    return LintWarning(code=code, path=bank.path, line=question.line, why=msg(why, **params),
                       bank=bank.key, question=question.id)


# --- statistics -----------------------------------------------------------------------


def _distribution(probabilities: Sequence[float]) -> list[float]:
    """P(X = k) for every k, where X counts successes of independent trials with these
    probabilities (exact Poisson-binomial, by dynamic programming)."""
    dist = [1.0]
    for p in probabilities:
        nxt = [0.0] * (len(dist) + 1)
        for k, mass in enumerate(dist):
            nxt[k] += mass * (1 - p)
            nxt[k + 1] += mass * p
        dist = nxt
    return dist


def _tail(probabilities: Sequence[float], observed: int) -> float:
    """P(X >= observed) (see `_distribution`)."""
    return min(1.0, sum(_distribution(probabilities)[observed:]))


def _rare_fires(probabilities: Sequence[float], observed: int) -> bool:
    """The reverse of `_cue_fires`: far fewer of these questions show something than chance
    gives (at most the expected count / EFFECT, and P(X <= observed) below ALPHA)."""
    if len(probabilities) < MIN_QUESTIONS:
        return False
    if observed * EFFECT > sum(probabilities):
        return False
    return min(1.0, sum(_distribution(probabilities)[:observed + 1])) < ALPHA


def _cue_fires(probabilities: Sequence[float], observed: int, *, tests: int = 1) -> bool:
    """A cue that `observed` of these questions show, where chance gives each its
    probability: large (EFFECT times the expected count) and unlikely (below ALPHA, with
    `tests` positions tried at once: Bonferroni)."""
    if len(probabilities) < MIN_QUESTIONS or observed == 0:
        return False
    expected = sum(probabilities)
    if observed < EFFECT * expected:
        return False
    return tests * _tail(probabilities, observed) < ALPHA


def _share(count: int, total: int) -> str:
    return f"{round(100 * count / total)}%" if total else "0%"


# --- answer cues ----------------------------------------------------------------------


def _top(bank: Bank, kind: str) -> list[tuple[Any, Any]]:
    """(question, part) for every question of `kind` in a bank, a case's sub-questions
    included (the bank browser and exports show them the same way)."""
    return [(q, part) for q in bank.questions for part in _parts(q.definition)
            if part.kind == kind]


def _once(warnings: Iterable[LintWarning]) -> Iterator[LintWarning]:
    """One warning per question and code (a case may have several parts showing a cue)."""
    seen: set[tuple[str, WarningCode]] = set()
    for warning in warnings:
        if (warning.question, warning.code) not in seen:
            seen.add((warning.question, warning.code))
            yield warning


def _position_cue(bank: Bank) -> Iterator[LintWarning]:
    questions = _top(bank, "single-choice")
    positions = [next(i for i, c in enumerate(d.choices) if c.correct) for _, d in questions]
    if not questions:
        return
    width = max(len(d.choices) for _, d in questions)
    counts = [positions.count(p) for p in range(width)]
    top = max(range(width), key=lambda p: (counts[p], -p))
    chance = [1 / len(d.choices) if top < len(d.choices) else 0.0 for _, d in questions]
    if not _cue_fires(chance, counts[top], tests=width):
        return
    for (question, _), position in zip(questions, positions, strict=True):
        if position == top:
            yield _warn(WarningCode.POSITION_CUE, bank, question,
                        N_("本题的正确答案在第 %(pos)d 个选项；题库“%(bank)s”的 %(n)d 道单选题中有 "
                           "%(count)d 道（%(share)s）正确答案都在这个位置，随机排列约为 %(expected)s 道。"
                           "作答时虽会打乱，题库浏览、GIFT 导出和打印稿仍会露出规律"),
                        pos=top + 1, bank=bank.title, n=len(questions), count=counts[top],
                        share=_share(counts[top], len(questions)),
                        expected=round(sum(chance), 1))


def _length(text: str) -> int:
    return len(_NOT_TEXT.sub("", normalize_answer(text)))


def _strictly_longest(choices: Sequence[Any]) -> bool:
    """Whether the correct choice is longer than every other one."""
    right = [_length(c.text) for c in choices if c.correct]
    wrong = [_length(c.text) for c in choices if not c.correct]
    return bool(right and wrong) and min(right) > max(wrong)


def _length_cue(bank: Bank) -> Iterator[LintWarning]:
    questions = _top(bank, "single-choice")
    longest = [_strictly_longest(d.choices) for _, d in questions]
    chance = [1 / len(d.choices) for _, d in questions]
    if not _cue_fires(chance, sum(longest)):
        return
    for (question, _), flag in zip(questions, longest, strict=True):
        if flag:
            yield _warn(WarningCode.LENGTH_CUE, bank, question,
                        N_("本题的正确答案是最长的选项；题库“%(bank)s”的 %(n)d 道单选题中有 %(count)d 道"
                           "（%(share)s）如此，随机约为 %(expected)s 道。不看题也能靠“选最长的”得分"),
                        bank=bank.title, n=len(questions), count=sum(longest),
                        share=_share(sum(longest), len(questions)),
                        expected=round(sum(chance), 1))


def _longest_is_wrong(choices: Sequence[Any]) -> bool:
    """Whether a wrong choice is longer than every correct one."""
    right = [_length(c.text) for c in choices if c.correct]
    wrong = [_length(c.text) for c in choices if not c.correct]
    return bool(right and wrong) and max(wrong) > max(right)


def _short_key_cue(bank: Bank) -> Iterator[LintWarning]:
    """The reverse length cue: the correct choice is (almost) never the longest, so a
    test-wise trainee strikes out the longest option. Warns the questions where it works."""
    questions = _top(bank, "single-choice")
    longest = sum(_strictly_longest(d.choices) for _, d in questions)
    chance = [1 / len(d.choices) for _, d in questions]
    if not _rare_fires(chance, longest):
        return
    for question, definition in questions:
        if _longest_is_wrong(definition.choices):
            yield _warn(WarningCode.SHORT_KEY_CUE, bank, question,
                        N_("本题最长的选项是错误选项；题库“%(bank)s”的 %(n)d 道单选题中正确答案是最长选项的"
                           "只有 %(count)d 道，随机约为 %(expected)s 道。只要排除最长的选项就能提高得分，"
                           "请让一部分题目的正确答案写得最完整"),
                        bank=bank.title, n=len(questions), count=longest,
                        expected=round(sum(chance), 1))


def _correct_first(choices: Sequence[Any]) -> bool | None:
    """Whether every correct option comes before every wrong one (None: all or none correct)."""
    flags = [c.correct for c in choices]
    right = sum(flags)
    if right in (0, len(flags)):
        return None
    return all(flags[:right])


def _correct_first_cue(bank: Bank) -> Iterator[LintWarning]:
    questions = [(q, d) for q, d in _top(bank, "multiple-choice")
                 if _correct_first(d.choices) is not None]
    first = [bool(_correct_first(d.choices)) for _, d in questions]
    chance = [1 / math.comb(len(d.choices), sum(c.correct for c in d.choices))
              for _, d in questions]
    if not _cue_fires(chance, sum(first)):
        return
    for (question, _), flag in zip(questions, first, strict=True):
        if flag:
            yield _warn(WarningCode.CORRECT_FIRST_CUE, bank, question,
                        N_("本题的正确选项全都排在错误选项前面；题库“%(bank)s”的 %(n)d 道多选题中有 "
                           "%(count)d 道（%(share)s）如此，随机排列约为 %(expected)s 道"),
                        bank=bank.title, n=len(questions), count=sum(first),
                        share=_share(sum(first), len(questions)),
                        expected=round(sum(chance), 1))


def _true_false_balance(bank: Bank) -> Iterator[LintWarning]:
    questions = _top(bank, "true-false")
    n = len(questions)
    if n < MIN_QUESTIONS:
        return
    trues = sum(1 for _, d in questions if d.answer)
    majority = max(trues, n - trues)
    # Two-sided exact binomial test at p = 1/2.
    p_value = min(1.0, 2 * _tail([0.5] * n, majority))
    if majority / n < TRUE_FALSE_SHARE or p_value >= ALPHA:
        return
    key = trues >= n - trues
    text = (N_("题库“%(bank)s”的 %(n)d 道判断题中 %(count)d 道（%(share)s）的答案是“对”，本题也是；"
               "一律答“对”就能拿到大部分分数") if key else
            N_("题库“%(bank)s”的 %(n)d 道判断题中 %(count)d 道（%(share)s）的答案是“错”，本题也是；"
               "一律答“错”就能拿到大部分分数"))
    for question, definition in questions:
        if definition.answer == key:
            yield _warn(WarningCode.TRUE_FALSE_BALANCE, bank, question, text, bank=bank.title,
                        n=n, count=majority, share=_share(majority, n))


# --- credit for the wrong action ------------------------------------------------------


def _parts(definition: kinds.QuestionDef) -> Iterator[kinds.QuestionDef]:
    """A question and, for a case, its sub-questions."""
    yield definition
    yield from getattr(definition, "questions", ())


def _wrong_word(text: str) -> str | None:
    """The first wrong word `text` says (not denied)."""
    for word in WRONG_WORDS:
        for found in re.finditer(re.escape(word), text):
            before = text[max(0, found.start() - 4):found.start()]
            if not any(before.endswith((d, d + "是")) for d in DENIALS):
                return word
    return None


def _norm(text: str) -> str:
    """Text for comparing: NFKC, case folded, no spaces or punctuation."""
    return _NOT_TEXT.sub("", normalize_answer(unicodedata.normalize("NFKC", text)))


def _called_wrong(option_text: str, feedback: str, explanation: str) -> str | None:
    """The words that call this option wrong: in its own feedback, or in a sentence of the
    explanation that quotes the option (a text of at least four characters: numbers and
    short words appear in explanations for other reasons)."""
    word = _wrong_word(feedback)
    if word:
        return word
    target = _norm(option_text)
    if len(target) < 4 or target.replace(".", "").isdigit():
        return None
    for sentence in SENTENCE_RE.findall(explanation):
        word = _wrong_word(sentence)
        if word and fuzz.partial_ratio(target, _norm(sentence)) >= OPTION_SIMILARITY:
            return word
    return None


def _credited(part: kinds.QuestionDef) -> Iterator[tuple[str, float, str]]:
    """(text, credit in percent, feedback) of every wrong-but-credited answer of a part."""
    if isinstance(part, kinds.MultipleChoiceQuestion):
        if part.scoring is kinds.Scoring.WEIGHTED:
            for c in part.choices:
                if c.weight > 0 and c.feedback:  # positive weight is "correct" by definition
                    yield c.text, c.weight, c.feedback
    elif isinstance(part, kinds.ChoiceQuestion):
        for c in part.choices:
            if not c.correct and c.weight > 0:
                yield c.text, c.weight, c.feedback
    elif isinstance(part, kinds.FillInQuestion):
        for blank in part.blanks:
            for a in blank.answers:
                if 0 < a.credit < 100:
                    yield a.text, a.credit, a.feedback
    elif isinstance(part, kinds.NumericQuestion):
        for n in part.answers:
            if 0 < n.credit < 100:
                yield f"{n.value:g}", n.credit, n.feedback


def _wrong_credit(bank: Bank) -> Iterator[LintWarning]:
    for question in bank.questions:
        for part in _parts(question.definition):
            for text, credit, feedback in _credited(part):
                word = _called_wrong(text, feedback, part.explanation)
                if word:
                    yield _warn(WarningCode.WRONG_CREDIT, bank, question,
                                N_("答案“%(answer)s”得 %(credit)s%% 的分，但它的反馈或本题解析称其“%(word)s”："
                                   "做错的事不应得分"),
                                answer=_excerpt(text), credit=f"{credit:g}", word=word)


def _excerpt(text: str, limit: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"


# --- contradictions -------------------------------------------------------------------


def _stem(definition: kinds.QuestionDef) -> str:
    return _norm(definition.prompt)


def _same_text(a: str, b: str) -> bool:
    return fuzz.ratio(_norm(a), _norm(b)) >= OPTION_SIMILARITY


# One message per way of differing, so that each translates whole.
def _keys_differ(a: kinds.QuestionDef, b: kinds.QuestionDef) -> tuple[str, dict[str, Any]] | None:
    """How two near-identical questions contradict each other (a message text and its
    params), or None when their keys agree or cannot be compared (different kinds,
    rubric-graded kinds)."""
    if isinstance(a, kinds.TrueFalseQuestion) and isinstance(b, kinds.TrueFalseQuestion):
        if a.answer != b.answer:
            return (N_("与题库“%(bank)s”中的题目“%(other)s”（%(where)s）题干几乎相同（相似度 "
                       "%(similarity)d%%），但一道答案为“对”，另一道为“错”"), {})
        return None
    if isinstance(a, kinds.ChoiceQuestion) and isinstance(b, kinds.ChoiceQuestion):
        for x in a.choices:
            for y in b.choices:
                if x.correct != y.correct and _same_text(x.text, y.text):
                    return (N_("与题库“%(bank)s”中的题目“%(other)s”（%(where)s）题干几乎相同（相似度 "
                               "%(similarity)d%%），但选项“%(option)s”在一道题中是正确答案，在另一道中是错误答案"),
                            {"option": _excerpt(x.text if x.correct else y.text)})
        return None
    if isinstance(a, kinds.FillInQuestion) and isinstance(b, kinds.FillInQuestion):
        if len(a.blanks) != len(b.blanks):
            return None
        for index, (x, y) in enumerate(zip(a.blanks, b.blanks, strict=True), 1):
            if not any(_same_text(p.text, q.text) for p in x.answers for q in y.answers
                       if p.credit >= 100 and q.credit >= 100):
                return (N_("与题库“%(bank)s”中的题目“%(other)s”（%(where)s）题干几乎相同（相似度 "
                           "%(similarity)d%%），但第 %(n)d 空的标准答案不同"), {"n": index})
        return None
    if isinstance(a, kinds.NumericQuestion) and isinstance(b, kinds.NumericQuestion):
        full_a = {n.value for n in a.answers if n.credit >= 100}
        full_b = {n.value for n in b.answers if n.credit >= 100}
        if full_a and full_b and not full_a & full_b:
            return (N_("与题库“%(bank)s”中的题目“%(other)s”（%(where)s）题干几乎相同（相似度 "
                       "%(similarity)d%%），但标准答案分别为 %(a)s 和 %(b)s"),
                    {"a": "、".join(f"{v:g}" for v in sorted(full_a)),
                     "b": "、".join(f"{v:g}" for v in sorted(full_b))})
    return None


def _duplicate_stems(banks: Sequence[Bank]) -> Iterator[LintWarning]:
    entries = [(bank, q, _stem(q.definition)) for bank in banks for q in bank.questions]
    entries = [e for e in entries if len(e[2]) >= MIN_STEM]
    if len(entries) < 2:
        return
    stems = [stem for _, _, stem in entries]
    for i, stem in enumerate(stems):
        # rapidfuzz compares one stem with all the others in C (no numpy needed).
        matches = process.extract(stem, stems, scorer=fuzz.ratio,
                                  score_cutoff=STEM_SIMILARITY, limit=None)
        for _, score, j in sorted(matches, key=lambda m: m[2]):
            if j <= i:
                continue
            similarity = round(score)
            (bank_a, qa, _), (bank_b, qb, _) = entries[i], entries[j]
            differ = _keys_differ(qa.definition, qb.definition)
            if differ is None:
                continue
            text, params = differ
            for (bank, q), (other_bank, other) in (((bank_a, qa), (bank_b, qb)),
                                                   ((bank_b, qb), (bank_a, qa))):
                yield _warn(WarningCode.DUPLICATE_STEM, bank, q, text, bank=other_bank.title,
                            other=_excerpt(other.definition.prompt),
                            where=_where(other_bank, other), similarity=similarity, **params)


def _where(bank: Bank, question: Any) -> str:
    return f"{bank.path}:{question.line}" if question.line is not None else bank.path


def _own_text(definition: kinds.QuestionDef) -> str:
    """Everything a question itself says except its explanation (normalised, joined)."""
    data = definition.to_data()
    data.pop("explanation", None)
    data.pop("acknowledged", None)
    return "\n".join(_norm(t) for t in _strings(data))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if key != "explanation":
                yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _cross_references(banks: Sequence[Bank]) -> Iterator[LintWarning]:
    texts = [(bank, q, _own_text(q.definition)) for bank in banks for q in bank.questions]
    for bank, question, own in texts:
        explanations = [p.explanation for p in _parts(question.definition) if p.explanation]
        for explanation in explanations:
            reference = REFERENCE_RE.search(explanation)
            if reference:
                yield _warn(WarningCode.CROSS_REFERENCE, bank, question,
                            N_("解析提到“%(words)s”，但抽题和乱序后题目的先后不固定，考生看不到那道题"),
                            words=reference.group(0))
                continue
            for quoted in QUOTE_RE.findall(explanation):
                fragment = _norm(quoted)
                if len(fragment) < QUOTE_MIN or fragment in own:
                    continue
                other = next(((b, q) for b, q, text in texts
                              if q is not question and fragment in text), None)
                if other is not None:
                    yield _warn(WarningCode.CROSS_REFERENCE, bank, question,
                                N_("解析引用的“%(quote)s”不在本题中，而出自题库“%(bank)s”的题目“%(other)s”"
                                   "（%(where)s）：本题的解析依赖另一道题"),
                                quote=_excerpt(quoted), bank=other[0].title,
                                other=_excerpt(other[1].definition.prompt),
                                where=_where(*other))
                    break


# --- coverage -------------------------------------------------------------------------


def _promises(exam: ExamDefinition, tags: set[str]) -> Iterator[tuple[Requirement, str]]:
    """What an exam's instructions promise: a question kind named by its label ("含上机操作题"),
    or a topic named by its tag's value ("发货承诺"), with the words that promise it."""
    for name, kind in kinds.KINDS.items():
        if kind.label in exam.instructions:
            yield Requirement(Dimension.KIND, name, 1), kind.label
    for tag in sorted(tags):
        prefix, _, value = tag.partition(":")
        if prefix == "topic" and len(value) >= 2 and value in exam.instructions:
            yield Requirement(Dimension.TAG, tag, 1), value


def lint_exams(exams: Sequence[ExamDefinition], pool: Sequence[Candidate]) -> list[LintWarning]:
    """Coverage: an exam whose instructions promise a kind or a topic that some draw from
    `pool` may leave out (counted as the blueprint is, `rules.guaranteed`), unless its
    blueprint requires it (then the import proves it or refuses). Acknowledged in the exam
    file's own `acknowledged`."""
    found: list[LintWarning] = []
    for exam in exams:
        # The topics this exam can draw at all (a "考核" topic of another stage is no promise).
        fixed = set(exam.fixed)
        tags = {t for c in pool if c.ref in fixed or any(p.takes(c) for p in exam.random)
                for t in c.tags}
        required = {(r.dimension, r.value) for r in exam.require}
        for promise, words in _promises(exam, tags):
            if (promise.dimension, promise.value) in required:
                continue
            if guaranteed(exam, list(pool), promise.matches).total >= 1:
                continue
            ack = exam.acknowledgement(WarningCode.COVERAGE)
            found.append(LintWarning(
                code=WarningCode.COVERAGE, path=exam.path, line=exam.instructions_line,
                why=msg(N_("考试说明提到“%(words)s”，但按抽题规则，有的作答可能一道也抽不到；"
                           "请在 require 中写明最少几道，让导入时验证每次抽题都满足"),
                        words=words),
                exam=exam.key, acknowledged=ack.reason if ack is not None else None))
    return found


def lint_content(banks: Sequence[Bank], exams: Sequence[ExamDefinition] = (),
                 pool: Sequence[Candidate] | None = None) -> LintReport:
    """The lint of a folder or an upload: its banks, and its exams' coverage drawn from
    `pool` (by default, the questions of `banks`)."""
    if pool is None:
        pool = [Candidate(f"{b.key}/{q.id}", frozenset(q.tags), q.difficulty, q.kind)
                for b in banks for q in b.questions]
    return lint(banks, lint_exams(exams, pool))
