"""The placement pages with and without htmx: the trainee's preference, the supervisor's
plan, proposal, change and confirmation, and the trainer's read-only view."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.placement.models import (
    PlacementChange,
    PlacementPlan,
    PlacementPreference,
    PlacementProposal,
    PlacementRow,
)
from tests.factories import HX, ObservationWorld, build_observation_world, login

ENGLISH_KEYS = ("pre-sales", "after-sales", "business_need", "exams", "observations")


def _world(session: Session, now: datetime) -> ObservationWorld:
    world = build_observation_world(session, now=now, size=3)
    session.commit()
    return world


def _visible(html: str) -> str:
    """The page's text without tags and attribute values (what a person reads)."""
    import re

    return re.sub(r"<[^>]*>", " ", html)


def _plan(client: FlaskClient, world: ObservationWorld, pre: str = "2", after: str = "2",
          headers: dict | None = None):  # type: ignore[no-untyped-def]
    return client.post(f"/placement/cohorts/{world.cohort.id}/plan",
                       data={"method": "direct", "pre-sales": pre, "after-sales": after},
                       headers=headers or {})


def test_a_trainee_states_a_preference_with_and_without_htmx(client: FlaskClient,
                                                             session: Session, now: datetime) -> None:
    world = _world(session, now)
    login(client, world.trainees[0])
    page = client.get("/placement/me")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "HX-Request" in page.headers["Vary"]
    assert "询单转化率" in html and "好评率" in html and "售前" in html and "售后" in html
    response = client.post("/placement/me", data={"role": "after-sales"}, headers=HX)
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in fragment
    assert "已保存你的岗位意向：售后。" in fragment and 'id="preference"' in fragment
    plain = client.post("/placement/me", data={"role": "pre-sales"})
    assert plain.status_code == 303 and plain.headers["Location"].endswith("/placement/me")
    refused = client.post("/placement/me", data={"role": "supervisor"}, headers=HX)
    assert refused.status_code == 422 and "请选择意向岗位：售前或售后" in refused.get_data(as_text=True)
    assert [r.value for r in session.scalars(sa.select(PlacementPreference.role)
                                             .order_by(PlacementPreference.id))] == [
        "after-sales", "pre-sales"]
    home = client.get("/").get_data(as_text=True)
    assert "你的意向岗位：售前。" in home
    for key in ENGLISH_KEYS:
        assert key not in _visible(home) and key not in _visible(html)


def test_staff_pages_refuse_trainees_and_trainees_pages_refuse_staff(
        client: FlaskClient, session: Session, now: datetime) -> None:
    world = _world(session, now)
    login(client, world.trainees[0])
    assert client.get(f"/placement/cohorts/{world.cohort.id}").status_code == 403
    client.post("/logout")
    login(client, world.outsider)
    assert client.get(f"/placement/cohorts/{world.cohort.id}").status_code == 403
    assert client.get("/placement/me").status_code == 403


