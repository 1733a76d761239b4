"""Account services against a real database, with a fixed clock."""
from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.audit.models import AuditEvent
from portal.auth import services
from portal.auth.errors import DuplicateEmployeeNo, InvalidAccountData, InvalidCredentials
from portal.auth.models import Role
from tests.factories import PASSWORD, make_cohort, make_user


def test_authenticate_records_the_login_time(session: Session, now: datetime) -> None:
    user = make_user(session)
    assert services.authenticate(session, employee_no=f" {user.employee_no} ", password=PASSWORD,
                                 now=now) is user
    assert user.last_login_at == now


def test_authenticate_refuses_wrong_password_unknown_user_and_inactive(session: Session,
                                                                       now: datetime) -> None:
    user = make_user(session)
    inactive = make_user(session, active=False)
    with pytest.raises(InvalidCredentials):
        services.authenticate(session, employee_no=user.employee_no, password="wrong-one-1", now=now)
    with pytest.raises(InvalidCredentials):
        services.authenticate(session, employee_no="ghost", password=PASSWORD, now=now)
    with pytest.raises(InvalidCredentials) as exc:
        services.authenticate(session, employee_no=inactive.employee_no, password=PASSWORD, now=now)
    assert "已停用" in str(exc.value.message)


def test_load_user_checks_session_version_and_active(session: Session) -> None:
    user = make_user(session)
    token = user.get_id()
    assert services.load_user(session, token) is user
    services.end_sessions(session, user_id=user.id)
    assert services.load_user(session, token) is None
    assert services.load_user(session, user.get_id()) is user
    user.active = False
    assert services.load_user(session, user.get_id()) is None
    assert services.load_user(session, "garbage") is None
    assert services.load_user(session, "1:x") is None


def test_load_principal_checks_the_token_as_load_user_does(session: Session) -> None:
    user = make_user(session, role=Role.TRAINER, display_name="王老师")
    token = user.get_id()
    principal = services.load_principal(session, token)
    assert principal == services.Principal(id=user.id, role=Role.TRAINER,
                                           display_name="王老师", must_change_password=False,
                                           session_version=user.session_version)
    assert principal.is_authenticated and principal.get_id() == token
    services.end_sessions(session, user_id=user.id)
    assert services.load_principal(session, token) is None
    assert services.load_principal(session, user.get_id()) is not None
    user.active = False  # pending in the session: flushed before the read
    assert services.load_principal(session, user.get_id()) is None
    for bad in ("garbage", "1:x", "", f"{user.id}", "999999:1"):
        assert services.load_principal(session, bad) is None


def test_create_user_validates_and_audits(session: Session, now: datetime) -> None:
    admin = make_user(session, role=Role.ADMIN)
    cohort = make_cohort(session)
    user = services.create_user(session, actor_id=admin.id, employee_no="cs-1001", display_name="李四",
                                role=Role.TRAINEE, password="first-login-pass", cohort_id=cohort.id,
                                now=now)
    assert user.must_change_password and user.cohort_id == cohort.id
    assert user.password_hash.startswith("$argon2id$")
    event = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "user.create")).one()
    assert event.actor_id == admin.id and event.target_id == str(user.id) and event.at == now
    with pytest.raises(DuplicateEmployeeNo):
        services.create_user(session, actor_id=admin.id, employee_no="cs-1001", display_name="重复",
                             role=Role.TRAINEE, password="first-login-pass", now=now)
    with pytest.raises(InvalidAccountData):
        services.create_user(session, actor_id=admin.id, employee_no="cs-1002", display_name="弱密码",
                             role=Role.TRAINEE, password="123", now=now)


def test_staff_are_never_put_in_a_cohort_as_trainees(session: Session, now: datetime) -> None:
    cohort = make_cohort(session)
    trainer = services.create_user(session, actor_id=None, employee_no="tr-1", display_name="培训",
                                   role=Role.TRAINER, password="first-login-pass",
                                   cohort_id=cohort.id, now=now)
    assert trainer.cohort_id is None


def test_reset_password_forces_change_and_ends_sessions(session: Session, now: datetime) -> None:
    admin = make_user(session, role=Role.ADMIN)
    user = make_user(session)
    old_token = user.get_id()
    services.reset_password(session, actor_id=admin.id, user_id=user.id,
                            new_password="temporary-pass-9", now=now)
    assert user.must_change_password
    assert services.load_user(session, old_token) is None
    assert services.authenticate(session, employee_no=user.employee_no,
                                 password="temporary-pass-9", now=now) is user


def test_change_own_password(session: Session, now: datetime) -> None:
    user = make_user(session, must_change_password=True)
    with pytest.raises(InvalidAccountData):
        services.change_own_password(session, user_id=user.id, current_password="wrong-pass-00",
                                     new_password="brand-new-pass", now=now)
    with pytest.raises(InvalidAccountData):
        services.change_own_password(session, user_id=user.id, current_password=PASSWORD,
                                     new_password=PASSWORD, now=now)
    services.change_own_password(session, user_id=user.id, current_password=PASSWORD,
                                 new_password="brand-new-pass", now=now)
    assert not user.must_change_password


def test_admin_cannot_lock_themselves_out(session: Session, now: datetime) -> None:
    admin = make_user(session, role=Role.ADMIN)
    with pytest.raises(InvalidAccountData):
        services.set_active(session, actor_id=admin.id, user_id=admin.id, active=False, now=now)
    with pytest.raises(InvalidAccountData):
        services.update_user(session, actor_id=admin.id, user_id=admin.id, display_name="x",
                             role=Role.TRAINER, cohort_id=None, hire_date=None, now=now)


def test_deactivate_and_reactivate_are_audited(session: Session, now: datetime) -> None:
    admin = make_user(session, role=Role.ADMIN)
    user = make_user(session)
    services.set_active(session, actor_id=admin.id, user_id=user.id, active=False, now=now)
    services.set_active(session, actor_id=admin.id, user_id=user.id, active=True, now=now)
    actions = session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["user.deactivate", "user.reactivate"]


def test_cohort_staff_must_be_trainers_or_supervisors(session: Session, now: datetime) -> None:
    admin = make_user(session, role=Role.ADMIN)
    trainer = make_user(session, role=Role.TRAINER)
    trainee = make_user(session)
    cohort = services.save_cohort(session, actor_id=admin.id, cohort_id=None, name="一批",
                                  start_date=now.date(), track_key="new-hire",
                                  staff_ids=[trainer.id], now=now)
    assert services.cohorts_for_staff(session, user=trainer) == [cohort]
    with pytest.raises(InvalidAccountData):
        services.save_cohort(session, actor_id=admin.id, cohort_id=cohort.id, name="一批",
                             start_date=now.date(), track_key="new-hire",
                             staff_ids=[trainee.id], now=now)
