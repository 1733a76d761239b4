"""The grid and the timeline over HTTP: full pages, htmx fragments, who may see what."""
from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.auth.models import Role
from tests.factories import (
    HX,
    Scenario,
    build_scenario,
    cohort_with_trainees,
    counting_statements,
    login,
    make_track,
    make_user,
)

# The views use the real clock: a cohort that started long ago has every open stage overdue.
LONG_AGO = date(2020, 1, 6)


@pytest.fixture
def past(session: Session, now: datetime) -> Scenario:
    scenario = build_scenario(session, now=now, start=LONG_AGO)
    session.commit()
    return scenario


def grid_url(scenario: Scenario, query: str = "") -> str:
    return f"/cohorts/{scenario.cohort.id}/progress{query}"


def row_names(html: str) -> list[str]:
    return [name.strip() for name in
            re.findall(r'<th scope="row"[^>]*>\s*(?:<a [^>]*>)?([^<]+)', html)]


def test_trainer_gets_the_whole_grid_page(client: FlaskClient, past: Scenario) -> None:
    login(client, past.trainer)
    response = client.get(grid_url(past))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    assert "HX-Request" in response.headers["Vary"]
    assert "<caption" in html and 'scope="col"' in html and 'role="region"' in html
    assert row_names(html) == ["甲新人", "乙新人", "丙新人", "丁新人"]  # no one who left
    assert "显示 4 / 4 名新客服 · 落后于计划 3 人 · 已全部通过 1 人" in html
    assert f'href="/trainees/{past.second.id}/track"' in html
    assert f'href="/trainees/{past.second.id}/timeline"' in html
    assert "人工标记" in html and "核对清单" in html and "落后于计划" in html
    assert '<label for="grid-stage">' in html and '<label for="grid-status">' in html
    assert 'hx-push-url="true"' in html
    assert "模块甲" not in html  # no stage expanded


def test_filters_answer_htmx_with_the_grid_fragment(client: FlaskClient, past: Scenario) -> None:
    login(client, past.trainer)
    response = client.get(grid_url(past, "?status=finished"), headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<div id="grid"')
    assert row_names(html) == ["丁新人"] and "显示 1 / 4 名新客服" in html
    search = client.get(grid_url(past, "?q=P002"), headers=HX).get_data(as_text=True)
    assert row_names(search) == ["乙新人"]
    none = client.get(grid_url(past, "?q=nobody"), headers=HX).get_data(as_text=True)
    assert "没有符合条件的新客服" in none and "<table" not in none
    # The URL pushed to history gives the full page, filters applied, on a direct visit.
    page = client.get(grid_url(past, "?status=finished")).get_data(as_text=True)
    assert "<html" in page and row_names(page) == ["丁新人"]
    assert '<option value="finished" selected>' in page


def test_stage_filter_shows_that_stages_modules_as_columns(client: FlaskClient,
                                                           past: Scenario) -> None:
    login(client, past.supervisor)
    html = client.get(grid_url(past, "?stage=s1"), headers=HX).get_data(as_text=True)
    assert '<th scope="col" class="progress-grid__module">模块甲</th>' in html
    assert '<th scope="col" class="progress-grid__module">模块乙</th>' in html
    assert "模块丙" not in html and "（已展开“入门”的模块）" in html
    assert "收起模块" in html and "已读完" in html and "已开始" in html and "未开始" in html
    page = client.get(grid_url(past, "?stage=s1")).get_data(as_text=True)
    assert '<option value="s1" selected>' in page


def test_trainer_who_does_not_follow_the_cohort_is_refused(client: FlaskClient,
                                                           past: Scenario) -> None:
    login(client, past.outsider)
    assert client.get(grid_url(past)).status_code == 403
    refused = client.get(grid_url(past, "?status=behind"), headers=HX)
    assert refused.status_code == 403 and refused.headers["HX-Retarget"] == "#alerts"
    assert "你不负责这个批次" in refused.get_data(as_text=True)
    assert client.get(f"/trainees/{past.reading.id}/timeline").status_code == 403


def test_missing_cohort_and_missing_trainee_are_404(client: FlaskClient, past: Scenario) -> None:
    login(client, past.trainer)
    assert client.get("/cohorts/999999/progress").status_code == 404
    assert client.get("/trainees/999999/timeline").status_code == 404
    assert client.get(f"/trainees/{past.supervisor.id}/timeline").status_code == 404


def test_admin_sees_any_cohort_but_links_only_to_pages_an_admin_may_open(
        client: FlaskClient, session: Session, past: Scenario) -> None:
    admin = make_user(session, role=Role.ADMIN)
    session.commit()
    login(client, admin)
    html = client.get(grid_url(past)).get_data(as_text=True)
    assert row_names(html) == ["甲新人", "乙新人", "丙新人", "丁新人"]
    assert "/track\"" not in html and f"/trainees/{past.fresh.id}/timeline" in html
    assert client.get(f"/trainees/{past.fresh.id}/timeline").status_code == 200


def test_timeline_page_shows_events_beside_the_plan(client: FlaskClient, past: Scenario) -> None:
    login(client, past.supervisor)
    response = client.get(f"/trainees/{past.second.id}/timeline")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>丙新人 的学习时间线</h1>" in html
    assert "通过阶段“入门”" in html and "标记人：带教周老师" in html
    assert "原因：线下笔试满分" in html and "人工标记" in html
    assert "开始阅读《模块丙》" in html and "读完《模块甲》" in html and "账号创建" in html
    # Newest first.
    assert html.index("开始阅读《模块丙》") < html.index("通过阶段“入门”") < html.index("账号创建")
    assert "阶段计划" in html and "2020年1月6日" in html and "落后" in html
    assert f'href="/cohorts/{past.cohort.id}/progress"' in html
    assert "落后于计划：有阶段已过计划日期仍未通过。" in html


def test_staff_home_links_each_cohort_to_its_grid(client: FlaskClient, past: Scenario) -> None:
    login(client, past.trainer)
    html = client.get("/").get_data(as_text=True)
    assert f'href="/cohorts/{past.cohort.id}/progress"' in html


def test_the_page_takes_as_many_queries_for_30_trainees_as_for_10(
        app: Flask, client: FlaskClient, session: Session, now: datetime) -> None:
    make_track(session, now=now)
    trainer = make_user(session, role=Role.TRAINER)
    small = cohort_with_trainees(session, now=now, trainer=trainer, size=10)
    large = cohort_with_trainees(session, now=now, trainer=trainer, size=30)
    session.commit()
    login(client, trainer)
    counts = []
    for cohort_id in (small, large):
        with counting_statements(app) as statements:
            response = client.get(f"/cohorts/{cohort_id}/progress?stage=s1")
        assert response.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
