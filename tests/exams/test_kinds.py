"""Question kinds: grading every kind, manual grading, and no answer key in a public view."""
from __future__ import annotations

import json
from typing import Any

import pytest

from portal.exams import kinds
from portal.exams.errors import ManualScoreInvalid, UnknownKind
from portal.exams.kinds import KINDS, clean_question, grade, grade_manually, public_view
from portal.exams.validation import Report
from tests.exams.examples import docs_example, question


def make(raw: dict[str, Any]) -> kinds.QuestionDef:
    """A question definition checked like a bank's; fails the test on any problem."""
    report = Report("test.yaml", line=1)
    definition = clean_question(raw, report)
    assert report.problems == [], [str(p) for p in report.problems]
    assert definition is not None
    return definition


def problems(raw: dict[str, Any]) -> list[str]:
    report = Report("test.yaml", line=1)
    assert clean_question(raw, report) is None
    return [str(p) for p in report.problems]


# --- the registry -----------------------------------------------------------------------


def test_every_kind_of_the_issue_is_registered_with_one_interface() -> None:
    assert set(KINDS) == {"single-choice", "multiple-choice", "true-false", "fill-in", "numeric",
                          "matching", "short-answer", "case", "operation-task"}
    for kind in KINDS.values():
        assert kind.answer_schema, kind.name
        assert kind.label


def test_the_docs_example_has_one_question_of_every_kind() -> None:
    assert {q.kind for q in docs_example().questions} == set(KINDS)


def test_an_unknown_kind_is_a_domain_error_not_a_crash() -> None:
    with pytest.raises(UnknownKind):
        kinds.load({"id": "x", "kind": "essay-2000", "points": 1})


def test_a_new_kind_is_one_class(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kinds.base, "KINDS", dict(KINDS))

    @kinds.register
    class Always(kinds.QuestionKind):
        name = "always-right"
        label = "总是对"
        answer_schema = {"type": "string"}  # noqa: RUF012

        def validate(self, raw: dict[str, Any], report: Report) -> dict[str, Any]:
            return {}

        def grade(self, question: kinds.QuestionDef, answer: Any) -> kinds.Grade:
            return kinds.Grade(question.points, question.points)

    definition = make({"id": "x", "kind": "always-right", "prompt": "?", "points": 3})
    assert grade(definition, None).points == 3
    assert public_view(definition) == kinds.PublicQuestion(id="x", kind="always-right",
                                                           prompt="?", points=3)


# --- choices ----------------------------------------------------------------------------


def test_single_choice_gives_full_partial_or_no_credit() -> None:
    q = question("promise-express-01")
    assert grade(q, "a").points == 2 and grade(q, "a").parts[0].correct is True
    assert grade(q, "a").parts[0].feedback.startswith("是否违背承诺")
    assert grade(q, "c").points == 0.5  # credit: 25
    assert grade(q, "b").points == 0
    for nonsense in (None, "z", 1, ["a"], {"a": 1}):
        result = grade(q, nonsense)
        assert result.points == 0 and result.max_points == 2


@pytest.mark.parametrize(("scoring", "answer", "points"), [
    ("all-or-nothing", ["a", "c"], 4), ("all-or-nothing", ["a"], 0),
    ("all-or-nothing", ["a", "c", "d"], 0),
    ("proportional", ["a", "c"], 4), ("proportional", ["a"], 2),
    ("proportional", ["a", "b"], 0), ("proportional", ["a", "b", "c"], 2),
    ("proportional", ["b", "d"], 0),
])
def test_multiple_choice_scoring_rules(scoring: str, answer: list[str], points: float) -> None:
    q = make({"id": "m", "kind": "multiple-choice", "prompt": "哪些违规？", "points": 4,
              "scoring": scoring, "choices": [
                  {"text": "加价 1 元", "correct": True}, {"text": "如实开票"},
                  {"text": "承诺做不到的事", "correct": True}, {"text": "主动联系"}]})
    assert grade(q, answer).points == points
    assert grade(q, answer + answer).points == points  # a repeated key counts once


