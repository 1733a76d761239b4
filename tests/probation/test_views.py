"""The probation pages with and without htmx: recommendations with evidence links, the proposal
and decision forms (maker-checker in the page and in the service), the trainee's home."""
from __future__ import annotations

import re
from datetime import datetime

import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.probation.models import ProbationDecision, ProbationProposal
from tests.factories import (
    HX,
    ProbationWorld,
    build_probation_world,
    fill_observations,
    login,
    make_finished_chat_attempt,
)

ALL_FOUR = {"skills": 4, "service": 4, "attitude": 4}
INTERNAL = ("do_not_confirm", "assessment_missing", "observation_missing", "chat-attempt",
            "exam-attempt", "observation-entry", "standard_met")


def _world(session: Session, now: datetime, *, ready: bool = True) -> tuple[ProbationWorld, int]:
    world = build_probation_world(session, now=now)
    attempt_id = 0
    if ready:
        attempt_id = make_finished_chat_attempt(session, trainee=world.trainees[0], now=now).id
        fill_observations(session, actor=world.trainer, trainee=world.trainees[0], now=now,
                          scores=ALL_FOUR)
    session.commit()
    return world, attempt_id


def _visible(html: str) -> str:
    """The page's text and link targets as a person meets them (no attribute values)."""
    return re.sub(r"<[^>]+>", " ", html)


def _propose(client: FlaskClient, world: ProbationWorld, *, headers: dict[str, str] | None = None,
             **data: str):  # type: ignore[no-untyped-def]
    form = {"outcome": "confirm", "effective_date": "2026-12-23", "reason": "三张表达标"} | data
    return client.post(f"/probation/trainees/{world.trainees[0].id}/proposals", data=form,
                       headers=headers or {})


def _count(session: Session) -> tuple[int, int]:
    session.rollback()  # a fresh read: the app committed in its own transaction
    return (session.scalar(sa.select(sa.func.count()).select_from(ProbationProposal)) or 0,
            session.scalar(sa.select(sa.func.count()).select_from(ProbationDecision)) or 0)


