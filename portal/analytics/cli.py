"""`flask --app portal analytics ...`: item analysis of a CSV response matrix, without the
database (so that the statistics can be checked on their own)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

analytics_cli = AppGroup("analytics", help="Item analysis: exam and item statistics.")

DIGITS = 6


def _number(value: float | None) -> float | None:
    return None if value is None else round(value, DIGITS) + 0.0  # + 0.0: no "-0.0"


@analytics_cli.command("items")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def analytics_items(file: str) -> None:
    """Print the item analysis of the response matrix in FILE (CSV: question ids, maximum
    points, then one attempt a line; docs/analytics.md) as JSON:
    {"exam": {"n", "mean", "sd", "alpha", "sem"},
     "items": {id: {"n", "facility", "discrimination"}}}."""
    from portal.analytics.files import read_matrix
    from portal.analytics.stats import exam_statistics, item_statistics

    matrix, problems = read_matrix(Path(file).read_bytes(), file)
    for problem in problems:
        click.echo(str(problem), err=True)
    if matrix is None:
        click.echo(f"{len(problems)} problem(s); nothing was computed", err=True)
        sys.exit(1)
    exam = exam_statistics(matrix)
    output = {
        "exam": {"n": exam.n, "mean": _number(exam.points.mean), "sd": _number(exam.points.sd),
                 "alpha": _number(exam.alpha), "sem": _number(exam.sem)},
        "items": {item.item_id: {"n": item.n, "facility": _number(item.facility),
                                 "discrimination": _number(item.corrected_r)}
                  for item in item_statistics(matrix)},
    }
    click.echo(json.dumps(output, ensure_ascii=False))
