"""Reading question_banks/chats/: typed definitions, and every problem in Chinese with its
file and line, nothing returned unless all is valid."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from portal.chat.files import load_files, load_folder
from portal.chat.scenario import (
    Area,
    CustomerType,
    Ending,
    Item,
    Ref,
    Scenario,
    Scope,
    Violation,
)

DATA = Path(__file__).parent / "data" / "chats"


@pytest.fixture
def chats(tmp_path: Path) -> Path:
    root = tmp_path / "chats"
    shutil.copytree(DATA, root)
    return root


def _problems_after(root: Path, rel: str, old: str, new: str) -> list[str]:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    content = load_folder(root)
    assert content.scenarios == [] and content.drills == [] and content.matchers == {}
    return [str(p) for p in content.problems]


def _line_of(root: Path, rel: str, needle: str) -> int:
    lines = (root / rel).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


def test_the_test_files_load_into_typed_definitions() -> None:
    content = load_folder(DATA)
    assert content.problems == []
    scenario = content.scenario("carrier-promise")
    assert scenario is not None
    assert scenario.customer.type is CustomerType.RATIONAL
    assert scenario.customer.patience.nudges == ("在吗？", "还在吗？")
    assert scenario.context.order is not None and scenario.context.order.amount == 89
    assert scenario.states["explained"].ending is Ending.SATISFIED
    assert scenario.rubric[Item.ACCURACY] == 3
    assert {c.id: c.scope for c in scenario.checks}["offers-carriers"] is Scope.STATES
    assert scenario.critical[0].id is Violation.FALSE_PROMISE
    assert scenario.critical[0].when == Ref("promise-yunda")
    assert {"promise-yunda", "rude-words"} <= set(scenario.matchers)  # own and shared
    assert [r.id for r in content.rules.critical] == [Violation.RUDE,
                                                      Violation.OFF_PLATFORM_PAYMENT]
    drill = content.drill("peak")
    assert drill is not None and [c.arrive for c in drill.customers] == [0, 20]
    assert drill.areas == {Item.BARGAINING: Area.PRE_SALES, Item.ACCURACY: Area.AFTER_SALES}
    assert scenario.path == "chats/scenarios/carrier-promise.yaml"


def test_definitions_round_trip_through_json_data() -> None:
    import json

    content = load_folder(DATA)
    for scenario in content.scenarios:
        assert Scenario.from_data(json.loads(json.dumps(scenario.to_data()))) == scenario
    drill = content.drills[0]
    assert type(drill).from_data(json.loads(json.dumps(drill.to_data()))) == drill


def test_the_content_hash_changes_with_the_meaning_only(chats: Path) -> None:
    before = load_folder(chats).scenario("carrier-promise")
    path = chats / "scenarios" / "carrier-promise.yaml"
    path.write_text("# a comment\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    same = load_folder(chats).scenario("carrier-promise")
    assert before is not None and same is not None and same.source_hash == before.source_hash
    shared = chats / "matchers.yaml"
    shared.write_text(shared.read_text(encoding="utf-8").replace("你自己看", "你自己看吧"),
                      encoding="utf-8")
    changed = load_folder(chats).scenario("carrier-promise")
    assert changed is not None and changed.source_hash != before.source_hash


SCENARIO = "scenarios/carrier-promise.yaml"


@pytest.mark.parametrize(("rel", "old", "new", "needle", "expected"), [
    (SCENARIO, "title: 买家要求改发韵达", "title: 买家要求改发韵达\ncolour: red", "colour",
     "未知字段 colour"),
    (SCENARIO, "goto: explained}\n    fallback", "goto: nowhere}\n    fallback", "goto: nowhere",
     "指向不存在的状态 nowhere"),
    (SCENARIO, "{when: offer-shop-carriers, goto: explained}\n    fallback",
     "{when: promise-yunda-typo, goto: explained}\n    fallback", "promise-yunda-typo",
     "匹配规则 promise-yunda-typo 没有定义"),
    (SCENARIO, "    ending: satisfied\nrubric", "\nrubric", None, "对话会卡在这里"),
    (SCENARIO, "id: greets-first\n    item: greeting", "id: greets-first\n    item: complaint",
     "item: complaint", "评分项 complaint 不在 rubric 中"),
    (SCENARIO, "{id: false_promise, when: promise-yunda}", "{id: lying, when: promise-yunda}",
     "id: lying", "未知的严重违规 lying"),
    (SCENARIO, "type: rational", "type: angry", "type: angry", "type 只能是"),
    (SCENARIO, "scope: {states: [ask, ask-again]}", "scope: {states: [ask, later]}",
     "states: [ask, later]", "scope 中的状态 later 不存在"),
    (SCENARIO, "    word: true", "    word: true\n    threshold: 80", "threshold: 80",
     "threshold 不能用于 phrases 规则"),
    ("matchers.yaml", 'regex: "(加|私)', 'regex: "((加|私)+)+', "regex:",
     "含有嵌套的重复"),
    ("matchers.yaml", 'regex: "(加|私)', 'regex: "(加|私', "regex:", "写法有误"),
    ("matchers.yaml", "any: [greeting-phrases, greeting-fuzzy]",
     "any: [greeting-phrases, any-greeting]", "  any-greeting:", "引用了它自己"),
    ("matchers.yaml", "  farewell:\n", "  farewell:\n    regex: 再见\n", "  farewell:",
     "有且只有"),
    ("rules.yaml", "    when: rude-words", "    when: rude-wordz", "rude-wordz",
     "匹配规则 rude-wordz 没有定义"),
    ("rules.yaml", "good: 30", "good: 90", "good: 90", "good < normal < poor"),
    ("drills/peak.yaml", "scenario: price-plus-one", "scenario: price-plus-two",
     "price-plus-two", "场景 price-plus-two 不存在"),
    ("drills/peak.yaml", "pass_mark: 70", "pass_mark: 170", "pass_mark", "pass_mark 应为 0 到 100"),
    ("drills/peak.yaml", "bargaining: pre-sales", "bargaining: sales", "bargaining: sales",
     "bargaining 只能是"),
])
def test_each_problem_is_named_with_file_and_line(chats: Path, rel: str, old: str, new: str,
                                                  needle: str | None, expected: str) -> None:
    problems = _problems_after(chats, rel, old, new)
    matching = [p for p in problems if expected in p]
    assert matching, problems
    if needle is not None:
        assert matching[0].startswith(f"chats/{rel}:{_line_of(chats, rel, needle)}: "), matching


def test_an_unreachable_state_is_named(chats: Path) -> None:
    problems = _problems_after(chats, SCENARIO, "  promised:\n", "  orphan:\n    say: [{text: 嗯}]\n"
                               "    ending: left\n  promised:\n")
    line = _line_of(chats, SCENARIO, "  orphan:")
    assert f"chats/{SCENARIO}:{line}: 状态 orphan 从 start 出发无法到达" in problems


def test_a_scenario_may_not_redefine_a_shared_matcher(chats: Path) -> None:
    problems = _problems_after(chats, SCENARIO, "matchers:\n  promise-yunda:",
                               "matchers:\n  farewell:\n    phrases: [拜拜]\n  promise-yunda:")
    assert any("farewell 已在 matchers.yaml 中定义" in p for p in problems), problems


def test_yaml_errors_and_hostile_files(chats: Path) -> None:
    problems = _problems_after(chats, "rules.yaml", "critical:", "critical: &a\n  - x\nmore: *a\nold:")
    assert any("锚点" in p for p in problems), problems
    (chats / "rules.yaml").write_text("timing: [1, 2\n", encoding="utf-8")
    problems = [str(p) for p in load_folder(chats).problems]
    assert any(p.startswith("chats/rules.yaml:") and "方括号" in p for p in problems), problems
    (chats / "rules.yaml").write_bytes(b"timing:\n  good: \xff\n")
    problems = [str(p) for p in load_folder(chats).problems]
    assert any("UTF-8" in p for p in problems), problems
    (chats / "rules.yaml").write_bytes(b"# " + b"x" * (300 * 1024))
    assert any("256 KB" in str(p) for p in load_folder(chats).problems)


def test_every_problem_is_reported_at_once(chats: Path) -> None:
    path = chats / SCENARIO
    text = path.read_text(encoding="utf-8")
    text = text.replace("type: rational", "type: angry").replace("goto: explained}\n    fallback",
                                                                   "goto: nowhere}\n    fallback")
    path.write_text(text, encoding="utf-8")
    drill = chats / "drills" / "peak.yaml"
    drill.write_text(drill.read_text(encoding="utf-8").replace("attempts: 2", "attempts: 0"),
                     encoding="utf-8")
    problems = [str(p) for p in load_folder(chats).problems]
    assert any("type 只能是" in p for p in problems)
    assert any("nowhere" in p for p in problems)
    assert any(p.startswith("chats/drills/peak.yaml:") and "attempts" in p for p in problems)


def test_duplicate_keys_across_files_and_unknown_files() -> None:
    good = (DATA / SCENARIO).read_bytes()
    content = load_files([("scenarios/a.yaml", good), ("scenarios/b.yaml", good),
                          ("notes.txt", b"hello")])
    problems = [str(p) for p in content.problems]
    assert any(p.startswith("scenarios/b.yaml:1: ") and "重复" in p for p in problems), problems
    assert any(p.startswith("notes.txt: ") for p in problems)
    assert content.scenarios == []


def test_the_shipped_chat_files_if_present_are_valid() -> None:
    root = Path(__file__).resolve().parents[2] / "question_banks" / "chats"
    if not root.is_dir():
        pytest.skip("no shipped chat content (question_banks/chats/) on this branch yet")
    content = load_folder(root)
    assert [str(p) for p in content.problems] == []
    assert content.scenarios
