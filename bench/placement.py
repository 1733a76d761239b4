"""Placement of a large cohort through the service, as a ratio to reading the same rows.

One run sets up a throwaway SQLite database migrated to head with the shipped observation
forms, a cohort of N trainees (default 500) and its supervisor; every trainee has the
observation entries the shipped policy (question_banks/placement/policy.yaml) weighs, with
varied scores, and two in three have stated a preference; the staffing plan holds the
cohort with a little room. Set-up is not measured. Then, R rounds (default 5), each in a
transaction rolled back afterwards:

1. propose: `portal.placement.services.propose` — the evidence read through the assessment
   domains' services, fits per role from the policy, the solver (2 roles), the proposal
   and one row per trainee written;
2. read: the same rows read with plain SELECTs — the cohort's trainees, their graded
   attempts and responses, chat attempts, observation entries and preferences — and
   nothing else.

It prints the median of each and their ratio (propose ÷ read), with the solver's own share.
Nothing asserts on timing; the exit status is 1 only if the proposal is wrong (a trainee
missing, a role over capacity).
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bench.support import database, fmt, machine, new_instance
from portal.config import PROJECT_ROOT

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Report:
    trainees: int
    rounds: int
    propose_seconds: float
    read_seconds: float
    solver_seconds: float
    rows: int
    overrun: bool

    @property
    def ratio(self) -> float:
        return self.propose_seconds / self.read_seconds if self.read_seconds else float("inf")


def _set_up(session: Session, trainees: int) -> tuple[int, int]:
    """The forms, a cohort of `trainees` with evidence and preferences, its supervisor and
    plan; returns (cohort id, supervisor id)."""
    from portal.auth.models import Cohort, Role, User
    from portal.observations import services as observation_services
    from portal.observations.files import load_folder
    from portal.observations.models import ObservationEntry, ObservationForm
    from portal.placement import services
    from portal.placement.fits import Source
    from portal.placement.models import PlacementPreference
    from portal.placement.policy import load_policy
    from portal.placement.rules import PlacementRole

    content = load_folder(PROJECT_ROOT / "question_banks" / "observations")
    observation_services.apply_import(session, forms=content.forms, actor_id=None, now=NOW)
    policy, problems = load_policy()
    assert policy is not None, [str(p) for p in problems]
    cohort = Cohort(name="基准批次", start_date=date(2026, 11, 23), track_key="new-hire",
                    created_at=NOW)
    session.add(cohort)
    session.flush()
    supervisor = User(employee_no="bench-supervisor", display_name="基准主管",
                      role=Role.SUPERVISOR, password_hash="x", created_at=NOW, updated_at=NOW)
    session.add(supervisor)
    cohort.staff = [supervisor]
    session.execute(sa.insert(User), [
        {"employee_no": f"B{n:05d}", "display_name": f"新人{n}", "role": Role.TRAINEE,
         "cohort_id": cohort.id, "password_hash": "x", "active": True,
         "must_change_password": False, "session_version": 1, "created_at": NOW,
         "updated_at": NOW} for n in range(trainees)])
    ids = list(session.scalars(sa.select(User.id).where(User.cohort_id == cohort.id)
                               .order_by(User.employee_no)))
    versions = dict(session.execute(sa.select(ObservationForm.key,
                                              ObservationForm.current_version_id)).all())
    items = sorted({w.key for r in policy.roles for w in r.weights
                    if w.source is Source.OBSERVATION})
    entries = []
    for n, trainee_id in enumerate(ids):
        for k, key in enumerate(items):
            form, item = key.split("/")
            entries.append({"trainee_id": trainee_id, "form_version_id": versions[form],
                            "item": item, "score": 1 + (n * 7 + k * 3) % 5, "note": "",
                            "recorded_by_id": supervisor.id, "recorded_at": NOW})
    session.execute(sa.insert(ObservationEntry), entries)
    roles = list(PlacementRole)
    session.execute(sa.insert(PlacementPreference), [
        {"trainee_id": t, "role": roles[n % 2], "set_by_id": t, "set_at": NOW}
        for n, t in enumerate(ids) if n % 3])
    half = trainees // 2 + trainees // 20 + 1
    services.save_plan(session, actor=supervisor, cohort_id=cohort.id, method="direct",
                       capacities={"pre-sales": str(half), "after-sales": str(half)},
                       formula=None, now=NOW)
    session.commit()
    return cohort.id, supervisor.id


def _read_rows(session: Session, cohort_id: int) -> int:
    """The rows the proposal reads, with plain SELECTs (the baseline)."""
    from portal.auth.models import Role, User
    from portal.chat.models import ChatAttempt
    from portal.exams.models import Attempt, Response
    from portal.observations.models import ObservationEntry
    from portal.placement.models import PlacementPlan, PlacementPreference

    ids = list(session.scalars(sa.select(User.id).where(
        User.cohort_id == cohort_id, User.role == Role.TRAINEE, User.active.is_(True))))
    count = len(ids)
    count += len(session.execute(sa.select(PlacementPlan).where(
        PlacementPlan.cohort_id == cohort_id)).all())
    attempts = list(session.scalars(sa.select(Attempt.id).where(Attempt.user_id.in_(ids))))
    count += len(attempts)
    if attempts:
        count += len(session.execute(sa.select(Response.id, Response.points).where(
            Response.attempt_id.in_(attempts))).all())
    count += len(session.execute(sa.select(ChatAttempt.id, ChatAttempt.auto_result).where(
        ChatAttempt.user_id.in_(ids))).all())
    count += len(session.execute(sa.select(
        ObservationEntry.trainee_id, ObservationEntry.item, ObservationEntry.score)
        .where(ObservationEntry.trainee_id.in_(ids))).all())
    count += len(session.execute(sa.select(PlacementPreference.trainee_id,
                                           PlacementPreference.role)
                                 .where(PlacementPreference.trainee_id.in_(ids))).all())
    return count


def run(*, trainees: int, rounds: int, folder: Path) -> Report:
    from portal.auth.models import User
    from portal.placement import services, solver
    from portal.placement.policy import load_policy

    instance = new_instance(folder)
    policy, _ = load_policy()
    assert policy is not None
    with database(instance) as make_session:
        with make_session() as session:
            cohort_id, supervisor_id = _set_up(session, trainees)
        proposes, reads, solves = [], [], []
        rows = 0
        overrun = False
        for _ in range(rounds):
            with make_session() as session:
                started = time.perf_counter()
                _read_rows(session, cohort_id)
                reads.append(time.perf_counter() - started)
                session.rollback()
            with make_session() as session:
                supervisor = session.get(User, supervisor_id)
                assert supervisor is not None
                started = time.perf_counter()
                proposal = services.propose(session, actor=supervisor, cohort_id=cohort_id,
                                            policy=policy, now=NOW)
                proposes.append(time.perf_counter() - started)
                view = services.proposal_view(session, proposal=proposal)
                rows, overrun = len(view.rows), bool(view.overruns)
                plan = services.plan_view(session, cohort_id=cohort_id)
                assert plan is not None
                given = services.cohort_input(session, cohort_id=cohort_id,
                                              capacities=plan.capacities, policy=policy)
                started = time.perf_counter()
                solver.solve(given.cohort)
                solves.append(time.perf_counter() - started)
                session.rollback()
    return Report(trainees=trainees, rounds=rounds, propose_seconds=statistics.median(proposes),
                  read_seconds=statistics.median(reads), solver_seconds=statistics.median(solves),
                  rows=rows, overrun=overrun)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench placement", description=__doc__.split(
        "\n")[0])
    parser.add_argument("--trainees", type=int, default=500, help="trainees in the cohort (500)")
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds; medians (5)")
    args = parser.parse_args(list(argv or []))
    if not 1 <= args.trainees <= 5000 or not 1 <= args.rounds <= 50:
        parser.error("--trainees 1-5000, --rounds 1-50")
    with tempfile.TemporaryDirectory(prefix="bench-placement-") as folder:
        report = run(trainees=args.trainees, rounds=args.rounds, folder=Path(folder))
    print(f"placement: a cohort of {report.trainees} trainees, 2 roles, {report.rounds} rounds "
          f"({machine()})")
    print(f"  read the same rows (plain SELECTs)   {fmt(report.read_seconds * 1000, '8.1f')} ms")
    print(f"  propose through the service          {fmt(report.propose_seconds * 1000, '8.1f')} ms")
    print(f"    of which the solver                {fmt(report.solver_seconds * 1000, '8.1f')} ms")
    print(f"  ratio propose / read                 {fmt(report.ratio, '8.1f')}")
    ok = report.rows == report.trainees and not report.overrun
    print(f"  check: {report.rows} rows, {'within' if not report.overrun else 'OVER'} capacity"
          f" -> {'ok' if ok else 'WRONG'}")
    return 0 if ok else 1
