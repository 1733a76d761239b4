"""The grid page and a cell's save, with and without htmx."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.chat.models import ChatAttempt
from portal.observations.models import ObservationEntry
from tests.factories import (
    HX,
    ObservationWorld,
    build_chat_observation_world,
    build_observation_world,
    login,
    make_user,
)


def _world(session: Session, now: datetime) -> ObservationWorld:
    world = build_observation_world(session, now=now)
    session.commit()
    return world


def _save_url(world: ObservationWorld, item: str = "greeting", form: str = "service") -> str:
    return f"/observations/trainees/{world.trainees[0].id}/{form}/{item}"


def test_the_grid_shows_trainees_by_items_with_the_scale(client: FlaskClient, session: Session,
                                                         now: datetime) -> None:
    world = _world(session, now)
    login(client, world.trainer)
    page = client.get(f"/observations?cohort={world.cohort.id}&form=service")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "HX-Request" in page.headers["Vary"]
    assert "服务质量观察表" in html and "新人1" in html and "新人2" in html
    assert "对客户推荐的准确性" in html and "必填" in html and "尚未评分" in html
    assert "可左右滑动" in html and "observations.js" in html
    assert ">观察表</a>" in client.get("/").get_data(as_text=True)  # the nav entry
    assert "greeting" not in html.replace('/greeting"', "").replace("-greeting", "")


def test_an_htmx_save_swaps_the_cell_and_keeps_who_and_when(client: FlaskClient, session: Session,
                                                            now: datetime) -> None:
    world = _world(session, now)
    login(client, world.supervisor)
    response = client.post(_save_url(world), data={"score": "4", "note": "语气亲切",
                                                   "position": "0-0"}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<td id="cell-{world.trainees[0].id}-greeting"')
    assert 'value="4"' in html and "语气亲切" in html and "李主管 记录于" in html
    assert "修改历史（1 条）" in html and 'data-position="0-0"' in html
    assert "<html" not in html
    entry = session.scalar(sa.select(ObservationEntry))
    assert entry is not None and (entry.score, entry.recorded_by_id) == (4, world.supervisor.id)


def test_a_refused_htmx_save_comes_back_as_the_cell_with_422(client: FlaskClient,
                                                            session: Session,
                                                            now: datetime) -> None:
    world = _world(session, now)
    login(client, world.trainer)
    response = client.post(_save_url(world), data={"score": "9", "note": "写了备注"}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "“问候语”的评分应为 1 到 5 之间的整数" in html and 'role="alert"' in html
    assert "写了备注" in html  # what was typed is kept
    assert session.scalar(sa.select(sa.func.count()).select_from(ObservationEntry)) == 0


def test_a_plain_form_post_redirects_to_the_cell_and_errors_show_the_page(
        client: FlaskClient, session: Session, now: datetime) -> None:
    world = _world(session, now)
    login(client, world.trainer)
    response = client.post(_save_url(world), data={"score": "2"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(
        f"form=service#cell-{world.trainees[0].id}-greeting")
    page = client.get(response.headers["Location"])
    assert "已保存 新人1 的观察记录。" in page.get_data(as_text=True)
    bad = client.post(_save_url(world), data={"score": "x"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "<html" in html and "1 到 5 之间的整数" in html


def test_history_page_lists_every_entry_newest_first(client: FlaskClient, session: Session,
                                                     now: datetime) -> None:
    world = _world(session, now)
    login(client, world.trainer)
    for score in ("2", "3"):
        client.post(_save_url(world, "teamwork", "attitude"), data={"score": score}, headers=HX)
    page = client.get(_save_url(world, "teamwork", "attitude") + "/history")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "新人1：团队合作 的观察记录" in html
    assert html.index("3 分") < html.index("2 分") and "当前" in html
    fragment = client.get(_save_url(world, "teamwork", "attitude") + "/history", headers=HX)
    assert "<html" not in fragment.get_data(as_text=True)


def test_staff_outside_the_cohort_and_other_roles_are_refused(client: FlaskClient,
                                                              session: Session,
                                                              now: datetime) -> None:
    world = _world(session, now)
    login(client, world.outsider)
    assert client.get(f"/observations?cohort={world.cohort.id}").status_code == 403
    refused = client.post(_save_url(world), data={"score": "3"}, headers=HX)
    assert refused.status_code == 403 and refused.headers["HX-Retarget"] == "#alerts"
    client.post("/logout")
    login(client, world.trainees[0])
    assert client.get("/observations").status_code == 403
    assert session.scalar(sa.select(sa.func.count()).select_from(ObservationEntry)) == 0


def test_a_staff_member_without_cohorts_sees_why_the_grid_is_empty(client: FlaskClient,
                                                                   session: Session,
                                                                   now: datetime) -> None:
    _world(session, now)
    from portal.auth.models import Role
    lonely = make_user(session, role=Role.SUPERVISOR)
    session.commit()
    login(client, lonely)
    html = client.get("/observations").get_data(as_text=True)
    assert "你还没有负责的批次" in html


def test_the_grid_shows_chat_results_with_the_replay_link_and_the_typing_speed(
        client: FlaskClient, session: Session, now: datetime) -> None:
    world = build_chat_observation_world(session, now=now, replies=("您好亲", "我们发申通中通和圆通哦"))
    session.commit()
    played = world.trainees[0]
    attempt_id = session.scalar(sa.select(ChatAttempt.id).where(ChatAttempt.user_id == played.id))
    login(client, world.trainer)
    html = client.get(f"/observations?cohort={world.cohort.id}&form=service").get_data(as_text=True)
    replay = f'href="/chat/staff/reviews/{attempt_id}"'
    assert html.count(replay) == 3  # greeting, timeliness, accuracy
    assert "对话考核 1/1" in html and "对话考核 3/3" in html
    assert "（新人1 的“单人接待练习”，打开对话回放）" in html
    assert "暂无对话考核成绩" in html  # the other trainee, and items the drill does not score
    assert "chat_item" not in html and "greeting" not in html.replace('/greeting"', "").replace(
        "-greeting", "")
    assert client.get(f"/chat/staff/reviews/{attempt_id}").status_code == 200  # the link opens
    skills = client.get(f"/observations?cohort={world.cohort.id}&form=skills").get_data(
        as_text=True)
    assert "对话考核实测：每分钟 56 字（2 条回复）" in skills
    assert "对话考核中尚无可测速的回复" in skills
    assert "typing_speed" not in skills.replace('/typing_speed"', "").replace(
        "-typing_speed", "")
    # the cell re-rendered by an htmx save keeps its evidence
    saved = client.post(f"/observations/trainees/{played.id}/service/greeting",
                        data={"score": "4", "note": "", "position": "0-0"}, headers=HX)
    assert saved.status_code == 200 and "对话考核 1/1" in saved.get_data(as_text=True)
