"""Recording entries, the grid and the history, with an explicit clock: history is kept,
access follows the one rule, and every refusal changes nothing."""
from __future__ import annotations

import functools
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.auth.models import Role
from portal.chat.models import ChatAttempt
from portal.errors import Forbidden, NotFound
from portal.observations import services
from portal.observations.errors import ObservationInvalid
from portal.observations.files import load_folder
from portal.observations.models import ObservationEntry, ObservationFormVersion
from tests.factories import (
    build_chat_observation_world,
    build_observation_world,
    make_finished_chat_attempt,
    make_user,
    statements_run,
)
from tests.observations import observation_fixtures as fx


def _count(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(ObservationEntry)) or 0


def test_a_change_is_a_new_row_and_the_latest_is_current(session: Session, now: datetime) -> None:
    world = build_observation_world(session, now=now)
    trainee = world.trainees[0]
    services.record_entry(session, actor=world.trainer, trainee_id=trainee.id, form_key="service",
                          item="greeting", score="3", note="开场有点慢", now=now)
    later = now + timedelta(hours=2)
    services.record_entry(session, actor=world.supervisor, trainee_id=trainee.id,
                          form_key="service", item="greeting", score=5, note="", now=later)
    history = services.cell_history(session, actor=world.trainer, trainee_id=trainee.id,
                                    form_key="service", item="greeting")
    assert [(e.score, e.note, e.recorded_by, e.recorded_at) for e in history.entries] == [
        (5, "", "李主管", later), (3, "开场有点慢", "王组长", now)]
    grid = services.cohort_grid(session, actor=world.trainer, cohort_id=world.cohort.id,
                                form_key="service")
    cell = grid.rows[0].cells["greeting"]
    assert cell.current is not None and cell.current.score == 5 and cell.changes == 2
    assert grid.rows[0].required_done == 1 and grid.required_total == 6
    assert grid.rows[1].cells["greeting"].current is None


def test_the_same_score_and_note_again_adds_no_row(session: Session, now: datetime) -> None:
    world = build_observation_world(session, now=now)
    trainee = world.trainees[0]
    first = services.record_entry(session, actor=world.trainer, trainee_id=trainee.id,
                                  form_key="skills", item="typing_speed", score="4", note=" 快 ",
                                  now=now)
    again = services.record_entry(session, actor=world.supervisor, trainee_id=trainee.id,
                                  form_key="skills", item="typing_speed", score="4", note="快",
                                  now=now + timedelta(minutes=5))
    assert again == first and _count(session) == 1


@pytest.mark.parametrize(("form_key", "item", "score", "note", "error", "fragment"), [
    ("service", "greeting", "6", "", ObservationInvalid, "1 到 5"),
    ("service", "greeting", "0", "", ObservationInvalid, "1 到 5"),
    ("service", "greeting", "", "", ObservationInvalid, "请填写“问候语”的评分"),
    ("service", "greeting", "３", "", ObservationInvalid, "1 到 5"),
    ("service", "greeting", "2.5", "", ObservationInvalid, "1 到 5"),
    ("service", "greeting", "3", "长" * 501, ObservationInvalid, "备注最多 500 个字"),
    ("service", "typing_speed", "3", "", ObservationInvalid, "没有这个观察项"),
    ("nope", "greeting", "3", "", NotFound, "找不到该观察表"),
])
def test_bad_input_is_refused_in_chinese_and_changes_nothing(
        session: Session, now: datetime, form_key: str, item: str, score: str, note: str,
        error: type[Exception], fragment: str) -> None:
    world = build_observation_world(session, now=now)
    with pytest.raises(error) as raised:
        services.record_entry(session, actor=world.trainer, trainee_id=world.trainees[0].id,
                              form_key=form_key, item=item, score=score, note=note, now=now)
    assert fragment in str(raised.value)
    assert _count(session) == 0


def test_who_may_record_follows_the_one_rule(session: Session, now: datetime) -> None:
    world = build_observation_world(session, now=now)
    trainee = world.trainees[0]
    admin = make_user(session, role=Role.ADMIN)
    other_trainee = make_user(session, cohort=None)
    kwargs = {"form_key": "service", "item": "greeting", "score": "3", "note": "", "now": now}
    with pytest.raises(Forbidden, match="你不负责该新客服所在的批次"):
        services.record_entry(session, actor=world.outsider, trainee_id=trainee.id, **kwargs)
    with pytest.raises(Forbidden, match="只有培训组长和客服主管"):
        services.record_entry(session, actor=admin, trainee_id=trainee.id, **kwargs)
    with pytest.raises(Forbidden, match="只有培训组长和客服主管"):
        services.record_entry(session, actor=world.trainees[1], trainee_id=trainee.id, **kwargs)
    with pytest.raises(NotFound):  # staff accounts are never "a trainee someone follows"
        services.record_entry(session, actor=world.trainer, trainee_id=world.supervisor.id,
                              **kwargs)
    with pytest.raises(Forbidden):
        services.record_entry(session, actor=world.trainer, trainee_id=other_trainee.id, **kwargs)
    trainee.active = False
    with pytest.raises(ObservationInvalid, match="已停用"):
        services.record_entry(session, actor=world.trainer, trainee_id=trainee.id, **kwargs)
    assert _count(session) == 0
    with pytest.raises(Forbidden):
        services.cohort_grid(session, actor=world.outsider, cohort_id=world.cohort.id,
                             form_key="service")
    with pytest.raises(Forbidden):
        services.cell_history(session, actor=world.outsider, trainee_id=trainee.id,
                              form_key="service", item="greeting")
    assert [c.name for c in services.cohort_choices(session, actor=world.outsider)] == ["别的批次"]


