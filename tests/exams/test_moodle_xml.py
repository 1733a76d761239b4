"""Moodle XML: every supported type maps to its kind; DTDs, entity bombs and external
entities are refused without being expanded; errors come with lines."""
from __future__ import annotations

import time

import pytest

from portal.exams.bank import ImportResult
from portal.exams.kinds import grade, load
from portal.exams.moodle_xml import import_moodle_xml
from tests.exams.examples import FIXTURES


def xml(name: str) -> ImportResult:
    return import_moodle_xml((FIXTURES / name).read_bytes(), name)


def inline(body: str) -> ImportResult:
    text = f'<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n{body}\n</quiz>\n'
    return import_moodle_xml(text.encode("utf-8"), "moodle.xml", key="demo", title="演示")


def test_every_supported_type_imports_as_its_kind() -> None:
    result = xml("moodle_sample.xml")
    assert result.problems == [], [str(p) for p in result.problems]
    bank = result.bank
    assert bank is not None and bank.key == "moodle-sample"
    assert [(q.id, q.kind, q.line) for q in bank.questions] == [
        ("promise-01", "single-choice", 10), ("q-2", "multiple-choice", 40),
        ("q-3", "multiple-choice", 51), ("q-4", "true-false", 60), ("q-5", "fill-in", 74),
        ("q-6", "numeric", 86), ("q-7", "matching", 104), ("q-8", "short-answer", 113)]
    assert [str(n) for n in result.notices] == [
        "moodle_sample.xml:31: 单选题的负分选项按 0 分导入",
        "moodle_sample.xml:82: 0 分答案或通配答案 * 已忽略（本门户的填空题只列可接受的答案）",
        "moodle_sample.xml:121: 这是说明文字（description），已跳过（本门户只导入题目）"]


def test_the_sample_keeps_its_meaning() -> None:
    bank = xml("moodle_sample.xml").bank
    assert bank is not None
    q = {question.id: question.definition.to_data() for question in bank.questions}
    first = q["promise-01"]
    assert first["prompt"] == "买家留言要发**韵达**，客服没有答应，店铺只有申通。\n\n发申通算违背承诺吗？"
    assert first["points"] == 2 and first["explanation"] == "以聊天记录中的承诺为准。"
    assert first["tags"] == ["topic:发货", "role:after-sales", "topic:发票"]  # category: 售后/发票
    assert first["category"] == ["售后", "发票"] and first["title"] == "发货承诺"
    assert [q.definition.title for q in bank.questions][1:3] == ["违规做法", "违规做法（加权）"]
    assert first["choices"][0] == {"key": "a", "text": "不算", "correct": True,
                                   "feedback": "对，客服没有答应。"}
    assert q["q-2"]["scoring"] == "proportional" and q["q-3"]["scoring"] == "weighted"
    assert q["q-4"]["answer"] is False and q["q-4"]["feedback_incorrect"].startswith("不对")
    assert [a["credit"] for a in q["q-5"]["blanks"][0]["answers"]] == [100, 100, 50]
    assert q["q-6"]["unit"] == "元" and grade(load(q["q-6"]), "270元").points == 1
    assert q["q-7"]["distractors"] == ["发布广告"]
    assert q["q-8"]["rubric"][0]["points"] == 6
    assert q["q-8"]["rubric"][0]["guidance"] == "安抚、核实重量、补发或退款。"


def test_nested_categories_keep_every_level_until_the_next_category() -> None:
    result = inline("""<question type="category"><category><text>$course$/Iota/Kappa/Lambda</text></category></question>
<question type="truefalse"><name><text>  Mu   Nu </text></name>
<questiontext><text>对吗</text></questiontext><answer fraction="100"><text>true</text></answer></question>
<question type="category"><category><text>$system$/top/售后//售前/退货</text></category></question>
<question type="essay"><questiontext><text>写出退货步骤</text></questiontext></question>
<question type="category"><category><text>$course$/top</text></category></question>
<question type="essay"><questiontext><text>写出换货步骤</text></questiontext></question>""")
    assert result.problems == [], [str(p) for p in result.problems]
    assert result.bank is not None
    first, second, third = (q.definition.to_data() for q in result.bank.questions)
    assert first["category"] == ["Iota", "Kappa", "Lambda"] and first["title"] == "Mu Nu"
    assert first["tags"] == ["topic:lambda"]
    assert second["category"] == ["售后/售前", "退货"] and "title" not in second
    assert "category" not in third and third["tags"] == []


