"""The progress tests' scenario: a cohort whose trainees stand at different points of a track."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session

from tests.factories import Scenario, build_scenario
from tests.progress.progress_fixtures import START


@pytest.fixture
def scenario(session: Session, now: datetime) -> Scenario:
    return build_scenario(session, now=now, start=START)
