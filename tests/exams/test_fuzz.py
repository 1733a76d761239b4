"""Fuzzing the readers and graders: whatever a file or an answer holds, the result is a
reported problem (or a grade), never an exception."""
from __future__ import annotations

import json
import math
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.exams.bank import Bank, ImportResult, build_bank, dump_bank, load_bank
from portal.exams.gift import export_gift, import_gift
from portal.exams.kinds import COMMON_FIELDS, KINDS, Grade, QuestionDef, grade, public_view
from portal.exams.moodle_xml import import_moodle_xml
from portal.exams.validation import Report
from tests.exams.examples import FIXTURES, docs_example, docs_example_text
from tests.exams.gift_corpora import CORPORA, Corpus

FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

GIFT_PIECES = [
    "{", "}", "~", "=", "#", "####", "->", "::", "\\", "\\{", "\\}", "\\~", "\\=", "\\#", "\\:",
    "\\n", "\\\\", "%50%", "%-50%", "%100%", "%150%", "%", "T", "TRUE", "F", "FALSE", "1822",
    "1822:2", "3.141..3.142", "..", ":", "-", ".", "1e5", "\n", "\n\n", "//", "// c\n",
    "$CATEGORY: a/b\n", "[html]", "[markdown]", "[plain]", "<p>", "</p>", "<b>", "&amp;", " ",
    "题", "答案", "a", "0", "[id:x]", "[id:Bad Id]", "[points:2]", "[points:x]", "[tag:topic:x]",
    "[difficulty:hard]", "_____", "[[1]]", "\t", "\ufdd0", "\r\n",
]
YAML_PIECES = [
    "key: demo\n", "title: 题库\n", "questions:\n", "  - ", "    ", "id: q1\n", "kind: ",
    "single-choice\n", "multiple-choice\n", "fill-in\n", "numeric\n", "case\n", "operation-task\n",
    "short-answer\n", "matching\n", "true-false\n", "prompt: 题\n", "points: 2\n", "points: -1\n",
    "choices:\n", "- {text: 甲, correct: true}\n", "- {text: 乙}\n", "&a ", "*a", "!!str ",
    "!!python/object:os.system ", "[", "]", "{", "}", ": ", ", ", "'", '"', "|\n", ">-\n", "#",
    "\t", "\n", "---\n", "...\n", "? ", "<<: ", "1e999", ".nan", "9" * 30, "~", "null", "yes",
    "2025-11-11 10:00", "blanks: [[七], [8]]\n", "answers: [a]\n", "value: 1\n",
    "tolerance: 5%\n", "rubric: [{criterion: x, points: 1}]\n", "form:\n",
    "check: {rule: regex, pattern: '(a+)+'}\n", "scenario: s\n", "\ufeff",
]

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12)
FIELDS = sorted(set(COMMON_FIELDS) | {f for kind in KINDS.values() for f in kind.fields})


def assert_reported(result: ImportResult) -> None:
    assert isinstance(result, ImportResult)
    assert (result.bank is None) == bool(result.problems)
    for problem in result.problems + result.notices:
        assert str(problem)  # every message formats
        assert problem.line is None or problem.line >= 1


def assert_loaded(data: bytes) -> Bank | None:
    bank, problems = load_bank(data, "fuzz.yaml")
    assert (bank is None) == bool(problems)
    for problem in problems:
        assert str(problem)
    if bank is not None:
        again, more = load_bank(dump_bank(bank).encode("utf-8"), "again.yaml")
        assert more == [] and again is not None and again.as_data() == bank.as_data()
    return bank


# --- GIFT -------------------------------------------------------------------------------


@FUZZ
@given(st.text(max_size=400))
def test_gift_reader_never_raises_on_any_text(text: str) -> None:
    assert_reported(import_gift(text.encode("utf-8"), "fuzz.gift"))


@FUZZ
@given(st.binary(max_size=300))
def test_gift_reader_never_raises_on_any_bytes(data: bytes) -> None:
    assert_reported(import_gift(data, "fuzz.gift"))


@FUZZ
@given(st.lists(st.sampled_from(GIFT_PIECES), max_size=40).map("".join))
def test_gift_reader_never_raises_on_near_valid_gift(text: str) -> None:
    result = import_gift(text.encode("utf-8"), "fuzz.gift")
    assert_reported(result)
    if result.bank is not None:  # whatever imports also exports and imports again
        exported = export_gift(result.bank)
        assert_reported(import_gift(exported.text.encode("utf-8"), "again.gift"))


@pytest.mark.parametrize("corpus", CORPORA)
@FUZZ
@given(st.data())
def test_gift_reader_never_raises_on_mutated_examples(corpus: Corpus, data: st.DataObject) -> None:
    lines = corpus.read().decode("utf-8").split("\n")
    start = data.draw(st.integers(0, len(lines) - 1))
    chunk = lines[start:start + data.draw(st.integers(1, 12))]
    for _ in range(data.draw(st.integers(0, 4))):
        row = data.draw(st.integers(0, len(chunk) - 1))
        col = data.draw(st.integers(0, len(chunk[row])))
        piece = data.draw(st.sampled_from(GIFT_PIECES + [""]))
        cut = data.draw(st.integers(0, 3))
        chunk[row] = chunk[row][:col] + piece + chunk[row][col + cut:]
    assert_reported(import_gift("\n".join(chunk).encode("utf-8"), "fuzz.gift"))


# --- YAML -------------------------------------------------------------------------------


