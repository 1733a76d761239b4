"""Evaluating matchers on a trainee's reply: phrases, regexes, fuzzy examples, all/any/not.

A reply is normalised (`portal.chat.normalize`), split into clauses at punctuation,
dropped spaces/emoji and contrast words, and a phrase or regex hit is *negated* when the
rest of its clause holds an odd number of negation cues. Fixed expressions that only look
negative (没问题, 不好意思 …) and A-not-A questions (能不能) are not cues. Every hit points
at the ORIGINAL text, so the evidence is highlighted on what the trainee typed.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from portal.chat.normalize import Normalized, normalize, normalize_text, word_boundaries
from portal.chat.scenario import (
    AllOf,
    AnyOf,
    FuzzyMatcher,
    Matcher,
    NotMatcher,
    PhraseMatcher,
    Polarity,
    Ref,
    RegexMatcher,
    Storable,
)
from portal.content.regex_safety import has_nested_quantifier, has_overlapping_alternation
from portal.messages import N_

MAX_PATTERN_CHARS = 500
MAX_DEPTH = 16  # nesting of all/any/not/refs; files.py refuses cycles before this

CONTRAST_WORDS = ("但是", "不过", "可是", "只是", "然而", "但")
CLAUSE_PUNCTUATION = frozenset(",.!?;:。、…\n")
NEGATION_CUES = ("暂时不", "不可以", "不能", "不会", "不了", "不到", "无法", "没法", "没有",
                 "不", "没", "别", "未")
# Expressions that contain a cue character but do not negate anything.
FALSE_CUES = ("没问题", "没关系", "没事", "没错", "不客气", "不用客气", "不用谢", "不谢",
              "不好意思", "对不起", "不错", "别的", "别人", "别家", "特别", "区别", "分别",
              "级别", "类别", "差别", "性别", "不同", "不少", "不断", "不久", "差不多", "要不",
              "不然", "不如", "不管", "不仅", "不但", "不妨", "不用担心", "别担心", "不要担心",
              "不用着急", "别着急", "不要着急", "不着急", "不急", "可不可以", "有没有",
              # the buyer's complaint, not a refusal: "不合适给您换", "不满意可以退"
              "不合适", "不满意", "不喜欢", "不舒服")

_by_length = sorted
_CUE_RE = re.compile("|".join(re.escape(c) for c in _by_length(NEGATION_CUES, key=len,
                                                                 reverse=True)))
_FALSE_CUE_RE = re.compile(
    "|".join(re.escape(c) for c in _by_length(FALSE_CUES, key=len, reverse=True))
    + r"|([\u4e00-\u9fff])[不没]\1")  # 能不能, 是不是, 要不要: questions, not negations
_CONTRAST_RE = re.compile("|".join(CONTRAST_WORDS))


@dataclass(frozen=True)
class Hit(Storable):
    """One piece of evidence: where in the original reply, and what matched it."""

    start: int  # offsets in the ORIGINAL text (end exclusive)
    end: int
    text: str  # the original text there
    rule: str  # the phrase, pattern or example (as the trainer wrote it) that matched
    form: str  # phrases | regex | examples
    negated: bool = False
    cues: tuple[str, ...] = ()  # the negation cues of the clause
    score: float | None = None  # fuzzy similarity, 0-100


@dataclass(frozen=True)
class Match(Storable):
    matcher: str  # the matcher's name ("" for an inline one)
    hits: tuple[Hit, ...] = ()

    @property
    def spans(self) -> tuple[tuple[int, int], ...]:
        """Merged, sorted spans in the original text (for highlighting)."""
        merged: list[tuple[int, int]] = []
        for a, b in sorted((h.start, h.end) for h in self.hits if h.end > h.start):
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
            else:
                merged.append((a, b))
        return tuple(merged)

    @property
    def matched(self) -> tuple[str, ...]:
        return tuple(h.text for h in self.hits)


Registry = Mapping[str, Matcher]


class UnknownMatcher(KeyError):
    """A Ref to a matcher the registry does not hold (files.py refuses such files)."""


# --- clauses and negation -------------------------------------------------------------------


def clauses(norm: Normalized) -> list[tuple[int, int]]:
    """Clause ranges of the normalised text: split at punctuation, at dropped spaces or
    emoji (except after a digit), and at contrast words (which belong to no clause)."""
    text = norm.text
    cuts: list[tuple[int, int]] = [(i, i + 1) for i, c in enumerate(text)
                                   if c in CLAUSE_PUNCTUATION]
    # A space after a number ("556 元", "138 1234") keeps the number with what follows.
    cuts += [(b, b) for b in norm.breaks if not text[b - 1].isdigit()]
    masked = _mask_false_cues(text)
    cuts += [(m.start(), m.end()) for m in _CONTRAST_RE.finditer(masked)]
    result: list[tuple[int, int]] = []
    pos = 0
    for a, b in sorted(cuts):
        if a > pos:
            result.append((pos, a))
        pos = max(pos, b)
    if pos < len(text):
        result.append((pos, len(text)))
    return result


def _mask_false_cues(text: str) -> str:
    return _FALSE_CUE_RE.sub(lambda m: "\0" * (m.end() - m.start()), text)


def negation_cues(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of the negation cues in text[start:end] (false cues left out)."""
    masked = _mask_false_cues(text[start:end])
    return [(start + m.start(), start + m.end()) for m in _CUE_RE.finditer(masked)]


