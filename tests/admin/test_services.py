"""Admin services on a real database: the trainee import, cohort staff and the audit log."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.admin import services
from portal.admin.errors import InvalidTraineeImport
from portal.audit import services as audit
from portal.audit.models import AuditEvent
from portal.auth.models import Role, User
from portal.auth.passwords import verify_password
from portal.errors import NotFound
from tests.factories import make_cohort, make_user

LIST = "工号,姓名,入职日期,初始密码\nKF001,张三,2026-11-23,\nKF002,李四,,Strong-pass-42\n"


def user_count(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(User)) or 0


def actions(session: Session) -> list[str]:
    return list(session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def test_preview_writes_nothing_and_knows_who_exists(session: Session) -> None:
    cohort = make_cohort(session)
    make_user(session, employee_no="KF002")
    before = user_count(session)
    checked = services.preview_trainee_import(session, cohort_id=cohort.id,
                                              data=LIST.encode("gbk"))
    assert not checked.valid
    assert [(r.number, r.ok) for r in checked.rows] == [(2, True), (3, False)]
    assert user_count(session) == before and actions(session) == []


def test_import_creates_every_trainee_in_the_cohort_with_a_password_to_change(
        session: Session, now: datetime) -> None:
    admin = make_user(session, role=Role.ADMIN)
    cohort = make_cohort(session, name="十一月一批")
    imported = services.import_trainees(session, actor_id=admin.id, cohort_id=cohort.id,
                                        text=LIST, now=now)
    first, second = imported
    assert (first.user.employee_no, second.user.employee_no) == ("KF001", "KF002")
    for item in imported:
        assert item.user.role is Role.TRAINEE
        assert item.user.cohort_id == cohort.id
        assert item.user.must_change_password is True
    assert first.user.hire_date == date(2026, 11, 23) and second.user.hire_date is None
    # A generated password is handed back once; a given one is not repeated.
    assert first.temporary_password and verify_password(first.user.password_hash,
                                                        first.temporary_password)
    assert second.temporary_password is None
    assert verify_password(second.user.password_hash, "Strong-pass-42")


def test_import_is_audited_per_user_and_once_for_the_cohort(session: Session,
                                                             now: datetime) -> None:
    admin = make_user(session, role=Role.ADMIN)
    cohort = make_cohort(session)
    services.import_trainees(session, actor_id=admin.id, cohort_id=cohort.id, text=LIST, now=now)
    assert actions(session) == ["user.create", "user.create", "cohort.import"]
    event = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "cohort.import")).one()
    assert event.actor_id == admin.id and event.target_id == str(cohort.id)
    assert event.details["count"] == 2 and event.details["generated_passwords"] == 1
    assert event.at == now


def test_an_invalid_list_creates_nobody(session: Session, now: datetime) -> None:
    admin = make_user(session, role=Role.ADMIN)
    cohort = make_cohort(session)
    make_user(session, employee_no="KF002")  # exists since the preview, say
    before = user_count(session)
    with pytest.raises(InvalidTraineeImport) as caught:
        services.import_trainees(session, actor_id=admin.id, cohort_id=cohort.id, text=LIST,
                                 now=now)
    assert caught.value.status == 422
    assert [r.number for r in caught.value.checked.rows if not r.ok] == [3]
    assert user_count(session) == before and actions(session) == []


def test_import_into_an_unknown_cohort_is_not_found(session: Session, now: datetime) -> None:
    admin = make_user(session, role=Role.ADMIN)
    with pytest.raises(NotFound):
        services.import_trainees(session, actor_id=admin.id, cohort_id=999, text=LIST, now=now)
    with pytest.raises(NotFound):
        services.preview_trainee_import(session, cohort_id=999, data=LIST.encode())


def test_staff_candidates_are_active_trainers_and_supervisors_plus_current_staff(
        session: Session) -> None:
    trainer = make_user(session, role=Role.TRAINER)
    supervisor = make_user(session, role=Role.SUPERVISOR)
    gone = make_user(session, role=Role.TRAINER, active=False)
    gone_but_staffing = make_user(session, role=Role.SUPERVISOR, active=False)
    make_user(session, role=Role.TRAINEE)
    make_user(session, role=Role.ADMIN)
    cohort = make_cohort(session, staff=[gone_but_staffing])
    assert set(services.staff_candidates(session)) == {trainer, supervisor}
    assert set(services.staff_candidates(session, cohort_id=cohort.id)) == {
        trainer, supervisor, gone_but_staffing}
    assert gone not in services.staff_candidates(session, cohort_id=cohort.id)


def _events(session: Session, now: datetime, n: int, action: str) -> None:
    for i in range(n):
        audit.record(session, actor_id=None, action=action, target_type="user", target_id=i,
                     now=now + timedelta(seconds=i))


def test_audit_log_pages_newest_first_and_clamps_the_page(session: Session, now: datetime) -> None:
    _events(session, now, 120, "user.update")
    first = services.audit_page(session, page=1)
    assert (first.total, first.pages, len(first.events)) == (120, 3, 50)
    assert first.events[0].target_id == "119" and not first.has_previous and first.has_next
    last = services.audit_page(session, page=3)
    assert len(last.events) == 20 and last.events[-1].target_id == "0" and not last.has_next
    assert services.audit_page(session, page=99).page == 3
    assert services.audit_page(session, page=-4).page == 1


def test_audit_log_filters_by_action(session: Session, now: datetime) -> None:
    _events(session, now, 3, "user.update")
    _events(session, now, 2, "cohort.import")
    page = services.audit_page(session, action="cohort.import")
    assert page.total == 2 and {e.action for e in page.events} == {"cohort.import"}
    assert services.audit_actions(session) == ["cohort.import", "user.update"]
    empty = services.audit_page(session, action="nothing.like.this")
    assert (empty.total, empty.pages, empty.events) == (0, 1, [])
