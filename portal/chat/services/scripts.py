"""The scenarios a trainer can try in the player and the matcher tester: those in the chats
folder as the files reader reads them now (before publishing), and the imported versions."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.chat import files
from portal.chat.models import ChatScenario, ChatScenarioVersion
from portal.chat.scenario import Matcher, Rules, Scenario
from portal.content.loader import Problem
from portal.errors import NotFound
from portal.messages import N_

MAX_REF_CHARS = 80


class ScriptSource(StrEnum):
    FOLDER = "file"  # question_banks/chats as it is on disk
    IMPORTED = "version"  # an imported version in the database


@dataclass(frozen=True)
class ScriptChoice:
    ref: str  # "file:<key>" or "version:<id>" (a form value, never shown)
    key: str
    title: str
    source: ScriptSource
    version_number: int | None = None
    current: bool = False  # the imported version in use


@dataclass(frozen=True)
class Script:
    """A scenario ready to play, with the rules that apply to it and the shared matchers."""

    choice: ScriptChoice
    scenario: Scenario
    rules: Rules
    shared: frozenset[str]  # names of the shared matchers (matchers.yaml)


@dataclass(frozen=True)
class Scripts:
    choices: list[ScriptChoice]
    problems: list[Problem]  # the folder's, with file and line (its scenarios are left out)
    folder: files.ChatContent


def _imported_versions(session: Session) -> list[tuple[ChatScenarioVersion, str, bool]]:
    rows = session.execute(
        sa.select(ChatScenarioVersion, ChatScenario.key, ChatScenario.current_version_id)
        .join(ChatScenario, ChatScenario.id == ChatScenarioVersion.chat_scenario_id)
        .order_by(ChatScenario.key, ChatScenarioVersion.number.desc())).all()
    return [(version, key, version.id == current) for version, key, current in rows]


def script_choices(session: Session, *, folder: Path) -> Scripts:
    """Every scenario of the folder (when it reads without problems), then every imported
    version, newest first per key."""
    content = files.load_folder(folder)
    choices = [ScriptChoice(ref=f"{ScriptSource.FOLDER}:{s.key}", key=s.key, title=s.title,
                            source=ScriptSource.FOLDER)
               for s in sorted(content.scenarios, key=lambda s: s.key)]
    for version, key, current in _imported_versions(session):
        choices.append(ScriptChoice(ref=f"{ScriptSource.IMPORTED}:{version.id}", key=key,
                                    title=version.title, source=ScriptSource.IMPORTED,
                                    version_number=version.number, current=current))
    return Scripts(choices=choices, problems=list(content.problems), folder=content)


def load_script(session: Session, *, folder: Path, ref: str,
                scripts: Scripts | None = None) -> Script:
    """The scenario a choice names; not found (in Chinese) for anything else."""
    source, _, name = ref[:MAX_REF_CHARS].partition(":")
    if source == ScriptSource.FOLDER:
        content = scripts.folder if scripts is not None else files.load_folder(folder)
        scenario = content.scenario(name)
        if scenario is not None:
            return Script(choice=ScriptChoice(ref=ref, key=scenario.key, title=scenario.title,
                                              source=ScriptSource.FOLDER),
                          scenario=scenario, rules=content.rules,
                          shared=frozenset(content.matchers))
    elif source == ScriptSource.IMPORTED and name.isdigit() and len(name) <= 12:
        version = session.get(ChatScenarioVersion, int(name))
        if version is not None:
            scenario = Scenario.from_data(version.definition["scenario"])
            rules = Rules.from_data(version.definition.get("rules") or {})
            return Script(choice=ScriptChoice(
                ref=ref, key=version.scenario.key, title=version.title,
                source=ScriptSource.IMPORTED, version_number=version.number,
                current=version.scenario.current_version_id == version.id),
                # A version holds the shared matchers it uses resolved into it: all are its own.
                scenario=scenario, rules=rules, shared=frozenset())
    raise NotFound(N_("找不到这个剧本，请从列表中重新选择"))


def scenario_own_matchers(scenario: Scenario, *, shared: frozenset[str]) -> dict[str, Matcher]:
    """The matchers a scenario defines itself (not the shared ones it can also name)."""
    return {name: matcher for name, matcher in scenario.matchers.items() if name not in shared}
