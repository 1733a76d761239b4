"""Pure account rules."""
from __future__ import annotations

import pytest

from portal.auth import rules


@pytest.mark.parametrize("value", ["A1", "cs-0001", "zhang.san", "E_2024_17"])
def test_valid_employee_numbers(value: str) -> None:
    assert rules.employee_no_problem(value) is None


@pytest.mark.parametrize("value", ["", "a", "-abc", "张三", "a b", "x" * 33])
def test_invalid_employee_numbers_say_why(value: str) -> None:
    problem = rules.employee_no_problem(value)
    assert problem is not None and "工号" in str(problem)


def test_password_rules() -> None:
    assert str(rules.password_problem("short")) == "密码至少 10 个字符"
    assert rules.password_problem("aaaaaaaaaaaa") is not None  # too few distinct characters
    assert "工号" in str(rules.password_problem("my-cs-0001-pass", employee_no="cs-0001"))
    assert rules.password_problem(" leading-space-1") is not None
    assert rules.password_problem("x" * 129) is not None
    assert rules.password_problem("a-good-passphrase", employee_no="cs-0001") is None