def _clause_of(spans: list[tuple[int, int]], start: int, end: int) -> tuple[int, int]:
    overlapping = [c for c in spans if c[0] < max(end, start + 1) and c[1] > start]
    if not overlapping:
        return (start, end)
    return (overlapping[0][0], overlapping[-1][1])


def _negation(norm: Normalized, parts: list[tuple[int, int]], start: int,
              end: int) -> tuple[bool, tuple[str, ...]]:
    a, b = _clause_of(parts, start, end)
    cues = [(x, y) for x, y in negation_cues(norm.text, a, b) if y <= start or x >= end]
    return len(cues) % 2 == 1, tuple(norm.text[x:y] for x, y in cues)


def _polarity_ok(polarity: Polarity, negated: bool) -> bool:
    return polarity is Polarity.ANY or negated == (polarity is Polarity.NEGATED)


# --- the forms ------------------------------------------------------------------------------


@lru_cache(maxsize=2048)
def phrase_forms(matcher: PhraseMatcher) -> tuple[tuple[str, str], ...]:
    """(normalised form, phrase as written) for every phrase and its synonym variants,
    longest first (so the longest phrase wins at a position)."""
    forms: dict[str, str] = {}
    for phrase in matcher.phrases:
        variants = {phrase}
        for syn in matcher.synonyms:
            variants |= {v.replace(syn.word, form) for v in variants if syn.word in v
                         for form in syn.forms}
        for v in variants:
            n = normalize_text(v)
            if n:
                forms.setdefault(n, phrase)
    return tuple(sorted(forms.items(), key=lambda kv: (-len(kv[0]), kv[0])))


@lru_cache(maxsize=2048)
def compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def regex_problem(pattern: str) -> str | None:
    """Why a pattern cannot be used (a msgid with %(pattern)s), or None."""
    if len(pattern) > MAX_PATTERN_CHARS:
        return N_("正则表达式太长（最多 500 个字符）：%(pattern)s")
    if has_nested_quantifier(pattern):
        return N_("正则表达式 %(pattern)s 含有嵌套的重复（如 (a+)+），可能让匹配极慢")
    if has_overlapping_alternation(pattern):
        return N_("正则表达式 %(pattern)s 在重复的分组里有互相重叠的选项（如 (a|ab)*），"
                  "可能让匹配极慢")
    try:
        re.compile(pattern)
    except re.error:
        return N_("正则表达式 %(pattern)s 写法有误，无法使用")
    return None


def _phrase_hits(matcher: PhraseMatcher, norm: Normalized,
                 parts: list[tuple[int, int]]) -> list[Hit]:
    text = norm.text
    taken: list[tuple[int, int]] = []
    hits: list[Hit] = []
    bounds = word_boundaries(text) if matcher.word else None
    for form, phrase in phrase_forms(matcher):
        pos = text.find(form)
        while pos != -1:
            end = pos + len(form)
            inside = any(a <= pos and end <= b for a, b in taken)
            whole = bounds is None or (pos in bounds and end in bounds)
            if not inside and whole:
                negated, cues = _negation(norm, parts, pos, end)
                if _polarity_ok(matcher.polarity, negated):
                    taken.append((pos, end))
                    hits.append(_hit(norm, pos, end, phrase, "phrases", negated, cues))
            pos = text.find(form, pos + 1)
    return sorted(hits, key=lambda h: (h.start, h.end))


def _regex_hits(matcher: RegexMatcher, norm: Normalized,
                parts: list[tuple[int, int]]) -> list[Hit]:
    text = norm.text
    hits: list[Hit] = []
    for m in compiled(matcher.pattern).finditer(text):
        if m.end() == m.start():
            continue
        a, b = _clause_of(parts, m.start(), m.end())
        clause = text[a:b]
        if any(compiled(x).search(clause) for x in matcher.exclude):
            continue
        negated, cues = _negation(norm, parts, m.start(), m.end())
        if _polarity_ok(matcher.polarity, negated):
            hits.append(_hit(norm, m.start(), m.end(), matcher.pattern, "regex", negated, cues))
    return hits


