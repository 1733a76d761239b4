"""The import's fast paths give what the plain ones would: the one-pass YAML builder the
data PyYAML's own line loader builds (or the same refusal), and a question read from a
file the canonical data its typed definition dumps, serialised and hashed as before."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.exams import generated_bank_files
from portal.content import safe_yaml
from portal.exams.bank import data_hash, load_bank

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "question_banks").rglob("*.yaml"))

TEXTS = [
    "", "a: 1", "---\n", "- 1\n- 2", ("a: {b: [1, 2, {c: d}]}\nb: ~\nc: yes\nd: '1'\ne: 1.5\n"
                                         "f: 2025-01-01\n"), "a: 1\na: 2\n", "true: 1\n1: x\nnull: 3\n", "<<: {a: 1}\nb: 2\n",
    "? [a]\n: 1\n", "a: 1\n---\nb: 2\n", "x: 12345678901234567890123\n", "a: |\n  多行\n  文字\n",
    "- - - x\n", "a:\n  - b: 1\n    c:\n      d: e\n", "k: 0x1F\nj: 0o17\nl: .inf\nm: -.nan\n",
    "'a': \"b\"\n\"c\": [x, 'y', \"z\"]\n", "空: \nx: []\ny: {}\n",
    # the builder's inline string test: quoted look-alikes stay text, plain ones resolve
    "'true': 'null'\n\"1\": \"~\"\nyes: no\n- x\n", "- 'on'\n- off\n- ''\n-\n- 文字\n",
    "a: [~, '', y, n, 'Y', 0, '0']\nb: {x: , 'x2': }\n",
]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(_same, a, b))
    return bool(a == b)


@pytest.mark.parametrize("text", TEXTS + [p.read_text("utf-8") for p in SHIPPED]
                         + [generated_bank_files(40)[0][1].decode()])
def test_the_one_pass_builder_gives_what_pyyaml_gives(text: str) -> None:
    def outcome(read: Any) -> tuple[str, Any]:
        try:
            return "data", read()
        except yaml.YAMLError as exc:  # the same refusal, whichever path read it
            return "error", type(exc)

    expected = outcome(lambda: yaml.load(text, Loader=safe_yaml._Loader))
    got = outcome(lambda: safe_yaml._build(text, max_depth=40, max_events=200_000))
    assert got[0] == expected[0] and _same(got[1], expected[1])


@pytest.mark.parametrize(("text", "line", "word"), [
    ("a: &x 1\nb: *x\n", 1, "锚点"), ("a:\n  b: !!str x\n", 2, "标签"), ("- *a\n", 1, "别名"),
    ("<<: {a: 1}\nb: *x\n", 2, "别名"), ("? [a]\n: &y 1\n", 2, "锚点"),
    ("a: 1\n---\nb: !t 2\n", 3, "标签"), ("[[[[[[1]]]]]]", 1, "嵌套"),
    ("x: [" + ", ".join(["1"] * 300) + "]\n", 1, "过多"), ("- {a: 1, b: 2}\n" * 100, 8, "过多"),
    # refused where the builder takes a start or a string without a call
    ("a: 1\n&k b: 2\n", 2, "锚点"), ("a:\n  - x\n  - &v y\n", 3, "锚点"),
    ("a: !!str b\n", 1, "标签"), ("a: !m {b: 1}\n", 1, "标签"), ("a:\n  b: &s [1]\n", 2, "锚点"),
    ("- !s [1]\n", 1, "标签"), ("- &m {a: 1}\n", 1, "锚点"), ("[[[[[[]]]]]]", 1, "嵌套"),
    ("{a: {b: {c: {d: {e: {f: 1}}}}}}", 1, "嵌套"),
    ("x:\n" + "".join(f"  k{i}: v\n" for i in range(22)) + "y: {z: 1}\n", 24, "过多"),
])
def test_refusals_name_their_line_on_every_path(text: str, line: int, word: str) -> None:
    problems: list[Any] = []
    assert safe_yaml.parse(text, "f.yaml", problems, max_depth=5, max_events=50) is None
    assert len(problems) == 1
    assert problems[0].line == line and word in str(problems[0].message)


def test_a_question_read_from_a_file_keeps_exactly_its_canonical_data() -> None:
    files = generated_bank_files(90) + [(str(p), p.read_bytes()) for p in SHIPPED
                                        if "observations" not in p.parts]
    checked = 0
    for path, data in files:
        bank, _ = load_bank(data, path)
        if bank is None:
            continue  # not a question bank (other shipped files share the folder)
        for question in bank.questions:
            dumped = question.definition.to_data()
            assert question.data == dumped and list(question.data) == list(dumped)
            assert question.json == json.dumps(dumped, ensure_ascii=False, sort_keys=True)
            assert question.content_hash == data_hash(dumped)
            assert (question.points, question.difficulty, question.tags) == (
                question.definition.points, str(question.definition.difficulty),
                list(question.definition.tags))
            checked += 1
    assert checked >= 90
