"""The typed definition of a track's stages: built once by the track reader, stored as data.

Pure (standard library only), so that the reader (`portal.content.loader`), the courses
that gate stages on it (`portal.courses.rules`) and the assessment domains can all share
one set of types without importing each other.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class AssessmentSource(StrEnum):
    """What passed a stage; the value is stored in `StageCompletion.source`.

    An assessment domain (written exams today; chat exams and observation reviews next)
    reports a pass to courses with its source; courses never asks the domain's tables.
    """

    EXAM = "exam"  # a written exam (portal.exams); the value rows have always had
    CHAT_EXAM = "chat-exam"  # a simulated-chat exam
    OBSERVATION = "observation"  # a supervisor's observation review
    CHECKLIST = "checklist"  # the team-integration checklist, confirmed by a supervisor
    MANUAL = "manual"  # marked passed by a trainer or supervisor, with a reason


# The sources that are taken online in an assessment domain, not decided by a person.
ONLINE_SOURCES = frozenset({AssessmentSource.EXAM, AssessmentSource.CHAT_EXAM,
                            AssessmentSource.OBSERVATION})


@dataclass(frozen=True)
class StageAssessment:
    """An assessment a stage asks for: its source and, for an online one, its key."""

    source: AssessmentSource
    key: str | None = None


class StageKind(StrEnum):
    MODULES = "modules"  # modules to read, passed by the assessments the stage names
    TEAM_INTEGRATION = "team-integration"  # passed by its checklist, confirmed by a supervisor


@dataclass(frozen=True)
class Planned:
    """When the stage is planned: its working day (1 = the cohort's start) and how long."""

    day: int
    duration: str = ""


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    title: str
    purpose: str
    rules: str


# The stage file's fields that name an online assessment, in the order they are taken.
ASSESSMENT_FIELDS = (("assessment", AssessmentSource.EXAM),
                     ("chat_exam", AssessmentSource.CHAT_EXAM))


@dataclass(frozen=True)
class Stage:
    """One stage of a track, as its file defines it (validated by the reader)."""

    key: str
    title: str
    summary: str = ""
    kind: StageKind = StageKind.MODULES
    planned: Planned = Planned(day=1)
    modules: tuple[str, ...] = ()
    roles: tuple[str, ...] = ("all",)
    # The online assessments the file names (`assessment:` a written exam key,
    # `chat_exam:` a drill key), in that order.
    assessments: tuple[StageAssessment, ...] = ()
    checklist: tuple[ChecklistItem, ...] = field(default=())

    @property
    def exam_key(self) -> str | None:
        return self._key_of(AssessmentSource.EXAM)

    @property
    def chat_exam_key(self) -> str | None:
        return self._key_of(AssessmentSource.CHAT_EXAM)

    def _key_of(self, source: AssessmentSource) -> str | None:
        return next((a.key for a in self.assessments if a.source is source), None)

    @property
    def requirements(self) -> tuple[StageAssessment, ...]:
        """Everything the stage needs to pass; it passes when all are passed.

        A team-integration stage passes by its checklist; a stage naming online assessments
        by those; a stage with neither is marked passed by its trainer.
        """
        if self.kind is StageKind.TEAM_INTEGRATION:
            return (StageAssessment(AssessmentSource.CHECKLIST),)
        return self.assessments or (StageAssessment(AssessmentSource.MANUAL),)

    def to_data(self) -> dict[str, Any]:
        """The stored form (`TrackVersion.stages`); the shape rows have always had."""
        return {
            "key": self.key, "title": self.title, "summary": self.summary,
            "kind": self.kind.value, "planned_day": self.planned.day,
            "planned_duration": self.planned.duration, "modules": list(self.modules),
            "assessment": self.exam_key, "roles": list(self.roles),
            "checklist": [{"key": i.key, "title": i.title, "purpose": i.purpose,
                           "rules": i.rules} for i in self.checklist],
            "chat_exam": self.chat_exam_key,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Stage:
        """A stage from its stored form (written by `to_data`, so already validated)."""
        return cls(
            key=str(data["key"]), title=str(data["title"]), summary=data.get("summary") or "",
            kind=StageKind(data.get("kind") or StageKind.MODULES),
            planned=Planned(day=int(data.get("planned_day") or 1),
                            duration=data.get("planned_duration") or ""),
            modules=tuple(data.get("modules") or ()),
            roles=tuple(data.get("roles") or ("all",)),
            assessments=tuple(StageAssessment(source, str(data[name]))
                              for name, source in ASSESSMENT_FIELDS if data.get(name)),
            checklist=tuple(ChecklistItem(key=i["key"], title=i["title"],
                                          purpose=i.get("purpose", ""), rules=i.get("rules", ""))
                            for i in data.get("checklist") or ()),
        )


def stages_from_data(data: list[Mapping[str, Any]]) -> tuple[Stage, ...]:
    return tuple(Stage.from_data(s) for s in data)