def test_weighted_multiple_choice_adds_credits_between_zero_and_full() -> None:
    q = make({"id": "w", "kind": "multiple-choice", "prompt": "?", "points": 2, "scoring": "weighted",
              "choices": [{"text": "甲", "credit": 50}, {"text": "乙", "credit": 50},
                          {"text": "丙", "credit": -100}, {"text": "丁"}]})
    assert [c.correct for c in q.choices] == [True, True, False, False]
    assert grade(q, ["a"]).points == 1
    assert grade(q, ["a", "b", "d"]).points == 2
    assert grade(q, ["a", "c"]).points == 0


def test_true_false_accepts_booleans_and_their_words() -> None:
    q = question("invoice-amount-01")
    assert grade(q, False).points == 1 and grade(q, "false").points == 1
    right, wrong = grade(q, False).parts[0], grade(q, True).parts[0]
    assert right.feedback.startswith("对") and wrong.feedback.startswith("发票金额")
    assert grade(q, True).points == 0 and grade(q, None).points == 0


# --- typed answers ----------------------------------------------------------------------


def test_fill_in_ignores_width_spaces_and_case() -> None:
    q = make({"id": "f", "kind": "fill-in", "prompt": "快递公司：", "points": 2,
              "answers": ["SF Express", "顺丰"]})
    for typed in ("ＳＦ　ｅｘｐｒｅｓｓ", "  sf   express ", "顺 丰", "顺丰"):
        assert grade(q, typed).points == 2, typed
        assert grade(q, [typed]).points == 2
    assert grade(q, "韵达").points == 0
    assert grade(q, "").parts[0].note is not None


def test_fill_in_with_several_blanks_shares_the_points_and_gives_partial_credit() -> None:
    q = question("return-window-01")
    assert grade(q, ["７", "七天无理由退货"]).points == 2
    assert grade(q, ["7", "退货"]).points == 1.5
    result = grade(q, ["8", "退货"])
    assert result.points == 0.5
    assert [p.correct for p in result.parts] == [False, False]
    assert result.parts[1].feedback == "完整说法是“七天无理由退货”。"
    assert grade(q, ["7"]).points == 1  # the missing blank earns nothing
    assert grade(q, [7, None]).points == 1  # a number typed as JSON counts as its text


def test_numeric_tolerance_absolute_percent_and_typed_forms() -> None:
    q = question("invoice-split-01")
    for typed in (268, 268.0, "268", "２６８", " 268 元", "268元", "+268"):
        assert grade(q, typed).points == 2, typed
    assert grade(q, "268.5").points == 0
    assert grade(q, "两百").parts[0].note.text == "答案不是一个数"
    percent = make({"id": "p", "kind": "numeric", "prompt": "?", "points": 1, "value": 1000,
                    "tolerance": "2%"})
    assert grade(percent, "1,020").points == 1 and grade(percent, "1021").points == 0
    several = make({"id": "s", "kind": "numeric", "prompt": "?", "points": 2, "answers": [
        {"value": 1822, "tolerance": 0}, {"value": 1822, "tolerance": 2, "credit": 50,
                                          "feedback": "接近了"}]})
    assert grade(several, "1822").points == 2
    assert grade(several, "1823").points == 1 and grade(several, "1823").parts[0].feedback == "接近了"
    for nonsense in (True, float("nan"), float("inf"), 10**400, "1e999999", [1], {"v": 1}):
        assert grade(several, nonsense).points == 0


def test_matching_is_graded_per_pair_or_all_or_nothing() -> None:
    q = question("team-groups-01")
    answer = {"1": "接收排班、活动和话术通知", "2": "跟进异常件、催件和改地址", "3": "发布个人广告"}
    assert grade(q, answer).points == 2
    assert [p.correct for p in grade(q, answer).parts] == [True, True, False]
    strict = make({**{k: v for k, v in q.to_data().items() if k not in ("points",)},
                   "scoring": "all-or-nothing", "points": 3})
    assert grade(strict, answer).points == 0
    answer["3"] = "核对库存、漏发补发"
    assert grade(strict, answer).points == 3
    assert grade(q, ["接收排班"]).points == 0


# --- graded by a trainer ----------------------------------------------------------------


