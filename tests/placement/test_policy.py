"""The policy file: the shipped one is valid; every problem is Chinese with file and line."""
from __future__ import annotations

import pytest

from portal.placement.fits import Missing, Source
from portal.placement.policy import load_policy, read_policy
from portal.placement.rules import PlacementRole


def test_the_shipped_policy_is_valid_and_covers_both_roles() -> None:
    policy, problems = load_policy()
    assert not problems and policy is not None
    assert [r.role for r in policy.roles] == [PlacementRole.PRE_SALES, PlacementRole.AFTER_SALES]
    assert policy.missing is Missing.REWEIGH and policy.preference_bonus == 5
    pre = policy.role(PlacementRole.PRE_SALES)
    assert pre is not None and {w.source for w in pre.weights} == set(Source)


GOOD = """\
preference_bonus: 5
roles:
  pre-sales:
    exams: {pre-sales: 1}
  after-sales:
    exams: {after-sales: 1}
"""


@pytest.mark.parametrize(("text", "line", "fragment"), [
    (GOOD.replace("preference_bonus: 5", "preference_bonus: -1"), 1, "preference_bonus 应为 0 到 100"),
    (GOOD + "missing: sometimes\n", 7, "missing 只能是 reweigh、exclude 之一"),
    (GOOD.replace("exams: {pre-sales: 1}", "exams: {pre-sales: 0}"), 3, "售前至少要有一项权重大于 0"),
    (GOOD.replace("exams: {pre-sales: 1}", "exams: {presales: 1}"), 4, "没有“presales”"),
    (GOOD.replace("exams: {pre-sales: 1}", "exams: {pre-sales: 200}"), 4, "权重应为 0 到 100"),
    (GOOD.replace("exams: {pre-sales: 1}", "chat_items: {smile: 1}"), 4, "没有“smile”"),
    (GOOD.replace("exams: {pre-sales: 1}", "observations: {greeting: 1}"), 4, "观察表/观察项"),
    (GOOD.replace("exams: {pre-sales: 1}", "written: {pre-sales: 1}"), 4, "不认识的字段 written"),
    (GOOD.replace("  pre-sales:", "  supervisor:"), 3, "不会被安排为客服主管"),
    (GOOD.replace("  after-sales:\n    exams: {after-sales: 1}\n", ""), 3, "缺少售后"),
])
def test_problems_name_the_file_line_and_what(text: str, line: int, fragment: str) -> None:
    policy, problems = read_policy(text.encode(), "question_banks/placement/policy.yaml")
    assert policy is None
    shown = [str(p) for p in problems]
    assert any(s.startswith(f"question_banks/placement/policy.yaml:{line}: ") and fragment in s
               for s in shown), shown


def test_yaml_that_is_not_safe_or_not_yaml_is_refused_with_a_line() -> None:
    policy, problems = read_policy(b"roles: &a {}\nmore: *a\n", "p.yaml")
    assert policy is None and problems and problems[0].line == 1
    policy, problems = read_policy(b"roles: [\n", "p.yaml")
    assert policy is None and problems
