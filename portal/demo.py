"""Demo accounts and a demo cohort, for trying the portal locally (never in production)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.auth import services as auth_services
from portal.auth.models import Cohort, Role, User

DEMO_PASSWORD = "portal-demo"
DEMO_COHORT = "演示批次"
DEMO_TRACK = "new-hire"


@dataclass(frozen=True)
class DemoAccount:
    employee_no: str
    display_name: str
    role: Role


DEMO_ACCOUNTS = (
    DemoAccount("demo-trainee", "林小雨（演示新客服）", Role.TRAINEE),
    DemoAccount("demo-trainer", "周敏（演示培训组长）", Role.TRAINER),
    DemoAccount("demo-supervisor", "陈涛（演示客服主管）", Role.SUPERVISOR),
    DemoAccount("demo-supervisor2", "王珊（演示客服主管）", Role.SUPERVISOR),
    # The second supervisor of the finished cohort: decides the trainer's probation proposals
    # (maker-checker), so that some are decided and some wait for demo-supervisor.
    DemoAccount("demo-supervisor3", "孙婧（演示客服主管）", Role.SUPERVISOR),
    DemoAccount("demo-admin", "赵磊（演示管理员）", Role.ADMIN),
)


def load_demo_data(session: Session, *, now: datetime) -> list[str]:
    """Create whatever demo data is missing; running it again changes nothing.

    The demo password is shorter than the password rule allows, so the accounts are
    written directly rather than through create_user(); that is also why they exist
    only when someone loads the demo data on purpose.
    """
    from portal.auth.passwords import hash_password

    created: list[str] = []
    cohort = session.scalar(sa.select(Cohort).where(Cohort.name == DEMO_COHORT))
    if cohort is None:
        today = now.date()
        monday = today - timedelta(days=today.weekday())
        cohort = Cohort(name=DEMO_COHORT, start_date=monday, track_key=DEMO_TRACK, created_at=now)
        session.add(cohort)
        session.flush()
        created.append(f"cohort {DEMO_COHORT}")
    password_hash = hash_password(DEMO_PASSWORD)
    for account in DEMO_ACCOUNTS:
        user = auth_services.find_user(session, account.employee_no)
        if user is not None:
            continue
        user = User(
            employee_no=account.employee_no,
            display_name=account.display_name,
            role=account.role,
            password_hash=password_hash,
            cohort_id=cohort.id if account.role is Role.TRAINEE else None,
            hire_date=cohort.start_date if account.role is Role.TRAINEE else date(2024, 3, 1),
            must_change_password=False,
            created_at=now,
            updated_at=now,
        )
        session.add(user)
        session.flush()
        if account.role in (Role.TRAINER, Role.SUPERVISOR) and account.employee_no not in (
                "demo-supervisor2", "demo-supervisor3"):
            cohort.staff.append(user)
        created.append(f"user {account.employee_no}")
    session.flush()
    created.extend(_finished_cohort(session, password_hash=password_hash, now=now))
    return created


def _finished_cohort(session: Session, *, password_hash: str, now: datetime) -> list[str]:
    """The second cohort, twelve trainees through the week (once the content is imported)."""
    from portal import demo_cohort

    if demo_cohort.missing_content(session):
        return []  # the command says what to import first
    trainer = auth_services.find_user(session, "demo-trainer")
    supervisor = auth_services.find_user(session, "demo-supervisor")
    checker = auth_services.find_user(session, "demo-supervisor3")
    assert trainer is not None and supervisor is not None
    made = demo_cohort.load_finished_cohort(session, trainer=trainer, supervisor=supervisor,
                                            password_hash=password_hash, now=now,
                                            checker=checker)
    if made is None:
        return []
    return [f"cohort {made.cohort.name} ({len(made.trainees)} trainees through the week)"]
