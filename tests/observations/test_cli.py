"""`flask observations check | import [--dry-run]`: problems by file and line, versions kept."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from portal.observations.models import ObservationForm, ObservationFormVersion
from tests.observations import observation_fixtures as fx


def _versions(session: Session) -> int:
    session.rollback()  # see what the command committed
    return session.scalar(sa.select(sa.func.count()).select_from(ObservationFormVersion)) or 0


def test_check_and_import_the_shipped_forms(app: Flask, session: Session) -> None:
    runner = app.test_cli_runner()
    check = runner.invoke(args=["observations", "check"])
    assert check.exit_code == 0 and "3 form(s), 34 item(s)" in check.output
    dry = runner.invoke(args=["observations", "import", "--dry-run"])
    assert dry.exit_code == 0 and "new: 3" in dry.output and _versions(session) == 0
    assert runner.invoke(args=["observations", "import"]).exit_code == 0
    again = runner.invoke(args=["observations", "import"])
    assert "unchanged: 3" in again.output and _versions(session) == 3
    assert sorted(session.scalars(sa.select(ObservationForm.key))) == ["attitude", "service",
                                                                       "skills"]


def test_a_broken_folder_is_reported_by_file_and_line_and_imports_nothing(
        app: Flask, session: Session, tmp_path: Path) -> None:
    folder = tmp_path / "observations"
    folder.mkdir()
    (folder / "good.yaml").write_text(fx.GOOD, encoding="utf-8")
    (folder / "bad.yaml").write_text(fx.BROKEN[2][0].replace("mini", "bad"), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["observations", "import", "--root", str(folder)])
    assert result.exit_code == 1
    assert "observations/bad.yaml:15: 观察项中有未知字段 weight" in result.output
    assert _versions(session) == 0
