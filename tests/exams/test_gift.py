"""GIFT: full corpora (this project's own, and Moodle's examples when present) import with
every question's kind and meaning right and grade as Moodle would; errors come with lines;
export then import gives the same questions back for the kinds GIFT can express."""
from __future__ import annotations

import pytest

from portal.exams.bank import Bank, ImportResult
from portal.exams.gift import export_gift, import_gift
from portal.exams.kinds import QuestionDef, grade, load
from tests.exams.examples import docs_example, gift_corpus_bytes
from tests.exams.gift_corpora import CORPORA, PROJECT, Corpus


def imported(corpus: Corpus) -> Bank:
    result = import_gift(corpus.read(), corpus.file_name)
    assert result.problems == [], [str(p) for p in result.problems]
    assert [str(n) for n in result.notices] == corpus.import_notices
    assert result.bank is not None
    return result.bank


def by_line(bank: Bank, line: int) -> QuestionDef:
    return next(q.definition for q in bank.questions if q.line == line)


def gift(text: str) -> ImportResult:
    return import_gift(text.encode("utf-8"), "题库.gift", key="demo", title="演示")


# --- the full corpora: this project's own, and Moodle's examples when they are there --------


@pytest.mark.parametrize("corpus", CORPORA)
def test_every_question_of_the_corpus_imports_with_its_kind(corpus: Corpus) -> None:
    bank = imported(corpus)
    assert [(q.line, q.kind) for q in bank.questions] == corpus.kinds
    assert bank.key == corpus.key and bank.title == corpus.title


@pytest.mark.parametrize("corpus", CORPORA)
def test_the_corpus_keeps_its_meaning(corpus: Corpus) -> None:
    bank = imported(corpus)
    for line, read, expected in corpus.meaning:
        assert read(by_line(bank, line).to_data()) == expected, line
    assert [q.id for q in bank.questions if not q.id.startswith("q-")] == corpus.ids_from_titles


@pytest.mark.parametrize("corpus", CORPORA)
def test_imported_questions_grade_as_moodle_would(corpus: Corpus) -> None:
    bank = imported(corpus)
    for line, answer, points in corpus.grades:
        assert grade(by_line(bank, line), answer).points == points, (line, answer)


def test_the_projects_corpus_uses_every_gift_feature() -> None:
    """What makes it a full-syntax corpus: if an edit drops a feature, this says which."""
    text = gift_corpus_bytes().decode("utf-8")
    for feature in ("$CATEGORY: $course$/", "$CATEGORY: $system$/", "//", "::", "[markdown]",
                    "[html]", "[plain]", "[moodle]", "~%50%", "~%-50%", "=%50%", "=%75%", "####",
                    "#", "{T}", "{F}", "{TRUE", "{FALSE", "{#", "..", "->", "= ->", "{}",
                    "\\=", "\\~", "\\#", "\\{", "\\}", "\\:", "\\\\", "\\n", "[id:",
                    "[tag:", "[points:", "[difficulty:"):
        assert feature in text, feature
    kinds = {kind for _, kind in PROJECT.kinds}
    assert kinds == {"single-choice", "multiple-choice", "true-false", "fill-in", "numeric",
                     "matching", "short-answer"}
    assert any("说明文字" in notice for notice in PROJECT.import_notices)  # a description


def test_categories_comments_essays_descriptions_and_html() -> None:
    result = gift("""$CATEGORY: $course$/top/售后 处理

// [id:refund-01] [tag:role:after-sales] [tag:退款] [points:3] [difficulty:hard]
::退款::[html]<p>在途订单申请<b>仅退款</b>怎么办？</p>{
=拒绝并联系买家#对
~直接同意
####<p>货已发出，先拒绝。</p>}

写下你的处理步骤。{}

这是一段说明文字，没有答案区。

::Kanji::Two plus two equals {=four} .
""")
    assert result.problems == [], [str(p) for p in result.problems]
    assert [str(n) for n in result.notices] == [
        "题库.gift:11: 这是没有答案区的说明文字，已跳过（本门户只导入题目）"]
    first, essay, kanji = (q.definition.to_data()
                           for q in result.bank.questions)  # type: ignore[union-attr]
    assert first["id"] == "refund-01" and first["points"] == 3 and first["difficulty"] == "hard"
    assert first["tags"] == ["role:after-sales", "topic:退款", "topic:售后-处理"]
    assert first["category"] == ["售后 处理"] and first["title"] == "退款"
    assert first["prompt"] == "在途订单申请**仅退款**怎么办？"
    assert first["explanation"] == "货已发出，先拒绝。"
    assert essay["kind"] == "short-answer" and essay["id"] == "q-2" and essay["points"] == 1
    assert grade(load(essay), "先核实").needs_manual
    assert kanji["id"] == "kanji" and kanji["prompt"] == "Two plus two equals [[1]] ."


