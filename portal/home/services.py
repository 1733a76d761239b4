"""What a staff member's home shows: their cohorts with their tracks' titles, and what waits
for them (a trainer's answers to grade, the banks whose current questions have lint warnings)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from portal.auth import services as auth_services
from portal.auth.models import Cohort, Role, User
from portal.banks import services as bank_services
from portal.courses import services as courses_services
from portal.errors import NotFound
from portal.exams import grading
from portal.exams.lint import lint


@dataclass(frozen=True)
class FlaggedQuestion:
    qid: str
    title: str
    labels: tuple[str, ...]  # the warnings' Chinese names (N_ marked), each once


@dataclass(frozen=True)
class BankWarnings:
    """A bank whose current questions have open (unacknowledged) item-writing warnings."""

    key: str
    title: str
    flagged: list[FlaggedQuestion]
    warnings: int


@dataclass(frozen=True)
class StaffHome:
    cohorts: list[Cohort]
    track_titles: dict[str, str] = field(default_factory=dict)  # a track not imported: none
    waiting: grading.GradingQueue | None = None  # a trainer's answers to grade
    bank_warnings: list[BankWarnings] = field(default_factory=list)  # a trainer's, by bank


def _excerpt(prompt: str, limit: int = 30) -> str:
    """An untitled question named by the start of its prompt, on one line."""
    text = " ".join(prompt.split())
    return text if len(text) <= limit else text[:limit] + "…"


def banks_with_warnings(session: Session) -> list[BankWarnings]:
    """The lint over the current version of every bank (as the bank browser marks it)."""
    stored = {b.key: b for b in bank_services.stored_banks(session)}
    by_bank: dict[str, dict[str, list[str]]] = {}
    for warning in lint(list(stored.values())).open:
        if warning.bank in stored and warning.question:
            by_bank.setdefault(warning.bank, {}).setdefault(warning.question, []).append(
                warning.label)
    result = []
    for key, questions in sorted(by_bank.items()):
        titles = {q.id: q.definition.title or _excerpt(q.definition.prompt)
                  for q in stored[key].questions}
        result.append(BankWarnings(
            key=key, title=stored[key].title,
            flagged=[FlaggedQuestion(qid=qid, title=titles.get(qid, ""),
                                     labels=tuple(dict.fromkeys(labels)))
                     for qid, labels in questions.items()],
            warnings=sum(len(labels) for labels in questions.values())))
    return result


def staff_home(session: Session, *, actor: User, now: datetime) -> StaffHome:
    cohorts = auth_services.cohorts_for_staff(session, user=actor)
    titles: dict[str, str] = {}
    for key in {c.track_key for c in cohorts}:
        try:
            version = courses_services.get_track(session, key).current_version
        except NotFound:
            continue
        if version is not None:
            titles[key] = version.title
    trainer = actor.role is Role.TRAINER
    waiting = grading.grading_queue(session, actor=actor, now=now) if trainer else None
    return StaffHome(cohorts=list(cohorts), track_titles=titles, waiting=waiting,
                     bank_warnings=banks_with_warnings(session) if trainer else [])
