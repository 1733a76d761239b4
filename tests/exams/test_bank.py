"""The YAML bank format: the documented example loads and round-trips; every problem is
reported by file and line; hostile files are refused safely."""
from __future__ import annotations

import time

import pytest

from portal.exams.bank import (
    MAX_BANK_BYTES,
    MAX_QUESTIONS,
    dump_bank,
    load_bank,
    load_banks,
)
from tests.exams.examples import docs_example, docs_example_text

HEAD = "key: demo\ntitle: 演示题库\nquestions:\n"
SINGLE = """  - id: {id}
    kind: single-choice
    prompt: 题干
    points: 1
    choices:
      - {{text: 对, correct: true}}
      - {{text: 错}}
"""


def load(text: str) -> tuple[object, list[str]]:
    bank, problems = load_bank(text.encode("utf-8"), "question_banks/demo.yaml")
    return bank, [str(p) for p in problems]


def only_problems(text: str) -> list[str]:
    bank, found = load(text)
    assert bank is None, "a bank with problems must not load"
    assert found
    return found


def test_the_documented_example_is_valid_and_complete() -> None:
    bank = docs_example()
    assert bank.key == "after-sales-demo" and len(bank.questions) == 9
    first = bank.questions[0]
    assert first.id == "promise-express-01" and first.line == 5
    assert first.tags == ["stage:practice", "topic:发货承诺", "role:after-sales"]
    assert first.difficulty == "easy" and first.explanation.startswith("承诺以聊天记录为准")


def test_dump_writes_yaml_that_loads_back_to_the_same_bank() -> None:
    bank = docs_example()
    text = dump_bank(bank)
    again, problems = load_bank(text.encode("utf-8"), "exported.yaml")
    assert problems == []
    assert again is not None and again.as_data() == bank.as_data()
    assert again.content_hash == bank.content_hash
    assert "*" not in text.replace("**", "")  # no aliases, even for repeated values
    assert "买家在旺旺留言" in text  # Chinese written as is, not escaped


def test_a_valid_small_bank_gets_defaults() -> None:
    bank, found = load(HEAD + SINGLE.format(id="q1"))
    assert found == []
    definition = bank.questions[0].definition.to_data()  # type: ignore[attr-defined]
    assert definition["difficulty"] == "medium" and definition["tags"] == []
    assert [c["key"] for c in definition["choices"]] == ["a", "b"]


@pytest.mark.parametrize(("text", "line", "words"), [
    (HEAD + SINGLE.format(id="q1") + SINGLE.format(id="q1"), 11, "q1 重复（第一次出现在第 4 行）"),
    (HEAD + SINGLE.format(id="Q 1"), 4, "题目 id 应为小写字母"),
    (HEAD + SINGLE.format(id="q1").replace("single-choice", "essay"), 5, "未知的题型 essay"),
    (HEAD + SINGLE.format(id="q1").replace("prompt:", "promt:"), 6, "未知字段 promt"),
    (HEAD + SINGLE.format(id="q1").replace("{text: 错}", "{text: 错, correct: true}"), 8,
     "恰好有一个正确选项"),
    (HEAD + SINGLE.format(id="q1").replace("{text: 错}", "{text: 对}"), 10, "选项 对 重复"),
    (HEAD + SINGLE.format(id="q1").replace("points: 1", "points: 0"), 7, "points 应为大于 0"),
    (HEAD + SINGLE.format(id="q1").replace("points: 1", "points: 1\n    tags: [level:1]"), 8,
     "标签 level:1 不合规"),
    (HEAD + SINGLE.format(id="q1").replace("points: 1", "points: 1\n    tags: [role:boss]"), 8,
     "岗位只能是"),
    (HEAD + SINGLE.format(id="q1").replace("points: 1", "points: 1\n    difficulty: 2"), 8,
     "difficulty 只能是 easy, medium, hard"),
    ("key: Demo\ntitle: x\nquestions: []\n", 1, "题库 key 应为"),
    ("title: x\nquestions:\n" + SINGLE.format(id="q1"), 1, "题库 key 应为"),
])
def test_problems_are_reported_with_their_line(text: str, line: int, words: str) -> None:
    found = only_problems(text)
    assert any(f"demo.yaml:{line}: " in p and words in p for p in found), found