def test_short_answer_waits_for_a_trainer_unless_empty() -> None:
    q = question("complaint-reply-01")
    assert q.points == 6
    waiting = grade(q, "亲，非常抱歉……")
    assert waiting.needs_manual and waiting.points == 0 and waiting.max_points == 6
    assert [p.correct for p in waiting.parts] == [None, None, None]
    empty = grade(q, "   ")
    assert not empty.needs_manual and empty.points == 0


def test_a_trainer_scores_each_criterion_within_its_points() -> None:
    q = question("complaint-reply-01")
    result = grade_manually(q, "回答", {"1": 2, "2": 1.5, "3": "2"})
    assert result.points == 5.5 and not result.needs_manual
    with pytest.raises(ManualScoreInvalid):
        grade_manually(q, "回答", {"1": 2, "2": 3, "3": 0})  # over the criterion's 2 points
    with pytest.raises(ManualScoreInvalid):
        grade_manually(q, "回答", {"1": 2})  # criteria left ungraded
    with pytest.raises(ManualScoreInvalid):
        grade_manually(q, "回答", {"1": 1, "2": 1, "3": 1, "9": 1})
    with pytest.raises(ManualScoreInvalid):
        grade_manually(question("promise-express-01"), "a", {})


def test_a_case_grades_each_sub_question_by_its_kind() -> None:
    q = question("refund-in-transit")
    assert q.points == 5
    result = grade(q, {"q1": "a", "q2": True, "q3": "说明原因，收货后换码"})
    assert result.points == 3 and result.needs_manual
    assert [p.key for p in result.parts] == ["q1/choice", "q2/answer", "q3/1", "q3/2"]
    final = grade_manually(q, {"q1": "a", "q2": True, "q3": "说明原因，收货后换码"},
                           {"q3": {"1": 1, "2": 0.5}})
    assert final.points == 4.5 and not final.needs_manual
    with pytest.raises(ManualScoreInvalid):
        grade_manually(q, {"q3": "写了"}, {})
    unanswered = grade(q, None)
    assert unanswered.points == 0 and not unanswered.needs_manual


# --- operation tasks --------------------------------------------------------------------


def test_an_operation_task_earns_each_fields_points_by_its_rule() -> None:
    q = question("out-of-stock-note")
    assert q.points == 5
    good = {"reason": "缺货，已电话联系，买家同意换款", "staff_id": "ＫＦ０１２３",
            "noted_at": "2025-11-11T10:10", "decision": "换款", "remark": ""}
    assert grade(q, good).points == 5
    bad = {"reason": "缺货", "staff_id": "KF12", "noted_at": "2025-11-11 11:00",
           "decision": "退款"}
    result = grade(q, bad)
    assert result.points == 0
    assert [p.key for p in result.parts] == ["reason", "staff_id", "noted_at", "decision"]
    assert result.parts[0].feedback.startswith("备注要写清楚")
    assert grade(q, {**good, "noted_at": "2025-11-11T10:10+08:00"}).points == 4  # no time zones
    assert grade(q, {**good, "noted_at": "昨天"}).points == 4
    assert grade(q, "not a form").points == 0


@pytest.mark.parametrize(("check", "typed", "passes"), [
    ({"rule": "exact", "value": "缺货"}, " 缺 货 ", True),
    ({"rule": "exact", "value": "缺货"}, "缺货了", False),
    ({"rule": "one-of", "values": ["退款", "换款"]}, "换款", True),
    ({"rule": "regex", "pattern": r"KF\d{4}"}, "KF0123", True),
    ({"rule": "regex", "pattern": r"KF\d{4}"}, "KF01234", False),
    ({"rule": "contains-all", "values": ["缺货", "换款"]}, "因缺货，换款", True),
    ({"rule": "contains-all", "values": ["缺货", "换款"]}, "因缺货", False),
    ({"rule": "non-empty"}, "任何内容", True),
])
def test_field_rules(check: dict[str, Any], typed: str, passes: bool) -> None:
    q = make({"id": "o", "kind": "operation-task", "prompt": "填写", "form": [
        {"name": "field", "label": "字段", "check": check, "points": 1}]})
    assert (grade(q, {"field": typed}).points == 1) is passes


