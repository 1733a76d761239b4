"""Template helpers: domains register theirs on the app once, and every template sees them."""
from __future__ import annotations

import pytest
from flask import Flask, render_template_string

from portal.web import templating


def test_the_exam_helpers_are_registered_by_their_domain_for_every_template(app: Flask) -> None:
    with app.test_request_context():
        assert render_template_string("{{ kind_label('fill-in') }} {{ 9.0|pts }}") == "填空题 9"
        assert render_template_string("{{ mark_blanks('共 [[1]] 天') }}") == "共 【第 1 空】 天"


def test_a_helper_name_is_registered_once(app: Flask) -> None:
    with pytest.raises(ValueError, match="kind_label"):
        templating.register(app, functions={"kind_label": str})
    with pytest.raises(ValueError, match="pts"):
        templating.register(app, filters={"pts": str})
    templating.register(app, functions={"a_new_helper": str})
    with app.test_request_context():
        assert render_template_string("{{ a_new_helper(3) }}") == "3"
