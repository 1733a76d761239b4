"""`flask chat check / scenarios / score`, reading the files directly (no database)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from flask import Flask

DATA = Path(__file__).parent / "data" / "chats"
ROOT = ["--root", str(DATA)]


@pytest.fixture
def cli(app: Flask):  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["chat", *args])


def test_check_reports_ok(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("check", *ROOT)
    assert result.exit_code == 0, result.output
    assert "2 scenario(s), 1 drill(s)" in result.output


def test_check_prints_file_and_line_and_fails(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "chats"
    shutil.copytree(DATA, root)
    path = root / "scenarios" / "price-plus-one.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("type: picky", "type: grumpy"),
                    encoding="utf-8")
    line = next(i for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                if "grumpy" in text)
    result = cli("check", "--root", str(root))
    assert result.exit_code == 1
    assert f"chats/scenarios/price-plus-one.yaml:{line}: type 只能是" in result.output


def test_scenarios_lists_keys_with_states(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("scenarios", *ROOT)
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "carrier-promise: ask, ask-again, explained, promised",
        "price-plus-one: ask, agreed, refused"]


def test_score_one_reply(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("score", "carrier-promise", "--reply", "亲，可以给您发韵达的", *ROOT)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"critical", "items", "checks"}
    assert data["critical"] == ["false_promise"]
    assert data["items"]["accuracy"] == -3
    deducted = next(c for c in data["checks"] if c["check"] == "no-unkept-promise")
    assert deducted["hits"][0]["text"] == "发韵达" and deducted["tip"]
    refused = json.loads(cli("score", "carrier-promise", "--reply", "韵达我们发不了哦",
                             "--state", "ask-again", *ROOT).output)
    assert refused["critical"] == []


def test_score_a_jsonl_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lines = tmp_path / "replies.jsonl"
    lines.write_text("\n".join([
        json.dumps({"scenario": "carrier-promise", "reply": "爱买不买"}, ensure_ascii=False),
        json.dumps({"scenario": "price-plus-one", "state": "ask", "reply": "不能改价哦亲"},
                   ensure_ascii=False),
    ]) + "\n", encoding="utf-8")
    result = cli("score", "--jsonl", str(lines), *ROOT)
    assert result.exit_code == 0, result.output
    first, second = (json.loads(line) for line in result.output.splitlines())
    assert first["critical"] == ["rude"]
    assert second["critical"] == [] and second["items"] == {"bargaining": 2}


def test_score_refuses_unknown_scenarios_and_states(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("score", "nope", "--reply", "好的", *ROOT)
    assert result.exit_code != 0 and "unknown scenario" in result.output
    result = cli("score", "carrier-promise", "--reply", "好的", "--state", "zzz", *ROOT)
    assert result.exit_code != 0 and "no state" in result.output
    lines = tmp_path / "bad.jsonl"
    lines.write_text('{"scenario": "carrier-promise", "reply": "好的"}\nnot json\n',
                     encoding="utf-8")
    result = cli("score", "--jsonl", str(lines), *ROOT)
    assert result.exit_code == 1 and f"{lines}:2:" in result.output
    assert cli("score", *ROOT).exit_code != 0
