"""The team-integration day: the trainee ticks the groups, a supervisor confirms."""
from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.auth.models import Role, User
from portal.config import PROJECT_ROOT
from portal.content.loader import load_content
from portal.courses import rules, services
from portal.courses.errors import ChecklistIncomplete, StageLocked
from portal.courses.models import StageCompletion
from tests.factories import HX, login, make_cohort, make_user

GROUPS = ["cs-group", "key-group", "logistics-group", "warehouse-group", "internal-group"]


def test_checklist_state_rule() -> None:
    stage = rules.Stage(key="team", title="融入团队", kind=rules.StageKind.TEAM_INTEGRATION,
                        checklist=tuple(rules.ChecklistItem(key=k, title=k, purpose="", rules="")
                                        for k in ("a", "b")))
    assert not rules.checklist_state(stage, set()).complete
    state = rules.checklist_state(stage, {"a", "b", "stale"})
    assert state.complete and state.done == 2 and "stale" not in state.ticked


@pytest.fixture
def people(session: Session, now: datetime) -> tuple[User, User, User]:
    services.import_content(session, content=load_content(PROJECT_ROOT / "courses"),
                            actor_id=None, now=now)
    supervisor = make_user(session, role=Role.SUPERVISOR)
    trainer = make_user(session, role=Role.TRAINER)
    cohort = make_cohort(session, staff=[supervisor, trainer])
    trainee = make_user(session, cohort=cohort)
    for stage in ("basics", "operations"):
        services.complete_stage_manually(session, actor=trainer, trainee_id=trainee.id,
                                         track_key="new-hire", stage_key=stage, reason="线下考核通过",
                                         now=now)
    session.commit()
    return trainee, supervisor, trainer


def test_ticks_then_confirmation_opens_the_last_stage(session: Session, now: datetime,
                                                      people: tuple[User, User, User]) -> None:
    trainee, supervisor, _ = people
    for key in GROUPS[:-1]:
        services.tick_checklist_item(session, user=trainee, track_key="new-hire", stage_key="team",
                                     item_key=key, ticked=True, now=now)
    with pytest.raises(ChecklistIncomplete) as exc:
        services.confirm_checklist(session, actor=supervisor, trainee_id=trainee.id,
                                   stage_key="team", now=now)
    assert "1 项" in str(exc.value.message)
    view = services.tick_checklist_item(session, user=trainee, track_key="new-hire",
                                        stage_key="team", item_key=GROUPS[-1], ticked=True, now=now)
    assert view.checklists["team"].complete
    done = services.confirm_checklist(session, actor=supervisor, trainee_id=trainee.id,
                                      stage_key="team", now=now)
    assert done.source == "checklist" and done.by_user_id == supervisor.id
    services.open_module(session, user=trainee, track_key="new-hire", module_key="complaint-handling",
                         now=now)
    with pytest.raises(ChecklistIncomplete):  # confirmed: no more changes
        services.tick_checklist_item(session, user=trainee, track_key="new-hire",
                                     stage_key="team", item_key="cs-group", ticked=False, now=now)


def test_unticking_and_locked_stage(session: Session, now: datetime) -> None:
    services.import_content(session, content=load_content(PROJECT_ROOT / "courses"),
                            actor_id=None, now=now)
    trainee = make_user(session, cohort=make_cohort(session))
    with pytest.raises(StageLocked):
        services.tick_checklist_item(session, user=trainee, track_key="new-hire", stage_key="team",
                                     item_key="cs-group", ticked=True, now=now)


def test_team_stage_cannot_be_marked_by_hand(session: Session, now: datetime,
                                             people: tuple[User, User, User]) -> None:
    trainee, _, trainer = people
    with pytest.raises(ChecklistIncomplete):
        services.complete_stage_manually(session, actor=trainer, trainee_id=trainee.id,
                                         track_key="new-hire", stage_key="team", reason="x",
                                         now=now)


def test_trainee_ticks_with_htmx_and_supervisor_confirms(client: FlaskClient, session: Session,
                                                         people: tuple[User, User, User]) -> None:
    trainee, supervisor, _ = people
    login(client, trainee)
    page = client.get("/").get_data(as_text=True)
    assert "已加入“客服群”" in page and "通知规范" in page
    fragment = client.post("/tracks/new-hire/stages/team/checklist/cs-group", headers=HX,
                           data={"ticked": "1"})
    body = fragment.get_data(as_text=True)
    # Only the count comes back, out of band: the checkboxes stay as the trainee set them.
    assert fragment.status_code == 200
    assert body.lstrip().startswith('<p class="checklist__summary" id="checklist-summary-team"')
    assert 'hx-swap-oob="true"' in body and "已完成 1 / 5 项" in body
    assert 'type="checkbox"' not in body
    plain = client.post("/tracks/new-hire/stages/team/checklist/cs-group", data={})
    assert plain.status_code == 303
    for key in GROUPS:
        client.post(f"/tracks/new-hire/stages/team/checklist/{key}", data={"ticked": "1"})
    assert "等待主管确认" in client.get("/").get_data(as_text=True)
    client.post("/logout")

    login(client, supervisor)
    page = client.get(f"/trainees/{trainee.id}/track").get_data(as_text=True)
    assert "确认已融入团队" in page
    response = client.post(f"/trainees/{trainee.id}/stages/team/confirm")
    assert response.status_code == 303
    session.expire_all()
    assert session.scalars(sa.select(StageCompletion).where(
        StageCompletion.stage_key == "team")).one().source == "checklist"


def test_trainer_cannot_confirm(client: FlaskClient, session: Session,
                                people: tuple[User, User, User]) -> None:
    trainee, _, trainer = people
    login(client, trainer)
    assert client.post(f"/trainees/{trainee.id}/stages/team/confirm").status_code == 403
