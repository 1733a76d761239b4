"""The test suite's own layout: builders live in tests/factories.py, and no test module
imports another test module (or a conftest) to borrow its helpers."""
from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
BUILDER_PREFIXES = ("make_", "import_", "build_")


def _imported_modules(source: str) -> set[str]:
    """Every module a source imports, with `from a import b` counted as `a` and `a.b`."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _borrowed(source: str) -> list[str]:
    """The test modules and conftests a source imports."""
    return sorted(name for name in _imported_modules(source)
                  if name.startswith("tests.")
                  and (name.rsplit(".", 1)[-1].startswith("test_")
                       or name.rsplit(".", 1)[-1] == "conftest"))


def _sources() -> list[Path]:
    return sorted(TESTS.rglob("*.py"))


def test_the_check_sees_every_way_of_importing_a_test_module() -> None:
    assert _borrowed("from tests.exams.test_grading import World") == ["tests.exams.test_grading"]
    assert _borrowed("from tests.exams import test_grading") == ["tests.exams.test_grading"]
    assert _borrowed("import tests.test_db") == ["tests.test_db"]
    assert _borrowed("def f():\n    from tests.progress.conftest import STAGES\n") == [
        "tests.progress.conftest"]
    assert _borrowed("from tests.factories import make_user\n"
                     "from tests.exams.exam_fixtures import BANK") == []


def test_no_test_module_imports_another_test_module_or_a_conftest() -> None:
    offenders = {str(path.relative_to(TESTS.parent)): borrowed for path in _sources()
                 if (borrowed := _borrowed(path.read_text(encoding="utf-8")))}
    assert offenders == {}, "move shared builders to tests/factories.py, data to *_fixtures.py"


def test_builders_are_defined_only_in_factories() -> None:
    stray = []
    for path in _sources():
        if path.name == "factories.py":
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith(BUILDER_PREFIXES):
                stray.append(f"{path.relative_to(TESTS.parent)}:{node.lineno} {node.name}")
    assert stray == [], "builders belong in tests/factories.py"