def test_category_paths_and_titles_are_kept_and_exported_when_they_change() -> None:
    result = gift(r"""$CATEGORY: $course$/售后/发货承诺

::没答应的快递:: 买家要韵达，客服没答应，发申通算违约吗？{F}

// [id:promise-02]
::承诺\:48 小时::承诺 48 小时发货，第三天才发，算违约吗？{T}

$CATEGORY: $system$/top/售后/发票//收据/开票时间

开票后买家改抬头，还能重开吗？{T}

$CATEGORY: $course$/top

:: 预售
   定金 ::预售定金可以退吗？{F}
""")
    assert result.problems == [], [str(p) for p in result.problems]
    bank = result.bank
    assert bank is not None
    data = [q.definition.to_data() for q in bank.questions]
    assert [q.get("category") for q in data] == [
        ["售后", "发货承诺"], ["售后", "发货承诺"], ["售后", "发票/收据", "开票时间"], None]
    assert [q.get("title") for q in data] == ["没答应的快递", "承诺:48 小时", None, "预售 定金"]
    assert [q.id for q in bank.questions] == ["q-1", "promise-02", "q-3", "q-4"]
    assert data[2]["tags"] == ["topic:开票时间"]
    exported = export_gift(bank).text
    assert exported.count("$CATEGORY:") == 3  # only where the category changes
    assert "$CATEGORY: $course$/top/售后/发货承诺\n" in exported
    assert "$CATEGORY: $course$/top/售后/发票//收据/开票时间\n" in exported
    assert "\n$CATEGORY: $course$/top\n" in exported
    assert "::承诺\\:48 小时::[markdown]" in exported and "::q-3::" not in exported
    again, notices = reimport(bank)
    assert notices == []
    assert again.as_data() == bank.as_data()


def test_a_bad_category_is_reported_at_its_own_line_once() -> None:
    result = gift(f"题一 {{T}}\n\n$CATEGORY: $course$/售后/{'长' * 101}\n\n题二 {{T}}\n\n题三 {{F}}\n")
    assert result.bank is None
    assert [str(p) for p in result.problems] == ["题库.gift:3: category[2] 太长（最多 100 个字符）"]


@pytest.mark.parametrize(("text", "line", "words"), [
    ("第一题{=对 ~错}\n\n第二题 {=对 ~错\n继续写\n", 3, "{ 没有对应的 }"),
    ("第一题 =对 ~错}\n", 1, "多余的 }"),
    ("两个答案区 {=a ~b} 和 {=c ~d}\n", 1, "只能有一个答案区"),
    ("匹配 {\n=甲 -> 乙\n=丙 丁\n}\n", 3, "=左侧 -> 右侧"),
    ("数值 {#\n=一千:5\n}\n", 2, "应为数"),
    ("数值 {#5..3}\n", 1, "较小值..较大值"),
    ("权重 {~%150%甲 ~乙}\n", 1, "超出了 -100% 到 100% 的范围"),
    ("多选权重 {~%50%甲 ~%40%乙 ~丙}\n", 1, "credit 之和应为 100"),
    ("单选两个对 {=甲 =乙 ~丙}\n", 1, "恰好有一个正确选项"),
    ("\n\n// [id:Bad Id]\n题 {=甲 ~乙}\n", 4, "已另起 id"),
    ("\n// [points:很多]\n题 {=甲 ~乙}\n", 3, "[points:很多] 不是数"),
    ("只有一个选项 {=甲}\n\n只有一个 {~甲}\n", 3, "choices 应有 2 到 26 项"),
])
def test_problems_are_reported_with_their_line(text: str, line: int, words: str) -> None:
    result = gift(text)
    found = [str(p) for p in result.problems + result.notices]
    assert any(f"题库.gift:{line}: " in p and words in p for p in found), found


def test_one_bad_question_imports_nothing_and_every_error_is_listed() -> None:
    result = gift("好题 {=对 ~错}\n\n坏题一 {=甲 ~乙\n\n坏题二 {~%50%甲 ~乙}\n")
    assert result.bank is None
    assert len(result.problems) == 2, [str(p) for p in result.problems]