KIND_PROBLEMS = [
    ("""  - id: f
    kind: fill-in
    prompt: 签收后 [[1]] 天内可申请 [[3]]
    points: 2
    blanks: [[七], [退货]]
""", 6, "[[1]] 到 [[2]]"),
    ("""  - id: f
    kind: fill-in
    prompt: 两个空
    points: 2
    blanks: [[七], [退货]]
""", 6, "标出每个空的位置"),
    ("""  - id: f
    kind: fill-in
    prompt: 填空
    points: 1
    answers: [{text: 退货, credit: 50}]
""", 8, "至少要有一个满分"),
    ("""  - id: m
    kind: multiple-choice
    prompt: 多选
    points: 2
    scoring: weighted
    choices:
      - {text: 甲, credit: 50}
      - {text: 乙, credit: 40}
""", 9, "credit 之和应为 100"),
    ("""  - id: n
    kind: numeric
    prompt: 数值
    points: 1
    value: 268
    tolerance: 两元
""", 9, "tolerance 应为非负数"),
    ("""  - id: s
    kind: short-answer
    prompt: 写
    points: 5
    rubric:
      - {criterion: 致歉, points: 2}
""", 7, "各部分分值之和（2）"),
    ("""  - id: c
    kind: case
    scenario: 情景
    questions:
      - {id: q1, kind: true-false, prompt: 对吗, points: 1, answer: true}
      - {id: q1, kind: true-false, prompt: 对吗, points: 1, answer: false}
""", 9, "小题 id q1 在本案例题中重复"),
    ("""  - id: c
    kind: case
    scenario: 情景
    questions:
      - {id: q1, kind: case, scenario: 套娃, questions: []}
""", 8, "不能是 case"),
    ("""  - id: o
    kind: operation-task
    prompt: 填写
    form:
      - name: decision
        label: 处理
        type: select
        options: [退款, 换款]
        check: {rule: exact, value: 补发}
        points: 1
""", 12, "“补发”不在该字段的 options 中"),
    ("""  - id: o
    kind: operation-task
    prompt: 填写
    form:
      - name: at
        label: 时间
        type: datetime
        check: {rule: datetime-within, start: 明天, end: "2025-11-11 10:00"}
        points: 1
""", 11, "start 应为不带时区的日期时间"),
    ("""  - id: o
    kind: operation-task
    prompt: 填写
    form:
      - name: at
        label: 时间
        type: datetime
        check: {rule: exact, value: x}
        points: 1
""", 11, "datetime 类型的字段只能用这些规则"),
    ("""  - id: o
    kind: operation-task
    prompt: 填写
    form:
      - {name: remark, label: 说明}
""", 7, "至少要有一个带 check"),
]


@pytest.mark.parametrize(("body", "line", "words"), KIND_PROBLEMS)
def test_kind_problems_are_reported_with_their_line(body: str, line: int, words: str) -> None:
    found = only_problems(HEAD + body)
    assert any(f"demo.yaml:{line}: " in p and words in p for p in found), found


def test_every_problem_of_a_file_is_reported_at_once() -> None:
    text = (HEAD + SINGLE.format(id="q1").replace("points: 1", "points: -1")
            + SINGLE.format(id="q2").replace("single-choice", "essay")
            + SINGLE.format(id="q3").replace("prompt: 题干", "prompt: ''"))
    found = only_problems(text)
    assert len(found) == 3, found


def test_yaml_syntax_errors_name_the_line() -> None:
    found = only_problems(HEAD + "  - id: q1\n    prompt: [unclosed\n    kind: x\n")
    assert any("demo.yaml:" in p and "YAML 格式错误" in p for p in found), found


