"""`flask --app portal chat ...`: check the chat files, list scenarios, score replies.

`check`, `scenarios` and `score` read question_banks/chats/ directly (no database), for
trainers tuning rules and for CI. The database commands (`import`, `sweep`) belong to the
persistence side and are added below, in the marked section.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

chat_cli = AppGroup("chat", help="Simulated-chat exams: check, scenarios, score.")

ROOT_HELP = "The chats folder (default: question_banks/chats/)."


def _root(path: str | None) -> Path:
    from portal.config import PROJECT_ROOT

    return Path(path) if path else PROJECT_ROOT / "question_banks" / "chats"


def load_valid(path: str | None):  # type: ignore[no-untyped-def]
    """The chat files, or every problem (file:line: message) on stderr and exit 1."""
    from portal.chat.files import load_folder

    content = load_folder(_root(path))
    for problem in content.problems:
        click.echo(str(problem), err=True)
    if content.problems:
        click.echo(f"{len(content.problems)} problem(s); nothing was imported", err=True)
        sys.exit(1)
    return content


@chat_cli.command("check")
@click.option("--root", default=None, help=ROOT_HELP)
def chat_check(root: str | None) -> None:
    """Validate every chat file; report each problem with file and line."""
    content = load_valid(root)
    click.echo(f"chats ok: {len(content.scenarios)} scenario(s), {len(content.drills)} "
               f"drill(s), {len(content.matchers)} shared matcher(s)")


@chat_cli.command("scenarios")
@click.option("--root", default=None, help=ROOT_HELP)
def chat_scenarios(root: str | None) -> None:
    """List the scenario keys with their states (the start state first)."""
    content = load_valid(root)
    for scenario in sorted(content.scenarios, key=lambda s: s.key):
        states = [scenario.start] + [k for k in scenario.states if k != scenario.start]
        click.echo(f"{scenario.key}: {', '.join(states)}")


def _score_line(content: Any, scenario_key: str, state: str | None, reply: str,
                first: bool) -> dict[str, Any]:
    from portal.chat.scoring import score_reply

    scenario = content.scenario(scenario_key)
    if scenario is None:
        raise click.ClickException(f"unknown scenario {scenario_key!r} "
                                   "(see `flask chat scenarios`)")
    state = state or scenario.start
    if state not in scenario.states:
        raise click.ClickException(f"scenario {scenario_key!r} has no state {state!r}; "
                                   f"its states: {', '.join(scenario.states)}")
    return score_reply(scenario, state, reply, content.rules, first=first).as_output()


@chat_cli.command("score")
@click.argument("scenario", required=False)
@click.option("--reply", default=None, help="The trainee's reply to score.")
@click.option("--state", default=None, help="The state whose message it answers (default: start).")
@click.option("--jsonl", "jsonl", type=click.Path(exists=True, dir_okay=False), default=None,
              help='Many replies: {"scenario": …, "state": …, "reply": …} per line.')
@click.option("--not-first", is_flag=True, help="Score it as a later reply, not the first.")
@click.option("--root", default=None, help=ROOT_HELP)
def chat_score(scenario: str | None, reply: str | None, state: str | None, jsonl: str | None,
               not_first: bool, root: str | None) -> None:
    """Score replies without a browser; one JSON line per reply:
    {"critical": [...], "items": {item: points}, "checks": [...]}."""
    if jsonl is None and (scenario is None or reply is None):
        raise click.UsageError("give SCENARIO --reply TEXT, or --jsonl FILE")
    content = load_valid(root)
    if jsonl is None:
        assert scenario is not None and reply is not None
        result = _score_line(content, scenario, state, reply, not not_first)
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    failed = 0
    with open(jsonl, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                if not isinstance(entry, dict) or not isinstance(entry.get("reply"), str) \
                        or not isinstance(entry.get("scenario"), str):
                    raise TypeError('expected {"scenario": …, "state": …, "reply": …}')
                result = _score_line(content, entry["scenario"], entry.get("state"),
                                     entry["reply"], bool(entry.get("first", not not_first)))
            except (ValueError, TypeError, click.ClickException) as exc:
                message = exc.format_message() if isinstance(exc, click.ClickException) else exc
                click.echo(f"{jsonl}:{number}: {message}", err=True)
                failed += 1
                continue
            click.echo(json.dumps(result, ensure_ascii=False))
    if failed:
        sys.exit(1)


# --- database commands (import, sweep) ------------------------------------------------------
# Added by the persistence work in this module, on `chat_cli`, e.g.
#   @chat_cli.command("import") … uses load_valid(root) and portal.chat.services.imports
#   @chat_cli.command("sweep")  … uses portal.chat.services.attempts


def _echo_plan(plan: Any) -> None:
    click.echo(f"new: {len(plan.new)}, changed: {len(plan.changed)}, "
               f"unchanged: {len(plan.unchanged)}")
    for label, items in (("new", plan.new), ("changed", plan.changed)):
        for item in items:
            click.echo(f"  {label}: {item}")
    for problem in plan.problems:
        click.echo(f"problem: {problem}", err=True)


@chat_cli.command("import")
@click.option("--root", default=None, help=ROOT_HELP)
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
def chat_import(root: str | None, dry_run: bool) -> None:
    """Import scenarios and drills as new versions where they changed (all or nothing)."""
    from portal.chat.services import imports
    from portal.cli import cli_session, run_import
    from portal.db import utcnow

    content = load_valid(root)
    arguments = {"scenarios": content.scenarios, "drills": content.drills,
                 "rules": content.rules}
    with cli_session() as session:
        run_import(session, dry_run=dry_run,
                   plan=lambda: imports.plan_import(session, **arguments),
                   apply=lambda: imports.apply_import(session, **arguments, actor_id=None,
                                                      now=utcnow()))


@chat_cli.command("sweep")
def chat_sweep() -> None:
    """End every chat attempt whose time is up and score it (run it from cron)."""
    from portal.chat.services.attempts import sweep
    from portal.cli import cli_session
    from portal.db import utcnow

    with cli_session() as session:
        count = sweep(session, now=utcnow())
    click.echo(f"ended {count} expired chat attempt(s)")
