"""Reading a cohort file (YAML or JSON) for `flask placement solve`, every problem by line.

The format (docs/placement.md):

    capacities: {pre-sales: 3, after-sales: 2}   # a role's maximum; every trainee is placed
    preference_bonus: 5                          # added to the fit of the preferred role
    trainees:
      - {id: T01, preference: pre-sales, fit: {pre-sales: 82.5, after-sales: 74}}

YAML goes through the chat files' safe reader (size limit, no anchors, aliases or tags;
lines recorded). A JSON file is checked by the json module and then read by the same YAML
reader for its lines (JSON is YAML but for tabs, which JSON only allows between values); if
the two readings differ (an exponent such as 1e3, which YAML 1.1 reads as text), the JSON
reading is kept and its problems carry no line.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from portal.content import safe_yaml
from portal.content.loader import Problem
from portal.messages import N_, Message
from portal.placement.rules import (
    MAX_FIT,
    MAX_TRAINEES,
    Cohort,
    PlacementRole,
    TraineeFit,
)

COHORT_FIELDS = ("capacities", "preference_bonus", "trainees")
TRAINEE_FIELDS = ("id", "preference", "fit")
# Keys a person might write for the supervisor role, which is never a placement.
SUPERVISOR_KEYS = ("supervisor", "客服主管", "主管")

MAX_FILE_BYTES = 1024 * 1024  # a cohort of several thousand trainees
MAX_DEPTH = 20
MAX_EVENTS = 200_000


def _read_yaml(data: bytes, path: str, problems: list[Problem]) -> Any:
    """The data of one cohort file through the project's safe YAML reader."""
    return safe_yaml.read(data, path, problems, max_bytes=MAX_FILE_BYTES, max_depth=MAX_DEPTH,
                          max_events=MAX_EVENTS)


@dataclass
class _Report:
    path: str
    problems: list[Problem] = field(default_factory=list)

    def add(self, node: Any, key: str | None, text: str, /, **params: Any) -> None:
        line = None
        if isinstance(node, dict):
            lines = node.get("__lines__") or {}
            line = lines.get(key) if key is not None else None
            if not isinstance(line, int):
                line = node.get("__line__") if isinstance(node.get("__line__"), int) else None
        self.problems.append(Problem(self.path, line, Message(text, params)))


def _fields(report: _Report, node: dict[str, Any], allowed: tuple[str, ...]) -> None:
    for key in node.get("__duplicates__", ()):
        report.add(node, key, N_("字段 %(field)s 写了不止一次"), field=key)
    for key in node:
        if not str(key).startswith("__") and key not in allowed:
            report.add(node, key, N_("不认识的字段 %(field)s（可用：%(fields)s）"), field=key,
                       fields="、".join(allowed))


def _role(report: _Report, node: dict[str, Any], key: str, value: Any) -> PlacementRole | None:
    if isinstance(value, str) and value.strip().lower() in SUPERVISOR_KEYS:
        report.add(node, key, N_("新客服不会被安排为客服主管（主管由内部选举产生），请去掉“%(role)s”"),
                   role=value)
        return None
    try:
        return PlacementRole(value)
    except ValueError:
        report.add(node, key, N_("未知岗位“%(role)s”，可用的岗位：%(roles)s"), role=value,
                   roles="、".join(f"{r.value}（{r.label}）" for r in PlacementRole))
        return None


def _is_number(value: Any) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


def _fit(report: _Report, item: dict[str, Any], who: str, capacities: dict[PlacementRole, int],
         roles_known: bool) -> dict[PlacementRole, float]:
    node = item.get("fit")
    if not isinstance(node, dict) or not any(not str(k).startswith("__") for k in node):
        report.add(item, "fit", N_("新客服 %(trainee)s 的 fit 应写成“岗位: 适配分”，至少一个岗位"),
                   trainee=who)
        return {}
    for key in node.get("__duplicates__", ()):
        report.add(node, key, N_("新客服 %(trainee)s 的 fit 里 %(role)s 写了不止一次"),
                   trainee=who, role=key)
    fit: dict[PlacementRole, float] = {}
    for key, value in node.items():
        if str(key).startswith("__"):
            continue
        role = _role(report, node, key, key)
        if role is None:
            continue
        if roles_known and role not in capacities:
            report.add(node, key, N_("新客服 %(trainee)s 有%(role)s的适配分，但 capacities 里没有这个岗位"),
                       trainee=who, role=role.label)
        elif not _is_number(value) or not 0 <= value <= MAX_FIT:
            report.add(node, key, N_("新客服 %(trainee)s 在%(role)s的适配分应为 0 到 %(max)d 之间的数字"),
                       trainee=who, role=role.label, max=MAX_FIT)
        else:
            fit[role] = float(value)
    return fit


