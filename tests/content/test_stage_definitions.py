"""Stage definitions are typed once by the reader and survive being stored as data."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.config import PROJECT_ROOT
from portal.content.loader import load_content
from portal.content.rules import (
    AssessmentSource,
    Stage,
    StageAssessment,
    StageKind,
    stages_from_data,
)
from portal.courses import services as courses
from portal.courses.models import Track


def test_the_reader_types_every_stage_and_its_assessments() -> None:
    content = load_content(PROJECT_ROOT / "courses")
    new_hire = next(t for t in content.tracks if t.key == "new-hire")
    by_key = {s.key: s for s in new_hire.stages}
    assert by_key["team"].kind is StageKind.TEAM_INTEGRATION
    assert by_key["team"].requirements == (StageAssessment(AssessmentSource.CHECKLIST),)
    assert all(item.title for item in by_key["team"].checklist)
    practice = by_key["practice"]
    assert [a.source for a in practice.requirements] == [AssessmentSource.EXAM,
                                                         AssessmentSource.CHAT_EXAM]
    assert practice.exam_key == "new-hire-practice" and practice.chat_exam_key == "new-hire-chat"
    assert by_key["basics"].planned.day >= 1


def test_a_stage_naming_no_assessment_is_passed_by_its_trainer() -> None:
    stage = Stage(key="s", title="阶段")
    assert stage.requirements == (StageAssessment(AssessmentSource.MANUAL),)
    assert stage.exam_key is None and stage.chat_exam_key is None


def test_stored_stages_read_back_as_the_same_definitions() -> None:
    for track in load_content(PROJECT_ROOT / "courses").tracks:
        stored = [s.to_data() for s in track.stages]
        assert stages_from_data(stored) == tuple(track.stages)
        # the stored shape is the one rows have always had
        assert {"key", "title", "kind", "planned_day", "planned_duration", "modules",
                "assessment", "chat_exam", "roles", "checklist"} <= set(stored[0])


def test_an_imported_track_version_gives_typed_stages(session: Session, now: datetime) -> None:
    courses.import_content(session, content=load_content(PROJECT_ROOT / "courses"),
                           actor_id=None, now=now)
    track = session.scalars(sa.select(Track).where(Track.key == "double11")).one()
    version = track.current_version
    assert version is not None
    stages = version.stages
    assert all(isinstance(s, Stage) for s in stages)
    assert stages is version.stages  # built once per version
    assert isinstance(version.stages_data[0], dict)
