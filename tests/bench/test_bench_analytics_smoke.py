"""The analytics benchmark runs end to end on a small exam and returns numbers (no timing
thresholds): every attempt and question counted, every timing positive."""
from __future__ import annotations

from pathlib import Path

from bench import analytics


def test_a_small_run_counts_everything_and_measures_each_part(tmp_path: Path) -> None:
    report = analytics.run(attempts=12, questions=4, rounds=1, folder=tmp_path)
    assert (report.counted, report.items) == (12, 4)
    assert min(report.read_seconds, report.report_seconds, report.stats_seconds) > 0


def test_the_command_prints_the_ratios(capsys) -> None:  # type: ignore[no-untyped-def]
    assert analytics.main(["--attempts", "6", "--questions", "3", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert "exam_report (reads + statistics)" in out
    assert "check: 6 attempts and 3 questions counted" in out
