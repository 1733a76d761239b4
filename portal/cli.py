"""`flask --app portal ...` commands: database, users, demo data, configuration."""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol, TypeVar

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from portal import migrate
from portal.auth.models import Role
from portal.db import utcnow, write_intent
from portal.errors import DomainError


@contextmanager
def cli_session() -> Iterator[Session]:
    """A session for one command: committed if the command succeeds."""
    token = write_intent.set(True)  # commands write: take SQLite's write lock up front
    session: Session = current_app.extensions["portal.sessionmaker"]()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
        write_intent.reset(token)


db_cli = AppGroup("db", help="Database migrations (Alembic).")
users_cli = AppGroup("users", help="User accounts.")
demo_cli = AppGroup("demo", help="Demo accounts and cohort for local use.")
config_cli = AppGroup("config", help="Configuration.")


def _alembic_cfg():  # type: ignore[no-untyped-def]
    return migrate.alembic_config(current_app.config["DATABASE_URL"],
                                  current_app.config["MIGRATIONS_DIR"])


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Upgrade the database to REVISION (default: head)."""
    from alembic import command

    command.upgrade(_alembic_cfg(), revision)


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Downgrade the database to REVISION (e.g. -1 or base)."""
    from alembic import command

    command.downgrade(_alembic_cfg(), revision)


@db_cli.command("current")
def db_current() -> None:
    """Show the database's current revision."""
    from alembic import command

    command.current(_alembic_cfg(), verbose=True)


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate", is_flag=True)
def db_revision(message: str, autogenerate: bool) -> None:
    """Create a new migration file (review it by hand)."""
    from alembic import command

    command.revision(_alembic_cfg(), message=message, autogenerate=autogenerate)