def test_repeated_keys_are_problems() -> None:
    found = only_problems(HEAD + SINGLE.format(id="q1").replace("points: 1", "points: 1\n    points: 2"))
    assert any("字段 points 重复" in p for p in found), found


def test_dates_and_times_stay_text() -> None:
    bank, found = load(HEAD + """  - id: o
    kind: operation-task
    prompt: 填写
    form:
      - name: at
        label: 时间
        type: datetime
        check: {rule: datetime-within, start: 2025-11-11 10:00:00, end: 2025-11-11T10:30:00}
        points: 1
""")
    assert found == []
    check = bank.questions[0].definition.to_data()["form"][0]["check"]  # type: ignore[attr-defined]
    assert check == {"rule": "datetime-within", "start": "2025-11-11 10:00:00",
                     "end": "2025-11-11 10:30:00"}


# --- hostile files ----------------------------------------------------------------------


def test_aliases_and_anchors_are_refused_so_no_alias_bomb_expands() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
    started = time.monotonic()
    found = only_problems(bomb)
    assert time.monotonic() - started < 1
    assert found == ["question_banks/demo.yaml:1: 文件不允许使用 YAML 锚点（&a）"]
    alias_only = only_problems(HEAD + SINGLE.format(id="q1") + "  - *q1\n")
    assert any(":11: " in p and "别名（*q1）" in p for p in alias_only), alias_only


@pytest.mark.parametrize("tagged", [
    "!!python/object/apply:os.system ['echo pwned']",
    "!!binary aGVsbG8=",
    "!!str 1",
    "!custom x",
    "!!set {a, b}",
])
def test_tags_are_refused(tagged: str) -> None:
    found = only_problems(HEAD + SINGLE.format(id="q1").replace("prompt: 题干", f"prompt: {tagged}"))
    assert found[0].startswith("question_banks/demo.yaml:6: 文件不允许使用 YAML 标签"), found


def test_invalid_utf8_is_reported_with_its_line_and_byte() -> None:
    data = (HEAD + SINGLE.format(id="q1")).encode("utf-8").replace("题干".encode(), b"\xe9\x98")
    bank, problems = load_bank(data, "demo.yaml")
    assert bank is None
    position = data.index(b"\xe9\x98") + 1
    assert [str(p) for p in problems] == [
        f"demo.yaml:6: 不是有效的 UTF-8 编码（文件的第 {position} 个字节）"]


def test_a_byte_order_mark_is_fine() -> None:
    bank, problems = load_bank(b"\xef\xbb\xbf" + (HEAD + SINGLE.format(id="q1")).encode(), "d.yaml")
    assert problems == [] and bank is not None


def test_size_and_question_limits() -> None:
    too_big = (HEAD + "#" * MAX_BANK_BYTES).encode()
    bank, problems = load_bank(too_big, "big.yaml")
    assert bank is None and "文件超过 1024 KB 上限" in str(problems[0])
    many = HEAD + "".join(SINGLE.format(id=f"q{i}") for i in range(MAX_QUESTIONS + 1))
    found = only_problems(many)
    assert any("questions 应有 1 到 500 项" in p for p in found), found[:3]


@pytest.mark.parametrize("text", [
    "[" * 5000 + "]" * 5000,
    "a: " + "9" * 5000,
    "- - - - - - -" * 3000,
    "just text",
    "",
    "[1, 2]",
    "key: demo\ntitle: x\nquestions: {a: 1}\n",
    "key: demo\ntitle: x\nquestions:\n  - 1\n  - [x]\n  - {id: q, kind: [list]}\n",
    "? [a, b]\n: c\n",
])
def test_malformed_files_are_reported_not_raised(text: str) -> None:
    bank, problems = load_bank(text.encode(), "bad.yaml")
    assert bank is None and problems


