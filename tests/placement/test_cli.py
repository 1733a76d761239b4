"""`flask placement solve FILE` and `flask placement staffing` through Flask's CLI runner."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask

from tests.placement.placement_fixtures import EXAMPLE_YAML


@pytest.fixture
def cli(app: Flask):  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["placement", *args])


def test_solve_prints_the_optimal_assignment(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "cohort.yaml"
    path.write_text(EXAMPLE_YAML, encoding="utf-8")
    result = cli("solve", str(path))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "assignment": {"T01": "pre-sales", "T02": "after-sales", "T03": "after-sales",
                       "T04": "pre-sales", "T05": "pre-sales"},
        "total_fit": 87.5 + 90 + 66 + 88 + 75, "unmet_preferences": ["T02", "T04"]}


def test_solve_reads_json_indented_with_tabs(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "cohort.json"
    path.write_text('{\n\t"capacities": {"pre-sales": 1, "after-sales": 1},\n'
                    '\t"preference_bonus": 1e1,\n\t"trainees": [\n'
                    '\t\t{"id": "A", "preference": "after-sales", "fit": {"pre-sales": 80, "after-sales": 75}},\n'
                    '\t\t{"id": "B", "fit": {"pre-sales": 60}}\n\t]\n}\n', encoding="utf-8")
    result = cli("solve", str(path))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"assignment": {"A": "after-sales", "B": "pre-sales"},
                                         "total_fit": 145.0, "unmet_preferences": []}


def test_a_bad_file_is_reported_by_line_and_nothing_is_placed(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "cohort.yaml"
    path.write_text(EXAMPLE_YAML.replace("{id: T03, preference: after-sales",
                                         "{id: T03, preference: supervisor")
                    .replace("after-sales: 60}", "after-sales: lots}"), encoding="utf-8")
    result = cli("solve", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert f"{path}:6: 新客服不会被安排为客服主管（主管由内部选举产生），请去掉“supervisor”" in result.output
    assert f"{path}:7: 新客服 T04 在售后的适配分应为 0 到 10000 之间的数字" in result.output
    assert "2 problem(s); nothing was placed" in result.output


def test_a_yaml_syntax_error_names_its_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "cohort.yaml"
    path.write_text(EXAMPLE_YAML.replace("{id: T02,", "{id: T02"), encoding="utf-8")
    result = cli("solve", str(path))
    assert result.exit_code == 1
    assert f"{path}:5: YAML 格式错误" in result.output


def test_a_cohort_the_capacities_cannot_hold_exits_non_zero(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "cohort.yaml"
    path.write_text(EXAMPLE_YAML.replace("{pre-sales: 3, after-sales: 2}",
                                         "{pre-sales: 2, after-sales: 2}"), encoding="utf-8")
    result = cli("solve", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "新客服共 5 人，但各岗位合计最多只能安排 4 人" in result.output


def test_staffing_prints_each_step(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("staffing", "--sales", "2000000", "--cs-share", "40%", "--aov", "200",
                 "--conversion", "0.5", "--per-agent", "300")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "客服销售额 = 店铺销售额 2000000 × 客服销售占比 40% = 800000"
    assert lines[-1] == "售前客服人数（向上取整）：27 人"


def test_staffing_refuses_a_zero_divisor(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("staffing", "--sales", "2000000", "--cs-share", "40%", "--aov", "200",
                 "--conversion", "0.5", "--per-agent", "0")
    assert result.exit_code == 1
    assert "客服饱和接待量必须大于 0（填写的是 0）" in result.output
    result = cli("staffing", "--sales", "很多", "--cs-share", "40%", "--aov", "200",
                 "--conversion", "0.5", "--per-agent", "300")
    assert result.exit_code == 2 and "--sales" in result.output
