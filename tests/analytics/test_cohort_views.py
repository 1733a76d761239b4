"""The cohort analytics pages and their CSV files over HTTP: who may open them, what a
trainer reads, what the files hold. The week is tests.factories.build_cohort_analytics_world
(its figures are worked out in test_cohort_service.py); the views read it on today's clock,
after that week: 戊's attempt left open on Friday has been submitted at its deadline with
nothing answered, so freight was failed by 乙, 丙 and 戊 (all three had not opened 订单流程);
the figures that depend on today (who is past the plan) are not checked here."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.auth.models import Role
from tests.factories import HX, CohortAnalyticsWorld, build_cohort_analytics_world, login, make_user

CSV_FILES = ("stages.csv", "attempts.csv", "modules.csv")


@pytest.fixture
def world(session: Session) -> CohortAnalyticsWorld:
    made = build_cohort_analytics_world(session)
    session.commit()
    return made


def _visible_text(html: str) -> str:
    """What a person reads: no tags, attributes or the SVG's geometry."""
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.DOTALL)
    html = re.sub(r"<svg\b.*?</svg>", "", html, flags=re.DOTALL)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())  # Excel reads the Chinese headers
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _today() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()  # the views' clock


def test_a_trainer_reads_the_cohort_page(client: FlaskClient,
                                         world: CohortAnalyticsWorld) -> None:
    login(client, world.trainer)
    page = client.get(f"/analytics/cohorts/{world.cohort.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "HX-Request" in page.headers["Vary"]
    assert "分析批次 学习分析" in html
    for heading in ("各阶段用时（对照计划）", "各次作答的通过率", "答错的题与没打开过的模块"):
        assert heading in html
    (chart,) = re.findall(r"<svg\b.*?</svg>", html, flags=re.DOTALL)
    assert 'role="img"' in chart and "<title id=" in chart and "<desc id=" in chart
    assert chart.count('class="chart__mark"') == 3  # each stage's plan
    assert " style=" not in html and "<style" not in html
    assert re.search(r"<script(?![^>]*\ssrc=)", html) is None
    text = _visible_text(html)
    assert "3 人答错，其中 3 人没打开过《订单流程》" in text
    assert "1 人答错，其中 1 人没打开过《退换货处理》" in text
    assert "半个工作日 按 1 天计" in text and "售后考核 笔试 阶段：售后" in text
    assert "单人接待体验 模拟对话 阶段：实战" in text and "待评分" in text and "样本少" in text
    for internal in ("ana-track", "ana-basics", "m-a", "m-b", "s1", "chat-exam", "in_progress",
                     "pending", "None", "exam:"):
        assert internal not in text


def test_the_page_is_whole_for_a_boosted_visit(client: FlaskClient,
                                               world: CohortAnalyticsWorld) -> None:
    login(client, world.supervisor)
    page = client.get(f"/analytics/cohorts/{world.cohort.id}", headers={**HX, "HX-Boosted": "true"})
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)


def test_another_cohorts_staff_find_nothing_and_trainees_are_refused(
        client: FlaskClient, session: Session, world: CohortAnalyticsWorld) -> None:
    base = f"/analytics/cohorts/{world.cohort.id}"
    assert client.get(base).status_code == 302  # to the log-in page
    login(client, world.outsider)
    for url in (base, *(f"{base}/{name}" for name in CSV_FILES)):
        assert client.get(url).status_code == 404, url
    assert client.get("/analytics/cohorts/999999").status_code == 404
    assert client.get(f"/analytics/cohorts/{world.other.id}").status_code == 200
    for trainee in (world.trainees["甲"], make_user(session, role=Role.ADMIN)):
        session.commit()
        client.post("/logout")
        login(client, trainee)
        for url in (base, "/analytics/cohorts", "/analytics/cohorts.csv", f"{base}/stages.csv"):
            assert client.get(url).status_code == 403, url


