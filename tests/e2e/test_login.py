"""The log-in page in a real browser: keyboard use, language, accessibility, deactivation."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from portal.auth.models import Role, User
from tests.e2e.support import ConsoleWatch, LiveServer, assert_accessible, log_in, screenshot
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.e2e


def test_login_page_is_accessible_and_clean(page: Page, console: ConsoleWatch) -> None:
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", name="登录", level=1)).to_be_visible()
    screenshot(page, "login")
    console.assert_clean("the login page")
    assert_accessible(page, "the login page")


def test_login_form_works_with_the_keyboard_alone(page: Page, console: ConsoleWatch) -> None:
    page.goto("/login")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="跳到主要内容")).to_be_focused()
    employee_no = page.get_by_label("工号")
    for _ in range(5):  # past the skip link and the brand link
        if employee_no.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(employee_no).to_be_focused()
    page.keyboard.type("demo-trainee")
    page.keyboard.press("Tab")
    expect(page.get_by_label("密码")).to_be_focused()
    page.keyboard.type("portal-demo")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="我的培训路线")).to_be_visible()
    console.assert_clean("the keyboard log-in")


def test_language_switch_to_english(page: Page, console: ConsoleWatch) -> None:
    page.goto("/login")
    page.get_by_role("button", name="English").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-pressed", "true")
    # The choice sticks for the next page, and switching back works.
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("button", name="简体中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", name="登录", level=1)).to_be_visible()
    console.assert_clean("the login page in both languages")


def test_deactivated_account_cannot_sign_in(page: Page, console: ConsoleWatch,
                                            live_server: LiveServer) -> None:
    with live_server.db() as session:
        user = make_user(session, role=Role.TRAINEE)
        user.active = False  # deactivated straight in the database
        employee_no = user.employee_no
    console.allow(r"status of 422")  # the refused log-in answers 422

    log_in(page, employee_no, PASSWORD)
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_role("alert")).to_contain_text("已停用")
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    console.assert_clean("the refused log-in")


def test_signed_in_user_is_sent_to_login_once_deactivated(page: Page, console: ConsoleWatch,
                                                          live_server: LiveServer) -> None:
    with live_server.db() as session:
        user_id = make_user(session, role=Role.TRAINEE).id
        employee_no = session.get(User, user_id).employee_no
    log_in(page, employee_no, PASSWORD)
    expect(page.get_by_role("heading", name="我的培训路线")).to_be_visible()

    with live_server.db() as session:
        session.get(User, user_id).active = False

    page.get_by_role("link", name="我的培训").click()  # the next navigation
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    expect(page.get_by_label("工号")).to_be_visible()
    console.assert_clean("the deactivated user's next page")
