"""A trainer proposes a probation outcome, a supervisor decides it, the trainee sees it: in a
real browser, with the keyboard-reachable forms, axe on every probation page, and a phone."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from portal.db import utcnow
from tests.e2e.support import (
    ConsoleWatch,
    LiveServer,
    assert_accessible,
    log_in,
    log_out,
    screenshot,
)
from tests.factories import import_observation_forms

pytestmark = pytest.mark.e2e

TRAINEE = "林小雨（演示新客服）"


@pytest.fixture(scope="module", autouse=True)
def forms_imported(live_server: LiveServer) -> None:
    with live_server.db() as session:
        import_observation_forms(session, now=utcnow())


def test_trainer_proposes_supervisor_decides_trainee_sees(page: Page,
                                                          console: ConsoleWatch) -> None:
    console.allow(r"status of 422 .*/proposals")  # the refused proposal, on purpose
    log_in(page, "demo-trainer")
    page.get_by_role("link", name="转正", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("转正评估：演示批次")
    row = page.get_by_role("row", name=re.compile(TRAINEE))
    expect(row).to_contain_text("尚未提议")
    assert_accessible(page, "the cohort's probation page")
    row.get_by_role("link", name=TRAINEE).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(f"转正评估：{TRAINEE}"))
    expect(page.get_by_role("heading", name="全部理由与依据")).to_be_visible()
    assert_accessible(page, "a trainee's probation case")
    # A refused proposal keeps what was typed and says why.
    page.get_by_label("结果").select_option(label="延长考察期")
    page.get_by_label(re.compile("^日期")).fill("2027-01-22")
    page.get_by_label(re.compile("^理由")).fill("   ")  # only spaces: the server refuses it
    page.get_by_role("button", name="提出提议").click()
    expect(page.get_by_role("alert")).to_have_text("请写明理由")
    page.get_by_label(re.compile("^理由")).fill("观察表还没有填完，延长一个月再评估")
    page.get_by_label(re.compile("^理由")).press("Tab")
    page.keyboard.press("Enter")  # the submit button, reached by the keyboard
    expect(page.get_by_role("status").filter(has_text="提议已记录")).to_be_visible()
    expect(page.get_by_text("这是你提出的提议，需由另一位客服主管决定。")).to_be_visible()
    expect(page.get_by_role("button", name="记录决定")).to_have_count(0)
    assert_accessible(page, "a case with a proposal waiting")
    log_out(page)

    log_in(page, "demo-supervisor")
    page.get_by_role("link", name="转正", exact=True).click()
    expect(page.get_by_role("row", name=re.compile(TRAINEE))).to_contain_text("待决定")
    page.get_by_role("link", name=TRAINEE).click()
    expect(page.get_by_role("heading", name="作出决定")).to_be_visible()
    assert_accessible(page, "the decision form")
    page.get_by_label("同意提议").check()
    page.get_by_label(re.compile("^理由")).fill("同意延长，月底复核观察表")
    page.get_by_role("button", name="记录决定").click()
    expect(page.get_by_role("status").filter(has_text="决定已记录")).to_be_visible()
    trail = page.get_by_role("region", name=re.compile("记录（只增不改"))
    expect(trail).to_contain_text("同意延长，月底复核观察表")
    expect(trail).to_contain_text("陈涛（演示客服主管） 于")
    expect(page.get_by_role("heading", name="提出提议")).to_be_visible()  # the next round
    assert_accessible(page, "a decided case")
    screenshot(page, "probation-case")
    log_out(page)

    log_in(page, "demo-trainee")
    outcome = page.get_by_role("region", name="转正结果")
    expect(outcome).to_contain_text("延长考察期")
    expect(outcome).to_contain_text("2027年1月22日")
    expect(outcome).not_to_contain_text("观察表还没有填完")
    assert_accessible(page, "the trainee's home with the probation outcome")


def test_the_case_page_fits_a_phone(new_context) -> None:  # type: ignore[no-untyped-def]
    page = new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                       has_touch=True).new_page()
    log_in(page, "demo-supervisor")
    page.goto("/probation")
    page.get_by_role("link", name=TRAINEE).click()
    expect(page.get_by_role("heading", name="门户建议")).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth <= 390")
    assert_accessible(page, "a probation case on a phone")
    screenshot(page, "probation-case-phone")