# Left out when replies are compared with examples: they carry tone, not content.
FILLERS = frozenset("亲哦哈啦呢呀嘛吧哟噢喔啊呐嗯滴了")


def _core(text: str) -> tuple[str, list[int]]:
    kept = [(i, c) for i, c in enumerate(text)
            if c not in FILLERS and c not in CLAUSE_PUNCTUATION and c.isalnum()]
    return "".join(c for _, c in kept), [i for i, _ in kept]


def similarity(example: str, text: str) -> tuple[float, int, int]:
    """Similarity 0-100 of a normalised example to a normalised reply, and where in the
    reply. Punctuation and tone particles (亲, 哦, 啦 …) are left out of the comparison;
    a longer reply is searched for its best-matching part, a shorter one compared whole
    (so "好" is not 100 % like a long example that contains it)."""
    ex, _ = _core(example)
    core, where = _core(text)
    if not ex or not core:
        return 0.0, 0, 0
    if len(core) < len(ex):
        return float(fuzz.ratio(ex, core)), where[0], where[-1] + 1
    found = fuzz.partial_ratio_alignment(ex, core)
    if found is None or found.dest_end <= found.dest_start:
        return 0.0, 0, 0
    return float(found.score), where[found.dest_start], where[found.dest_end - 1] + 1


def _fuzzy_hits(matcher: FuzzyMatcher, norm: Normalized) -> list[Hit]:
    best: Hit | None = None
    for example in matcher.examples:
        score, a, b = similarity(normalize_text(example), norm.text)
        if score >= matcher.threshold and b > a and (best is None or score > (best.score or 0)):
            best = _hit(norm, a, b, example, "examples", False, (), round(score, 1))
    return [best] if best is not None else []


def _hit(norm: Normalized, start: int, end: int, rule: str, form: str, negated: bool,
         cues: tuple[str, ...], score: float | None = None) -> Hit:
    a, b = norm.span(start, end)
    return Hit(start=a, end=b, text=norm.original[a:b], rule=rule, form=form, negated=negated,
               cues=cues, score=score)


# --- evaluation -----------------------------------------------------------------------------


def evaluate(matcher: Matcher, text: str | Normalized, registry: Registry, *,
             name: str = "") -> Match | None:
    """The match of `matcher` on a reply, or None. Refs are looked up in `registry`."""
    norm = text if isinstance(text, Normalized) else normalize(text)
    return _evaluate(matcher, norm, clauses(norm), registry, name, 0)


def _evaluate(matcher: Matcher, norm: Normalized, parts: list[tuple[int, int]],
              registry: Registry, name: str, depth: int) -> Match | None:
    if depth > MAX_DEPTH:
        raise RecursionError(f"matcher {name!r} nests more than {MAX_DEPTH} levels")
    match matcher:
        case Ref(name=ref):
            if ref not in registry:
                raise UnknownMatcher(ref)
            return _evaluate(registry[ref], norm, parts, registry, ref, depth + 1)
        case PhraseMatcher():
            hits = _phrase_hits(matcher, norm, parts)
        case RegexMatcher():
            hits = _regex_hits(matcher, norm, parts)
        case FuzzyMatcher():
            hits = _fuzzy_hits(matcher, norm)
        case AllOf(matchers=members):
            found = [_evaluate(m, norm, parts, registry, "", depth + 1) for m in members]
            if not found or any(f is None for f in found):
                return None
            return Match(name, tuple(h for f in found if f is not None for h in f.hits))
        case AnyOf(matchers=members):
            for m in members:
                f = _evaluate(m, norm, parts, registry, "", depth + 1)
                if f is not None:
                    return Match(name, f.hits)
            return None
        case NotMatcher(matcher=inner):
            if _evaluate(inner, norm, parts, registry, "", depth + 1) is None:
                return Match(name, ())
            return None
        case _:  # pragma: no cover - the union is closed
            raise TypeError(f"not a matcher: {matcher!r}")
    return Match(name, tuple(hits)) if hits else None


def references(matcher: Matcher) -> set[str]:
    """The names a matcher refers to, directly or inside all/any/not."""
    match matcher:
        case Ref(name=ref):
            return {ref}
        case AllOf(matchers=members) | AnyOf(matchers=members):
            return set().union(*(references(m) for m in members)) if members else set()
        case NotMatcher(matcher=inner):
            return references(inner)
    return set()