def test_hostile_or_empty_input_is_reported() -> None:
    assert "不是有效的 UTF-8" in str(import_gift(b"\xff\xfe\x00", "x.gift").problems[0])
    assert "文件中没有找到任何题目" in str(gift("// 只有注释\n\n").problems[0])
    assert "U+FDD0" in str(gift("题 \ufdd0 {=甲 ~乙}").problems[0])
    assert "超过" in str(import_gift(b"x" * (2 * 1024 * 1024), "x.gift").problems[0])


# --- export -----------------------------------------------------------------------------


def reimport(bank: Bank) -> tuple[Bank, list[str]]:
    exported = export_gift(bank)
    result = import_gift(exported.text.encode("utf-8"), "again.gift", key=bank.key, title=bank.title)
    assert result.problems == [], [str(p) for p in result.problems] + [exported.text]
    assert result.bank is not None
    return result.bank, [str(n) for n in exported.notices]


@pytest.mark.parametrize("corpus", CORPORA)
def test_the_corpus_round_trips_exactly(corpus: Corpus) -> None:
    bank = imported(corpus)
    again, notices = reimport(bank)
    assert notices == corpus.export_notices
    assert again.as_data() == bank.as_data()


def test_the_docs_example_round_trips_for_the_kinds_gift_can_express() -> None:
    bank = docs_example()
    again, notices = reimport(bank)
    assert len(notices) == 4, notices
    assert any("refund-in-transit" in n and "case 题型无法用 GIFT 表达" in n for n in notices)
    assert any("out-of-stock-note" in n and "operation-task" in n for n in notices)
    assert any("return-window-01" in n and "多空填空题" in n for n in notices)
    assert any("complaint-reply-01" in n and "评分标准" in n for n in notices)
    before = {q.id: q.definition.to_data() for q in bank.questions}
    after = {q.id: q.definition.to_data() for q in again.questions}
    assert set(after) == {"promise-express-01", "campaign-rules-01", "invoice-amount-01",
                          "invoice-split-01", "team-groups-01", "complaint-reply-01"}
    for qid in ("promise-express-01", "campaign-rules-01", "invoice-amount-01",
                "invoice-split-01", "team-groups-01"):
        assert after[qid] == before[qid], qid
    essay = after["complaint-reply-01"]
    assert essay["kind"] == "short-answer" and essay["points"] == 6
    assert essay["explanation"] == before["complaint-reply-01"]["explanation"]


def test_control_characters_newlines_and_weight_like_texts_survive_export() -> None:
    source = gift(r"""// [points:2.5] [tag:topic:符号]
::tricky::[markdown]Which of \{ \} \~ \= \# \: \\ is it?\nSecond line.{
~%0%%5% off#\#1 feedback
=plain -> arrow
~%33.5%partial
####Line one\nline: two}

// [id:multi]
Pick {~%100%%only% ~%-100%wrong}

// [id:fill]
Answer {=%100%%50% =%50%half}
""")
    assert source.problems == [], [str(p) for p in source.problems]
    bank = source.bank
    assert bank is not None
    tricky = bank.questions[0].definition.to_data()
    assert tricky["prompt"] == "Which of { } ~ = # : \\ is it?\nSecond line."
    assert tricky["choices"][0]["text"] == "%5% off" and tricky["choices"][0]["feedback"] == "#1 feedback"
    assert tricky["explanation"] == "Line one\nline: two"
    assert [c["text"] for c in bank.questions[1].definition.to_data()["choices"]] == ["%only%", "wrong"]
    assert bank.questions[2].definition.to_data()["blanks"][0]["answers"][0]["text"] == "%50%"
    again, notices = reimport(bank)
    assert notices == []
    assert again.as_data() == bank.as_data()


def test_all_or_nothing_and_percent_tolerances_are_exported_with_a_notice() -> None:
    source = gift("// [id:m]\n多选 {~%50%甲 ~%50%乙 ~%-50%丙 ~%-50%丁}\n\n// [id:n]\n数 {#100:1}\n")
    bank = source.bank
    assert bank is not None
    data = bank.as_data()
    data["questions"][0]["scoring"] = "all-or-nothing"
    data["questions"][1]["answers"][0]["tolerance"] = "5%"
    from portal.exams.bank import build_bank
    from portal.exams.validation import Report
    changed = build_bank(data, Report("x.yaml"))
    assert changed is not None
    exported = export_gift(changed)
    assert len(exported.notices) == 2
    again = import_gift(exported.text.encode(), "y.gift", key="demo", title="演示").bank
    assert again is not None
    assert again.questions[0].definition.to_data()["scoring"] == "proportional"
    assert again.questions[1].definition.to_data()["answers"][0]["tolerance"] == 5
