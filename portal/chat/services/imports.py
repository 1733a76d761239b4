"""Importing the chats folder: a plan (the dry run), then all or nothing; versions are kept.

A scenario's version stores the validated scenario with the shared rules it is scored by,
so an attempt (which pins the versions it was played on) is always replayed and scored as
it was; a drill's version stores the validated drill.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.audit import services as audit
from portal.chat.models import ChatDrill, ChatDrillVersion, ChatScenario, ChatScenarioVersion
from portal.chat.scenario import Drill, Rules, Scenario
from portal.chat.services.errors import ImportInvalid
from portal.courses import services as courses
from portal.messages import N_
from portal.versioning import new_version_if_changed

R = TypeVar("R", ChatScenario, ChatDrill)


@dataclass
class ImportPlan:
    """What an import would do (dry run) or did."""

    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def touched(self) -> bool:
        return bool(self.new or self.changed)


def _hash(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True)
                          .encode("utf-8")).hexdigest()


def scenario_definition(scenario: Scenario, rules: Rules) -> dict[str, Any]:
    return {"scenario": scenario.to_data(), "rules": rules.to_data()}


def drill_definition(drill: Drill) -> dict[str, Any]:
    return {"drill": drill.to_data()}


def _content_hash(definition: dict[str, Any]) -> str:
    # Where a file lives and its raw hash do not change what is played or scored.
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items()
                    if k not in ("path", "source_hash", "line")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value
    return _hash(strip(definition))


def plan_import(session: Session, *, scenarios: list[Scenario], drills: list[Drill],
                rules: Rules) -> ImportPlan:
    """Compare incoming scenarios and drills with the database; write nothing."""
    plan = ImportPlan()
    known = {s.key for s in scenarios} | set(session.scalars(
        sa.select(ChatScenario.key).where(ChatScenario.current_version_id.is_not(None))))
    for scenario in scenarios:
        existing = session.scalar(sa.select(ChatScenario).where(ChatScenario.key == scenario.key))
        _compare(plan, f"scenario:{scenario.key}", existing,
                 _content_hash(scenario_definition(scenario, rules)))
    for drill in drills:
        for customer in drill.customers:
            if customer.scenario not in known:
                plan.problems.append(f"{drill.path}: 演练 {drill.key} 用到的场景 "
                                     f"{customer.scenario} 不存在")
        problem = _stage_problem(session, drill)
        if problem:
            plan.problems.append(f"{drill.path}: {problem}")
        existing_drill = session.scalar(sa.select(ChatDrill).where(ChatDrill.key == drill.key))
        _compare(plan, f"drill:{drill.key}", existing_drill,
                 _content_hash(drill_definition(drill)))
    return plan


def _compare(plan: ImportPlan, label: str, existing: ChatScenario | ChatDrill | None,
             content_hash: str) -> None:
    if existing is None or existing.current_version is None:
        plan.new.append(label)
    elif existing.current_version.source_hash != content_hash:
        plan.changed.append(label)
    else:
        plan.unchanged.append(label)


def _stage_problem(session: Session, drill: Drill) -> str | None:
    """A drill that passes a stage must name a stage of an imported track that asks for it."""
    if drill.track is None:
        return None
    stages = courses.stage_assessment_lists(session, track_key=drill.track)
    if stages is None:
        return None  # courses not imported yet
    if drill.stage not in stages:
        return f"路线 {drill.track} 没有阶段 {drill.stage}"
    if not any(a.source is courses.AssessmentSource.CHAT_EXAM and a.key == drill.key
               for a in stages[drill.stage or ""]):
        return f"阶段 {drill.track}/{drill.stage} 没有以 chat_exam: {drill.key} 指定这场演练"
    return None


def apply_import(session: Session, *, scenarios: list[Scenario], drills: list[Drill],
                 rules: Rules, actor_id: int | None, now: datetime) -> ImportPlan:
    """Import all or nothing: any problem in the plan refuses the whole import."""
    plan = plan_import(session, scenarios=scenarios, drills=drills, rules=rules)
    if plan.problems:
        raise ImportInvalid(N_("有 %(n)d 处错误，未导入任何内容"), n=len(plan.problems))
    for scenario in scenarios:
        record = _record(session, ChatScenario, scenario.key)
        definition = scenario_definition(scenario, rules)
        new_version_if_changed(
            session, thing=record, content_hash=_content_hash(definition), actor_id=actor_id,
            now=now, version=ChatScenarioVersion(title=scenario.title, definition=definition))
    for drill in drills:
        drill_record = _record(session, ChatDrill, drill.key)
        definition = drill_definition(drill)
        new_version_if_changed(
            session, thing=drill_record, content_hash=_content_hash(definition),
            actor_id=actor_id, now=now,
            version=ChatDrillVersion(title=drill.title, track_key=drill.track,
                                     stage_key=drill.stage, definition=definition))
    if plan.touched:
        audit.record(session, actor_id=actor_id, action="chat.import", target_type="chat",
                     target_id=None, details={"new": plan.new, "changed": plan.changed}, now=now)
    session.flush()
    return plan


def _record(session: Session, model: type[R], key: str) -> R:
    """The scenario or drill with this key, made (without a version yet) when new."""
    record = session.scalar(sa.select(model).where(model.key == key))
    if record is None:
        record = model(key=key)
        session.add(record)
        session.flush()
    return record
