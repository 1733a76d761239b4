"""Regular expressions written by trainers: the ones that could backtrack catastrophically.

Python's `re` has no time limit, so a pattern such as (a+)+ or (a|ab)* can take minutes on
a short reply. Written exams' answer rules and chat matchers refuse such patterns when a
file is read, with these checks.
"""
from __future__ import annotations

import functools
import re

# A group holding a quantifier and itself repeated, e.g. (a+)+ or (a{2,})+ .
_QUANTIFIED_GROUP_RE = re.compile(r"\((?:[^()\\]|\\.)*[*+}](?:[^()\\]|\\.)*\)\s*[*+{]")
# A quantified group with alternatives, e.g. (a|ab)* : the alternatives are checked apart.
_QUANTIFIED_ALTERNATION_RE = re.compile(r"\(((?:[^()\\]|\\.)*\|(?:[^()\\]|\\.)*)\)\s*[*+{]")


@functools.lru_cache(maxsize=1024)  # pure; a bank repeats its patterns
def has_nested_quantifier(pattern: str) -> bool:
    """A repeated group that itself holds a repetition, at any depth: (a+)+, ((a|b)+)+."""
    return bool(_QUANTIFIED_GROUP_RE.search(pattern)) or _nested_repeat(pattern)


def has_overlapping_alternation(pattern: str) -> bool:
    """A repeated group whose alternatives can match the same text: (a|a)*, (a|ab)*, (|a)+."""
    for m in _QUANTIFIED_ALTERNATION_RE.finditer(pattern):
        options = m.group(1).split("|")
        if len(set(options)) < len(options) or any(
                o == "" or any(p != o and p.startswith(o) for p in options) for o in options):
            return True
    return False


def _is_repeat(pattern: str, i: int) -> bool:
    """A quantifier that repeats (*, +, {n,}, {n,m} with m > 1) starts at pattern[i]."""
    if i >= len(pattern):
        return False
    if pattern[i] in "*+":
        return True
    m = re.match(r"\{(\d*)(,?)(\d*)\}", pattern[i:])
    return bool(m) and (bool(m.group(2)) and (m.group(3) == "" or int(m.group(3)) > 1)
                        or (not m.group(2) and m.group(1) not in ("", "0", "1")))


def _nested_repeat(pattern: str) -> bool:
    """The walk behind `has_nested_quantifier`: group by group, escapes and classes skipped."""
    stack: list[bool] = []  # per open group: does it hold a repetition?
    i, in_class = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            if not in_class and _is_repeat(pattern, i) and stack:
                stack[-1] = True
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "(":
            stack.append(False)
        elif c == ")" and stack:
            holds = stack.pop()
            if _is_repeat(pattern, i + 1):
                if holds:
                    return True
                if stack:
                    stack[-1] = True
            elif holds and stack:
                stack[-1] = True
        elif _is_repeat(pattern, i) and stack:
            stack[-1] = True
        i += 1
    return False
