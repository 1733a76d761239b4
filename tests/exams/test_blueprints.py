"""Exam blueprints in files: picks by kind, `require` read with its lines, proved at check
and import time by counting the pools (refused with file, line and shortfall), and the
coverage warning when instructions promise what the draws may leave out."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from portal.exams import services
from portal.exams.bank import load_bank
from portal.exams.definitions import Dimension, ExamDefinition, Requirement, load_exam
from portal.exams.lint import lint_content
from portal.exams.models import ExamVersion
from portal.exams.warning_codes import WarningCode
from tests.exams import blueprint_fixtures as fx
from tests.exams.exam_fixtures import BANK

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PATH = "question_banks/exams/blueprint.yaml"


def _bank():  # type: ignore[no-untyped-def]
    bank, problems = load_bank(BANK.encode("utf-8"), "question_banks/banks/demo-bank.yaml")
    assert bank is not None, problems
    return bank


def _exam(text: str) -> ExamDefinition:
    exam, problems = load_exam(text, PATH)
    assert exam is not None and not problems, [str(p) for p in problems]
    return exam


def test_require_and_kinds_are_read_with_their_lines() -> None:
    exam = _exam(fx.PROVED)
    assert exam.random[0].kinds == ("operation-task",) and exam.random[0].tags == ()
    assert exam.require == (Requirement(Dimension.KIND, "operation-task", 1, 12),
                            Requirement(Dimension.TAG, "stage:basics", 3, 14))


def test_a_bad_blueprint_names_each_problem_and_its_line() -> None:
    _, problems = load_exam(fx.BAD_BLUEPRINT, PATH)
    texts = [str(p) for p in problems]
    assert texts[0].startswith(f"{PATH}:6: kinds 应为题型列表，题型只能是 single-choice")
    assert texts[1].startswith(f"{PATH}:9: require.kinds 中的题型 essay 不存在")
    assert texts[2] == f"{PATH}:11: require.tags 中的 发货承诺 不是标签（应如 topic:发货承诺）"
    assert texts[3] == f"{PATH}:12: require 中 stage:basics 的数量应为 1 到 200 之间的整数"
    assert len(texts) == 4


def test_the_definition_round_trips_through_an_exam_version() -> None:
    exam = _exam(fx.ACKNOWLEDGED)
    stored = ExamVersion(title=exam.title, track_key=None, stage_key=None,
                         data=exam.to_data(), source_hash="x").definition
    proved = _exam(fx.PROVED)
    again = ExamDefinition.from_data(proved.to_data())
    assert [(r.dimension, r.value, r.minimum) for r in again.require] == [
        (r.dimension, r.value, r.minimum) for r in proved.require]
    assert again.random[0].kinds == ("operation-task",)
    assert stored.acknowledgement(WarningCode.COVERAGE) is not None


def test_a_blueprint_left_to_chance_is_refused_with_the_file_line_and_shortfall() -> None:
    problems = services.blueprint_problems(_exam(fx.LEFT_TO_CHANCE), services.pool_of([_bank()]))
    assert problems == [
        (f"{PATH}:10: 考试要求每次作答至少有 1 道题型“上机操作题”，但按抽题规则只能保证 0 道"
        "（固定题 0 道，抽题至少 0 道），还差 1 道。请把这类题列入 fixed，或增加只从这类题中抽取的"
        "抽题规则（如 kinds: [operation-task]）")]
    assert services.blueprint_problems(_exam(fx.PROVED), services.pool_of([_bank()])) == []


def test_the_import_refuses_an_unproved_blueprint_and_accepts_a_proved_one(
        session: Session) -> None:
    plan = services.plan_import(session, banks=[_bank()], exams=[_exam(fx.LEFT_TO_CHANCE)])
    assert len(plan.problems) == 1 and plan.problems[0].startswith(f"{PATH}:10: 考试要求")
    plan = services.apply_import(session, banks=[_bank()], exams=[_exam(fx.PROVED)],
                                 actor_id=None, now=NOW)
    assert plan.problems == []
    version = session.scalars(sa.select(ExamVersion)).one()
    assert version.definition.require[0].value == "operation-task"


def test_coverage_warns_when_instructions_promise_what_chance_may_leave_out() -> None:
    report = lint_content([_bank()], [_exam(fx.PROMISED_ONLY)])
    [warning] = [w for w in report.open if w.code is WarningCode.COVERAGE]
    assert warning.location == f"{PATH}:3" and warning.exam == "blueprint-exam"
    assert "上机操作题" in str(warning.why)
    assert not [w for w in lint_content([_bank()], [_exam(fx.PROVED)]).open
                if w.code is WarningCode.COVERAGE]
    acknowledged = lint_content([_bank()], [_exam(fx.ACKNOWLEDGED)])
    assert [w.acknowledged for w in acknowledged.acknowledged] == ["练习卷，操作题不保证每次都有"]


def _folder(tmp_path: Path, exam_text: str, bank_text: str = BANK) -> Path:
    root = tmp_path / "question_banks"
    (root / "banks").mkdir(parents=True)
    (root / "exams").mkdir()
    (root / "banks" / "demo-bank.yaml").write_text(bank_text, encoding="utf-8")
    (root / "exams" / "blueprint.yaml").write_text(exam_text, encoding="utf-8")
    return root


def test_flask_exams_check_refuses_an_unproved_blueprint(app: Flask, tmp_path: Path) -> None:
    result = app.test_cli_runner().invoke(
        args=["exams", "check", "--path", str(_folder(tmp_path, fx.LEFT_TO_CHANCE))])
    assert result.exit_code != 0
    assert f"{PATH}:10: 考试要求每次作答至少有 1 道题型“上机操作题”" in result.output


def test_flask_exams_check_prints_warnings_and_counts_acknowledged_ones(
        app: Flask, tmp_path: Path) -> None:
    root = _folder(tmp_path, fx.ACKNOWLEDGED)
    result = app.test_cli_runner().invoke(args=["exams", "check", "--path", str(root)])
    assert result.exit_code == 0, result.output
    assert "lint: 0 warning(s), 1 acknowledged" in result.output
    assert "练习卷" not in result.output
    verbose = app.test_cli_runner().invoke(
        args=["exams", "check", "--verbose", "--path", str(root)])
    assert (f"{PATH}:3: 警告（抽题可能缺少承诺的内容）blueprint-exam：考试说明提到“上机操作题”"
            in verbose.output)
    assert "（已确认：练习卷，操作题不保证每次都有）" in verbose.output
    open_one = app.test_cli_runner().invoke(
        args=["exams", "import", "--dry-run", "--path", str(_folder(tmp_path / "b",
                                                                    fx.PROMISED_ONLY))])
    assert open_one.exit_code == 0, open_one.output
    assert f"{PATH}:3: 警告（抽题可能缺少承诺的内容）" in open_one.output
    assert "lint: 1 warning(s), 0 acknowledged" in open_one.output
