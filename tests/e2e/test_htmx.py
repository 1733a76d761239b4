"""htmx in a real browser: served from our origin, sending the CSRF token, swapping results."""
from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.support import ConsoleWatch, LiveServer, log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def admin_page(page: Page) -> Page:
    log_in(page, "demo-admin")
    expect(page).to_have_url(re.compile(r"/admin/users$"))
    return page


def csrf_header_of_body(page: Page) -> str:
    hx_headers = page.locator("body").get_attribute("hx-headers")
    assert hx_headers, "<body> carries no hx-headers"
    token = json.loads(hx_headers).get("X-CSRFToken")
    assert token, f"no X-CSRFToken in hx-headers: {hx_headers}"
    return token


def test_htmx_is_loaded_from_our_own_origin(admin_page: Page, live_server: LiveServer,
                                            console: ConsoleWatch) -> None:
    page = admin_page
    assert page.evaluate("typeof window.htmx") == "object", "htmx did not load"
    assert page.evaluate("htmx.version").startswith("2.")
    sources = page.eval_on_selector_all("script[src]", "els => els.map(e => e.src)")
    assert sources and all(src.startswith(live_server.url + "/") for src in sources), sources
    assert page.evaluate("htmx.config.allowEval") is False  # the CSP has no unsafe-eval
    console.assert_clean("the admin user list")


def test_user_search_sends_csrf_header_and_swaps_the_results(admin_page: Page,
                                                             console: ConsoleWatch) -> None:
    page = admin_page
    token = csrf_header_of_body(page)
    rows = page.get_by_role("table").locator("tbody tr")
    expect(rows).to_have_count(6)  # the six demo accounts

    with page.expect_request(lambda r: r.headers.get("hx-request") == "true") as info:
        page.get_by_label("搜索工号或姓名").fill("trainee")
    request = info.value
    assert request.method == "GET" and "q=trainee" in request.url
    assert request.headers.get("x-csrftoken") == token

    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("demo-trainee")
    expect(page).to_have_url(re.compile(r"/admin/users\?q=trainee(&|$)"))  # hx-push-url
    console.assert_clean("the user search")
    # The pushed URL gives the same result as a full page.
    page.reload()
    expect(page.get_by_role("table").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_label("搜索工号或姓名")).to_have_value("trainee")


def test_htmx_post_is_accepted_with_the_header_token_alone(admin_page: Page,
                                                           console: ConsoleWatch) -> None:
    page = admin_page
    # Without the token, a POST is refused (so the check below means something).
    console.allow(r"status of 400")
    status = page.evaluate("""() => fetch("/language", {method: "POST",
        body: new URLSearchParams({lang: "en", next: "/admin/users"})}).then(r => r.status)""")
    assert status == 400

    # htmx sends the X-CSRFToken from <body hx-headers>, with no csrf_token form field.
    with page.expect_response(lambda r: r.url.endswith("/language")) as info:
        page.evaluate("""() => htmx.ajax("POST", "/language", {source: document.body,
            values: {lang: "en", next: "/admin/users"}, swap: "none"})""")
    assert info.value.status == 303
    assert "csrf_token" not in (info.value.request.post_data or "")
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    console.assert_clean("the htmx POST")


def test_logout_button_posts_with_csrf(admin_page: Page, console: ConsoleWatch) -> None:
    page = admin_page
    with page.expect_request(lambda r: r.url.endswith("/logout")) as info:
        page.get_by_role("button", name="退出登录").click()
    assert "csrf_token=" in (info.value.post_data or "")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("status")).to_contain_text("你已退出登录")
    console.assert_clean("logging out")