def test_several_files_are_all_or_nothing_and_keys_unique() -> None:
    good = (HEAD + SINGLE.format(id="q1")).encode()
    banks, problems = load_banks([("a.yaml", good), ("b.yaml", good)])
    assert banks == [] and [str(p) for p in problems] == ["b.yaml:1: 题库 key demo 与 a.yaml 重复"]
    banks, problems = load_banks([("a.yaml", good), ("c.yaml", b"key: [")])
    assert banks == [] and problems[0].path == "c.yaml"
    banks, problems = load_banks([("a.yaml", good), ("d.yaml", docs_example_text().encode())])
    assert problems == [] and [b.key for b in banks] == ["demo", "after-sales-demo"]


def test_a_file_full_of_mistakes_lists_the_first_hundred() -> None:
    text = HEAD + "".join(SINGLE.format(id=f"q{i}").replace("points: 1", "points: 0")
                          for i in range(150))
    found = only_problems(text)
    assert len(found) == 101
    assert found[-1] == "question_banks/demo.yaml: 另有 50 处问题未列出，请先改正上面这些"


# --- title and category path ------------------------------------------------------------

LABELLED = """  - id: promise-01
    kind: true-false
    title: "  没答应的   快递要求 "
    category: [售后, " 发货  承诺 ", 2024]
    prompt: 客服没答应发韵达，发了申通，算违背承诺吗？
    points: 1
    answer: false
"""


def test_title_and_category_path_are_kept_squeezed_and_round_trip_in_yaml() -> None:
    bank, problems = load(HEAD + LABELLED)
    assert problems == []
    definition = bank.questions[0].definition.to_data()  # type: ignore[attr-defined]
    assert definition["title"] == "没答应的 快递要求"
    assert definition["category"] == ["售后", "发货 承诺", "2024"]
    text = dump_bank(bank)  # type: ignore[arg-type]
    assert "category:\n  - 售后\n  - 发货 承诺\n  - '2024'\n" in text
    again, problems = load_bank(text.encode("utf-8"), "exported.yaml")
    assert problems == [] and again is not None
    assert again.as_data() == bank.as_data()  # type: ignore[attr-defined]


def test_a_question_without_title_or_category_has_neither_in_its_definition() -> None:
    bank, problems = load(HEAD + SINGLE.format(id="plain") + LABELLED.replace(
        "    category: [售后, \" 发货  承诺 \", 2024]\n", "    category: []\n"))
    assert problems == []
    plain, labelled = (q.definition.to_data() for q in bank.questions)  # type: ignore[attr-defined]
    assert "title" not in plain and "category" not in plain
    assert "category" not in labelled


@pytest.mark.parametrize(("field", "line", "words"), [
    ("category: 售后/发货承诺", 11, "category 应为分类路径的列表，从上到下逐级写出，如 [售后, 发货承诺]"),
    ("category: [售后, '  ']", 11, "category 的第 2 级是空的"),
    ("category: [售后, [发货]]", 11, "category[2] 应为文本"),
    ("category: [售后, true]", 11, "category[2] 应为文本"),
    (f"category: [{'长' * 101}]", 11, "category[1] 太长（最多 100 个字符）"),
    ("category: [a, b, c, d, e, f, g, h, i, j, k]", 11, "category 最多 10 级"),
    ("category: [售后, /发货]", 11, "category 的第 2 级不能以 / 开头或结尾"),
    (f"title: {'题' * 256}", 11, "title 太长（最多 255 个字符）"),
    ("title: [一, 二]", 11, "title 应为文本"),
])
def test_bad_titles_and_categories_are_reported_with_their_line(field: str, line: int,
                                                               words: str) -> None:
    text = HEAD + SINGLE.format(id="q1") + "    " + field + "\n"
    found = only_problems(text)
    assert any(p.startswith(f"question_banks/demo.yaml:{line}: ") and words in p
               for p in found), found
