"""The dashboard benchmark runs end to end on a small cohort and prints its figures (no
timing thresholds)."""
from __future__ import annotations

import re

import pytest

from bench.__main__ import main as bench_main


def test_the_dashboard_benchmark_prints_each_measure_against_the_rows(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_main(["dashboard", "--trainees", "5", "--generated", "2", "--rounds", "1"]) == 0
    out = capsys.readouterr().out
    assert "cohort of 5 (2 through the services, the rest copied)" in out
    for name in ("rows", "service", "page", "export"):
        line = re.search(rf"^{name}\s+([0-9.]+)\s+([0-9.]+)$", out, flags=re.MULTILINE)
        assert line is not None, out
        assert float(line.group(1)) > 0 and float(line.group(2)) > 0
    assert re.search(r"^rows\s+[0-9.]+\s+1\.0$", out, flags=re.MULTILINE)


def test_the_benchmark_refuses_options_it_cannot_honour() -> None:
    with pytest.raises(SystemExit):
        bench_main(["dashboard", "--trainees", "3", "--generated", "5"])
