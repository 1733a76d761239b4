"""Bank files are read by libyaml's C parser (PyYAML's CParser) and every problem still
names its file and line, in Chinese: a YAML error, a refused tag, a duplicate field, a
field the format does not know, a question's own check."""
from __future__ import annotations

import re

import yaml

from portal.content import safe_yaml
from portal.exams.bank import load_bank

_BANK = """\
key: demo-bank
title: 演示题库
questions:
  - id: q1
    kind: true-false
    prompt: 发票金额按订单如实开具。
    points: 1
    answer: true
{extra}"""


def _problems(text: str) -> list[tuple[int | None, str]]:
    bank, problems = load_bank(text.encode("utf-8"), "banks/demo.yaml")
    assert bank is None
    assert all(p.path == "banks/demo.yaml" for p in problems)
    return [(p.line, str(p.message)) for p in problems]


def _chinese(message: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", message) is not None


def test_the_reader_is_libyamls_c_parser() -> None:
    assert yaml.__with_libyaml__
    assert issubclass(safe_yaml._Loader, yaml.cyaml.CParser)


def test_a_yaml_error_names_its_line_in_chinese() -> None:
    problems = _problems(_BANK.format(extra="  - id: q2\n    prompt: [未闭合\n"))
    assert len(problems) == 1
    line, message = problems[0]
    assert line in (10, 11) and _chinese(message)


def test_a_tag_and_a_duplicate_field_name_their_lines() -> None:
    tagged = _problems(_BANK.format(extra="  - id: q2\n    prompt: !!str 文字\n"))
    assert tagged[0][0] == 10 and "标签" in tagged[0][1]
    duplicate = _problems(_BANK.format(extra="    points: 2\n"))
    assert duplicate == [(9, "字段 points 重复")]


def test_a_check_of_the_format_names_the_line_of_its_field() -> None:
    problems = _problems(_BANK.format(
        extra="  - id: q2\n    kind: true-false\n    prompt: 第二题\n    points: -1\n"
              "    answer: true\n    colour: red\n"))
    lines = dict(problems)
    first = min(problems, key=lambda p: p[0] or 0)
    assert first[0] == 12 and _chinese(first[1])  # points
    assert any(line == 14 and "colour" in message for line, message in problems)
    assert all(_chinese(message) for message in lines.values())
