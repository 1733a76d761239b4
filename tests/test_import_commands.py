"""`flask chat import` and `flask exams import` print their plans the same way (portal.cli)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from portal.chat.models import ChatScenarioVersion


def _scenario_versions(session: Session) -> int:
    session.rollback()  # see what the command committed
    return session.scalar(sa.select(sa.func.count()).select_from(ChatScenarioVersion)) or 0


def test_a_dry_run_lists_the_new_and_writes_nothing_then_the_import_is_idempotent(
        app: Flask, session: Session) -> None:
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["chat", "import", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    summary = dry.output.splitlines()[0]
    assert summary.startswith("new: ") and ", changed: 0, unchanged: 0" in summary
    new = int(summary.split(",")[0].removeprefix("new: "))
    assert new > 0 and sum(line.startswith("  new: ") for line in dry.output.splitlines()) == new
    assert _scenario_versions(session) == 0
    assert runner.invoke(args=["chat", "import"]).exit_code == 0
    again = runner.invoke(args=["chat", "import"])
    assert again.output.splitlines()[0] == f"new: 0, changed: 0, unchanged: {new}"
    assert _scenario_versions(session) > 0


def test_the_exams_import_counts_removals_and_lists_only_changes(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["exams", "import", "--dry-run"])
    assert first.exit_code == 0, first.output
    lines = [line for line in first.output.splitlines() if line.startswith("new: ")]
    assert lines and lines[0].endswith(", changed: 0, unchanged: 0, removed: 0")
    assert not any(line.startswith("  new: ") for line in first.output.splitlines())