@FUZZ
@given(st.text(max_size=400))
def test_yaml_reader_never_raises_on_any_text(text: str) -> None:
    assert_loaded(text.encode("utf-8"))


@FUZZ
@given(st.binary(max_size=300))
def test_yaml_reader_never_raises_on_any_bytes(data: bytes) -> None:
    assert_loaded(data)


@FUZZ
@given(st.lists(st.sampled_from(YAML_PIECES), max_size=40).map("".join))
def test_yaml_reader_never_raises_on_near_valid_yaml(text: str) -> None:
    assert_loaded(text.encode("utf-8"))


@FUZZ
@given(st.data())
def test_yaml_reader_never_raises_on_mutated_docs_example(data: st.DataObject) -> None:
    lines = docs_example_text().split("\n")
    for _ in range(data.draw(st.integers(1, 3))):
        row = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["delete", "duplicate", "edit", "indent"]))
        if action == "delete":
            del lines[row]
        elif action == "duplicate":
            lines.insert(row, lines[row])
        elif action == "indent":
            lines[row] = data.draw(st.sampled_from(["", "  ", "    ", "\t"])) + lines[row].lstrip()
        else:
            col = data.draw(st.integers(0, len(lines[row])))
            piece = data.draw(st.sampled_from(YAML_PIECES + ["", "0", "-1", "x"]))
            lines[row] = lines[row][:col] + piece.rstrip("\n") + lines[row][col + 3:]
    assert_loaded("\n".join(lines).encode("utf-8"))


@st.composite
def question_shapes(draw: st.DrawFn) -> dict[str, Any]:
    """Questions with the right field names and arbitrary values."""
    shape: dict[str, Any] = {"id": draw(st.sampled_from(["q1", "q2", "Bad", 3])),
                             "kind": draw(st.sampled_from([*KINDS, "essay", None]))}
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=6, unique=True)):
        shape[name] = draw(JSON)
    return shape


@FUZZ
@given(st.lists(question_shapes(), max_size=4), st.sampled_from(["demo", "Demo", 1]))
def test_yaml_reader_never_raises_on_structured_nonsense(questions: list[Any], key: Any) -> None:
    text = yaml.safe_dump({"key": key, "title": "题库", "questions": questions}, allow_unicode=True)
    assert_loaded(text.encode("utf-8"))


@FUZZ
@given(st.text(min_size=1, max_size=200), st.text(min_size=1, max_size=60))
def test_any_text_survives_dump_and_load(prompt: str, choice: str) -> None:
    raw = {"key": "demo", "title": "题库", "questions": [
        {"id": "q1", "kind": "single-choice", "prompt": prompt, "points": 1, "explanation": prompt,
         "choices": [{"text": choice, "correct": True}, {"text": choice + "不同"}]}]}
    bank = build_bank(raw, Report("fuzz.yaml"))
    if bank is not None:  # text that is blank after cleaning is a problem, not a crash
        assert assert_loaded(dump_bank(bank).encode("utf-8")) is not None


# --- Moodle XML -------------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=300))
def test_moodle_xml_reader_never_raises_on_any_bytes(data: bytes) -> None:
    assert_reported(import_moodle_xml(data, "fuzz.xml"))


@FUZZ
@given(st.data())
def test_moodle_xml_reader_never_raises_on_mutated_sample(data: st.DataObject) -> None:
    text = (FIXTURES / "moodle_sample.xml").read_text(encoding="utf-8")
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text)))
        piece = data.draw(st.sampled_from(["", "<", ">", "</", "<!DOCTYPE x>", "&amp;", "&x;",
                                           "\ufeff", '<?xml version="1.0" encoding="gbk"?>',
                                           "fraction=\"x\"", "<text>", "</text>", "题", "*"]))
        text = text[:at] + piece + text[at + data.draw(st.integers(0, 20)):]
    encoding = data.draw(st.sampled_from(["utf-8", "gbk", "latin-1"]))
    text = text.replace('encoding="UTF-8"', f'encoding="{encoding}"', 1)
    assert_reported(import_moodle_xml(text.encode(encoding, "replace"), "fuzz.xml"))


# --- graders ----------------------------------------------------------------------------

DEFINITIONS = [q.definition for q in docs_example().questions]


def answers_for(question: QuestionDef) -> st.SearchStrategy[Any]:
    definition = question.to_data()
    keys = [c["key"] for c in definition.get("choices", [])]
    plausible = [st.sampled_from(keys)] if keys else []
    if definition["kind"] == "case":
        plausible.append(st.fixed_dictionaries({}, optional={
            p["id"]: JSON for p in definition["questions"]}))
    if definition["kind"] == "operation-task":
        plausible.append(st.fixed_dictionaries({}, optional={
            f["name"]: st.text(max_size=30) for f in definition["form"]}))
    return st.one_of(JSON, st.lists(st.sampled_from(keys or ["a"]), max_size=5), *plausible)


@FUZZ
@given(st.data())
def test_graders_take_any_json_answer(data: st.DataObject) -> None:
    definition = data.draw(st.sampled_from(DEFINITIONS))
    answer = data.draw(answers_for(definition))
    result = grade(definition, answer)
    assert isinstance(result, Grade)
    assert 0 <= result.points <= result.max_points == definition.points
    assert math.isfinite(result.points)
    json.dumps(result.as_dict(), ensure_ascii=False)
    json.dumps(public_view(definition).to_data(), ensure_ascii=False)
