"""Data for the cohort tests: what the finished world holds, and export injection cases."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)  # the suite's fixed clock


@dataclass(frozen=True)
class FinishedWorld:
    url: str
    cohort_id: int
    cohort_name: str
    trainer_id: int
    supervisor_id: int
    trainee_ids: tuple[int, ...]


# Text a spreadsheet would run as a formula, and what the export must write instead.
INJECTIONS = {
    "=HYPERLINK(\"http://evil.example\",\"点我\")": "'=HYPERLINK(\"http://evil.example\",\"点我\")",
    "+86 138": "'+86 138",
    "-2+3": "'-2+3",
    "@SUM(A1:A2)": "'@SUM(A1:A2)",
    "\t=1+1": "'\t=1+1",
    "\r=1+1": "'\r=1+1",
    "林小雨": "林小雨",
    "a=b": "a=b",
}
