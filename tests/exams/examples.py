"""Shared test data: the complete example bank of docs/question-bank-format.md, the GIFT corpora."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from portal.config import PROJECT_ROOT
from portal.exams.bank import Bank, load_bank
from tests.postgres_support import unavailable

DOC = PROJECT_ROOT / "docs" / "question-bank-format.md"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# This project's own full-syntax GIFT corpus: always here, so its tests always run.
GIFT_CORPUS_PATH = Path(__file__).resolve().parent / "data" / "gift_corpus.txt"
# Moodle's own GIFT examples file (GPL-3.0-or-later): read from the shared interop folder
# beside the checkout (CI has it there), not copied into this repository.
GIFT_EXAMPLES_PATH = PROJECT_ROOT.parent / "shared" / "interop" / "gift_examples.txt"


def gift_examples_bytes() -> bytes:
    """Moodle's examples file; a missing file fails under CI=true and skips otherwise."""
    if not GIFT_EXAMPLES_PATH.exists():
        unavailable(f"{GIFT_EXAMPLES_PATH} is missing (../shared/interop beside the checkout)")
    return GIFT_EXAMPLES_PATH.read_bytes()


def gift_corpus_bytes() -> bytes:
    return GIFT_CORPUS_PATH.read_bytes()


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