@users_cli.command("create")
@click.option("--employee-no", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--cohort-id", type=int, default=None)
@click.option("--hire-date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
@click.password_option(help="Initial password (prompted if omitted).")
@click.option("--keep-password", is_flag=True,
              help="Do not require a password change at first log-in.")
def users_create(employee_no: str, display_name: str, role: str, cohort_id: int | None,
                 hire_date, password: str, keep_password: bool) -> None:  # type: ignore[no-untyped-def]
    """Create a user account."""
    from portal.auth import services

    try:
        with cli_session() as session:
            user = services.create_user(
                session, actor_id=None, employee_no=employee_no, display_name=display_name,
                role=Role(role), password=password, cohort_id=cohort_id,
                hire_date=hire_date.date() if hire_date else None,
                must_change_password=not keep_password, now=utcnow())
            click.echo(f"created {user.role.value} {user.employee_no} (id {user.id})")
    except DomainError as exc:
        raise click.ClickException(str(exc.message)) from exc


@demo_cli.command("load")
def demo_load() -> None:
    """Create the demo accounts and cohort (idempotent)."""
    from portal.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, load_demo_data
    from portal.demo_cohort import missing_content

    with cli_session() as session:
        created = load_demo_data(session, now=utcnow())
        missing = missing_content(session)
    click.echo("demo data: " + (", ".join(created) if created else "already loaded"))
    if missing:
        click.echo(f"the finished demo cohort needs {', '.join(missing)}; then run this again")
    click.echo(f"demo log-ins (password for all: {DEMO_PASSWORD}):")
    for account in DEMO_ACCOUNTS:
        click.echo(f"  {account.employee_no:<18} {account.role.value}")


@config_cli.command("check")
def config_check() -> None:
    """Check the configuration and the database connection."""
    import sqlalchemy as sa

    from portal.auth.throttle import DatabaseStorage
    from portal.config import describe_throttle_storage, problems

    cfg = current_app.config
    url = sa.make_url(cfg["DATABASE_URL"])
    engine = current_app.extensions["portal.engine"]
    click.echo(f"database:      {url.render_as_string(hide_password=True)}")
    click.echo(f"rate limits:   {describe_throttle_storage(cfg['RATELIMIT_STORAGE_URI'])}")
    click.echo(f"locale:        {cfg['BABEL_DEFAULT_LOCALE']}")
    found = problems(dict(cfg))
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except (sa.exc.SQLAlchemyError, OSError, ImportError) as exc:  # report, don't crash
        found.append(f"cannot connect to the database: {exc.__class__.__name__}: {exc}")
    else:
        if (cfg["RATELIMIT_STORAGE_URI"].startswith("portal-db://")
                and not DatabaseStorage(engine=engine).check()):
            found.append("the log-in counters' table (rate_limit_counter) is missing: run "
                         "`flask --app portal db upgrade`")
    for problem in found:
        click.echo(f"problem: {problem}", err=True)
    if found:
        sys.exit(1)
    click.echo("configuration ok")




content_cli = AppGroup("content", help="Course content: check, import, export.")


def _load_valid_content(path: str | None):  # type: ignore[no-untyped-def]
    """Load the content folder; print every problem (file:line: message) and stop if any."""
    from portal.content.loader import load_content

    content = load_content(_content_root(path), known_exams=_exam_keys_on_disk(),
                           known_chat_exams=_drill_keys_on_disk())
    for problem in content.problems:
        click.echo(str(problem), err=True)
    if content.problems:
        raise click.ClickException(f"{len(content.problems)} problem(s); nothing was imported")
    return content


def _exam_keys_on_disk() -> set[str] | None:
    """The exam keys defined in question_banks/exams/ (None when there is no such folder)."""
    from portal.config import PROJECT_ROOT
    from portal.exams.bank import decode_utf8, parse_yaml
    from portal.exams.definitions import MAX_EXAM_BYTES

    folder = PROJECT_ROOT / "question_banks" / "exams"
    if not folder.is_dir():
        return None
    keys = set()
    for path in folder.glob("*.yaml"):
        # The exam files' own safe reader (no alias bombs); `flask exams check` reports
        # what is wrong with a broken file.
        problems: list = []
        text = decode_utf8(path.read_bytes(), path.name, problems, limit=MAX_EXAM_BYTES)
        data = parse_yaml(text, path.name, problems) if text is not None else None
        if isinstance(data, dict) and isinstance(data.get("key"), str):
            keys.add(data["key"])
    return keys


def _drill_keys_on_disk() -> set[str] | None:
    """The drill keys defined in question_banks/chats/drills/ (None when there is no such
    folder); `flask chat check` reports what is wrong with a broken file."""
    from portal.chat.files import load_folder
    from portal.config import PROJECT_ROOT

    folder = PROJECT_ROOT / "question_banks" / "chats"
    if not (folder / "drills").is_dir():
        return None
    return {drill.key for drill in load_folder(folder).drills}


def _content_root(path: str | None) -> Path:
    from portal.config import PROJECT_ROOT

    return Path(path) if path else PROJECT_ROOT / "courses"


@content_cli.command("check")
@click.option("--path", default=None, help="Folder of track folders (default: courses/).")
def content_check(path: str | None) -> None:
    """Validate every track and module file; report each problem with file and line."""
    content = _load_valid_content(path)
    modules = sum(len(t.modules) for t in content.tracks)
    click.echo(f"content ok: {len(content.tracks)} track(s), {modules} module(s)")


@content_cli.command("import")
@click.option("--path", default=None, help="Folder of track folders (default: courses/).")
def content_import(path: str | None) -> None:
    """Import changed tracks and modules as new versions (all or nothing)."""
    from portal.courses.services import import_content

    content = _load_valid_content(path)
    with cli_session() as session:
        report = import_content(session, content=content, actor_id=None, now=utcnow())
    click.echo(f"imported: {len(report.new)} new, {len(report.changed)} changed, "
               f"{len(report.unchanged)} unchanged")


@content_cli.command("export")
@click.argument("folder")
def content_export(folder: str) -> None:
    """Write the database's current versions back to files under FOLDER."""
    from pathlib import Path

    from portal.courses.services import export_content

    with cli_session() as session:
        written = export_content(session, folder=Path(folder))
    click.echo(f"wrote {len(written)} file(s) to {folder}")


exams_cli = AppGroup("exams", help="Question banks and exams: check, import, sweep.")


def _load_exam_content(path: str | None, recognise=None):  # type: ignore[no-untyped-def]
    """Load question_banks/; print every problem (file:line: message) and stop if any.
    `recognise`: see `portal.exams.files.load_folder`."""
    from portal.config import PROJECT_ROOT
    from portal.exams.files import load_folder

    content = load_folder(Path(path) if path else PROJECT_ROOT / "question_banks",
                          recognise=recognise)
    for problem in content.problems:
        click.echo(str(problem), err=True)
    if content.problems:
        raise click.ClickException(f"{len(content.problems)} problem(s); nothing was imported")
    return content


class PlanLike(Protocol):
    """What the import commands print of a plan (exams', chat's, observations' ImportPlan)."""

    new: list[str]
    changed: list[str]
    unchanged: list[str]


def echo_plan(plan: PlanLike, *, listed: tuple[str, ...] = ("new", "changed", "removed"),
              suffix: str = "") -> None:
    """An import plan as every `flask … import` prints it: the counts, then one line per item
    of the `listed` changes, then its problems on stderr (a plan without a field has none)."""
    counts = [("new", plan.new), ("changed", plan.changed), ("unchanged", plan.unchanged)]
    removed: list[str] | None = getattr(plan, "removed", None)
    if removed is not None:
        counts.append(("removed", removed))
    click.echo(", ".join(f"{label}: {len(items)}" for label, items in counts) + suffix)
    for label, items in counts:
        if label in listed:
            for item in items:
                click.echo(f"  {label}: {item}")
    for problem in getattr(plan, "problems", []):
        click.echo(f"problem: {problem}", err=True)


P = TypeVar("P", bound=PlanLike)


def run_import(session: Session, *, plan: Callable[[], P], apply: Callable[[], P],
               dry_run: bool, listed: tuple[str, ...] = ("new", "changed", "removed")) -> P:
    """Plan (a dry run, rolled back) or apply an import, and print what it does or would do;
    when applying is refused, print the plan that explains why and fail with the reason."""
    if dry_run:
        result = plan()
        session.rollback()
    else:
        try:
            result = apply()
        except DomainError as exc:
            echo_plan(plan(), listed=listed)
            raise click.ClickException(str(exc.message)) from exc
    echo_plan(result, listed=listed)
    return result


def _echo_lint(content, verbose: bool, pool=None) -> None:  # type: ignore[no-untyped-def]
    """The item-writing lint's warnings (file:line, why); acknowledged ones only counted
    unless verbose. Warnings never stop a check or an import. `pool`: what the exams draw
    from, when not only the banks read (see `exams_import`)."""
    from portal.exams.lint import lint_content

    report = lint_content(content.banks, content.exams, pool)
    for warning in report.open + (report.acknowledged if verbose else []):
        click.echo(warning.describe())
    click.echo(f"lint: {len(report.open)} warning(s), {len(report.acknowledged)} acknowledged")


@exams_cli.command("check")
@click.option("--path", default=None, help="The question_banks folder (default: question_banks/).")
@click.option("--verbose", is_flag=True, help="Also list the acknowledged lint warnings.")
def exams_check(path: str | None, verbose: bool) -> None:
    """Validate every bank and exam file; report each problem with file and line."""
    from portal.exams import services

    content = _load_exam_content(path)
    pool = services.pool_of(content.banks)
    shortfalls = [p for exam in content.exams for p in services.blueprint_problems(exam, pool)]
    for problem in shortfalls:
        click.echo(problem, err=True)
    if shortfalls:
        raise click.ClickException(f"{len(shortfalls)} problem(s)")
    questions = sum(len(b.questions) for b in content.banks)
    click.echo(f"exams ok: {len(content.banks)} bank(s), {questions} question(s), "
               f"{len(content.exams)} exam(s)")
    _echo_lint(content, verbose)


@exams_cli.command("import")
@click.option("--path", default=None, help="The question_banks folder (default: question_banks/).")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--verbose", is_flag=True, help="Also list the acknowledged lint warnings.")
def exams_import(path: str | None, dry_run: bool, verbose: bool) -> None:
    """Import banks and exams as new versions where they changed (all or nothing)."""
    from portal.exams import services

    with cli_session() as session:
        known: list[services.KnownBankFile] = []

        def recognise(files: list[tuple[str, bytes]]) -> dict[str, str]:
            known.extend(services.known_bank_files(session, files))
            return {file.path: file.key for file in known}

        content = _load_exam_content(path, recognise)
        pool = None
        if known:
            click.echo(f"{len(known)} bank file(s) byte for byte as last imported: not read "
                       f"again, unchanged (`flask exams check` reads and lints every file)")
            # The exams draw from the stored questions of the banks not read, as the import's
            # plan has them.
            read = {bank.key for bank in content.banks}
            pool = [c for ref, c in services.question_pool(session).items()
                    if ref.split("/", 1)[0] not in read] + services.pool_of(content.banks)
        _echo_lint(content, verbose, pool)
        plan = run_import(
            session, dry_run=dry_run, listed=("changed", "removed"),
            plan=lambda: services.plan_import(session, banks=content.banks, exams=content.exams,
                                              known=known),
            apply=lambda: services.apply_import(session, banks=content.banks,
                                                exams=content.exams, actor_id=None, now=utcnow(),
                                                known=known))
    if plan.problems:
        raise click.ClickException(f"{len(plan.problems)} problem(s)")


@exams_cli.command("sweep")
def exams_sweep() -> None:
    """Submit every attempt whose time is up, from its saved answers (run it from cron)."""
    from portal.exams.services import sweep_expired

    with cli_session() as session:
        count = sweep_expired(session, now=utcnow())
    click.echo(f"submitted {count} expired attempt(s)")


def register(app: Flask) -> None:
    from portal.analytics.cli import analytics_cli
    from portal.chat.cli import chat_cli
    from portal.observations.cli import observations_cli
    from portal.placement.cli import placement_cli
    from portal.probation.cli import probation_cli

    for group in (db_cli, users_cli, demo_cli, config_cli, content_cli, exams_cli, chat_cli,
                  observations_cli, placement_cli, probation_cli, analytics_cli):
        app.cli.add_command(group)


__all__ = ["cli_session", "register"]
