"""`flask --app portal probation check [--file FILE]`: the probation policy file."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

probation_cli = AppGroup("probation", help="Probation (转正): check the policy file.")


@probation_cli.command("check")
@click.option("--file", "path", default=None,
              help="The policy file (default: question_banks/probation/policy.yaml).")
def probation_check(path: str | None) -> None:
    """Validate the policy file; report each problem with file and line."""
    from portal.probation.files import POLICY_PATH, read_policy

    found = read_policy(Path(path) if path else POLICY_PATH)
    for problem in found.problems:
        click.echo(str(problem), err=True)
    if found.policy is None:
        click.echo(f"{len(found.problems)} problem(s) in the probation policy", err=True)
        sys.exit(1)
    policy = found.policy
    click.echo(f"probation policy ok: {policy.probation_days} days, "
               f"{len(policy.standards)} form standard(s), "
               f"{'the track stages and ' if policy.track_assessments else ''}"
               f"{len(policy.assessments)} named assessment(s)")
