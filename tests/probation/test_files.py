"""The policy file: the shipped one is valid; each broken variant names its line in Chinese."""
from __future__ import annotations

import pytest

from portal.probation.files import load_policy, read_policy
from portal.probation.rules import Finding, Outcome
from tests.probation import probation_fixtures as fx


def test_the_shipped_policy_reads() -> None:
    found = read_policy(fx.POLICY_FILE)
    assert not found.problems and found.policy is not None
    policy = found.policy
    assert policy.track_assessments and [s.form for s in policy.standards] == [
        "skills", "service", "attitude"]
    assert policy.outcome_of(Finding.CRITICAL_REPEATED) is Outcome.DO_NOT_CONFIRM
    assert policy.outcome_of(Finding.STANDARD_NEAR_MISS) is Outcome.EXTEND


@pytest.mark.parametrize(("text", "line", "fragment"), fx.BROKEN)
def test_a_broken_policy_names_file_line_and_problem(text: str, line: int, fragment: str) -> None:
    found = load_policy(text.encode("utf-8"), "question_banks/probation/policy.yaml")
    assert found.policy is None
    assert any(p.line == line and fragment in str(p.message) for p in found.problems), [
        str(p) for p in found.problems]


def test_a_missing_file_is_a_problem(tmp_path) -> None:  # type: ignore[no-untyped-def]
    found = read_policy(tmp_path / "nope.yaml")
    assert found.policy is None and "找不到转正规则文件" in str(found.problems[0].message)
