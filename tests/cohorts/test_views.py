"""The dashboard page and the downloads over HTTP: what staff see, what HR receives."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from portal.auth.models import Role, User
from tests.cohorts.cohort_fixtures import FinishedWorld
from tests.factories import HX, login, make_cohort, make_user


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    assert user is not None
    return user


def _visible_text(html: str) -> str:
    """What a person reads: no tags, attributes or the SVG's geometry."""
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.DOTALL)
    return re.sub(r"<[^>]+>", " ", html)


def test_the_dashboard_draws_every_chart_on_the_server_with_a_text_alternative(
        client: FlaskClient, session: Session, finished_world: FinishedWorld) -> None:
    login(client, _user(session, finished_world.supervisor_id))
    page = client.get(f"/cohorts/{finished_world.cohort_id}/dashboard")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "HX-Request" in page.headers["Vary"]
    assert f"{finished_world.cohort_name} 培训看板" in html
    for heading in ("阶段完成情况（对照计划）", "成绩分布", "各岗位方向得分率", "观察表平均分"):
        assert heading in html
    svgs = re.findall(r"<svg\b.*?</svg>", html, flags=re.DOTALL)
    # A funnel, four score charts, three areas, three observation forms.
    assert len(svgs) == 1 + 4 + 3 + 3
    for svg in svgs:
        assert 'role="img"' in svg and "<title id=" in svg and "<desc id=" in svg
        assert "<script" not in svg and "<style" not in svg and " style=" not in svg
        assert re.findall(r"https?://[^\"' ]+", svg) == ["http://www.w3.org/2000/svg"]
    assert html.count("<details") == len(svgs) and html.count("<table") >= len(svgs)
    # Strict CSP: no inline style or script anywhere, nothing from another site.
    assert " style=" not in html and "<style" not in html
    assert re.search(r"<script(?![^>]*\ssrc=)", html) is None
    assert "kozea.github.io" not in html and "cdn" not in html.lower()
    text = _visible_text(html)
    for internal in ("pre-sales", "after-sales", "general", "new-hire", "basics", "None"):
        assert internal not in text
    assert "售前" in text and "通用能力" in text and "模拟对话" in text and "严重违规 1 人" in text


def test_the_dashboard_is_also_a_full_page_for_a_boosted_htmx_visit(
        client: FlaskClient, session: Session, finished_world: FinishedWorld) -> None:
    login(client, _user(session, finished_world.trainer_id))
    page = client.get(f"/cohorts/{finished_world.cohort_id}/dashboard",
                      headers={**HX, "HX-Boosted": "true"})
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)


def test_the_staff_home_links_each_cohort_to_its_dashboard(
        client: FlaskClient, session: Session, finished_world: FinishedWorld) -> None:
    login(client, _user(session, finished_world.trainer_id))
    html = client.get("/").get_data(as_text=True)
    assert f'href="/cohorts/{finished_world.cohort_id}/dashboard"' in html and "看板" in html


def test_the_excel_export_opens_with_chinese_headers_and_the_cohorts_rows(
        client: FlaskClient, session: Session, finished_world: FinishedWorld) -> None:
    login(client, _user(session, finished_world.supervisor_id))
    response = client.get(f"/cohorts/{finished_world.cohort_id}/export.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = response.headers["Content-Disposition"]
    name = unquote(disposition.split("filename*=UTF-8''", 1)[1])
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()  # the views' clock
    assert name == f"{finished_world.cohort_name}-培训结果-{today}.xlsx"
    assert f'filename="cohort-{finished_world.cohort_id}-{today}.xlsx"' in disposition
    assert response.headers["Cache-Control"] == "no-store"
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    headers = rows[0]
    assert headers[:3] == ["姓名", "工号", "批次"]
    assert "新客服模拟接待考核 成绩" in headers and "工作态度观察表 平均分" in headers
    assert [r[1] for r in rows[1:]] == ["demo-c01", "demo-c07", "demo-c09"]
    passed = headers.index("新客服模拟接待考核 是否通过")
    assert [r[passed] for r in rows[1:]][:2] == ["通过", "未通过"]  # the violation fails
    assert rows[3][passed] in ("通过", "未通过", None)  # None: never got to the chat exam
    score = rows[1][headers.index("基础知识阶段考核 成绩")]
    assert isinstance(score, (int, float)) and 80 <= score <= 100


def test_a_name_that_looks_like_a_formula_is_exported_as_text(
        client: FlaskClient, session: Session, finished_world: FinishedWorld) -> None:
    trainee = _user(session, finished_world.trainee_ids[0])
    trainee.display_name = '=HYPERLINK("http://evil.example","点我")'
    session.commit()
    try:
        login(client, _user(session, finished_world.supervisor_id))
        xlsx = client.get(f"/cohorts/{finished_world.cohort_id}/export.xlsx").data
        sheet = load_workbook(io.BytesIO(xlsx)).active
        assert sheet is not None and sheet["A2"].value == "'" + trainee.display_name
        assert sheet["A2"].data_type == "s"
        data = client.get(f"/cohorts/{finished_world.cohort_id}/export.csv").data
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert rows[1][0] == "'" + trainee.display_name
    finally:
        session.rollback()  # a fresh transaction: the requests wrote since this one began
        trainee.display_name = "韩雪（演示）"
        session.commit()


def test_the_csv_export_has_a_bom_and_reads_back_like_the_workbook(
        client: FlaskClient, session: Session, finished_world: FinishedWorld) -> None:
    login(client, _user(session, finished_world.trainer_id))
    response = client.get(f"/cohorts/{finished_world.cohort_id}/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert unquote(response.headers["Content-Disposition"].split("''", 1)[1]).endswith(".csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:2] == ["姓名", "工号"] and len(rows) == 4
    assert all(len(r) == len(rows[0]) for r in rows)


def test_people_outside_the_cohort_get_neither_the_page_nor_the_files(
        client: FlaskClient, session: Session, finished_world: FinishedWorld) -> None:
    outsider = make_user(session, role=Role.SUPERVISOR)
    make_cohort(session, staff=[outsider])
    session.commit()
    base = f"/cohorts/{finished_world.cohort_id}"
    for path in ("/dashboard", "/export.xlsx", "/export.csv"):
        assert client.get(base + path).status_code == 302  # to the log-in page
    login(client, outsider)
    for path in ("/dashboard", "/export.xlsx", "/export.csv"):
        response = client.get(base + path)
        assert response.status_code == 403 and "你不负责这个批次" in response.get_data(as_text=True)
    assert client.get("/cohorts/999999/dashboard").status_code == 404
    client.post("/logout")
    login(client, _user(session, finished_world.trainee_ids[1]))
    assert client.get(base + "/dashboard").status_code == 403
