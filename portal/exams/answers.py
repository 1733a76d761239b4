"""Turning a question's submitted form fields into the answer its grader expects.

Pure: it takes the question's public view and any mapping with get()/getlist() (a
werkzeug MultiDict in the web layer, a dict of lists in tests).
"""
from __future__ import annotations

from typing import Any, Protocol

MAX_FIELD_CHARS = 5000


class Form(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...
    def getlist(self, key: str) -> list[Any]: ...


def _text(form: Form, name: str) -> str:
    return str(form.get(name, "") or "")[:MAX_FIELD_CHARS]


def answer_from_form(view: dict[str, Any], form: Form, prefix: str = "") -> Any:
    """The answer to `view`'s question held in `form` (fields named `prefix` + ...)."""
    kind = view["kind"]
    if kind == "single-choice":
        return _text(form, prefix + "answer") or None
    if kind == "multiple-choice":
        keys = {c["key"] for c in view.get("choices", [])}
        return sorted({str(v) for v in form.getlist(prefix + "answer") if str(v) in keys})
    if kind == "true-false":
        value = _text(form, prefix + "answer")
        return {"true": True, "false": False}.get(value)
    if kind == "fill-in":
        return [_text(form, f"{prefix}blank-{i}") for i in range(1, int(view.get("blanks", 1)) + 1)]
    if kind in ("numeric", "short-answer"):
        return _text(form, prefix + "answer")
    if kind == "matching":
        return {left["key"]: _text(form, f"{prefix}match-{left['key']}")
                for left in view.get("left", []) if _text(form, f"{prefix}match-{left['key']}")}
    if kind == "operation-task":
        return {item["name"]: _text(form, f"{prefix}field-{item['name']}")
                for item in view.get("form", [])}
    if kind == "case":
        return {sub["id"]: answer_from_form(sub, form, prefix=f"{prefix}{sub['id']}.")
                for sub in view.get("questions", [])}
    return None


def is_answered(answer: Any) -> bool:
    if answer is None:
        return False
    if isinstance(answer, bool):
        return True
    if isinstance(answer, str):
        return bool(answer.strip())
    if isinstance(answer, list):
        return any(is_answered(a) for a in answer)
    if isinstance(answer, dict):
        return any(is_answered(a) for a in answer.values())
    return True
