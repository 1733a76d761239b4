"""Pure rules of bank management: formats, reports, filters, templates."""
from __future__ import annotations

import pytest

from portal.banks import rules
from portal.banks.rules import Change, FileFormat, QuestionFilter
from portal.exams.bank import build_bank, parse_yaml
from portal.exams.validation import Report


@pytest.mark.parametrize(("name", "fmt"), [
    ("售后.yaml", FileFormat.YAML), ("a.YML", FileFormat.YAML), ("moodle.gift", FileFormat.GIFT),
    ("export.txt", FileFormat.GIFT), ("quiz.XML", FileFormat.MOODLE_XML), ("a.csv", None),
    ("yaml", None)])
def test_the_file_name_says_the_format(name: str, fmt: FileFormat | None) -> None:
    assert rules.file_format(name) == fmt


def test_a_yaml_file_is_an_exam_when_it_looks_like_one() -> None:
    assert rules.yaml_format({"key": "x", "questions": {"fixed": []}}) is FileFormat.EXAM
    assert rules.yaml_format({"key": "x", "pass_mark": 60}) is FileFormat.EXAM
    assert rules.yaml_format({"key": "x", "questions": []}) is FileFormat.BANK
    assert rules.yaml_format(["not", "a", "mapping"]) is FileFormat.BANK


def test_uploaded_names_lose_folders_and_control_characters() -> None:
    assert rules.clean_file_name("C:\\Users\\zm\\售后题库.yaml") == "售后题库.yaml"
    assert rules.clean_file_name("../../etc/passwd\n.yaml") == "passwd.yaml"
    assert rules.clean_file_name("") == "upload"
    assert rules.default_bank_key("Moodle Export 2025.gift") == "moodle-export-2025"
    assert rules.default_bank_key("售后题库.gift") == "imported"


def test_the_plan_is_grouped_by_change_and_bank() -> None:
    report = rules.plan_report({
        Change.NEW: ["question:a/q1", "question:b/q9", "exam:final"],
        Change.UNCHANGED: ["question:a/q2"], Change.REMOVED: []})
    assert report.questions[Change.NEW] == {"a": ["q1"], "b": ["q9"]}
    assert report.exams[Change.NEW] == ["final"]
    assert report.count(Change.NEW) == 3 and report.count(Change.NEW, "question") == 2
    assert report.touched
    assert not rules.plan_report({Change.UNCHANGED: ["question:a/q2"]}).touched


def test_the_digest_changes_with_the_files_the_keys_and_the_plan() -> None:
    files = [("a.gift", b"::q:: x {T}", "bank-a", "A")]
    plan = {Change.NEW: ["question:bank-a/q"]}
    base = rules.digest(files, plan)
    assert rules.digest(list(files), dict(plan)) == base
    assert rules.digest([("a.gift", b"::q:: x {F}", "bank-a", "A")], plan) != base
    assert rules.digest([("a.gift", b"::q:: x {T}", "bank-b", "A")], plan) != base
    assert rules.digest(files, {Change.CHANGED: ["question:bank-a/q"]}) != base


def test_filters_match_kind_difficulty_tag_status_and_every_word() -> None:
    text = rules.searchable_text("aov-01", {"prompt": "客单价是多少？", "unit": "元",
                                            "choices": [{"text": "ＡＢＣ Refund"}]})
    row = {"kind": "numeric", "difficulty": "hard", "tags": ["topic:KPI"], "retired": False,
           "text": text}
    assert QuestionFilter().matches(**row)
    assert QuestionFilter(kind="numeric", difficulty="hard", tag="topic:KPI").matches(**row)
    assert not QuestionFilter(kind="single-choice").matches(**row)
    assert not QuestionFilter(tag="topic:发票").matches(**row)
    assert QuestionFilter(text="abc refund").matches(**row)  # full width and case ignored
    assert QuestionFilter(text="客单价  AOV-01").matches(**row)
    assert not QuestionFilter(text="客单价 发票").matches(**row)
    assert QuestionFilter(status="active").matches(**row)
    assert not QuestionFilter(status="retired").matches(**row)


def test_the_category_filter_takes_a_path_and_everything_below_it() -> None:
    row = {"kind": "true-false", "difficulty": "easy", "tags": [], "retired": False, "text": "",
           "category": "售后/发票//收据/开票时间"}  # levels 售后, 发票/收据, 开票时间
    assert QuestionFilter(category="售后").matches(**row)
    assert QuestionFilter(category="售后/发票//收据").matches(**row)  # "//": a slash in a name
    assert QuestionFilter(category="售后/发票//收据/开票时间").matches(**row)
    assert not QuestionFilter(category="售后/发票").matches(**row)
    assert not QuestionFilter(category="售后/发票//收据/开票时间/更深").matches(**row)
    assert not QuestionFilter(category="售后/发").matches(**row)  # whole levels only
    assert not QuestionFilter(category="售后/发票/").matches(**row)
    assert not QuestionFilter(category="售前").matches(**{**row, "category": ""})
    assert QuestionFilter.from_args({"category": " 售后 "}).active


def test_filters_from_query_arguments() -> None:
    f = QuestionFilter.from_args({"kind": " numeric ", "q": "x" * 500, "status": "bogus"})
    assert f.kind == "numeric" and len(f.text) == rules.MAX_SEARCH_CHARS and f.status == "all"
    assert f.active and not QuestionFilter.from_args({}).active


@pytest.mark.parametrize("kind", list(rules.QUESTION_TEMPLATES))
def test_every_kind_template_is_a_valid_question(kind: str) -> None:
    text = rules.question_template(kind, rules.free_id(kind, set()))
    problems: list = []
    raw = parse_yaml(text, "t.yaml", problems)
    bank = build_bank({"key": "t", "title": "t", "questions": [raw]},
                      Report("t.yaml", problems, line=1))
    assert problems == [] and bank is not None, [str(p) for p in problems]
    question = bank.questions[0]
    assert question.kind == kind and question.id == f"{kind}-01"


def test_every_kind_has_a_template() -> None:
    from portal.exams.kinds import KINDS

    assert set(rules.QUESTION_TEMPLATES) == set(KINDS)


def test_a_free_id_is_never_one_in_use() -> None:
    assert rules.free_id("numeric", {"numeric-01", "numeric-02"}) == "numeric-03"


def test_line_text_and_excerpt() -> None:
    assert rules.line_text("a: 1\r\nkind: x\n", 2) == "kind: x"
    assert rules.line_text("a", 5) == "" and rules.line_text("a", None) == ""
    assert rules.excerpt("第一行\n第二行") == "第一行 第二行"
    assert rules.excerpt("长" * 100, 10) == "长" * 9 + "…"


def test_gift_notes_go_after_the_exporters_header() -> None:
    text = "// 题库 (x)\n// Exported\n\n// [id:a]\n::a::[markdown]Q{T}\n"
    out = rules.gift_with_notes(text, ["题目 b：案例题无法导出\n第二行"], heading="注意：")
    assert out.split("\n")[:4] == ["// 题库 (x)", "// Exported", "// 注意：",
                                   "//   - 题目 b：案例题无法导出 第二行"]
    assert rules.gift_with_notes(text, [], heading="注意：") == text


def test_chunks_cover_the_text() -> None:
    assert rules.chunks("abcdefg", 3) == ["abc", "def", "g"] and rules.chunks("", 3) == [""]
