"""Fixtures of the exams' view tests: a trainee signed in on the test client, the demo exam
imported."""
from __future__ import annotations

from datetime import datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.auth.models import User
from tests.factories import import_demo_exam, login, make_user


@pytest.fixture
def signed_in_trainee(client: FlaskClient, session: Session, now: datetime) -> User:
    import_demo_exam(session, now=now)
    user = make_user(session)
    session.commit()
    login(client, user)
    return user
