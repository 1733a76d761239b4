"""The matcher tester's explanation of one sample reply (pure): did the matcher match, which
span of the original text, in which clause, and did a negation cue or an exclusion stop a
phrase or pattern that was there.

Each leaf matcher (phrases, regex, examples) reached through refs and all/any/not is looked
at on its own: with every polarity and no exclusions it shows what was *found*; the
matcher as written says what *counts*. A found hit that does not count was flipped by the
negation of its clause (or kept out by an exclusion).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum

from portal.chat import matchers as m
from portal.chat.normalize import Normalized, normalize, normalize_text
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
)

MAX_SAMPLE_CHARS = 500


class HitFate(StrEnum):
    COUNTS = "counts"  # the matcher as written takes it
    NEGATED = "negated"  # found, but its clause is negated and the matcher wants affirmed
    AFFIRMED = "affirmed"  # found, but not negated and the matcher wants negated
    EXCLUDED = "excluded"  # a regex exclusion matched its clause


class SegmentKind(StrEnum):
    PLAIN = "plain"
    MATCH = "match"  # part of what the matcher matched
    BLOCKED = "blocked"  # found by a leaf but did not count


@dataclass(frozen=True)
class Segment:
    text: str
    kind: SegmentKind


@dataclass(frozen=True)
class LeafHit:
    text: str  # the original text that was found
    start: int
    end: int
    rule: str  # the phrase, pattern or example that found it
    clause: str  # the original text of its clause
    cues: tuple[str, ...]  # the negation cues in that clause
    negated: bool
    fate: HitFate
    score: float | None = None  # examples: similarity 0-100


@dataclass(frozen=True)
class LeafReport:
    """One phrase set, regex or set of examples inside the matcher."""

    path: tuple[str, ...]  # the names leading to it (outermost first); "" for inline ones
    form: str  # phrases | regex | examples
    rules: tuple[str, ...]  # the phrases, the pattern, or the examples
    polarity: Polarity | None  # None for examples
    exclude: tuple[str, ...]
    threshold: int | None
    best_score: float | None  # examples: the best similarity, even below the threshold
    matched: bool
    hits: tuple[LeafHit, ...]
    inverted: bool  # under an odd number of `not`s


@dataclass(frozen=True)
class MatcherReport:
    name: str
    sample: str
    matched: bool
    segments: tuple[Segment, ...]
    clauses: tuple[str, ...]
    leaves: tuple[LeafReport, ...]

    @property
    def flipped(self) -> bool:
        """Whether something was found that negation (or its absence) kept from counting."""
        return any(h.fate in (HitFate.NEGATED, HitFate.AFFIRMED)
                   for leaf in self.leaves for h in leaf.hits)


def _clause_spans(norm: Normalized) -> list[tuple[int, int]]:
    """The clauses as spans of the ORIGINAL text."""
    return [norm.span(a, b) for a, b in m.clauses(norm) if b > a]


def _clause_text(norm: Normalized, spans: list[tuple[int, int]], start: int, end: int) -> str:
    inside = [(a, b) for a, b in spans if a < max(end, start + 1) and b > start]
    if not inside:
        return norm.original[start:end]
    return norm.original[inside[0][0]:inside[-1][1]]


def _leaves(matcher: Matcher, registry: m.Registry, path: tuple[str, ...], inverted: bool,
            seen: frozenset[str]) -> list[tuple[tuple[str, ...], Matcher, bool]]:
    match matcher:
        case Ref(name=ref):
            if ref in seen or ref not in registry:
                return []
            return _leaves(registry[ref], registry, (*path, ref), inverted, seen | {ref})
        case AllOf(matchers=members) | AnyOf(matchers=members):
            return [leaf for member in members
                    for leaf in _leaves(member, registry, path, inverted, seen)]
        case NotMatcher(matcher=inner):
            return _leaves(inner, registry, path, not inverted, seen)
    return [(path, matcher, inverted)]


def _fate(found: m.Hit, counted: set[tuple[int, int]], matcher: Matcher,
          clause: str) -> HitFate:
    if (found.start, found.end) in counted:
        return HitFate.COUNTS
    if isinstance(matcher, RegexMatcher) and any(
            m.compiled(x).search(normalize_text(clause)) for x in matcher.exclude):
        return HitFate.EXCLUDED  # the engine looks at exclusions first
    polarity = getattr(matcher, "polarity", Polarity.ANY)
    if polarity is Polarity.AFFIRMED and found.negated:
        return HitFate.NEGATED
    if polarity is Polarity.NEGATED and not found.negated:
        return HitFate.AFFIRMED
    return HitFate.EXCLUDED


def _leaf_report(path: tuple[str, ...], leaf: Matcher, inverted: bool, norm: Normalized,
                 spans: list[tuple[int, int]]) -> LeafReport:
    actual = m.evaluate(leaf, norm, {})
    counted = {(h.start, h.end) for h in actual.hits} if actual else set()
    if isinstance(leaf, PhraseMatcher):
        probe: Matcher = dataclasses.replace(leaf, polarity=Polarity.ANY)
        rules, polarity, exclude, threshold = leaf.phrases, leaf.polarity, (), None
    elif isinstance(leaf, RegexMatcher):
        probe = dataclasses.replace(leaf, polarity=Polarity.ANY, exclude=())
        rules, polarity, exclude, threshold = (leaf.pattern,), leaf.polarity, leaf.exclude, None
    else:
        assert isinstance(leaf, FuzzyMatcher)
        probe = leaf
        rules, polarity, exclude, threshold = leaf.examples, None, (), leaf.threshold
    found = m.evaluate(probe, norm, {})
    hits = []
    for h in found.hits if found else ():
        clause = _clause_text(norm, spans, h.start, h.end)
        hits.append(LeafHit(text=h.text, start=h.start, end=h.end, rule=h.rule, clause=clause,
                            cues=h.cues, negated=h.negated,
                            fate=_fate(h, counted, leaf, clause), score=h.score))
    best = None
    if isinstance(leaf, FuzzyMatcher):
        best = max((m.similarity(normalize_text(e), norm.text)[0] for e in leaf.examples),
                   default=0.0)
        best = round(best, 1)
    return LeafReport(path=path, form=type(leaf).FORM, rules=tuple(rules), polarity=polarity,
                      exclude=tuple(exclude), threshold=threshold, best_score=best,
                      matched=actual is not None, hits=tuple(hits), inverted=inverted)


def _segments(text: str, matched: list[tuple[int, int]],
              blocked: list[tuple[int, int]]) -> tuple[Segment, ...]:
    kinds = [SegmentKind.PLAIN] * len(text)
    for a, b in blocked:
        for i in range(max(a, 0), min(b, len(text))):
            kinds[i] = SegmentKind.BLOCKED
    for a, b in matched:
        for i in range(max(a, 0), min(b, len(text))):
            kinds[i] = SegmentKind.MATCH
    segments: list[Segment] = []
    for ch, kind in zip(text, kinds, strict=True):
        if segments and segments[-1].kind is kind:
            segments[-1] = Segment(segments[-1].text + ch, kind)
        else:
            segments.append(Segment(ch, kind))
    return tuple(segments)


def explain(name: str, matcher: Matcher, sample: str, registry: m.Registry) -> MatcherReport:
    """Whether `matcher` matches `sample`, and why (see the module docstring)."""
    norm = normalize(sample)
    spans = _clause_spans(norm)
    match = m.evaluate(matcher, norm, registry, name=name)
    leaves = tuple(_leaf_report(path, leaf, inverted, norm, spans)
                   for path, leaf, inverted in _leaves(matcher, registry, (), False,
                                                       frozenset()))
    blocked = [(h.start, h.end) for leaf in leaves for h in leaf.hits
               if h.fate is not HitFate.COUNTS]
    return MatcherReport(name=name, sample=sample, matched=match is not None,
                         segments=_segments(sample, list(match.spans) if match else [],
                                            blocked),
                         clauses=tuple(sample[a:b] for a, b in spans), leaves=leaves)


SUMMARY_PHRASES = 3
SUMMARY_CHARS = 60
REGEX_CHARS = 24


@dataclass(frozen=True)
class SummaryWords:
    """The words that join a summary's quoted phrases (the web layer translates them)."""

    more: str = "等 %(n)d 种说法"  # after the first phrases, with their number
    similar: str = "与%(examples)s相近"
    regex: str = "符合规则式%(pattern)s"
    all_of: str = " 且 "
    any_of: str = " 或 "
    not_: str = "不含 %(inner)s"


