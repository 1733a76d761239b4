"""The supervisor's cohort dashboard in a real browser: charts readable without script, a
data table behind each, keyboard and phone width, axe; the Excel download."""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import BrowserContext, Page, expect

from portal.db import utcnow
from tests.e2e.support import LiveServer, assert_accessible, log_in, screenshot
from tests.factories import PASSWORD, build_finished_cohort

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def finished(live_server: LiveServer) -> dict[str, str]:
    """The shipped content and a finished cohort of three on the live server."""
    with live_server.db() as session:
        made = build_finished_cohort(session, now=utcnow())
        return {"supervisor": made.supervisor.employee_no, "cohort": made.cohort.name}


def test_a_supervisor_reads_the_dashboard_and_downloads_the_export(
        page: Page, finished: dict[str, str]) -> None:
    log_in(page, finished["supervisor"], PASSWORD)
    page.get_by_role("link", name=re.compile(r"看板\s*：" + re.escape(finished["cohort"]))).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{finished['cohort']} 培训看板")
    charts = page.get_by_role("img")
    expect(charts).to_have_count(11)
    expect(page.get_by_role("img", name="各阶段完成人数")).to_be_visible()
    expect(page.get_by_role("img", name="新客服模拟接待考核 成绩分布")).to_be_visible()
    # The data behind a chart opens from the keyboard.
    summary = page.get_by_text("数据表：各阶段完成情况")
    summary.focus()
    page.keyboard.press("Enter")
    table = page.get_by_role("table", name="各阶段完成情况与计划对照")
    expect(table).to_be_visible()
    expect(table.get_by_role("rowheader", name="1. 基础知识")).to_be_visible()
    assert_accessible(page, "the cohort dashboard")
    screenshot(page, "cohort-dashboard")

    with page.expect_download() as info:
        page.get_by_role("link", name="导出 Excel（给人事）").click()
    download = info.value
    assert download.suggested_filename.startswith(f"{finished['cohort']}-培训结果-")
    sheet = load_workbook(io.BytesIO(download.path().read_bytes())).active
    assert sheet is not None and sheet["A1"].value == "姓名" and sheet.max_row == 4


def test_the_dashboard_fits_a_phone(new_context, finished: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    context: BrowserContext = new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, finished["supervisor"], PASSWORD)
    page.get_by_role("link", name=re.compile("看板")).first.click()
    expect(page.get_by_role("heading", level=2, name="成绩分布")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    widths = page.eval_on_selector_all("svg.chart", "els => els.map(e => e.getBoundingClientRect().width)")
    assert widths and all(0 < w <= 390 for w in widths)
    assert_accessible(page, "the cohort dashboard on a phone")
    screenshot(page, "cohort-dashboard-phone")
