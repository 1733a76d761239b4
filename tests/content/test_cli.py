"""`flask --app portal content check | import | export`."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from portal.config import PROJECT_ROOT


def test_check_passes_on_the_shipped_content(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["content", "check"])
    assert result.exit_code == 0, result.output
    assert "2 track(s), 24 module(s)" in result.output


def test_check_reports_file_and_line_and_import_refuses(app: Flask, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "courses"
    shutil.copytree(PROJECT_ROOT / "courses", copy)
    track = copy / "double11" / "track.yaml"
    track.write_text(track.read_text(encoding="utf-8").replace("campaign-mechanics,", "ghost,", 1),
                     encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["content", "check", "--path", str(copy)])
    assert result.exit_code != 0
    assert "courses/double11/track.yaml:" in result.output and "ghost" in result.output
    result = runner.invoke(args=["content", "import", "--path", str(copy)])
    assert result.exit_code != 0 and "nothing was imported" in result.output


def test_import_then_export_round_trips(app: Flask, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    assert "26 new" in runner.invoke(args=["content", "import"]).output
    assert "0 new, 0 changed, 26 unchanged" in runner.invoke(args=["content", "import"]).output
    out = tmp_path / "exported"
    result = runner.invoke(args=["content", "export", str(out)])
    assert result.exit_code == 0 and "wrote 26 file(s)" in result.output
    result = runner.invoke(args=["content", "check", "--path", str(out)])
    assert result.exit_code == 0, result.output
    original = (PROJECT_ROOT / "courses" / "new-hire" / "track.yaml").read_text(encoding="utf-8")
    assert (out / "new-hire" / "track.yaml").read_text(encoding="utf-8") == original
