"""`python -m bench dashboard`: the cohort dashboard for a cohort of 200, as a ratio to reading
the same rows from the database.

The data: a few trainees go through the week through the services (the demo's generator:
reading, exams answered and graded, chats played, observations entered); the rest of the
cohort are bulk copies of those trainees' rows (module progress, stage completions, exam
attempts with their responses, chat attempts, observation entries) under new accounts, so
that 200 trainees exist in seconds with realistic rows. The dashboard reads rows only, so
copies cost it exactly what originals would.

Measured in one process, each timing the median of several rounds in a fresh session:
- `rows`: one SELECT per table for the cohort (users, module progress, stage completions,
  exam attempts, their responses and question versions, chat attempts, observation
  entries), fetched whole: what the dashboard must at least read;
- `service`: `cohorts.services.cohort_dashboard` (the aggregation and chart geometry);
- `page`: GET /cohorts/<id>/dashboard through the app (service + templates + SVG);
- `export`: GET /cohorts/<id>/export.xlsx.
Each is printed with its ratio to `rows`. Nothing here asserts on time.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bench.support import APP_CONFIG, fmt, machine, new_instance

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Shanghai")
PASSWORD = "bench-password-42"


def _options(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench dashboard", description=__doc__)
    parser.add_argument("--trainees", type=int, default=200, help="cohort size (default 200)")
    parser.add_argument("--generated", type=int, default=6,
                        help="trainees generated through the services (default 6; the rest "
                             "are copies of their rows)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (median; default 5)")
    options = parser.parse_args(list(argv))
    if not 1 <= options.generated <= 12 or options.trainees < options.generated:
        parser.error("--generated must be 1-12 and at most --trainees")
    return options


def build(session: Session, *, trainees: int, generated: int) -> tuple[int, str, str]:
    """The content, staff and a cohort of `trainees`; returns (cohort id, supervisor, password)."""
    from portal import demo_cohort
    from portal.auth.models import Role, User
    from portal.auth.passwords import hash_password

    demo_cohort.import_shipped_content(session, now=NOW)
    password_hash = hash_password(PASSWORD)
    staff = []
    for employee_no, role in (("bench-trainer", Role.TRAINER), ("bench-super", Role.SUPERVISOR)):
        user = User(employee_no=employee_no, display_name=employee_no, role=role,
                    password_hash=password_hash, must_change_password=False, created_at=NOW,
                    updated_at=NOW)
        session.add(user)
        staff.append(user)
    session.flush()
    made = demo_cohort.load_finished_cohort(
        session, trainer=staff[0], supervisor=staff[1], password_hash=password_hash, now=NOW,
        people=demo_cohort.DEMO_TRAINEES[:generated])
    assert made is not None
    _copy_trainees(session, cohort_id=made.cohort.id, sources=[t.id for t in made.trainees],
                   count=trainees - generated, password_hash=password_hash)
    return made.cohort.id, "bench-super", PASSWORD


def _copy_trainees(session: Session, *, cohort_id: int, sources: list[int], count: int,
                   password_hash: str) -> None:
    """`count` new trainees of the cohort, each with a copy of one source trainee's rows."""
    from portal.auth.models import Role, User
    from portal.chat.models import ChatAttempt
    from portal.courses.models import ModuleProgress, StageCompletion
    from portal.exams.models import Attempt, Response
    from portal.observations.models import ObservationEntry

    def rows(table: sa.Table, column: str, ids: list[int]) -> list[dict[str, Any]]:
        return [dict(r._mapping) for r in session.execute(
            sa.select(table).where(table.c[column].in_(ids)))]

    tables = {m: m.__table__ for m in (ModuleProgress, StageCompletion, Attempt, Response,
                                       ChatAttempt, ObservationEntry)}
    source_rows = {
        "progress": rows(tables[ModuleProgress], "user_id", sources),
        "stages": rows(tables[StageCompletion], "user_id", sources),
        "attempts": rows(tables[Attempt], "user_id", sources),
        "chats": rows(tables[ChatAttempt], "user_id", sources),
        "entries": rows(tables[ObservationEntry], "trainee_id", sources),
    }
    responses = rows(tables[Response], "attempt_id", [a["id"] for a in source_rows["attempts"]])
    next_attempt = (session.scalar(sa.select(sa.func.max(Attempt.id))) or 0) + 1
    next_chat = (session.scalar(sa.select(sa.func.max(ChatAttempt.id))) or 0) + 1
    users = [{"employee_no": f"bench-{n:04d}", "display_name": f"压测新客服{n:04d}",
              "role": Role.TRAINEE, "password_hash": password_hash, "cohort_id": cohort_id,
              "must_change_password": False, "active": True, "created_at": NOW,
              "updated_at": NOW} for n in range(count)]
    session.execute(sa.insert(User), users)
    new_ids = list(session.scalars(sa.select(User.id).where(User.employee_no.like("bench-0%"))
                                   .order_by(User.employee_no)))
    copies: dict[str, list[dict[str, Any]]] = {k: [] for k in (*source_rows, "responses")}
    for n, user_id in enumerate(new_ids):
        source = sources[n % len(sources)]
        for key in ("progress", "stages", "entries"):
            owner = "trainee_id" if key == "entries" else "user_id"
            for row in source_rows[key]:
                if row[owner] == source:
                    copies[key].append({**_without_id(row), owner: user_id})
        for row in source_rows["attempts"]:
            if row["user_id"] == source:
                copies["attempts"].append({**row, "id": next_attempt, "user_id": user_id})
                copies["responses"].extend({**_without_id(r), "attempt_id": next_attempt}
                                           for r in responses if r["attempt_id"] == row["id"])
                next_attempt += 1
        for row in source_rows["chats"]:
            if row["user_id"] == source:
                copies["chats"].append({**row, "id": next_chat, "user_id": user_id})
                next_chat += 1
    for key, table in (("progress", ModuleProgress), ("stages", StageCompletion),
                       ("attempts", Attempt), ("responses", Response), ("chats", ChatAttempt),
                       ("entries", ObservationEntry)):
        if copies[key]:
            session.execute(sa.insert(tables[table]), copies[key])
    session.flush()


