"""Errors of the exams domain (question banks, kinds and grading)."""
from __future__ import annotations

from portal.content.loader import Problem
from portal.errors import Conflict, DomainError
from portal.messages import N_, msg


class BankInvalid(DomainError):
    """A bank file (YAML, GIFT or Moodle XML) has problems; nothing of it was imported."""

    status = 422

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(msg(N_("题库文件有 %(count)d 处问题，未导入任何内容"), count=len(problems)))
        self.problems = problems


class UnknownKind(DomainError):
    status = 500

    def __init__(self, kind: object) -> None:
        super().__init__(msg(N_("未知的题型 %(kind)s"), kind=str(kind)))


class ManualScoreInvalid(DomainError):
    """A trainer's rubric scores do not fit the question (missing criteria, out of range)."""

    status = 422


class RevisionInvalid(DomainError):
    """An autosave carried a revision that no page of the portal sends (negative, not a
    whole number, absurdly large): refused, so it cannot make later saves look stale."""

    status = 422

    def __init__(self) -> None:
        super().__init__(N_("保存请求的版本号无效，答案没有保存。请刷新页面后重新作答。"))


# --- attempts and imports


class AttemptClosed(Conflict):
    """The attempt was submitted or its time is up: the answer was not saved."""


class CannotStart(DomainError):
    status = 409


class ImportInvalid(DomainError):
    status = 422


# --- grading, overrides and regrades


class LockHeld(Conflict):
    """Someone else holds the grading lock, or the grader's own lock is gone: nothing saved."""


class AlreadyGraded(Conflict):
    """The response no longer waits for a trainer."""


class GradeInvalid(DomainError):
    status = 422


class OverrideInvalid(DomainError):
    status = 422


class RegradeStale(Conflict):
    """The question changed again between the dry run and the confirmation."""
