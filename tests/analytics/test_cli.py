"""`flask analytics items FILE.csv` through Flask's CLI runner: the exact JSON, and the
problems of a bad file on stderr with exit status 1."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from flask import Flask


@pytest.fixture
def cli(app: Flask):  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["analytics", *args])


def test_items_prints_the_exam_and_item_figures_as_json(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # The five-by-three example (tests/analytics/test_stats.py works it out): totals 3,2,2,1,0,
    # mean 1.6, sd sqrt(1.3); alpha 6/13, SEM sqrt(0.7); corrected r 1/sqrt(2.4), 0 and
    # 0.6/sqrt(3.36). Rounded to 6 decimals.
    path = tmp_path / "scores.csv"
    path.write_text("Q1,Q2,题3\n1,1,1\n1,1,1\n1,1,0\n1,0,1\n0,1,0\n0,0,0\n", encoding="utf-8")
    result = cli("items", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == json.dumps({
        "exam": {"n": 5, "mean": 1.6, "sd": round(math.sqrt(1.3), 6),
                 "alpha": round(6 / 13, 6), "sem": round(math.sqrt(0.7), 6)},
        "items": {"Q1": {"n": 5, "facility": 0.6, "discrimination": round(1 / math.sqrt(2.4), 6)},
                  "Q2": {"n": 5, "facility": 0.6, "discrimination": 0.0},
                  "题3": {"n": 5, "facility": 0.4,
                         "discrimination": round(0.6 / math.sqrt(3.36), 6)}},
    }, ensure_ascii=False)
    output = json.loads(result.stdout)
    assert output["exam"] == {"n": 5, "mean": 1.6, "sd": 1.140175, "alpha": 0.461538,
                              "sem": 0.83666}
    assert list(output["items"]["Q1"]) == ["n", "facility", "discrimination"]


def test_undefined_figures_are_null(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # One attempt: no sd, no alpha, no SEM, no correlation; its facilities are defined.
    path = tmp_path / "one.csv"
    path.write_text("A,B\n2,4\n1,\n", encoding="utf-8")
    result = cli("items", str(path))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "exam": {"n": 1, "mean": 1.0, "sd": None, "alpha": None, "sem": None},
        "items": {"A": {"n": 1, "facility": 0.5, "discrimination": None},
                  "B": {"n": 0, "facility": None, "discrimination": None}}}


def test_a_bad_file_prints_its_problems_on_stderr_and_computes_nothing(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.csv"
    path.write_text("Q1,Q2\n1,1\n1,3\nx,1\n", encoding="utf-8")
    result = cli("items", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{path}:3: 第 2 列（Q2）的得分 3 超过了该题满分 1",
        f"{path}:4: 第 1 列（Q1）的得分“x”不是数字（未抽到的题请留空）",
        "2 problem(s); nothing was computed",
    ]
