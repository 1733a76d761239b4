"""Test data of the form-based question editor: reading an editor page's form back as a
browser would submit it."""
from __future__ import annotations

import html
import re

DEMO_BANK = "/banks/after-sales-demo"
# One question of every kind in the docs' example bank.
QUESTION_OF_KIND = {
    "single-choice": "promise-express-01", "multiple-choice": "campaign-rules-01",
    "true-false": "invoice-amount-01", "fill-in": "return-window-01",
    "numeric": "invoice-split-01", "matching": "team-groups-01",
    "short-answer": "complaint-reply-01", "case": "refund-in-transit",
    "operation-task": "out-of-stock-note",
}

_FORM_RE = re.compile(r'<form id="question-form".*?</form>', re.S)
_INPUT_RE = re.compile(r"<input\b[^>]*>", re.S)
_TEXTAREA_RE = re.compile(r'<textarea\b[^>]*\bname="([^"]+)"[^>]*>(.*?)</textarea>', re.S)
_SELECT_RE = re.compile(r'<select\b[^>]*\bname="([^"]+)"[^>]*>(.*?)</select>', re.S)
_OPTION_RE = re.compile(r'<option value="([^"]*)"( selected)?', re.S)


def _attr(tag: str, name: str) -> str | None:
    found = re.search(rf'\b{name}="([^"]*)"', tag)
    return html.unescape(found[1]) if found else None


def form_fields(page: str) -> list[tuple[str, str]]:
    """The (name, value) pairs the editor's form submits as it stands (no button pressed)."""
    form = _FORM_RE.search(page)
    assert form is not None, "no question form on the page"
    body = form[0]
    fields: list[tuple[str, str]] = []
    for tag in _INPUT_RE.findall(body):
        name, kind = _attr(tag, "name"), _attr(tag, "type") or "text"
        if name is None or kind in ("submit", "button"):
            continue
        if kind in ("checkbox", "radio") and not re.search(r"\schecked\b", tag):
            continue
        fields.append((name, _attr(tag, "value") or ""))
    for name, text in _TEXTAREA_RE.findall(body):
        fields.append((html.unescape(name), html.unescape(text).removeprefix("\n")))
    for name, options in _SELECT_RE.findall(body):
        chosen = [v for v, selected in _OPTION_RE.findall(options) if selected]
        first = _OPTION_RE.findall(options)
        value = chosen[0] if chosen else (first[0][0] if first else "")
        fields.append((html.unescape(name), html.unescape(value)))
    return fields


def with_values(fields: list[tuple[str, str]], **changes: str) -> list[tuple[str, str]]:
    """The fields with some values replaced (names given with "." and "-" as "__" and "_")."""
    wanted = {k: v for k, v in changes.items()}
    result = []
    for name, value in fields:
        key = name.replace(".", "__").replace("-", "_")
        result.append((name, wanted.pop(key, value)))
    assert not wanted, f"no such fields: {sorted(wanted)}"
    return result