def _without_id(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "id"}


def read_rows(session: Session, cohort_id: int) -> int:
    """The baseline: every row the dashboard needs, one SELECT per table, fetched."""
    from portal.auth.models import User
    from portal.chat.models import ChatAttempt
    from portal.courses.models import ModuleProgress, StageCompletion
    from portal.exams.models import Attempt, QuestionVersion, Response
    from portal.observations.models import ObservationEntry

    users = sa.select(User.id).where(User.cohort_id == cohort_id).scalar_subquery()
    attempts = sa.select(Attempt.id).where(Attempt.user_id.in_(users)).scalar_subquery()
    queries = [
        sa.select(User.__table__).where(User.cohort_id == cohort_id),
        sa.select(ModuleProgress.__table__).where(ModuleProgress.user_id.in_(users)),
        sa.select(StageCompletion.__table__).where(StageCompletion.user_id.in_(users)),
        sa.select(Attempt.__table__).where(Attempt.user_id.in_(users)),
        sa.select(Response.__table__).where(Response.attempt_id.in_(attempts)),
        sa.select(QuestionVersion.__table__).where(QuestionVersion.id.in_(
            sa.select(Response.question_version_id).where(Response.attempt_id.in_(attempts)))),
        sa.select(ChatAttempt.__table__).where(ChatAttempt.user_id.in_(users)),
        sa.select(ObservationEntry.__table__).where(ObservationEntry.trainee_id.in_(users)),
    ]
    return sum(len(session.execute(q).all()) for q in queries)


def _median(function: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: Sequence[str]) -> int:
    from portal import create_app
    from portal.auth.models import User
    from portal.cohorts import services

    options = _options(argv)
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as folder:
        instance = new_instance(Path(folder))
        app = create_app({**APP_CONFIG, "WTF_CSRF_ENABLED": False,
                          "DATABASE_URL": instance.database_url,
                          "SECRET_KEY": instance.secret_key})
        maker = app.extensions["portal.sessionmaker"]
        try:
            started = time.perf_counter()
            with maker() as session:
                cohort_id, supervisor_no, password = build(
                    session, trainees=options.trainees, generated=options.generated)
                session.commit()
            built = time.perf_counter() - started

            def rows() -> None:
                with maker() as session:
                    read_rows(session, cohort_id)

            def service() -> None:
                with maker() as session:
                    actor = session.scalars(sa.select(User).where(
                        User.employee_no == supervisor_no)).one()
                    services.cohort_dashboard(session, actor=actor, cohort_id=cohort_id,
                                              now=NOW, tz=TZ)
                    session.rollback()

            client = app.test_client()
            signed_in = client.post("/login", data={"employee_no": supervisor_no,
                                                    "password": password})
            if signed_in.status_code != 303:
                print(f"could not sign in: HTTP {signed_in.status_code}", file=sys.stderr)
                return 1
            failures: list[str] = []

            def get(path: str) -> Callable[[], None]:
                def fetch() -> None:
                    response = client.get(path)
                    if response.status_code != 200:
                        failures.append(f"{path}: HTTP {response.status_code}")
                return fetch

            with maker() as session:
                count = read_rows(session, cohort_id)
            rows()  # warm the caches once, for every measurement alike
            service()
            get(f"/cohorts/{cohort_id}/dashboard")()
            timings = {
                "rows": _median(rows, options.rounds),
                "service": _median(service, options.rounds),
                "page": _median(get(f"/cohorts/{cohort_id}/dashboard"), options.rounds),
                "export": _median(get(f"/cohorts/{cohort_id}/export.xlsx"), options.rounds),
            }
        finally:
            app.extensions["portal.engine"].dispose()
    print(f"dashboard benchmark — {machine()}")
    print(f"cohort of {options.trainees} ({options.generated} through the services, the rest "
          f"copied), {count} rows read by the baseline; built in {built:.1f} s; "
          f"median of {options.rounds} rounds")
    print(f"{'measure':<10} {'seconds':>10} {'÷ rows':>10}")
    for name, seconds in timings.items():
        print(f"{name:<10} {fmt(seconds, '.4f'):>10} {fmt(seconds / timings['rows'], '.1f'):>10}")
    for failure in failures:
        print(f"error: {failure}", file=sys.stderr)
    return 1 if failures else 0
