"""Exam definition files are read as safely as bank files: no alias bombs, bounded strings."""
from __future__ import annotations

import time
from pathlib import Path

from flask import Flask

from portal.exams.definitions import load_exam
from portal.exams.files import load_folder
from tests.exams.exam_fixtures import BANK, EXAM

# 464 bytes that PyYAML's own loader expands into a title of hundreds of megabytes.
ALIAS_BOMB = """key: bomb
title: &a0 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
l1: &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]
l2: &a2 [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]
l3: &a3 [*a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2]
l4: &a4 [*a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3]
l5: &a5 [*a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4]
l6: &a6 [*a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5]
l7: &a7 [*a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6]
questions: {fixed: [demo-bank/single]}
"""


def _texts(problems: list) -> list[str]:
    return [str(p) for p in problems]


def test_an_alias_bomb_is_refused_at_once_with_its_line() -> None:
    began = time.perf_counter()
    exam, problems = load_exam(ALIAS_BOMB, "exams/bomb.yaml")
    assert time.perf_counter() - began < 1
    assert exam is None
    assert _texts(problems) == ["exams/bomb.yaml:2: 文件不允许使用 YAML 锚点（&a0）"]


def test_tags_are_refused_in_exam_files() -> None:
    exam, problems = load_exam(EXAM.replace("title: 测试考试", "title: !!python/name:os.system x"),
                               "exams/demo.yaml")
    assert exam is None and "不允许使用 YAML 标签" in _texts(problems)[0]
    assert problems[0].line == 3


def test_a_huge_title_or_instructions_is_refused_with_the_limit() -> None:
    _, problems = load_exam(EXAM.replace("测试考试", "考" * 50_000), "exams/demo.yaml")
    assert _texts(problems) == ["exams/demo.yaml:3: title 过长（最多 200 个字符）"]
    _, problems = load_exam(EXAM + "instructions: " + "说" * 20_001 + "\n", "exams/demo.yaml")
    assert _texts(problems) == ["exams/demo.yaml:14: instructions 过长（最多 20000 个字符）"]
    _, problems = load_exam(EXAM.replace("demo-bank/single", "demo-bank/" + "q" * 300),
                               "exams/demo.yaml")
    assert "fixed 应为“题库/题目id”形式的列表（每项不超过 200 个字符）" in _texts(problems)[0]


def test_a_file_over_the_size_limit_is_refused() -> None:
    exam, problems = load_exam(EXAM + "# " + "x" * 300_000 + "\n", "exams/demo.yaml")
    assert exam is None and _texts(problems) == ["exams/demo.yaml: 文件超过 256 KB 上限"]


def test_duplicates_in_a_long_fixed_list_are_found_once_each() -> None:
    refs = [f"demo-bank/q{n}" for n in range(15_000)] + ["demo-bank/q7", "demo-bank/q7",
                                                         "demo-bank/q12"]
    text = EXAM.replace("[demo-bank/single, demo-bank/multi, demo-bank/tf, demo-bank/fill, "
                        "demo-bank/num, demo-bank/task]", "[" + ", ".join(refs) + "]")
    began = time.perf_counter()
    _, problems = load_exam(text, "exams/demo.yaml")
    assert time.perf_counter() - began < 5
    assert _texts(problems) == ["exams/demo.yaml:13: fixed 中题目重复：demo-bank/q12, demo-bank/q7"]


def _folder(tmp_path: Path, exam_text: str) -> Path:
    root = tmp_path / "question_banks"
    (root / "banks").mkdir(parents=True)
    (root / "exams").mkdir()
    (root / "banks" / "demo-bank.yaml").write_text(BANK, encoding="utf-8")
    (root / "exams" / "bomb.yaml").write_text(exam_text, encoding="utf-8")
    return root


def test_the_folder_loader_refuses_the_bomb(tmp_path: Path) -> None:
    content = load_folder(_folder(tmp_path, ALIAS_BOMB))
    assert content.exams == [] and content.banks == []
    assert _texts(content.problems) == [
        "question_banks/exams/bomb.yaml:2: 文件不允许使用 YAML 锚点（&a0）"]


def test_flask_exams_check_and_import_refuse_the_bomb(app: Flask, tmp_path: Path) -> None:
    root = _folder(tmp_path, ALIAS_BOMB)
    runner = app.test_cli_runner()
    for args in (["exams", "check", "--path", str(root)],
                 ["exams", "import", "--path", str(root)]):
        began = time.perf_counter()
        result = runner.invoke(args=args)
        assert time.perf_counter() - began < 5
        assert result.exit_code != 0
        assert "question_banks/exams/bomb.yaml:2: 文件不允许使用 YAML 锚点（&a0）" in result.output
        assert "nothing was imported" in result.output


def test_flask_exams_check_refuses_a_huge_title(app: Flask, tmp_path: Path) -> None:
    root = _folder(tmp_path, EXAM.replace("测试考试", "考" * 50_000))
    result = app.test_cli_runner().invoke(args=["exams", "check", "--path", str(root)])
    assert result.exit_code != 0
    assert "question_banks/exams/bomb.yaml:3: title 过长（最多 200 个字符）" in result.output