def _capacities(report: _Report, raw: dict[str, Any]) -> tuple[dict[PlacementRole, int], bool]:
    node = raw.get("capacities")
    if not isinstance(node, dict) or not any(not str(k).startswith("__") for k in node):
        report.add(raw, "capacities", N_("capacities 应写成“岗位: 名额”，例如 {pre-sales: 3, after-sales: 2}"))
        return {}, False
    for key in node.get("__duplicates__", ()):
        report.add(node, key, N_("capacities 里 %(role)s 写了不止一次"), role=key)
    capacities: dict[PlacementRole, int] = {}
    known = True
    for key, value in node.items():
        if str(key).startswith("__"):
            continue
        role = _role(report, node, key, key)
        if role is None:
            known = False
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TRAINEES:
            report.add(node, key, N_("%(role)s的名额应为 0 到 %(max)d 之间的整数"), role=role.label,
                       max=MAX_TRAINEES)
            continue
        capacities[role] = value
    return capacities, known


def build_cohort(raw: Any, path: str) -> tuple[Cohort | None, list[Problem]]:
    """A cohort from a file's data, or None and every problem (all or nothing)."""
    report = _Report(path)
    if not isinstance(raw, dict):
        report.add(None, None, N_("文件应为“字段: 值”的形式（capacities、preference_bonus、trainees）"))
        return None, report.problems
    _fields(report, raw, COHORT_FIELDS)
    capacities, roles_known = _capacities(report, raw)
    bonus = raw.get("preference_bonus", 0)
    if not _is_number(bonus) or not 0 <= bonus <= MAX_FIT:
        report.add(raw, "preference_bonus", N_("preference_bonus 应为 0 到 %(max)d 之间的数字"),
                   max=MAX_FIT)
        bonus = 0
    items = raw.get("trainees")
    if not isinstance(items, list) or not items:
        report.add(raw, "trainees", N_("trainees 应为新客服的列表，至少一人"))
        items = []
    if len(items) > MAX_TRAINEES:
        report.add(raw, "trainees", N_("一次最多安排 %(max)d 名新客服"), max=MAX_TRAINEES)
        items = []
    trainees: list[TraineeFit] = []
    seen: dict[str, int] = {}
    for number, item in enumerate(items, 1):
        trainee = _trainee(report, raw, item, number, capacities, roles_known, seen)
        if trainee is not None:
            trainees.append(trainee)
    if report.problems:
        return None, report.problems
    return Cohort(capacities=capacities, trainees=tuple(trainees),
                  preference_bonus=float(bonus)), []


def _trainee(report: _Report, raw: dict[str, Any], item: Any, number: int,
             capacities: dict[PlacementRole, int], roles_known: bool,
             seen: dict[str, int]) -> TraineeFit | None:
    if not isinstance(item, dict):
        report.add(raw, "trainees", N_("trainees 的第 %(number)d 项应为 {id: …, preference: …, fit: {…}}"),
                   number=number)
        return None
    start = len(report.problems)
    _fields(report, item, TRAINEE_FIELDS)
    who = item.get("id")
    if not isinstance(who, str) or not who.strip():
        report.add(item, "id", N_("trainees 的第 %(number)d 项缺少 id（文字；数字编号请加引号，如 \"001\"）"),
                   number=number)
        who = f"#{number}"
    elif who in seen:
        report.add(item, "id", N_("新客服编号 %(trainee)s 与第 %(other)d 项重复"), trainee=who,
                   other=seen[who])
    else:
        seen[who] = number
    preference = None
    if item.get("preference") is not None:
        preference = _role(report, item, "preference", item["preference"])
        if preference is not None and roles_known and preference not in capacities:
            report.add(item, "preference", N_("新客服 %(trainee)s 的意向岗位%(role)s不在 capacities 里"),
                       trainee=who, role=preference.label)
    fit = _fit(report, item, who, capacities, roles_known)
    if len(report.problems) > start:
        return None
    return TraineeFit(trainee_id=who, fit=fit, preference=preference)


def read_cohort(data: bytes, path: str) -> tuple[Cohort | None, list[Problem]]:
    """A cohort file's bytes (YAML, or JSON when the name ends in .json) as a cohort."""
    problems: list[Problem] = []
    if path.lower().endswith(".json"):
        raw = _read_json(data, path, problems)
    else:
        raw = _read_yaml(data, path, problems)
    if problems:
        return None, problems
    return build_cohort(raw, path)


def _read_json(data: bytes, path: str, problems: list[Problem]) -> Any:
    try:
        text = data.decode("utf-8-sig")
        exact = json.loads(text)
    except UnicodeDecodeError as exc:
        problems.append(Problem(path, data[:exc.start].count(b"\n") + 1,
                                Message(N_("不是有效的 UTF-8 编码（第 %(pos)d 字节）"),
                                        {"pos": exc.start + 1})))
        return None
    except json.JSONDecodeError as exc:
        problems.append(Problem(path, exc.lineno, Message(
            N_("JSON 格式错误：第 %(column)d 列附近，请检查逗号、引号和括号是否成对"),
            {"column": exc.colno})))
        return None
    except RecursionError:
        problems.append(Problem(path, None, Message(N_("JSON 嵌套层次过深"), {})))
        return None
    lined = _read_yaml(text.replace("\t", " ").encode("utf-8"), path, [])
    return lined if _without_lines(lined) == exact else exact


def _without_lines(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_lines(v) for k, v in node.items() if not str(k).startswith("__")}
    if isinstance(node, list):
        return [_without_lines(v) for v in node]
    return node
