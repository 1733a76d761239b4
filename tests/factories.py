"""Test factories: users and cohorts written straight to the database."""
from __future__ import annotations

import itertools
from datetime import date
from functools import cache

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.auth.models import Cohort, Role, User
from portal.auth.passwords import hash_password
from portal.db import utcnow

PASSWORD = "correct-horse-42"
_seq = itertools.count(1)


@cache
def _hash(password: str) -> str:
    return hash_password(password)  # argon2 is slow on purpose: hash each password once


def make_cohort(session: Session, *, name: str | None = None, start_date: date = date(2026, 11, 23),
                track_key: str = "new-hire", staff: list[User] | None = None) -> Cohort:
    cohort = Cohort(name=name or f"批次{next(_seq)}", start_date=start_date, track_key=track_key,
                    created_at=utcnow())
    cohort.staff = list(staff or [])
    session.add(cohort)
    session.flush()
    return cohort


def make_user(session: Session, *, role: Role = Role.TRAINEE, employee_no: str | None = None,
              display_name: str | None = None, password: str = PASSWORD, active: bool = True,
              cohort: Cohort | None = None, must_change_password: bool = False) -> User:
    n = next(_seq)
    user = User(
        employee_no=employee_no or f"{role.value}-{n:04d}",
        display_name=display_name or f"测试用户{n}",
        role=role,
        password_hash=_hash(password),
        active=active,
        cohort_id=cohort.id if cohort else None,
        must_change_password=must_change_password,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    session.add(user)
    session.flush()
    return user


def login(client: FlaskClient, user: User, password: str = PASSWORD) -> None:
    response = client.post("/login", data={"employee_no": user.employee_no, "password": password})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


HX = {"HX-Request": "true"}