def test_a_regex_that_could_backtrack_forever_is_refused() -> None:
    found = problems({"id": "o", "kind": "operation-task", "prompt": "填写", "form": [
        {"name": "field", "label": "字段", "check": {"rule": "regex", "pattern": "(a+)+b"},
         "points": 1}]})
    assert any("嵌套的重复" in p for p in found), found


# --- nothing secret reaches a trainee -----------------------------------------------------

SECRET = "SENTINEL-秘密"
SECRET_NUMBERS = ("987654.321", "0.123456", "2099-12-31")


def _secret_questions() -> dict[str, dict[str, Any]]:
    """One question of every kind with SECRET in every field a trainee must not see."""
    choice_fields = {"feedback": SECRET}
    sub_choice = {"id": "s1", "kind": "single-choice", "prompt": "小题", "points": 1,
                  "explanation": SECRET, "choices": [
                      {"text": "甲", "correct": True, **choice_fields}, {"text": "乙", "credit": 50}]}
    return {
        "single-choice": {"id": "a", "kind": "single-choice", "prompt": "题", "points": 1,
                          "explanation": SECRET, "choices": [
                              {"text": "甲", "correct": True, **choice_fields},
                              {"text": "乙", "credit": 50, **choice_fields}]},
        "multiple-choice": {"id": "b", "kind": "multiple-choice", "prompt": "题", "points": 1,
                            "scoring": "weighted", "explanation": SECRET, "choices": [
                                {"text": "甲", "credit": 100, **choice_fields},
                                {"text": "乙", "credit": -50, **choice_fields}]},
        "true-false": {"id": "c", "kind": "true-false", "prompt": "题", "points": 1,
                       "answer": True, "feedback_correct": SECRET, "feedback_incorrect": SECRET,
                       "explanation": SECRET},
        "fill-in": {"id": "d", "kind": "fill-in", "prompt": "填 [[1]] 和 [[2]]", "points": 1,
                    "explanation": SECRET, "blanks": [
                        [SECRET], {"answers": [{"text": SECRET + "2", "credit": 50,
                                                "feedback": SECRET}, "另一个"]}]},
        "numeric": {"id": "e", "kind": "numeric", "prompt": "题", "points": 1, "unit": "元",
                    "explanation": SECRET, "answers": [
                        {"value": 987654.321, "tolerance": 0.123456, "feedback": SECRET},
                        {"value": 987654.321, "tolerance": "5%", "credit": 50}]},
        "matching": {"id": "f", "kind": "matching", "prompt": "题", "points": 1,
                     "explanation": SECRET, "pairs": [{"left": "客服群", "right": "通知"},
                                                      {"left": "物流群", "right": "异常件"}]},
        "short-answer": {"id": "g", "kind": "short-answer", "prompt": "题",
                         "explanation": SECRET, "reference_answer": SECRET, "rubric": [
                             {"criterion": SECRET, "points": 2, "guidance": SECRET}]},
        "case": {"id": "h", "kind": "case", "scenario": "情景", "explanation": SECRET,
                 "questions": [sub_choice, {"id": "s2", "kind": "short-answer", "prompt": "写",
                                            "reference_answer": SECRET,
                                            "rubric": [{"criterion": SECRET, "points": 1}]}]},
        "operation-task": {"id": "i", "kind": "operation-task", "prompt": "填写",
                           "explanation": SECRET, "form": [
                               {"name": "reason", "label": "原因",
                                "check": {"rule": "contains-all", "values": [SECRET]},
                                "points": 1, "feedback": SECRET},
                               {"name": "staff", "label": "工号",
                                "check": {"rule": "regex", "pattern": SECRET + r"\d+"}, "points": 1},
                               {"name": "choice", "label": "处理", "type": "select",
                                "options": ["退款", "换款"],
                                "check": {"rule": "exact", "value": "换款"}, "points": 1},
                               {"name": "when", "label": "时间", "type": "datetime",
                                "check": {"rule": "datetime-within", "start": "2099-12-31 08:00",
                                          "end": "2099-12-31 09:00"}, "points": 1}]},
    }