def test_the_overview_lists_only_the_followed_cohorts(client: FlaskClient,
                                                      world: CohortAnalyticsWorld) -> None:
    login(client, world.trainer)
    html = client.get("/analytics/cohorts").get_data(as_text=True)
    assert f'href="/analytics/cohorts/{world.cohort.id}"' in html and "分析批次" in html
    assert "别组批次" not in html and f'href="/analytics/cohorts/{world.other.id}"' not in html
    text = _visible_text(html)
    assert "分析测试路线" in text and "入门考核 首次通过率" in text and "第 3 个工作日" in text
    assert "1 / 5 人" in text  # one of five finished the track
    client.post("/logout")
    login(client, world.outsider)
    html = client.get("/analytics/cohorts").get_data(as_text=True)
    assert "别组批次" in html and "分析批次" not in html


def test_each_table_downloads_as_csv_with_chinese_headers(client: FlaskClient,
                                                          world: CohortAnalyticsWorld) -> None:
    login(client, world.supervisor)
    base = f"/analytics/cohorts/{world.cohort.id}"
    labels = {"stages.csv": "阶段用时", "attempts.csv": "各次作答通过率",
              "modules.csv": "答错题目与未打开模块"}
    files = {}
    for name in CSV_FILES:
        response = client.get(f"{base}/{name}")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        assert response.headers["Cache-Control"] == "no-store"
        disposition = response.headers["Content-Disposition"]
        filename = unquote(disposition.split("filename*=UTF-8''", 1)[1])
        assert filename == f"分析批次-{labels[name]}-{_today()}.csv"
        assert f'filename="cohort-{world.cohort.id}-{name[:-4]}-{_today()}.csv"' in disposition
        files[name] = _rows(response.data)
    stages = files["stages.csv"]
    assert stages[0] == ["阶段", "计划用时", "计划天数（工作日）", "已完成人数", "用时中位数（工作日）",
                         "最短（工作日）", "最长（工作日）", "超出计划人数", "进行中人数",
                         "进行中且已超出计划人数", "尚未开始人数", "在训人数", "提示"]
    assert stages[1][:8] == ["1. 入门", "半个工作日", "1", "3", "1", "1", "2", "1"]
    assert stages[2][:8] == ["2. 售后", "1-2 个工作日", "2", "2", "3", "2", "4", "1"]
    assert stages[1][12].startswith("样本少：不足 10 人")
    attempts = files["attempts.csv"]
    assert attempts[0] == ["考核", "类型", "阶段", "第几次作答", "作答次数", "通过", "未通过",
                           "待评分", "作答中", "通过率（%）", "提示"]
    assert ["售后考核", "笔试", "售后", "1", "2", "1", "1", "0", "0", "50.0"] == attempts[3][:10]
    assert attempts[2][:8] == ["入门考核", "笔试", "入门", "2", "2", "1", "0", "1"]  # 1 待评分
    assert attempts[5][:3] == ["单人接待体验", "模拟对话", "实战"]
    modules = files["modules.csv"]
    assert modules[0] == ["题库", "题目编号", "题目", "版本", "考试", "答错人数", "培训路线", "模块",
                          "答错且答题前没打开过该模块的人数"]
    assert modules[1] == ["分析测试题库", "freight", "顾客问包裹几天能到，你先做什么？", "1", "入门考核",
                          "3", "分析测试路线", "订单流程", "3"]
    response = client.get("/analytics/cohorts.csv")
    overview = _rows(response.data)
    assert unquote(response.headers["Content-Disposition"].split("''", 1)[1]) == (
        f"批次对比-{_today()}.csv")
    assert overview[0][:7] == ["批次", "培训路线", "开始日期", "在训人数", "完成路线人数",
                               "完成路线用时中位数（工作日）", "入门考核 首次通过率（%）"]
    assert overview[1][:6] == ["分析批次", "分析测试路线", "2026-11-23", "5", "1", "3"]
    assert len(overview) == 2  # 别组批次 is not the supervisor's