def summary(matcher: Matcher, registry: m.Registry, words: SummaryWords) -> str:
    """A matcher in a trainer's words (its phrases or examples, joined by 且/或), so that a
    page never has to name it by its key; shortened to SUMMARY_CHARS."""
    text = _summary(matcher, registry, words, 0)
    return text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS] + "…"


def _quoted(items: tuple[str, ...], words: SummaryWords) -> str:
    shown = "".join(f"「{item}」" for item in items[:SUMMARY_PHRASES])
    return shown + (words.more % {"n": len(items)} if len(items) > SUMMARY_PHRASES else "")


def _summary(matcher: Matcher, registry: m.Registry, words: SummaryWords, depth: int) -> str:
    if depth > 8:  # refs refer to refs; a cycle is a problem of the files, reported there
        return "…"
    match matcher:
        case Ref(name=name):
            found = registry.get(name)
            return _summary(found, registry, words, depth + 1) if found is not None else ""
        case PhraseMatcher(phrases=phrases):
            return _quoted(phrases, words)
        case FuzzyMatcher(examples=examples):
            return words.similar % {"examples": _quoted(examples, words)}
        case RegexMatcher(pattern=pattern):
            # The pattern itself, shortened: mostly the Chinese words it looks for.
            shown = pattern if len(pattern) <= REGEX_CHARS else pattern[:REGEX_CHARS] + "…"
            return words.regex % {"pattern": f"「{shown}」"}
        case AllOf(matchers=parts):
            return words.all_of.join(_summary(p, registry, words, depth + 1) for p in parts)
        case AnyOf(matchers=parts):
            return words.any_of.join(_summary(p, registry, words, depth + 1) for p in parts)
        case NotMatcher(matcher=inner):
            return words.not_ % {"inner": _summary(inner, registry, words, depth + 1)}
    return ""
