"""The versioned-thing pattern: numbered versions, a new one only when the content changed,
and the same shape for every thing that uses it."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.courses.models import Module, ModuleVersion, Track, TrackVersion
from portal.db import Base, import_models
from portal.exams.models import Exam, ExamVersion, Question, QuestionVersion
from portal.versioning import Version, Versioned, add_version, new_version_if_changed
from tests.factories import make_user

import_models()


def _exam_version(title: str) -> ExamVersion:
    return ExamVersion(title=title, track_key=None, stage_key=None, data={"title": title})


def test_a_new_version_only_when_the_content_changed(session: Session, now: datetime) -> None:
    author = make_user(session)
    exam = Exam(key="versioned-exam")
    session.add(exam)
    session.flush()
    first = new_version_if_changed(session, thing=exam, version=_exam_version("第一版"),
                                   content_hash="h1", actor_id=author.id, now=now)
    assert first is not None and exam.current_version is first
    assert (first.exam_id, first.number, first.source_hash, first.created_at,
            first.created_by_id) == (exam.id, 1, "h1", now, author.id)
    later = now + timedelta(hours=1)
    assert new_version_if_changed(session, thing=exam, version=_exam_version("同样的内容"),
                                  content_hash="h1", actor_id=None, now=later) is None
    second = new_version_if_changed(session, thing=exam, version=_exam_version("第二版"),
                                    content_hash="h2", actor_id=None, now=later)
    assert second is not None and second.number == 2 and exam.current_version is second
    session.flush()
    titles = session.scalars(sa.select(ExamVersion.title).where(ExamVersion.exam_id == exam.id)
                             .order_by(ExamVersion.number)).all()
    assert titles == ["第一版", "第二版"]  # the old version is kept as it was


def test_add_version_numbers_even_an_unchanged_content(session: Session, now: datetime) -> None:
    # A restore publishes the text of an old version again: same hash, a new number.
    exam = Exam(key="restored-exam")
    session.add(exam)
    session.flush()
    for _ in range(2):
        add_version(session, thing=exam, version=_exam_version("同一份"), content_hash="same",
                    actor_id=None, now=now)
    assert exam.current_version is not None and exam.current_version.number == 2


def test_every_versioned_thing_has_the_same_shape() -> None:
    pairs = [(Track, TrackVersion), (Module, ModuleVersion), (Question, QuestionVersion),
             (Exam, ExamVersion)]
    for thing, version in pairs:
        assert issubclass(thing, Versioned) and issubclass(version, Version)
        table = Base.metadata.tables[thing.__tablename__]
        (fk,) = table.c.current_version_id.foreign_keys
        assert fk.column.table.name == version.__tablename__ and fk.ondelete == "SET NULL"
        versions = Base.metadata.tables[version.__tablename__]
        owner = versions.c[f"{thing.__tablename__}_id"]
        assert [c.name for c in versions.columns][:3] == ["id", owner.name, "number"]
        assert [c.name for c in versions.columns][-2:] == ["created_at", "created_by_id"]
        (owner_fk,) = owner.foreign_keys
        assert owner_fk.column.table is table and owner_fk.ondelete == "CASCADE"
        assert any(isinstance(c, sa.UniqueConstraint)
                   and [col.name for col in c.columns] == [owner.name, "number"]
                   for c in versions.constraints)
        assert hasattr(version, version.hash_attribute)
