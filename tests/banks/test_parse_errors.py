"""PyYAML's and expat's English reasons reach trainers in Chinese, with the line once."""
from __future__ import annotations

import io
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.auth.models import Role
from portal.banks import services
from portal.content.loader import _parse_yaml
from portal.exams.definitions import load_exam
from tests.factories import login, make_user, upload

ENGLISH = re.compile(r"[A-Za-z]{4,}")  # an English word (YAML, XML, UTF, Tab, quiz are allowed)
ALLOWED_WORDS = {"YAML", "quiz", "CDATA", "description", "nbsp"}

YAML_CASES = [
    ("key: a\n\ttitle: b\n", 2, "用了制表符（Tab）缩进，请改用空格"),
    ("key: a\ntitle: \"未闭合\nquestions: []\n", 2, "引号没有闭合"),
    ("key: a\ntitle: '未闭合\n", 2, "引号没有闭合"),
    ("key: a\ntags: [a, b\nquestions: []\n", 2, "方括号 [ 没有闭合"),
    ("key: a\nreview: {when: never\nquestions: []\n", 2, "花括号 { 没有闭合"),
    ("key: a\ntitle: 售后: 发货\n", 2, "这里不能出现“: ”"),
    ("key:\n  - a\n - b\n", 3, "缩进没有对齐"),
    ("key: a\ntitle: @售后\n", 2, "不能开头的字符"),
    ("key: a\ntitle: 题\x07\n", 2, "不可见的控制字符"),
]


@pytest.mark.parametrize(("text", "line", "words"), YAML_CASES)
def test_each_yaml_error_is_said_in_chinese_with_its_line_in_an_exam_and_a_bank(
        session: Session, text: str, line: int, words: str) -> None:
    _, exam_problems = load_exam(text, "exams/x.yaml")
    check = services.check_upload(session, files=[upload("x.yaml", text)])
    for problem in (exam_problems[0], check.problems[0]):
        said = str(problem.message)
        assert problem.line == line, (text, str(problem))
        assert said.startswith("YAML 格式错误：") and words in said, said
        assert not set(ENGLISH.findall(said)) - ALLOWED_WORDS, said
        assert "第" not in said  # the line is shown once, by whoever lists the problem


@pytest.mark.parametrize(("text", "line", "words"), [
    # Track files and module front matter go through the safe reader: tags, anchors and
    # aliases are refused before anything is built.
    ("title: a\ntitle2: !foo b\n", 2, "不允许使用 YAML 标签（!foo）"),
    ("a: &x 1\nb: &x 2\n", 1, "不允许使用 YAML 锚点（&x）"),
    ("a: *x\n", 1, "不允许使用 YAML 别名（*x）"),
    ("a: b\n\tc: d\n", 2, "制表符"),
])
def test_the_content_loader_maps_constructor_and_composer_errors(text: str, line: int,
                                                                 words: str) -> None:
    problems: list = []
    _parse_yaml(text, "courses/x.yaml", problems)
    said = str(problems[0].message)
    assert problems[0].line == line and words in said, str(problems[0])
    assert not set(ENGLISH.findall(said)) - ALLOWED_WORDS, said


XML_CASES = [
    (b"<quiz><question type='essay'></quiz>", 1, "结束标签与开始标签不匹配"),
    (b"<quiz>\n<question>\n", 3, "文件不完整"),
    (b"", 1, "文件不完整或是空的"),
    (b"<quiz>\n<a>&nbsp;</a></quiz>", 2, "未定义的实体"),
    (b"<quiz>\n<a>R&D</a></quiz>", 2, "请把 & 写成 &amp;"),
    (b"<quiz></quiz>\n<quiz/>", 2, "根元素结束后还有内容"),
    (b"<quiz a='1' a='2'/>", 1, "重复的属性"),
    (b"<quiz>\n<![CDATA[ abc </quiz>", 2, "CDATA"),
]


@pytest.mark.parametrize(("data", "line", "words"), XML_CASES)
def test_each_xml_error_is_said_in_chinese_with_its_line(session: Session, data: bytes,
                                                         line: int, words: str) -> None:
    check = services.check_upload(session, files=[upload("moodle.xml", data)])
    problem = check.problems[0]
    said = str(problem.message)
    assert problem.line == line and words in said, str(problem)
    assert said.startswith("XML 格式错误：")
    assert not set(ENGLISH.findall(said)) - ALLOWED_WORDS, said


def test_a_dtd_is_refused_in_chinese(session: Session) -> None:
    data = b'<?xml version="1.0"?>\n<!DOCTYPE quiz [<!ENTITY a "x">]>\n<quiz>&a;</quiz>'
    check = services.check_upload(session, files=[upload("moodle.xml", data)])
    assert "DTD" in str(check.problems[0].message) and "不予导入" in str(check.problems[0].message)


def test_the_upload_page_shows_the_chinese_reason_and_the_line_once(
        client: FlaskClient, session: Session) -> None:
    user = make_user(session, role=Role.TRAINER)
    session.commit()
    login(client, user)
    files = [(io.BytesIO(b"key: a\n\ttitle: b\n"), "tabs.yaml"),
             (io.BytesIO(b"<quiz>\n<question></quiz>"), "moodle.xml"),
             (io.BytesIO(b"key: a\ntitle: \xff\n"), "bytes.yaml")]
    page = client.post("/banks/import", data={"step": "check", "files": files},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "第 2 行：YAML 格式错误：用了制表符（Tab）缩进，请改用空格" in page
    assert "第 2 行：XML 格式错误：结束标签与开始标签不匹配" in page
    assert "第 2 行：不是有效的 UTF-8 编码（文件的第 15 个字节）" in page
    assert not re.search(r"第 \d+ 行：[^<]*第 \d+ 行", page)  # never the line twice
    for english in ("found character", "mismatched tag", "cannot start any token"):
        assert english not in page
