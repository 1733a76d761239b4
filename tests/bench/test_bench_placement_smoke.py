"""The placement benchmark runs end to end on a small cohort and returns numbers (no timing
thresholds): every trainee placed within capacity, both timings positive."""
from __future__ import annotations

from pathlib import Path

from bench import placement


def test_a_small_run_places_everyone_and_measures_both_sides(tmp_path: Path) -> None:
    report = placement.run(trainees=12, rounds=1, folder=tmp_path)
    assert report.rows == 12 and not report.overrun
    assert report.propose_seconds > 0 and report.read_seconds > 0 and report.solver_seconds > 0
    assert report.ratio > 0


def test_the_command_prints_the_ratio(capsys) -> None:  # type: ignore[no-untyped-def]
    assert placement.main(["--trainees", "6", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert "ratio propose / read" in out and "6 rows, within capacity -> ok" in out
