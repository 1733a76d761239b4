"""`flask probation check`: the shipped policy passes; a broken one names its line and exits 1."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from tests.probation import probation_fixtures as fx


def test_check_passes_the_shipped_policy(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["probation", "check"])
    assert result.exit_code == 0, result.output
    assert "probation policy ok: 30 days, 3 form standard(s)" in result.output


def test_check_names_the_line_of_a_problem(app: Flask, tmp_path: Path) -> None:
    text, line, fragment = fx.BROKEN[0]
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["probation", "check", "--file", str(path)])
    assert result.exit_code == 1
    assert f"policy.yaml:{line}: " in result.output and fragment in result.output