def test_a_new_form_version_keeps_entries_and_pins_the_version(session: Session,
                                                                now: datetime) -> None:
    world = build_observation_world(session, now=now)
    trainee = world.trainees[0]
    services.record_entry(session, actor=world.trainer, trainee_id=trainee.id, form_key="service",
                          item="farewell", score="2", note="", now=now)
    form = load_folder(fx.FORMS).form("service")
    assert form is not None
    from dataclasses import replace
    changed = replace(form, title="服务质量观察表（修订）")
    plan = services.apply_import(session, forms=[changed], actor_id=None,
                                 now=now + timedelta(days=1))
    assert plan.changed == ["service"]
    assert services.plan_import(session, forms=[changed]).unchanged == ["service"]
    services.record_entry(session, actor=world.trainer, trainee_id=trainee.id, form_key="service",
                          item="farewell", score="4", note="", now=now + timedelta(days=1))
    history = services.cell_history(session, actor=world.trainer, trainee_id=trainee.id,
                                    form_key="service", item="farewell")
    assert [(e.score, e.form_version) for e in history.entries] == [(4, 2), (2, 1)]
    assert history.form.title == "服务质量观察表（修订）"
    numbers = session.scalars(sa.select(ObservationFormVersion.number)
                              .where(ObservationFormVersion.title.like("服务%"))).all()
    assert sorted(numbers) == [1, 2]


def test_the_grid_reads_a_fixed_number_of_statements(app, session: Session,  # type: ignore[no-untyped-def]
                                                     now: datetime) -> None:
    from tests.factories import counting_statements

    world = build_observation_world(session, now=now, size=6)
    for t in world.trainees:
        services.record_entry(session, actor=world.trainer, trainee_id=t.id, form_key="attitude",
                              item="teamwork", score="3", note="", now=now)
    session.commit()
    with counting_statements(app) as statements:
        grid = services.cohort_grid(session, actor=world.trainer, cohort_id=world.cohort.id,
                                    form_key="attitude")
    assert len(grid.rows) == 6
    assert len(statements) <= 6, statements


# --- the chat exams' evidence beside the cells ----------------------------------------------


def test_service_cells_show_the_chat_exams_item_points_with_the_attempt(session: Session,
                                                                         now: datetime) -> None:
    world = build_chat_observation_world(session, now=now, replies=("您好亲", "我们发申通中通和圆通哦"))
    played, idle = world.trainees
    grid = services.cohort_grid(session, actor=world.trainer, cohort_id=world.cohort.id,
                                form_key="service")
    mine, theirs = grid.rows
    assert (mine.trainee.id, theirs.trainee.id) == (played.id, idle.id)
    attempt_id = session.scalar(sa.select(ChatAttempt.id).where(ChatAttempt.user_id == played.id))
    [greeting] = mine.cells["greeting"].chat
    assert (greeting.drill_title, greeting.attempt_id, greeting.fraction) == (
        "单人接待练习", attempt_id, "1/1")
    assert [e.fraction for e in mine.cells["accuracy"].chat] == ["3/3"]
    assert mine.cells["farewell"].chat == ()  # the drill does not score a farewell
    assert all(c.chat == () for c in theirs.cells.values())
    assert not any(c.measured for c in mine.cells.values())  # no chat measure on this form
    # the single cell re-rendered after a save carries the same evidence
    row, _form, _item = services.grid_cell(session, actor=world.trainer, trainee_id=played.id,
                                           form_key="service", item="greeting")
    assert row.cells["greeting"].chat == (greeting,)


def test_the_typing_speed_cell_shows_the_speed_measured_from_the_replies(session: Session,
                                                                         now: datetime) -> None:
    world = build_chat_observation_world(session, now=now, replies=("您好亲", "我们发申通中通和圆通哦"))
    grid = services.cohort_grid(session, actor=world.trainer, cohort_id=world.cohort.id,
                                form_key="skills")
    mine, theirs = grid.rows
    # the customer's messages were delivered 5 s after the start; replies at 12 s and 20 s:
    # 3 characters in 7 s, then 11 in 8 s
    cell = mine.cells["typing_speed"]
    assert cell.measured and cell.speed is not None and cell.current is None  # evidence, no score
    assert (cell.speed.characters, cell.speed.seconds, cell.speed.per_minute) == (14, 15.0, 56)
    assert theirs.cells["typing_speed"].measured and theirs.cells["typing_speed"].speed is None
    assert not any(c.measured for k, c in mine.cells.items() if k != "typing_speed")


@pytest.mark.parametrize("form_key", ["service", "skills"])
def test_the_evidence_costs_the_same_queries_whatever_the_cohort(session: Session, now: datetime,
                                                                 form_key: str) -> None:
    world = build_chat_observation_world(session, now=now)
    call = functools.partial(services.cohort_grid, session, actor=world.trainer,
                             cohort_id=world.cohort.id, form_key=form_key)
    before = statements_run(session, call)
    for i in range(3):
        more = make_user(session, cohort=world.cohort, employee_no=f"N95{i}")
        make_finished_chat_attempt(session, trainee=more, now=now)
    after = statements_run(session, call)
    assert after == before
    assert len(call().rows) == 5
