"""The cohort analytics in a real browser: from the cohorts side by side to one cohort's
page, its chart and tables read as a person would, a CSV download, axe at desktop and at a
phone's 390 px."""
from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from portal.db import utcnow
from tests.e2e.support import LiveServer, assert_accessible, log_in, screenshot
from tests.factories import PASSWORD, build_cohort_analytics_world, build_finished_cohort

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def people(live_server: LiveServer) -> dict[str, str]:
    """The demo's finished cohort of three, and the analytics tests' week (its trainees
    failed questions without opening the modules first)."""
    with live_server.db() as session:
        finished = build_finished_cohort(session, now=utcnow())
        week = build_cohort_analytics_world(session)
        return {"supervisor": finished.supervisor.employee_no, "cohort": finished.cohort.name,
                "trainer": week.trainer.employee_no, "week": str(week.cohort.id)}


def test_a_supervisor_compares_cohorts_and_opens_one(page: Page,
                                                     people: dict[str, str]) -> None:
    log_in(page, people["supervisor"], PASSWORD)
    page.goto("/analytics/cohorts")
    expect(page.get_by_role("heading", level=1)).to_have_text("批次分析")
    table = page.get_by_role("table", name=re.compile("各批次对比：新客服入职培训"))
    expect(table.get_by_role("columnheader", name=re.compile("基础知识阶段考核 首次通过率"))
           ).to_be_visible()
    expect(table.get_by_text("样本少").first).to_be_visible()  # three trainees
    assert_accessible(page, "the cohorts compared")
    table.get_by_role("link", name=people["cohort"]).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"{people['cohort']} 学习分析")
    expect(page.get_by_role("img", name="各阶段用时与计划天数（工作日）")).to_be_visible()
    stages = page.get_by_role("table", name="各阶段用时与计划对照（工作日）")
    expect(stages.get_by_role("rowheader", name="1. 基础知识")).to_be_visible()
    expect(stages.get_by_role("row", name=re.compile("1. 基础知识 半个工作日 按 1 天计"))
           ).to_be_visible()
    attempts = page.get_by_role("table", name=re.compile("^新客服模拟接待考核 模拟对话"))
    expect(attempts.get_by_role("rowheader", name="第 1 次")).to_be_visible()
    assert_accessible(page, "a cohort's analytics")
    screenshot(page, "analytics-cohort")

    with page.expect_download() as info:
        page.get_by_role("link", name="导出 CSV：各阶段用时").click()
    download = info.value
    assert download.suggested_filename.startswith(f"{people['cohort']}-阶段用时-")
    rows = list(csv.reader(io.StringIO(download.path().read_bytes().decode("utf-8-sig"))))
    assert rows[0][:3] == ["阶段", "计划用时", "计划天数（工作日）"]
    assert [r[0] for r in rows[1:]] == ["1. 基础知识", "2. 基本操作能力", "3. 融入团队",
                                        "4. 实际解决能力"]


def test_the_cohort_page_fits_a_phone(new_context, people: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    context: BrowserContext = new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, people["trainer"], PASSWORD)
    page.goto(f"/analytics/cohorts/{people['week']}")
    expect(page.get_by_role("heading", level=2, name="答错的题与没打开过的模块")).to_be_visible()
    gaps = page.get_by_role("table", name="答错的题与答题前没打开过的模块")
    expect(gaps.get_by_text("其中 3 人没打开过《订单流程》")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    widths = page.eval_on_selector_all("svg.chart",
                                       "els => els.map(e => e.getBoundingClientRect().width)")
    assert widths and all(0 < w <= 390 for w in widths)
    assert_accessible(page, "a cohort's analytics on a phone")
    screenshot(page, "analytics-cohort-phone")
