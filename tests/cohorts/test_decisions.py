"""The dashboard's placement and probation sections and the export's 岗位 and 转正 columns,
before and after the supervisors decide (the tests run in order on the module's own copy of
the finished world: first as the week left it, then with the decisions made)."""
from __future__ import annotations

import io
import re

from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from portal.auth.models import Cohort, Role, User
from portal.placement import services as placement
from portal.placement.rules import PlacementRole
from portal.probation import services as probation
from tests.cohorts.cohort_fixtures import NOW, FinishedWorld
from tests.factories import login, make_user

CHECKER = "demo-checker-1"


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    assert user is not None
    return user


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _sheet(client: FlaskClient, world: FinishedWorld) -> tuple[list[str], list[list[object]]]:
    response = client.get(f"/cohorts/{world.cohort_id}/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    return [str(h) for h in rows[0]], rows[1:]


def _column(headers: list[str], rows: list[list[object]], name: str) -> list[object]:
    return [r[headers.index(name)] for r in rows]


def test_the_sections_show_the_proposal_and_the_waiting_probation_proposals(
        client: FlaskClient, session: Session, finished_world: FinishedWorld) -> None:
    login(client, _user(session, finished_world.supervisor_id))
    html = client.get(f"/cohorts/{finished_world.cohort_id}/dashboard").get_data(as_text=True)
    text = _text(html)
    assert "岗位安排" in text and "状态：已生成方案，待确认 · 第 1 版方案" in text
    assert "售前 3 人 5 人" in text and "售后 0 人 1 人" in text  # placed, places
    assert "3 名新客服中有 3 人填写了岗位意向。" in text
    assert f'href="/placement/cohorts/{finished_world.cohort_id}"' in html
    assert "已决定 0 人，等待决定 3 条，还没有提议 0 人（共 3 人）。" in text
    assert "等待客服主管决定的提议" in text and "周组长" in text
    assert f'href="/probation?cohort={finished_world.cohort_id}"' in html
    for trainee_id in finished_world.trainee_ids:
        assert f'href="/probation/trainees/{trainee_id}"' in html
    for key in ("pre-sales", "after-sales", "confirm", "extend", "do_not_confirm", "proposed"):
        assert key not in text  # no internal key reaches the page


def test_before_any_decision_the_export_says_the_role_waits_and_probation_is_empty(
        client: FlaskClient, session: Session, finished_world: FinishedWorld) -> None:
    login(client, _user(session, finished_world.trainer_id))
    headers, rows = _sheet(client, finished_world)
    assert headers[-4:] == ["岗位", "转正结果", "决定日期", "决定人"]
    assert _column(headers, rows, "岗位") == ["待确认：售前"] * 3
    for name in ("转正结果", "决定日期", "决定人"):
        assert _column(headers, rows, name) == [None] * 3


def test_after_the_decisions_the_sections_and_the_export_show_them(
        client: FlaskClient, session: Session, finished_world: FinishedWorld) -> None:
    supervisor = _user(session, finished_world.supervisor_id)
    cohort = session.get(Cohort, finished_world.cohort_id)
    assert cohort is not None
    # A second supervisor whose name looks like a formula: the export keeps it text.
    checker = make_user(session, role=Role.SUPERVISOR, employee_no=CHECKER,
                        display_name="=HYPERLINK(\"http://evil.example\",\"孙\")")
    cohort.staff.append(checker)
    page = placement.cohort_placement(session, actor=supervisor, cohort_id=cohort.id)
    assert page.proposal is not None
    last = page.proposal.rows[-1]
    placement.change_placement(session, actor=supervisor, row_id=last.id,
                               role=PlacementRole.AFTER_SALES.value, reason="business_need",
                               comment="", now=NOW)
    placement.confirm(session, actor=supervisor, proposal_id=page.proposal.id, now=NOW)
    policy = probation.current_policy()
    cases = probation.cohort_cases(session, actor=supervisor, cohort_id=cohort.id,
                                   policy=policy, now=NOW).cases
    first, second = (c.open_proposal for c in cases[:2])
    assert first is not None and second is not None
    probation.decide(session, actor=checker, proposal_id=first.proposal.id, accept=True,
                     outcome=None, effective_date=None, reason="同意", now=NOW)
    probation.decide(session, actor=checker, proposal_id=second.proposal.id, accept=False,
                     outcome="extend", effective_date="2027-01-30", reason="再看两个月", now=NOW)
    session.commit()

    login(client, supervisor)
    text = _text(client.get(f"/cohorts/{cohort.id}/dashboard").get_data(as_text=True))
    assert "状态：已确认 · 第 1 版方案 · 已调整 1 人" in text
    assert "售前 2 人 5 人" in text and "售后 1 人 1 人" in text
    assert "意向未满足（1 人）" in text
    assert "已决定 2 人，等待决定 1 条，还没有提议 0 人（共 3 人）。" in text
    assert "延长考察期 " in text
    headers, rows = _sheet(client, finished_world)
    assert _column(headers, rows, "岗位") == ["售前", "售前", "售后"]
    outcome = _column(headers, rows, "转正结果")
    assert outcome[0] == first.proposal.outcome.label and outcome[1:] == ["延长考察期", None]
    assert _column(headers, rows, "决定日期") == ["2026-11-23", "2026-11-23", None]
    assert _column(headers, rows, "决定人") == ["'" + checker.display_name] * 2 + [None]
