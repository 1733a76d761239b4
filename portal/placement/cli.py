"""`flask --app portal placement ...`: solve a cohort file and work out a staffing plan,
without the database (so that the solver can be checked on its own)."""
from __future__ import annotations

import json
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click
from flask.cli import AppGroup

placement_cli = AppGroup("placement", help="Role placement: solve a cohort file, staffing plans.")


@placement_cli.command("solve")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def placement_solve(file: str) -> None:
    """Print the optimal assignment of the cohort in FILE (YAML, or JSON when it ends in .json):
    {"assignment": {trainee: role}, "total_fit": …, "unmet_preferences": [...]}."""
    from portal.placement.errors import PlacementError
    from portal.placement.files import read_cohort
    from portal.placement.solver import solve

    cohort, problems = read_cohort(Path(file).read_bytes(), file)
    for problem in problems:
        click.echo(str(problem), err=True)
    if cohort is None:
        click.echo(f"{len(problems)} problem(s); nothing was placed", err=True)
        sys.exit(1)
    try:
        placement = solve(cohort)
    except PlacementError as exc:
        click.echo(f"{file}: cannot place the cohort: {exc.message}", err=True)
        sys.exit(2)
    click.echo(json.dumps(placement.as_output(), ensure_ascii=False))


def _number(text: str, option: str) -> Decimal:
    """A number from the command line; "40%" is 0.4."""
    raw = text.strip()
    percent = raw.endswith("%")
    try:
        value = Decimal(raw.removesuffix("%").strip())
    except InvalidOperation:
        raise click.BadParameter(f"not a number: {text!r}", param_hint=option) from None
    if not value.is_finite():
        raise click.BadParameter(f"not a number: {text!r}", param_hint=option)
    return value / 100 if percent else value


@placement_cli.command("staffing")
@click.option("--sales", required=True, help="店铺销售额 (the day's expected sales).")
@click.option("--cs-share", required=True, help="客服销售占比, e.g. 0.4 or 40%.")
@click.option("--aov", required=True, help="客服客单价 (CS average order value).")
@click.option("--conversion", required=True, help="询单转化率, e.g. 0.5 or 50%.")
@click.option("--per-agent", required=True, help="客服饱和接待量 (receptions one agent handles).")
def placement_staffing(sales: str, cs_share: str, aov: str, conversion: str,
                       per_agent: str) -> None:
    """Work out the pre-sales agents a promotion day needs (the Double-11 formula), step by step."""
    from portal.placement.errors import InvalidStaffing
    from portal.placement.rules import agents_line, staffing_plan, step_line

    try:
        plan = staffing_plan(sales=_number(sales, "--sales"),
                             cs_share=_number(cs_share, "--cs-share"),
                             average_order_value=_number(aov, "--aov"),
                             conversion_rate=_number(conversion, "--conversion"),
                             receptions_per_agent=_number(per_agent, "--per-agent"))
    except InvalidStaffing as exc:
        raise click.ClickException(str(exc.message)) from exc
    for step in plan.steps:
        click.echo(str(step_line(step)))
    click.echo(str(agents_line(plan)))