def test_the_supervisor_plans_proposes_changes_and_confirms(client: FlaskClient,
                                                            session: Session, now: datetime) -> None:
    world = _world(session, now)
    login(client, world.supervisor)
    page = client.get(f"/placement/cohorts/{world.cohort.id}")
    assert page.status_code == 200 and "还没有人员计划" in page.get_data(as_text=True)
    too_small = _plan(client, world, pre="1", after="1", headers=HX)
    assert too_small.status_code == 200  # a plan may be small; proposing says why it fails
    refused = client.post(f"/placement/cohorts/{world.cohort.id}/propose", headers=HX)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "新客服共 3 人，但各岗位合计最多只能安排 2 人" in html
    assert html.lstrip().startswith('<div id="placement-body"')
    bad = _plan(client, world, pre="x", headers=HX)
    assert bad.status_code == 422 and "售前名额应为 0 到 5000 之间的整数" in bad.get_data(as_text=True)
    assert _plan(client, world).status_code == 303
    proposed = client.post(f"/placement/cohorts/{world.cohort.id}/propose")
    assert proposed.status_code == 303
    html = client.get(f"/placement/cohorts/{world.cohort.id}").get_data(as_text=True)
    assert "第 1 次" in html and "无证据" in html and "满足意向的代价" in html
    for key in ENGLISH_KEYS:
        assert key not in _visible(html), key
    row = session.scalars(sa.select(PlacementRow).order_by(PlacementRow.position)).first()
    assert row is not None
    target = "after-sales" if row.role.value == "pre-sales" else "pre-sales"
    missing_reason = client.post(f"/placement/rows/{row.id}/change",
                                 data={"role": target, "reason": "", "comment": ""}, headers=HX)
    assert missing_reason.status_code == 422 and "请选择调整原因" in missing_reason.get_data(as_text=True)
    changed = client.post(f"/placement/rows/{row.id}/change",
                          data={"role": target, "reason": "observed", "comment": "带教时表现突出"},
                          headers=HX)
    text = changed.get_data(as_text=True)
    assert changed.status_code == 200 and "已调整岗位安排。" in text and "现场带教观察" in text
    assert "带教时表现突出" in text and "已调整（原方案" in text
    proposal = session.scalar(sa.select(PlacementProposal))
    assert proposal is not None
    confirmed = client.post(f"/placement/proposals/{proposal.id}/confirm", headers=HX)
    assert confirmed.status_code == 200 and "已确认岗位安排" in confirmed.get_data(as_text=True)
    again = client.post(f"/placement/proposals/{proposal.id}/confirm", headers=HX)
    assert again.status_code == 409 and "不能重复确认" in again.get_data(as_text=True)
    session.rollback()  # a fresh read of what the requests committed
    assert session.scalar(sa.select(sa.func.count()).select_from(PlacementChange)) == 1
    client.post("/logout")
    login(client, world.trainees[0])
    home = client.get("/").get_data(as_text=True)
    role = "售后" if target == "after-sales" else "售前"
    assert f"你的岗位已确认：{role}。" in home


def test_a_trainer_sees_the_placement_read_only(client: FlaskClient, session: Session,
                                                now: datetime) -> None:
    world = _world(session, now)
    login(client, world.trainer)
    html = client.get(f"/placement/cohorts/{world.cohort.id}").get_data(as_text=True)
    assert "由负责这个批次的客服主管安排和确认" in html and "保存人员计划" not in html
    assert _plan(client, world).status_code == 403
    assert session.scalar(sa.select(sa.func.count()).select_from(PlacementPlan)) == 0
    staff_home = client.get("/").get_data(as_text=True)
    assert f"/placement/cohorts/{world.cohort.id}" in staff_home
    assert client.get("/placement").status_code == 302  # one cohort: straight to it


@pytest.mark.parametrize("path", ["/placement/rows/999/change", "/placement/proposals/999/confirm"])
def test_unknown_rows_and_proposals_are_not_found(client: FlaskClient, session: Session,
                                                  now: datetime, path: str) -> None:
    world = _world(session, now)
    login(client, world.supervisor)
    assert client.post(path, data={}).status_code == 404


def test_a_broken_policy_file_is_shown_with_its_lines_and_nothing_is_proposed(
        app: Flask, client: FlaskClient, session: Session, now: datetime, tmp_path: Path) -> None:
    world = _world(session, now)
    broken = tmp_path / "policy.yaml"
    broken.write_text("preference_bonus: 500\nroles: {}\n", encoding="utf-8")
    app.config["PLACEMENT_POLICY_PATH"] = str(broken)
    login(client, world.supervisor)
    assert _plan(client, world).status_code == 303
    response = client.post(f"/placement/cohorts/{world.cohort.id}/propose", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "岗位安排规则文件有问题" in html
    assert "policy.yaml:1: preference_bonus 应为 0 到 100 之间的数字" in html
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(PlacementProposal)) == 0
