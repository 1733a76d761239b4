"""The form files: the shipped ones are valid and match the seed; bad files are refused by
file and line, in Chinese, and nothing is returned."""
from __future__ import annotations

import pytest

from portal.chat.scenario import Item
from portal.observations.files import load_files, load_folder
from portal.observations.rules import ChatMeasure
from tests.observations import observation_fixtures as fx


def test_the_shipped_forms_are_the_three_tables_of_the_seed() -> None:
    content = load_folder(fx.FORMS)
    assert content.problems == []
    assert [f.key for f in content.forms] == ["attitude", "service", "skills"]
    skills, service, attitude = (content.form(k) for k in ("skills", "service", "attitude"))
    assert skills and service and attitude
    assert [i.title for i in skills.items][:3] == ["打字速度", "多客户记忆能力", "旺旺使用"]
    assert len(skills.items) == 11 and len(attitude.items) == 12
    assert attitude.items[-1].title == "服从安排"
    for form in content.forms:
        assert len(form.levels) == 5 and all(form.levels)
        assert form.required_keys


def test_the_service_form_uses_the_chat_exams_item_ids_in_their_order() -> None:
    content = load_folder(fx.FORMS)
    service = content.form("service")
    assert service is not None
    assert [i.key for i in service.items] == [i.value for i in Item]
    assert [i.chat_item for i in service.items] == [i.value for i in Item]
    skills = content.form("skills")
    assert skills is not None
    assert [i.key for i in skills.items if i.chat_measure] == ["typing_speed"]


def test_chat_links_read_back_and_an_unlinked_form_keeps_its_hash() -> None:
    plain = load_files([("observations/mini.yaml", fx.GOOD.encode())])
    linked = load_files([("observations/mini.yaml", fx.LINKED.encode())])
    assert not plain.problems and not linked.problems
    [form] = linked.forms
    assert [(i.chat_item, i.chat_measure) for i in form.items] == [
        ("greeting", None), ("", ChatMeasure.TYPING_SPEED)]
    assert form.content_hash != plain.forms[0].content_hash
    assert "chat_item" not in plain.forms[0].to_data()["items"][0]
    assert type(form).from_data(form.to_data()).items == form.items


def test_a_good_file_reads_into_a_typed_form() -> None:
    content = load_files([("observations/mini.yaml", fx.GOOD.encode())])
    assert content.problems == []
    form = content.forms[0]
    assert form.level(1) == "差" and form.level(5) == "优"
    assert form.required_keys == ("greeting",)
    assert form.item("farewell") is not None and form.item("nope") is None


@pytest.mark.parametrize(("text", "line", "fragment"), fx.BROKEN)
def test_a_broken_file_names_its_file_and_line(text: str, line: int, fragment: str) -> None:
    content = load_files([("observations/mini.yaml", text.encode()),
                          ("observations/other.yaml", fx.GOOD.replace("mini", "other").encode())])
    assert content.forms == []  # nothing from any file while one is broken
    assert content.problems, text
    problem = content.problems[0]
    assert problem.path == "observations/mini.yaml"
    assert problem.line == line, str(problem)
    assert fragment in str(problem.message)
    assert str(problem).startswith(f"observations/mini.yaml:{line}: ")


def test_two_files_with_one_key_are_refused() -> None:
    content = load_files([("observations/a.yaml", fx.GOOD.encode()),
                          ("observations/b.yaml", fx.GOOD.encode())])
    assert content.forms == []
    assert [p.path for p in content.problems] == ["observations/b.yaml"]
    assert "与 observations/a.yaml 重复" in str(content.problems[0].message)


def test_files_that_are_not_yaml_text_are_refused() -> None:
    content = load_files([("observations/x.yaml", b"key: \xff\xfe"),
                          ("observations/y.yaml", b"- a\n- b\n"),
                          ("observations/z.yaml", b"x" * 70_000)])
    messages = [str(p) for p in content.problems]
    assert any("x.yaml:1: 不是有效的 UTF-8" in m for m in messages)
    assert any("y.yaml" in m and "字段: 值" in m for m in messages)
    assert any("z.yaml: 文件超过 64 KB" in m for m in messages)
