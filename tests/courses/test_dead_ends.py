"""No dead ends: a stage's last module leads to what passes the stage, and a locked stage's
module or exam explains what unlocks it (in the words of that stage's assessment)."""
from __future__ import annotations

from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.courses import services
from tests.e2e import journey_fixtures as journey
from tests.exams import exam_fixtures
from tests.factories import HX, import_exam, login, make_cohort, make_track, make_user, pass_stage


@pytest.fixture
def trainee(session: Session, now: datetime) -> User:
    make_track(session, now=now, key=journey.TRACK_KEY, stages=journey.STAGES,
               modules=journey.MODULE_TITLES)
    import_exam(session, now=now, bank=exam_fixtures.BANK, bank_file="demo-bank.yaml",
                exams=(journey.EXAM,), exam_file=f"{journey.EXAM_KEY}.yaml")
    return make_user(session, cohort=make_cohort(session, track_key=journey.TRACK_KEY))


@pytest.fixture
def client(app: Flask, session: Session, trainee: User) -> FlaskClient:
    session.commit()
    c = app.test_client()
    login(c, trainee)
    return c


def _module(key: str) -> str:
    return f"/tracks/{journey.TRACK_KEY}/modules/{key}"


def test_the_stage_lock_names_the_stage_to_finish_and_its_assessment(
        session: Session, trainee: User, now: datetime) -> None:
    lock = services.stage_lock(session, user=trainee, track_key=journey.TRACK_KEY,
                               stage_key="handling")
    assert lock is not None and lock.blocking.key == "basics" and lock.online
    assert [(a.source, a.key) for a in lock.assessments] == [("exam", journey.EXAM_KEY)]
    assert lock.next_module_key == "j-intro" and lock.next_module_title == "认识店铺"
    assert services.stage_lock(session, user=trainee, track_key=journey.TRACK_KEY,
                               stage_key="basics") is None  # open: nothing to explain
    pass_stage(session, user=trainee, stage_key="basics", at=now, source="exam",
               track_key=journey.TRACK_KEY)
    lock = services.stage_lock(session, user=trainee, track_key=journey.TRACK_KEY,
                               stage_key="team")
    assert lock is not None and lock.blocking.key == "handling" and not lock.online
    assert [a.source for a in lock.assessments] == ["manual"]


def test_a_locked_module_explains_what_unlocks_it_instead_of_a_bare_403(
        client: FlaskClient) -> None:
    for headers in ({}, HX):
        page = client.get(_module("j-handling"), headers=headers)
        text = page.get_data(as_text=True)
        assert page.status_code == 403
        assert "“接待实操”尚未解锁" in text and "没有权限" not in text
        assert "读完“基础入门”的课程（已读 0 / 2 篇）" in text
        assert f'href="{_module("j-intro")}"' in text
        assert f'href="/exams/{journey.EXAM_KEY}"' in text and "去参加笔试" in text


def test_an_exam_of_a_locked_stage_explains_itself_too(
        app: Flask, session: Session, now: datetime) -> None:
    stages = [{**journey.STAGES[0], "assessment": None},
              {**journey.STAGES[1], "assessment": "later-exam"}, journey.STAGES[2]]
    make_track(session, now=now, key="later", stages=stages, modules=journey.MODULE_TITLES)
    exam = journey.EXAM.replace(journey.EXAM_KEY, "later-exam").replace(
        f"track: {journey.TRACK_KEY}", "track: later").replace("stage: basics", "stage: handling")
    import_exam(session, now=now, bank=exam_fixtures.BANK, bank_file="demo-bank.yaml",
                exams=(exam,), exam_file="later-exam.yaml")
    trainee = make_user(session, cohort=make_cohort(session, track_key="later"))
    session.commit()
    client = app.test_client()
    login(client, trainee)
    page = client.get("/exams/later-exam")
    text = page.get_data(as_text=True)
    assert page.status_code == 403 and "“接待实操”尚未解锁" in text and "没有权限" not in text
    # Stage 1 names no online assessment here: its trainer decides, and the page says so.
    assert "“基础入门”由培训组长评定" in text and "去参加笔试" not in text


def test_a_checklist_stage_and_a_trainers_stage_are_worded_as_what_they_are(
        session: Session, trainee: User, now: datetime, client: FlaskClient) -> None:
    pass_stage(session, user=trainee, stage_key="basics", at=now, source="exam",
               track_key=journey.TRACK_KEY)
    session.commit()
    text = client.get(_module("j-handling")).get_data(as_text=True)
    # The last module of a stage without an online assessment: its trainer decides.
    assert "“接待实操”的课程到这里结束" in text and "请联系培训组长" in text
    assert 'rel="next"' not in text  # no way into the locked stage after it


def test_the_last_module_of_a_stage_leads_to_its_exam_not_the_next_stage(
        client: FlaskClient) -> None:
    first = client.get(_module("j-intro")).get_data(as_text=True)
    assert f'href="{_module("j-rules")}"' in first and "课程到这里结束" not in first
    last = client.get(_module("j-rules")).get_data(as_text=True)
    assert "“基础入门”的课程到这里结束" in last
    assert f'href="/exams/{journey.EXAM_KEY}"' in last and "参加阶段笔试" in last
    assert f'href="{_module("j-handling")}"' not in last  # stage 2 is still locked