SECRET_KEYS = {"correct", "credit", "answers", "answer", "value", "values", "tolerance", "rubric",
               "reference_answer", "check", "feedback", "feedback_correct", "feedback_incorrect",
               "explanation", "pairs", "pattern", "guidance", "criterion"}


def _keys(data: Any) -> set[str]:
    if isinstance(data, dict):
        return set(data) | {k for v in data.values() for k in _keys(v)}
    if isinstance(data, list):
        return {k for v in data for k in _keys(v)}
    return set()


def test_the_secret_fixtures_cover_every_registered_kind() -> None:
    assert set(_secret_questions()) == set(KINDS)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_public_view_holds_no_answer_key(kind: str) -> None:
    definition = make(_secret_questions()[kind])
    assert SECRET in json.dumps(definition.to_data(), ensure_ascii=False)  # the fixture holds it
    view = public_view(definition).to_data()
    text = json.dumps(view, ensure_ascii=False)
    assert "SENTINEL" not in text
    for number in SECRET_NUMBERS:
        assert number not in text
    assert not _keys(view) & SECRET_KEYS, _keys(view) & SECRET_KEYS


def test_a_public_view_still_has_what_the_trainee_needs() -> None:
    views = {k: public_view(make(raw)).to_data() for k, raw in _secret_questions().items()}
    assert views["single-choice"]["choices"] == [{"key": "a", "text": "甲"}, {"key": "b", "text": "乙"}]
    assert views["fill-in"]["blanks"] == 2
    assert views["numeric"]["unit"] == "元"
    assert views["matching"]["left"] == [{"key": "1", "text": "客服群"}, {"key": "2", "text": "物流群"}]
    assert views["matching"]["right"] == sorted(["通知", "异常件"])
    assert [q["id"] for q in views["case"]["questions"]] == ["s1", "s2"]
    assert views["operation-task"]["form"][2]["options"] == ["退款", "换款"]
    assert views["short-answer"]["points"] == 2


def test_grade_as_dict_is_plain_json() -> None:
    result = grade(question("refund-in-transit"), {"q1": "b"})
    data = json.loads(json.dumps(result.as_dict(), ensure_ascii=False))
    assert data["max_points"] == 5 and data["parts"][0]["key"] == "q1/choice"
    assert data["parts"][1]["note"]["text"] == "未作答"


# --- typed definitions ------------------------------------------------------------------


def test_a_definition_is_typed_and_gives_back_exactly_its_canonical_data() -> None:
    """Built once by the loader, turned back into data only for storage: nothing lost."""
    report = Report("test.yaml", line=1)
    for raw in [*_secret_questions().values(),
                *(q.definition.to_data() for q in docs_example().questions)]:
        data = kinds.base.clean_data(raw, report)
        assert data is not None, [str(p) for p in report.problems]
        definition = kinds.load(data)
        assert type(definition) is KINDS[data["kind"]].definition
        assert definition.to_data() == data
        assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    case = question("refund-in-transit")
    assert isinstance(case, kinds.CaseQuestion)
    assert [type(p).__name__ for p in case.questions][:2] == ["ChoiceQuestion", "TrueFalseQuestion"]
    assert case.questions[0].difficulty is None  # a sub-question has no difficulty, no tags
    assert question("promise-express-01").difficulty is kinds.Difficulty.EASY


def test_a_public_view_is_its_kinds_own_type() -> None:
    views = {k: public_view(make(raw)) for k, raw in _secret_questions().items()}
    assert {k: type(v).__name__ for k, v in views.items()} == {
        "single-choice": "PublicChoice", "multiple-choice": "PublicMultipleChoice",
        "true-false": "PublicQuestion", "fill-in": "PublicFillIn", "numeric": "PublicNumeric",
        "matching": "PublicMatching", "short-answer": "PublicShortAnswer", "case": "PublicCase",
        "operation-task": "PublicOperation"}
    shuffled = views["single-choice"].in_order(["b", "a"])
    assert [c.key for c in shuffled.choices] == ["b", "a"]
    assert views["fill-in"].in_order(["b", "a"]) is views["fill-in"]