def test_the_cohort_page_lists_each_trainees_recommendation(client: FlaskClient,
                                                            session: Session, now: datetime) -> None:
    world, _ = _world(session, now)
    login(client, world.trainer)
    page = client.get(f"/probation?cohort={world.cohort.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "HX-Request" in page.headers["Vary"]
    assert "转正新人1" in html and "转正新人2" in html
    assert "按期转正" in html and "延长考察期" in html and "尚未提议" in html
    assert ">转正</a>" in client.get("/").get_data(as_text=True)  # the nav entry
    assert not any(word in _visible(html) for word in INTERNAL)


def test_the_case_page_gives_every_reason_with_its_evidence_links(
        client: FlaskClient, session: Session, now: datetime) -> None:
    world, attempt_id = _world(session, now)
    login(client, world.supervisor)
    html = client.get(f"/probation/trainees/{world.trainees[0].id}").get_data(as_text=True)
    assert "门户建议" in html and "于 2026年12月23日 按期转正" in html
    assert f'href="/chat/staff/reviews/{attempt_id}"' in html
    assert f'href="/observations/trainees/{world.trainees[0].id}/service/greeting/history"' in html
    assert "“服务质量观察表”达标" in html and "提出提议" in html
    assert not any(word in _visible(html) for word in INTERNAL)
    # Every evidence link opens for this supervisor.
    for href in re.findall(r'href="(/(?:chat/staff/reviews|observations/trainees)/[^"]+)"', html):
        assert client.get(href).status_code == 200, href


def test_a_plain_proposal_redirects_and_an_htmx_one_swaps_the_case(
        client: FlaskClient, session: Session, now: datetime) -> None:
    world, _ = _world(session, now)
    login(client, world.trainer)
    response = _propose(client, world)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/probation/trainees/{world.trainees[0].id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "提议已记录" in page and "待决定的提议" in page and "这是你提出的提议" in page
    assert "记录决定" not in page
    assert _count(session) == (1, 0)
    # The second trainee, through htmx: the fragment only.
    other = client.post(f"/probation/trainees/{world.trainees[1].id}/proposals",
                        data={"outcome": "extend", "effective_date": "2027-01-22",
                              "reason": "还没有参加模拟接待考核"}, headers=HX)
    html = other.get_data(as_text=True)
    assert other.status_code == 200 and html.lstrip().startswith('<div id="probation-case">')
    assert "<html" not in html and "提议已记录" in html


def test_a_refused_proposal_comes_back_with_its_error_and_saves_nothing(
        client: FlaskClient, session: Session, now: datetime) -> None:
    world, _ = _world(session, now)
    login(client, world.trainer)
    response = _propose(client, world, headers=HX, reason="  ")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "请写明理由" in html and 'aria-invalid="true"' in html
    assert "<html" not in html
    plain = _propose(client, world, effective_date="明天")
    assert plain.status_code == 422 and "请填写日期" in plain.get_data(as_text=True)
    assert "<html" in plain.get_data(as_text=True)
    assert _count(session) == (0, 0)


def test_maker_checker_in_the_page_and_behind_it(client: FlaskClient, session: Session,
                                                 now: datetime) -> None:
    world, _ = _world(session, now)
    login(client, world.supervisor)
    assert _propose(client, world).status_code == 303
    proposal_id = session.scalar(sa.select(ProbationProposal.id))
    page = client.get(f"/probation/trainees/{world.trainees[0].id}").get_data(as_text=True)
    assert "这是你提出的提议，需由另一位客服主管决定" in page and "记录决定" not in page
    refused = client.post(f"/probation/proposals/{proposal_id}/decision",
                          data={"choice": "accept", "reason": "我同意我自己"}, headers=HX)
    assert refused.status_code == 403 and "提议人不能决定自己的提议" in refused.get_data(as_text=True)
    assert _count(session) == (1, 0)
    client.post("/logout")
    login(client, world.second_supervisor)
    page = client.get(f"/probation/trainees/{world.trainees[0].id}").get_data(as_text=True)
    assert "记录决定" in page and "同意提议" in page
    decided = client.post(f"/probation/proposals/{proposal_id}/decision",
                          data={"choice": "accept", "reason": "核实无误"}, headers=HX)
    html = decided.get_data(as_text=True)
    assert decided.status_code == 200 and "决定已记录" in html and "同意提议" in html
    assert "赵主管 于" in html and "提出更正" in html
    assert _count(session) == (1, 1)
    again = client.post(f"/probation/proposals/{proposal_id}/decision",
                        data={"choice": "accept", "reason": "再来一次"})
    assert again.status_code == 409
    assert _count(session) == (1, 1)


def test_the_trainee_sees_the_outcome_once_decided_and_never_the_staff_pages(
        client: FlaskClient, session: Session, now: datetime) -> None:
    world, _ = _world(session, now)
    login(client, world.trainees[0])
    assert "转正结果" not in client.get("/").get_data(as_text=True)
    assert client.get(f"/probation?cohort={world.cohort.id}").status_code == 403
    client.post("/logout")
    login(client, world.trainer)
    _propose(client, world, outcome="extend", effective_date="2027-01-22", reason="再观察")
    client.post("/logout")
    login(client, world.trainees[0])
    assert "转正结果" not in client.get("/").get_data(as_text=True)  # a proposal is not an outcome
    client.post("/logout")
    login(client, world.supervisor)
    proposal_id = session.scalar(sa.select(ProbationProposal.id))
    assert client.post(f"/probation/proposals/{proposal_id}/decision",
                       data={"choice": "accept", "reason": "同意"}).status_code == 303
    client.post("/logout")
    login(client, world.trainees[0])
    home = client.get("/").get_data(as_text=True)
    assert "转正结果" in home and "延长考察期" in home and "2027年1月22日" in home
    assert "再观察" not in home  # the staff's reasons stay with the staff
