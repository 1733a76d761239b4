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


def test_templates_translate_in_the_language_chosen_even_when_it_changes_mid_request(
        app: Flask) -> None:
    from flask import session
    from flask_babel import force_locale, refresh

    page = "{{ _('首页') }} · {{ _('%(n)d 分', n=3) }}"
    with app.test_request_context():
        assert render_template_string(page) == "首页 · 3 分"
        with force_locale("en"):
            assert render_template_string("{{ _('首页') }}") == "Home"
        assert render_template_string("{{ _('首页') }}") == "首页"
        session["lang"] = "en"
        refresh()  # what the language switch does
        assert render_template_string("{{ _('首页') }}") == "Home"
    with app.test_request_context():  # another request: its own language
        assert render_template_string("{{ _('首页') }}") == "首页"


def test_underscore_formats_and_escapes_as_jinja_new_style_gettext_does(app: Flask) -> None:
    with app.test_request_context():
        assert render_template_string("{{ _('%(n)d 分', n=3) }}") == "3 分"
        assert render_template_string("{{ _('已读 %(done)d / %(total)d 个模块', done=1, total=2) }}"
                                      ) == "已读 1 / 2 个模块"
        # The arguments are escaped, the translation is not; a lone %% is a percent sign.
        assert render_template_string("{{ _('你好，%(name)s', name='<b>') }}") == "你好，&lt;b&gt;"
        assert render_template_string("{{ _('100%%') }}") == "100%"
        assert render_template_string("{{ gettext('%(n)d 分', n=4) }}") == "4 分"


def test_the_navigation_kept_per_language_follows_a_language_switch(client, session) -> None:
    from tests.factories import login, make_user

    user = make_user(session)
    session.commit()
    login(client, user)
    assert "我的培训" in client.get("/search?q=").get_data(as_text=True)  # the kept zh nav
    client.post("/language", data={"lang": "en", "next": "/search"})
    page = client.get("/search?q=").get_data(as_text=True)
    assert "我的培训" not in page and 'aria-current="page"' in page
    client.post("/language", data={"lang": "zh_CN", "next": "/search"})
    assert "我的培训" in client.get("/search?q=").get_data(as_text=True)