@pytest.mark.parametrize("name", ["billion_laughs.xml", "xxe.xml", "xxe_parameter.xml"])
def test_dtds_are_refused_so_nothing_is_expanded_or_fetched(name: str) -> None:
    started = time.monotonic()
    result = xml(name)
    assert time.monotonic() - started < 1
    assert result.bank is None
    assert [str(p) for p in result.problems] == [(
        f"{name}:2: XML 文件含有 DTD 声明（<!DOCTYPE …>），出于安全原因不予导入（可能是实体炸弹或外部实体攻击）；"
        "Moodle 导出的题目文件不含 DTD")]
    assert "root:" not in repr(result)  # /etc/passwd was never read


def test_invalid_utf8_is_reported_with_its_line_and_byte() -> None:
    data = b'<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n<question type="essay">' + \
        b"\xc3(" + b"</question></quiz>"
    result = import_moodle_xml(data, "bad.xml")
    assert result.bank is None
    assert str(result.problems[0]).startswith("bad.xml:3: 不是有效的 UTF-8 编码（文件的第 ")


@pytest.mark.parametrize(("body", "line", "words"), [
    ("<question type=\"essay\">\n<questiontext><text>未闭合</questiontext>", 4, "XML 格式错误"),
    ("<question type=\"cloze\"><questiontext><text>{1:SA:=a}</text></questiontext></question>", 3,
     "不支持的 Moodle 题型 cloze"),
    (('<question type="multichoice">\n<questiontext><text>只有一个选项</text></questiontext>\n'
     '<answer fraction="100"><text>甲</text></answer></question>'), 3, "choices 应有 2 到 26 项"),
    (('<question type="truefalse"><questiontext><text>对吗</text></questiontext>\n'
     '<answer fraction="50"><text>true</text></answer></question>'), 3, "判断题应有一个"),
    (('<question type="multichoice"><questiontext><text>题</text></questiontext>\n'
     '<answer fraction="abc"><text>甲</text></answer>\n<answer fraction="0"><text>乙</text>'
     '</answer></question>'), 4, 'fraction="abc"'),
    (('<question type="numerical"><questiontext><text>题</text></questiontext>\n'
     '<answer fraction="100"><text>很多</text><tolerance>0</tolerance></answer></question>'), 4,
     "不是数"),
    (('<question type="essay"><idnumber>Q 7</idnumber>\n'
     '<questiontext><text>写</text></questiontext></question>'), 3, "已另起 id"),
])
def test_problems_are_reported_with_their_line(body: str, line: int, words: str) -> None:
    result = inline(body)
    found = [str(p) for p in result.problems + result.notices]
    assert any(f"moodle.xml:{line}: " in p and words in p for p in found), found


def test_the_root_must_be_a_quiz_and_empty_files_are_reported() -> None:
    result = import_moodle_xml(b"<?xml version='1.0'?><html/>", "page.xml")
    assert "根元素应为 <quiz>" in str(result.problems[0])
    assert "没有找到任何题目" in str(inline("").problems[0])
    assert "XML 格式错误" in str(import_moodle_xml(b"", "empty.xml").problems[0])


def test_too_many_elements_are_refused() -> None:
    deep = "<a>" * 100 + "</a>" * 100
    assert "嵌套太深" in str(inline(deep).problems[0])


def test_a_gbk_file_is_read_and_bad_bytes_are_located() -> None:
    text = ('<?xml version="1.0" encoding="GBK"?>\n<quiz>\n<question type="essay">'
            '<questiontext><text>写下处理步骤</text></questiontext></question></quiz>')
    result = import_moodle_xml(text.encode("gbk"), "gbk.xml")
    assert result.problems == [] and result.bank is not None
    assert result.bank.questions[0].definition.prompt == "写下处理步骤"
    assert result.bank.questions[0].line == 3
    broken = import_moodle_xml(b'<?xml version="1.0" encoding="GBK"?>\n<quiz>\n\x81</quiz>', "b.xml")
    assert [str(p) for p in broken.problems] == [
        "b.xml:3: 不是有效的 gbk 编码（文件的第 45 个字节）"]
    unknown = import_moodle_xml(b'<?xml version="1.0" encoding="klingon"?><quiz/>', "k.xml")
    assert "不支持的字符编码 klingon" in str(unknown.problems[0])
