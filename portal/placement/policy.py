"""Reading the placement policy (`question_banks/placement/policy.yaml`): per role, the weight
of each piece of evidence, the preference bonus and what to do with missing evidence.

Read with the project's safe YAML reader; every problem is a Chinese `file:line: message`,
and no policy is returned unless the whole file is valid (docs/placement.md).
"""
from __future__ import annotations

import hashlib
import math
import re
from pathlib import Path
from typing import Any

from portal.chat.scenario import Item
from portal.content import safe_yaml
from portal.content.problems import Problem
from portal.messages import N_
from portal.placement.files import _fields, _Report, _role
from portal.placement.fits import (
    AREA_LABELS,
    Missing,
    PlacementPolicy,
    RolePolicy,
    Source,
    Weight,
)
from portal.placement.rules import PlacementRole

POLICY_FIELDS = ("preference_bonus", "missing", "roles")
ROLE_FIELDS = tuple(s.value for s in Source)
MAX_POLICY_BYTES = 64 * 1024
MAX_WEIGHT = 100
MAX_BONUS = 100
OBSERVATION_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}/[a-z][a-z0-9_]{0,63}$")
DEFAULT_PATH = Path(__file__).resolve().parents[2] / "question_banks" / "placement" / "policy.yaml"


def _number(value: Any, top: float) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value) and 0 <= value <= top)


def _keys(node: dict[str, Any]) -> list[str]:
    return [k for k in node if not str(k).startswith("__")]


def _weights(report: _Report, node: Any, parent: dict[str, Any], source: Source,
             role: PlacementRole) -> list[Weight]:
    if not isinstance(node, dict):
        report.add(parent, source.value, N_("%(role)s的 %(field)s 应写成“名称: 权重”"),
                   role=role.label, field=source.value)
        return []
    for key in node.get("__duplicates__", ()):
        report.add(node, key, N_("%(role)s的 %(field)s 里 %(key)s 写了不止一次"),
                   role=role.label, field=source.value, key=key)
    found: list[Weight] = []
    for key in _keys(node):
        value = node[key]
        if source in (Source.EXAM, Source.CHAT):
            known = key in AREA_LABELS
            allowed = "、".join(AREA_LABELS)
        elif source is Source.CHAT_ITEM:
            known = key in {i.value for i in Item}
            allowed = "、".join(i.value for i in Item)
        else:
            known = isinstance(key, str) and bool(OBSERVATION_KEY_RE.match(key))
            allowed = N_("“观察表/观察项”，例如 service/greeting")
        if not known:
            report.add(node, key, N_("%(role)s的 %(field)s 里没有“%(key)s”（可用：%(allowed)s）"),
                       role=role.label, field=source.value, key=key, allowed=allowed)
        elif not _number(value, MAX_WEIGHT):
            report.add(node, key, N_("%(role)s的 %(field)s 里 %(key)s 的权重应为 0 到 %(max)d 之间的数字"),
                       role=role.label, field=source.value, key=key, max=MAX_WEIGHT)
        else:
            found.append(Weight(source, str(key), float(value)))
    return found


def build_policy(raw: Any, path: str, *, content_hash: str = "") -> tuple[PlacementPolicy | None,
                                                                          list[Problem]]:
    """A policy from a file's data, or None and every problem."""
    report = _Report(path)
    if not isinstance(raw, dict):
        report.add(None, None, N_("文件应为“字段: 值”的形式（preference_bonus、missing、roles）"))
        return None, report.problems
    _fields(report, raw, POLICY_FIELDS)
    bonus = raw.get("preference_bonus", 0)
    if not _number(bonus, MAX_BONUS):
        report.add(raw, "preference_bonus", N_("preference_bonus 应为 0 到 %(max)d 之间的数字"),
                   max=MAX_BONUS)
        bonus = 0
    missing = Missing.REWEIGH
    if "missing" in raw:
        try:
            missing = Missing(raw["missing"])
        except ValueError:
            report.add(raw, "missing", N_("missing 只能是 %(allowed)s 之一"),
                       allowed="、".join(m.value for m in Missing))
    roles_node = raw.get("roles")
    roles: list[RolePolicy] = []
    if not isinstance(roles_node, dict):
        report.add(raw, "roles", N_("roles 应写成“岗位: 证据权重”，售前（pre-sales）和售后（after-sales）都要有"))
        return None, report.problems
    for key in roles_node.get("__duplicates__", ()):
        report.add(roles_node, key, N_("roles 里 %(role)s 写了不止一次"), role=key)
    for key in _keys(roles_node):
        role = _role(report, roles_node, key, key)
        if role is None:
            continue
        node = roles_node[key]
        if not isinstance(node, dict):
            report.add(roles_node, key, N_("%(role)s应写成证据来源和权重（%(fields)s）"),
                       role=role.label, fields="、".join(ROLE_FIELDS))
            continue
        _fields(report, node, ROLE_FIELDS)
        weights = [w for source in Source if source.value in node
                   for w in _weights(report, node[source.value], node, source, role)]
        if not any(w.weight > 0 for w in weights):
            report.add(roles_node, key, N_("%(role)s至少要有一项权重大于 0 的证据"), role=role.label)
        roles.append(RolePolicy(role, tuple(weights)))
    for role in PlacementRole:
        if role.value not in roles_node:
            report.add(roles_node, None, N_("roles 里缺少%(role)s（%(key)s）"), role=role.label,
                       key=role.value)
    if report.problems:
        return None, report.problems
    order = {r: k for k, r in enumerate(PlacementRole)}
    roles.sort(key=lambda r: order[r.role])
    return PlacementPolicy(roles=tuple(roles), preference_bonus=float(bonus), missing=missing,
                           content_hash=content_hash), []


def read_policy(data: bytes, path: str) -> tuple[PlacementPolicy | None, list[Problem]]:
    """A policy file's bytes as a policy, or None and every problem."""
    problems: list[Problem] = []
    raw = safe_yaml.read(data, path, problems, max_bytes=MAX_POLICY_BYTES, max_depth=8,
                         max_events=5_000)
    if problems:
        return None, problems
    return build_policy(raw, path, content_hash=hashlib.sha256(data).hexdigest())


def load_policy(path: Path = DEFAULT_PATH) -> tuple[PlacementPolicy | None, list[Problem]]:
    """The policy file at `path` (by default the shipped one)."""
    try:
        data = path.read_bytes()
    except OSError:
        from portal.messages import msg

        return None, [Problem(str(path), None, msg(N_("找不到岗位安排规则文件")))]
    return read_policy(data, _shown(path))


def _shown(path: Path) -> str:
    root = DEFAULT_PATH.parents[2]
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)
