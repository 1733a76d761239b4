"""Pure rules for accounts: what a valid employee number and password look like."""
from __future__ import annotations

import re

from portal.messages import N_, Message, msg

EMPLOYEE_NO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,31}$")
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 128


def normalize_employee_no(value: str) -> str:
    return value.strip()


def employee_no_problem(value: str) -> Message | None:
    """Why this employee number is not acceptable, or None."""
    if not EMPLOYEE_NO_RE.match(value):
        return msg(N_("工号须为 2-32 位字母、数字、点、下划线或连字符，且以字母或数字开头"))
    return None


def password_problem(password: str, *, employee_no: str = "") -> Message | None:
    """Why this password is not acceptable, or None (the seeds ask for strong passwords)."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return msg(N_("密码至少 %(n)d 个字符"), n=PASSWORD_MIN_LENGTH)
    if len(password) > PASSWORD_MAX_LENGTH:
        return msg(N_("密码最多 %(n)d 个字符"), n=PASSWORD_MAX_LENGTH)
    if password.strip() != password:
        return msg(N_("密码首尾不能是空格"))
    if employee_no and employee_no.lower() in password.lower():
        return msg(N_("密码不能包含工号"))
    if len(set(password)) < 4:
        return msg(N_("密码过于简单，请混合使用不同字符"))
    return None
