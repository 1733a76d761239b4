"""Template helpers every page may use, registered once on the app (not per blueprint).

They are Jinja globals and filters, so a macro imported without context and a block
rendered alone as an htmx fragment see them too.
"""
from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask_babel import gettext
from jinja2 import StrictUndefined

from portal.exams import kinds
from portal.exams.forms import score_field
from portal.exams.kinds.case import sub_prefix

BLANK_MARK = re.compile(r"\[\[(\d+)\]\]")


def points(value: Any) -> str:
    """A score or a number of points as people write it: 9, 9.5, 66.7 (not 9.0)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:g}"


def kind_label(name: str) -> str:
    """A kind's name in the reader's language (单选题)."""
    kind = kinds.KINDS.get(name) if isinstance(name, str) else None
    return gettext(kind.label) if kind is not None else gettext("未知题型")


def kind_template(question: dict[str, Any]) -> str:
    """The template holding the macros of the question's kind (input, answer, key …)."""
    return kinds.get_kind(question.get("kind")).template


def mark_blanks(prompt: str) -> str:
    """Fill-in prompts mark blanks [[1]], [[2]] …; show them as numbered gaps."""
    return BLANK_MARK.sub(lambda m: gettext("【第 %(n)s 空】", n=m.group(1)), prompt or "")


def init_app(app: Flask) -> None:
    """Register the helpers; with JINJA_STRICT_UNDEFINED (the tests' setting) a name a
    template does not define fails the render instead of showing nothing."""
    if app.config.get("JINJA_STRICT_UNDEFINED"):
        app.jinja_env.undefined = StrictUndefined
    app.jinja_env.globals.update(kind_label=kind_label, kind_template=kind_template,
                                 mark_blanks=mark_blanks, input_name=kinds.input_name,
                                 sub_prefix=sub_prefix, points=points,
                                 score_field=score_field)
    app.jinja_env.filters["pts"] = points
