"""Shared test data: the complete example bank of docs/question-bank-format.md."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from portal.config import PROJECT_ROOT
from portal.exams.bank import Bank, load_bank

DOC = PROJECT_ROOT / "docs" / "question-bank-format.md"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# Moodle's own GIFT examples file (GPL-3.0-or-later): read from the shared interop folder
# beside the checkout (CI has it there), not copied into this repository.
GIFT_EXAMPLES_PATH = PROJECT_ROOT.parent / "shared" / "interop" / "gift_examples.txt"


def gift_examples_bytes() -> bytes:
    """The examples file; a missing file fails under CI=true and skips otherwise."""
    import os

    import pytest

    if not GIFT_EXAMPLES_PATH.exists():
        reason = f"{GIFT_EXAMPLES_PATH} is missing (../shared/interop beside the checkout)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return GIFT_EXAMPLES_PATH.read_bytes()


def docs_example_text() -> str:
    doc = DOC.read_text(encoding="utf-8")
    section = doc.split("## A complete example", 1)[1]
    return section.split("```yaml\n", 1)[1].split("\n```", 1)[0] + "\n"


def docs_example() -> Bank:
    bank, problems = load_bank(docs_example_text().encode("utf-8"), "after-sales-demo.yaml")
    assert problems == [], [str(p) for p in problems]
    assert bank is not None
    return bank


def question(qid: str) -> dict[str, Any]:
    found = docs_example().question(qid)
    assert found is not None
    return found.definition
