"""`flask --app portal observations check | import [--dry-run]`: the observation form files."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

observations_cli = AppGroup("observations", help="Observation forms: check and import.")

ROOT_HELP = "The forms folder (default: question_banks/observations/)."


def _load_valid(path: str | None):  # type: ignore[no-untyped-def]
    """The forms, or every problem (file:line: message) on stderr and exit 1."""
    from portal.config import PROJECT_ROOT
    from portal.observations.files import load_folder

    content = load_folder(Path(path) if path else PROJECT_ROOT / "question_banks" / "observations")
    for problem in content.problems:
        click.echo(str(problem), err=True)
    if content.problems:
        click.echo(f"{len(content.problems)} problem(s); nothing was imported", err=True)
        sys.exit(1)
    return content


@observations_cli.command("check")
@click.option("--root", default=None, help=ROOT_HELP)
def observations_check(root: str | None) -> None:
    """Validate every form file; report each problem with file and line."""
    content = _load_valid(root)
    items = sum(len(f.items) for f in content.forms)
    click.echo(f"observation forms ok: {len(content.forms)} form(s), {items} item(s)")


@observations_cli.command("import")
@click.option("--root", default=None, help=ROOT_HELP)
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
def observations_import(root: str | None, dry_run: bool) -> None:
    """Import the forms as new versions where they changed (all or nothing)."""
    from portal.cli import cli_session
    from portal.db import utcnow
    from portal.observations import services

    content = _load_valid(root)
    with cli_session() as session:
        if dry_run:
            plan = services.plan_import(session, forms=content.forms)
            session.rollback()
        else:
            plan = services.apply_import(session, forms=content.forms, actor_id=None, now=utcnow())
    click.echo(f"new: {len(plan.new)}, changed: {len(plan.changed)}, "
               f"unchanged: {len(plan.unchanged)}" + (" (dry run: nothing written)" if dry_run else ""))
    for label, keys in (("new", plan.new), ("changed", plan.changed)):
        for key in keys:
            click.echo(f"  {label}: {key}")
