"""Each demo role signs in through the form, lands on its own home, and signs out."""
from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from portal.demo import DEMO_COHORT
from tests.e2e.support import ConsoleWatch, assert_accessible, log_in, log_out, screenshot

pytestmark = pytest.mark.e2e


def expect_trainee_home(page: Page) -> None:
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="我的培训路线")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(DEMO_COHORT)


def expect_staff_home(page: Page) -> None:
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="我的批次", level=1)).to_be_visible()
    expect(page.get_by_role("table").get_by_role("rowheader", name=DEMO_COHORT)).to_be_visible()


def expect_admin_home(page: Page) -> None:
    expect(page).to_have_url(re.compile(r"/admin/users$"))
    expect(page.get_by_role("heading", name="用户", level=1)).to_be_visible()
    table = page.get_by_role("table")
    for employee_no in ("demo-trainee", "demo-trainer", "demo-supervisor", "demo-admin"):
        expect(table).to_contain_text(employee_no)


HOMES: dict[str, Callable[[Page], None]] = {
    "demo-trainee": expect_trainee_home,
    "demo-trainer": expect_staff_home,
    "demo-supervisor": expect_staff_home,
    "demo-admin": expect_admin_home,
}


@pytest.mark.parametrize("employee_no", list(HOMES))
def test_each_role_signs_in_to_its_home_and_out_again(page: Page, console: ConsoleWatch,
                                                      employee_no: str) -> None:
    log_in(page, employee_no)
    HOMES[employee_no](page)
    role = employee_no.removeprefix("demo-")
    screenshot(page, f"{role}-home")
    console.assert_clean(f"the {role}'s home")
    assert_accessible(page, f"the {role}'s home")

    log_out(page)
    console.assert_clean("the login page after logging out")
    # The old session is gone: the home page asks for a log-in again.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))


def test_trainee_home_fits_a_phone(new_context: Callable[..., BrowserContext],
                                   console: ConsoleWatch) -> None:
    phone = new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                        is_mobile=True, has_touch=True)
    page = phone.new_page()
    log_in(page, "demo-trainee")
    expect_trainee_home(page)
    screenshot(page, "trainee-home-phone")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px on a 390px-wide phone"
    console.assert_clean("the trainee's home on a phone")
    assert_accessible(page, "the trainee's home on a phone")
