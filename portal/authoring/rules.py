"""Pure rules of module authoring: reading the tag field, and line diffs between versions."""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

# Trainers type tags with Western or Chinese commas or the enumeration comma (、).
TAG_SEPARATORS_RE = re.compile(r"[,，、;；]")
ROLE_ORDER = ("all", "pre-sales", "after-sales")


def split_tags(text: str) -> list[str]:
    """`"售后, 退款、物流"` → `["售后", "退款", "物流"]`: trimmed, no blanks, no repeats."""
    tags: list[str] = []
    for part in TAG_SEPARATORS_RE.split(text or ""):
        tag = part.strip()
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def join_tags(tags: list[str]) -> str:
    return "、".join(tags)


def single_line(text: str) -> str:
    """A one-line field as typed: line breaks become spaces, outer spaces go."""
    return " ".join((text or "").splitlines()).strip()


def normalize_roles(roles: list[str]) -> list[str]:
    """Known roles in their canonical order (so that ticking order is not a change);
    unknown values are kept at the end for the validator to report."""
    known = [r for r in ROLE_ORDER if r in roles]
    unknown = [r for r in dict.fromkeys(roles) if r not in ROLE_ORDER]
    return known + unknown


def normalize_body(text: str) -> tuple[str, int]:
    """The body as the file loader stores it, and how many leading blank lines it lost.

    Browsers send CRLF from a textarea; the loader strips blank lines around the body.
    The count lets problem line numbers point at the lines the trainer sees.
    """
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    stripped = text.lstrip("\n")
    leading = len(text) - len(stripped)
    return stripped.rstrip("\n") + "\n", leading


class DiffKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    SAME = "same"
    SKIPPED = "skipped"  # unchanged lines left out between changes


@dataclass(frozen=True)
class DiffLine:
    kind: DiffKind
    old_number: int | None
    new_number: int | None
    text: str
    skipped: int = 0  # for SKIPPED: how many unchanged lines were left out


def line_diff(old: str, new: str, *, context: int = 2) -> list[DiffLine]:
    """The changed lines of `new` against `old`, with a little unchanged context."""
    a, b = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    lines: list[DiffLine] = []
    shown_until_old = 0
    for group in matcher.get_grouped_opcodes(context):
        first_old = group[0][1]
        if first_old > shown_until_old:
            lines.append(DiffLine(DiffKind.SKIPPED, None, None, "",
                                  skipped=first_old - shown_until_old))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines.extend(DiffLine(DiffKind.SAME, i + 1, j1 + (i - i1) + 1, a[i])
                             for i in range(i1, i2))
                continue
            if tag in ("replace", "delete"):
                lines.extend(DiffLine(DiffKind.REMOVED, i + 1, None, a[i]) for i in range(i1, i2))
            if tag in ("replace", "insert"):
                lines.extend(DiffLine(DiffKind.ADDED, None, j + 1, b[j]) for j in range(j1, j2))
        shown_until_old = group[-1][2]
    if lines and shown_until_old < len(a):
        lines.append(DiffLine(DiffKind.SKIPPED, None, None, "", skipped=len(a) - shown_until_old))
    return lines


def diff_counts(lines: list[DiffLine]) -> tuple[int, int]:
    """(added, removed) line counts."""
    return (sum(1 for d in lines if d.kind is DiffKind.ADDED),
            sum(1 for d in lines if d.kind is DiffKind.REMOVED))


_LINK_OPEN_RE = re.compile(r"<a\s")


def links_open_elsewhere(html: str) -> str:
    """Links in a preview open in a new tab, so that following one never loses a draft.

    The HTML is already sanitised; only the attribute is added.
    """
    return _LINK_OPEN_RE.sub('<a target="_blank" ', html)


def parse_minutes(text: str | int | None) -> int | None:
    """The reading-time field as typed; None when it is not a whole number."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    # NFKC: full-width digits typed with a Chinese input method count too.
    value = unicodedata.normalize("NFKC", text or "").strip() if isinstance(text, str) else ""
    return int(value) if re.fullmatch(r"\d{1,6}", value, flags=re.ASCII) else None
