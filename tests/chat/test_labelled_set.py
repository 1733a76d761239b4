"""The engine against the labelled trainee replies of question_banks/chats/labelled/.

Every reply is scored with `score_reply` as the answer to the customer at its state; the
engine's critical violations and fired checks are compared with the labels. The report
(agreement per check, the confusion counts per critical violation) is emitted as a
`UserWarning` that this test alone lets through, so it is printed in the "warnings
summary" of a plain `pytest -q` run (the suite otherwise turns warnings into errors).
"""
from __future__ import annotations

import json
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from portal.chat.files import ChatContent, load_folder
from portal.chat.scenario import Violation
from portal.chat.scoring import CheckOutcome, score_reply

CHATS = Path(__file__).resolve().parents[2] / "question_banks" / "chats"
LABELLED = CHATS / "labelled" / "replies.jsonl"
LABELS = {"good", "poor", "violating"}
# A reply flagged with a critical violation it does not commit fails a trainee's attempt
# for nothing; the bound is stated (with the measured rate) in docs/chat-scenario-format.md.
MAX_FALSE_POSITIVE_RATE = 0.03
MIN_CHECK_AGREEMENT = 0.95
MIN_REPLIES = 200


@dataclass(frozen=True)
class Labelled:
    line: int
    scenario: str
    state: str
    reply: str
    label: str
    critical: frozenset[str]
    checks: dict[str, bool]


@pytest.fixture(scope="module")
def content() -> ChatContent:
    loaded = load_folder(CHATS)
    assert loaded.problems == []
    return loaded


@pytest.fixture(scope="module")
def labelled() -> list[Labelled]:
    rows = []
    for number, line in enumerate(LABELLED.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        data = json.loads(line)
        rows.append(Labelled(number, data["scenario"], data["state"], data["reply"],
                             data["label"], frozenset(data["critical"]), dict(data["checks"])))
    return rows


def test_the_set_is_well_formed_and_covers_every_scenario_and_violation(
        content: ChatContent, labelled: list[Labelled]) -> None:
    assert len(labelled) >= MIN_REPLIES
    for row in labelled:
        scenario = content.scenario(row.scenario)
        assert scenario is not None, f"line {row.line}: unknown scenario {row.scenario}"
        assert row.state in scenario.states, f"line {row.line}: no state {row.state}"
        assert row.label in LABELS, f"line {row.line}"
        assert (row.label == "violating") == bool(row.critical), f"line {row.line}"
        assert row.critical <= {v.value for v in Violation}, f"line {row.line}"
        own = {c.id for c in scenario.checks}
        assert set(row.checks) <= own, f"line {row.line}: {set(row.checks) - own}"
    assert {row.scenario for row in labelled} == {s.key for s in content.scenarios}
    # Every violation has replies that commit it and, in the scenarios where it is checked,
    # tricky replies that come close without committing it (negations, quotes, refusals).
    committed = Counter(v for row in labelled for v in row.critical)
    assert set(committed) == {v.value for v in Violation}
    checked_in = {v.value: {s.key for s in content.scenarios
                            if v in {r.id for r in (*content.rules.critical, *s.critical)}}
                  for v in Violation}
    for violation, scenarios in checked_in.items():
        clean = [r for r in labelled if r.scenario in scenarios and violation not in r.critical]
        assert len(clean) >= 5, violation


def _fired(content: ChatContent, row: Labelled) -> tuple[set[str], dict[str, bool]]:
    scenario = content.scenario(row.scenario)
    assert scenario is not None
    result = score_reply(scenario, row.state, row.reply, content.rules)
    fired = {c.check: c.outcome in (CheckOutcome.AWARDED, CheckOutcome.DEDUCTED)
             for c in result.checks}
    return {str(v) for v in result.critical}, fired


@pytest.mark.filterwarnings("always:chat labelled set:UserWarning")
def test_the_engine_agrees_with_the_labels(content: ChatContent,
                                           labelled: list[Labelled]) -> None:
    confusion = {v.value: Counter() for v in Violation}
    agree: Counter[str] = Counter()
    total: Counter[str] = Counter()
    missed, false_alarms, check_misses = [], [], []
    for row in labelled:
        critical, fired = _fired(content, row)
        for violation, counts in confusion.items():
            expected, got = violation in row.critical, violation in critical
            counts[("tp" if got else "fn") if expected else ("fp" if got else "tn")] += 1
            if expected and not got:
                missed.append(f"line {row.line} {violation}: {row.reply}")
            if got and not expected:
                false_alarms.append(f"line {row.line} {violation}: {row.reply}")
        for check, expected in row.checks.items():
            total[check] += 1
            if fired.get(check, False) == expected:
                agree[check] += 1
            else:
                check_misses.append(f"line {row.line} {row.scenario}/{check}: {row.reply}")

    flagged_wrongly = sum(1 for row in labelled
                          if _fired(content, row)[0] - row.critical)
    fp_rate = flagged_wrongly / len(labelled)
    overall = sum(agree.values()) / sum(total.values())
    lines = [(f"chat labelled set: {len(labelled)} replies, "
              f"{sum(total.values())} labelled check outcomes"),
             (f"critical violations (tp/fn/fp/tn); replies wrongly flagged: "
              f"{flagged_wrongly} ({fp_rate:.1%}, bound {MAX_FALSE_POSITIVE_RATE:.0%})")]
    lines += [f"  {v:<22} {c['tp']:>3} {c['fn']:>3} {c['fp']:>3} {c['tn']:>4}"
              for v, c in confusion.items()]
    lines.append(f"check agreement: {overall:.1%} overall (bound {MIN_CHECK_AGREEMENT:.0%})")
    lines += [f"  {check:<28} {agree[check]:>3}/{total[check]:<3} "
              f"{agree[check] / total[check]:.0%}" for check in sorted(total)]
    lines += [f"  disagreement: {m}" for m in check_misses]
    warnings.warn("\n".join(lines), UserWarning, stacklevel=1)

    assert missed == [], "critical violations the engine did not see"
    assert fp_rate <= MAX_FALSE_POSITIVE_RATE, false_alarms
    assert overall >= MIN_CHECK_AGREEMENT, check_misses
