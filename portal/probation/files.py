"""Reading the probation policy file (question_banks/probation/policy.yaml), every problem by line.

Through the project's safe YAML reader (size, UTF-8, no anchors, aliases or tags, bounded
nesting); unknown fields, wrong types and out-of-range numbers are Chinese problems with
the file and line, and no policy is returned unless the whole file is valid. The format is
in docs/probation.md.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portal.config import PROJECT_ROOT
from portal.content import safe_yaml
from portal.content.problems import Problem
from portal.messages import N_, msg
from portal.probation.rules import (
    DEFAULT_OUTCOMES,
    FAILURES,
    AssessmentKind,
    AssessmentRef,
    Finding,
    FormStandard,
    Outcome,
    Policy,
)

POLICY_PATH = PROJECT_ROOT / "question_banks" / "probation" / "policy.yaml"
MAX_FILE_BYTES = 32 * 1024
MAX_DEPTH = 6
MAX_EVENTS = 2_000
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
TOP_FIELDS = ("probation_days", "extension_days", "assessments", "observations",
              "near_miss_margin", "chat_exams_without_critical", "critical_repeat", "outcomes",
              "after_extension")
ASSESSMENT_FIELDS = ("track_stages", "exams", "chat_exams")
STANDARD_FIELDS = ("form", "min_mean", "min_required", "min_items")
OUTCOME_VALUES = {"extend": Outcome.EXTEND, "do_not_confirm": Outcome.DO_NOT_CONFIRM}


@dataclass
class PolicyFile:
    policy: Policy | None = None
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _File:
    path: str
    problems: list[Problem] = field(default_factory=list)

    def line(self, node: Any, key: str | None) -> int | None:
        if not isinstance(node, dict):
            return None
        lines = node.get("__lines__") or {}
        if key is not None and isinstance(lines.get(key), int):
            return int(lines[key])
        value = node.get("__line__")
        return value if isinstance(value, int) else None

    def add(self, node: Any, key: str | None, text: str, /, **params: Any) -> None:
        self.problems.append(Problem(self.path, self.line(node, key), msg(text, **params)))

    def fields(self, node: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
        for dup in node.get("__duplicates__", []):
            self.add(node, dup, N_("字段 %(name)s 重复"), name=dup)
        for name in node:
            if isinstance(name, str) and name.startswith("__"):
                continue
            if name not in allowed:
                self.add(node, str(name), N_("%(where)s中有未知字段 %(name)s（可用字段：%(allowed)s）"),
                         where=where, name=name, allowed=", ".join(allowed))

    def number(self, node: dict[str, Any], key: str, *, low: float, high: float,
               integer: bool, default: float | None = None) -> float:
        value = node.get(key, default)
        if value is None:
            self.add(node, key, N_("缺少字段 %(name)s"), name=key)
            return low
        bad = isinstance(value, bool) or not isinstance(value, int | float) or (
            integer and not isinstance(value, int))
        if bad or not low <= value <= high:
            text = (N_("%(name)s 应为 %(low)s 到 %(high)s 之间的整数") if integer
                    else N_("%(name)s 应为 %(low)s 到 %(high)s 之间的数"))
            self.add(node, key, text, name=key, low=f"{low:g}", high=f"{high:g}")
            return low
        return value

    def keys(self, node: dict[str, Any], key: str) -> list[str]:
        value = node.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.add(node, key, N_("%(name)s 应为 key 的列表"), name=key)
            return []
        for v in value:
            if not KEY_RE.match(v):
                self.add(node, key, N_("%(name)s 中的“%(key)s”不是有效的 key"), name=key, key=v)
        if len(set(value)) != len(value):
            self.add(node, key, N_("%(name)s 中有重复的 key"), name=key)
        return list(dict.fromkeys(value))


def _assessments(f: _File, raw: dict[str, Any]) -> tuple[bool, tuple[AssessmentRef, ...]]:
    node = raw.get("assessments")
    if not isinstance(node, dict):
        f.add(raw, "assessments", N_("缺少 assessments，或格式不对：应为 track_stages、exams、chat_exams"))
        return False, ()
    f.fields(node, ASSESSMENT_FIELDS, N_("assessments 部分"))
    track = node.get("track_stages", False)
    if not isinstance(track, bool):
        f.add(node, "track_stages", N_("track_stages 应为 true 或 false"))
        track = False
    refs = [AssessmentRef(AssessmentKind.EXAM, k) for k in f.keys(node, "exams")]
    refs += [AssessmentRef(AssessmentKind.CHAT_EXAM, k) for k in f.keys(node, "chat_exams")]
    if not track and not refs:
        f.add(raw, "assessments", N_("assessments 至少要求一项考核（track_stages: true，或列出 exams / chat_exams）"))
    return track, tuple(refs)


def _standards(f: _File, raw: dict[str, Any]) -> tuple[FormStandard, ...]:
    node = raw.get("observations")
    if not isinstance(node, list) or not node:
        f.add(raw, "observations", N_("observations 应为观察表标准的列表（每项有 form、min_mean、min_required、min_items）"))
        return ()
    standards: list[FormStandard] = []
    seen: set[str] = set()
    for position, entry in enumerate(node, 1):
        if not isinstance(entry, dict):
            f.add(raw, "observations", N_("observations 的第 %(n)d 项应为“字段: 值”的形式"), n=position)
            continue
        f.fields(entry, STANDARD_FIELDS, N_("观察表标准"))
        form = entry.get("form")
        if not isinstance(form, str) or not KEY_RE.match(form):
            f.add(entry, "form", N_("form 应为观察表的 key"))
            form = ""
        elif form in seen:
            f.add(entry, "form", N_("观察表 %(form)s 的标准重复"), form=form)
        seen.add(form)
        standards.append(FormStandard(
            form=form,
            min_mean=float(f.number(entry, "min_mean", low=1, high=5, integer=False)),
            min_required=int(f.number(entry, "min_required", low=1, high=5, integer=True)),
            min_items=int(f.number(entry, "min_items", low=0, high=40, integer=True, default=0))))
    return tuple(standards)


def _outcome(f: _File, node: dict[str, Any], key: str) -> Outcome | None:
    value = node.get(key)
    if value not in OUTCOME_VALUES:
        f.add(node, key, N_("%(name)s 应为 extend（延长考察期）或 do_not_confirm（不予转正）"), name=key)
        return None
    return OUTCOME_VALUES[value]


def _outcomes(f: _File, raw: dict[str, Any]) -> dict[Finding, Outcome]:
    found = dict(DEFAULT_OUTCOMES)
    node = raw.get("outcomes", {})
    if not isinstance(node, dict):
        f.add(raw, "outcomes", N_("outcomes 应为“情形: 结果”的形式"))
        return found
    f.fields(node, tuple(x.value for x in FAILURES), N_("outcomes 部分"))
    for finding in FAILURES:
        if finding.value in node:
            outcome = _outcome(f, node, finding.value)
            if outcome is not None:
                found[finding] = outcome
    return found


def _policy(f: _File, raw: Any) -> Policy | None:
    if not isinstance(raw, dict):
        f.add(None, None, N_("转正规则文件应为“字段: 值”的形式"))
        return None
    f.fields(raw, TOP_FIELDS, N_("转正规则"))
    probation_days = int(f.number(raw, "probation_days", low=1, high=366, integer=True))
    extension_days = int(f.number(raw, "extension_days", low=1, high=366, integer=True))
    track, refs = _assessments(f, raw)
    standards = _standards(f, raw)
    margin = float(f.number(raw, "near_miss_margin", low=0, high=2, integer=False, default=0))
    no_critical = raw.get("chat_exams_without_critical", True)
    if not isinstance(no_critical, bool):
        f.add(raw, "chat_exams_without_critical", N_("chat_exams_without_critical 应为 true 或 false"))
        no_critical = True
    repeat = int(f.number(raw, "critical_repeat", low=2, high=20, integer=True, default=2))
    outcomes = _outcomes(f, raw)
    after = Outcome.DO_NOT_CONFIRM
    if "after_extension" in raw:
        after = _outcome(f, raw, "after_extension") or after
    if f.problems:
        return None
    return Policy(probation_days=probation_days, extension_days=extension_days,
                  track_assessments=track, assessments=refs, standards=standards,
                  near_miss_margin=margin, no_critical=no_critical, critical_repeat=repeat,
                  outcomes=outcomes, after_extension=after)


def load_policy(data: bytes, path: str) -> PolicyFile:
    """The policy in a file's bytes, or every problem with its line."""
    f = _File(path)
    raw = safe_yaml.read(data, path, f.problems, max_bytes=MAX_FILE_BYTES, max_depth=MAX_DEPTH,
                         max_events=MAX_EVENTS)
    policy = _policy(f, raw) if not f.problems else None
    return PolicyFile(policy=policy if not f.problems else None, problems=f.problems)


def read_policy(path: Path = POLICY_PATH) -> PolicyFile:
    """The shipped (or a given) policy file, named relative to the project."""
    try:
        name = str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        name = str(path)
    try:
        data = path.read_bytes()
    except OSError:
        return PolicyFile(problems=[Problem(name, None, msg(N_("找不到转正规则文件，或无法读取")))])
    return load_policy(data, name)
