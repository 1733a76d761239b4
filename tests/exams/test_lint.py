"""The item-writing lint on crafted banks: each warning fires where it should, stays quiet on
a clean bank, and an acknowledgement with a reason silences it."""
from __future__ import annotations

from typing import Any

import pytest

from portal.exams import kinds, lint
from portal.exams.bank import load_bank
from portal.exams.warning_codes import LABELS, WarningCode
from tests.exams import lint_fixtures as fx
from tests.factories import (
    make_lint_bank,
    multiple_choice_data,
    single_choice_data,
    true_false_data,
)


def _singles(positions: list[int], **overrides: Any) -> list[dict[str, Any]]:
    return [single_choice_data(qid=f"single-{i}", prompt=fx.STEMS[i], options=fx.OPTIONS[i],
                               correct=p, **overrides) for i, p in enumerate(positions)]


def _multiples(correct: tuple[tuple[int, ...], ...] = fx.MULTIPLE_MIXED) -> list[dict[str, Any]]:
    return [multiple_choice_data(qid=f"multi-{i}", prompt=fx.MULTIPLE_STEMS[i],
                                 options=fx.MULTIPLE_OPTIONS[i], correct=c)
            for i, c in enumerate(correct)]


def _true_false(answers: tuple[bool, ...] = (True, False, True, False, True, False),
                ) -> list[dict[str, Any]]:
    return [true_false_data(qid=f"tf-{i}", prompt=fx.TRUE_FALSE_STEMS[i], answer=a)
            for i, a in enumerate(answers)]


ROTATING = [0, 1, 2, 3, 0, 1, 2, 3, 0, 1]


def _clean(**parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    questions = {"singles": _singles(ROTATING), "multiples": _multiples(),
                 "true_false": _true_false()}
    questions.update(parts)
    return [q for group in questions.values() for q in group]


def _codes(report: lint.LintReport) -> dict[str, set[WarningCode]]:
    found: dict[str, set[WarningCode]] = {}
    for warning in report.open:
        found.setdefault(warning.question, set()).add(warning.code)
    return found


def test_a_clean_bank_has_no_warning() -> None:
    assert lint.lint([make_lint_bank(questions=_clean())]).warnings == ()


def test_correct_answers_in_one_position_warn_every_question_that_follows_the_cue() -> None:
    bank = make_lint_bank(questions=_clean(singles=_singles([0] * 9 + [2])))
    report = lint.lint([bank])
    flagged = {w.question for w in report.open if w.code is WarningCode.POSITION_CUE}
    assert flagged == {f"single-{i}" for i in range(9)}
    warning = next(w for w in report.open if w.question == "single-0")
    assert warning.path == "question_banks/banks/lint-bank.yaml"
    assert warning.line == bank.question("single-0").line
    assert warning.label == "正确答案位置有规律"
    assert "第 1 个选项" in str(warning.why) and "10 道单选题中有 9 道" in str(warning.why)


def test_a_position_cue_needs_evidence_a_few_questions_cannot_give() -> None:
    # Four questions all keyed "a" happen by chance often enough (1 in 64 per position).
    small = make_lint_bank(questions=_singles([0, 0, 0, 0]))
    assert lint.lint([small]).warnings == ()
    # Four of ten in one position is what chance gives (2.5 expected): no cue.
    mild = make_lint_bank(questions=_clean(singles=_singles([0, 0, 0, 0, 1, 2, 3, 1, 2, 3])))
    assert lint.lint([mild]).warnings == ()


def test_the_correct_answer_mostly_the_longest_option_warns() -> None:
    singles = []
    for i, position in enumerate(ROTATING):
        options = list(fx.OPTIONS[i])
        options[position] = fx.LONG_OPTION + str(i)
        singles.append(single_choice_data(qid=f"single-{i}", prompt=fx.STEMS[i],
                                          options=options, correct=position))
    report = lint.lint([make_lint_bank(questions=_clean(singles=singles))])
    assert {q for q, codes in _codes(report).items()} == {f"single-{i}" for i in range(10)}
    assert all(codes == {WarningCode.LENGTH_CUE} for codes in _codes(report).values())


def test_multiple_choice_with_correct_options_listed_first_warns() -> None:
    first = ((0, 1), (0,), (0, 1), (0, 1, 2), (0,), (0, 1))
    report = lint.lint([make_lint_bank(questions=_clean(multiples=_multiples(first)))])
    assert _codes(report) == {f"multi-{i}": {WarningCode.CORRECT_FIRST_CUE} for i in range(6)}


def test_one_sided_true_false_keys_warn_the_majority() -> None:
    report = lint.lint([make_lint_bank(questions=_clean(true_false=_true_false((False,) * 6)))])
    assert _codes(report) == {f"tf-{i}": {WarningCode.TRUE_FALSE_BALANCE} for i in range(6)}
    assert "答案是“错”" in str(report.open[0].why)
    # 4 of 6 is not one-sided enough to tell from chance.
    mild = lint.lint([make_lint_bank(questions=_clean(
        true_false=_true_false((False, False, False, False, True, True))))])
    assert mild.warnings == ()


@pytest.mark.parametrize(("feedback", "explanation"), [
    ({1: fx.WRONG_FEEDBACK}, ""),
    ({}, f"“{fx.OPTIONS[0][1]}”是违规做法，会引来投诉。"),
])
def test_partial_credit_on_an_option_called_wrong_warns(feedback: dict[int, str],
                                                        explanation: str) -> None:
    credited = single_choice_data(qid="single-0", prompt=fx.STEMS[0], options=fx.OPTIONS[0],
                                  correct=0, credit={1: 25}, feedback=feedback,
                                  explanation=explanation)
    singles = [credited, *_singles(ROTATING)[1:]]
    report = lint.lint([make_lint_bank(questions=_clean(singles=singles))])
    assert _codes(report) == {"single-0": {WarningCode.WRONG_CREDIT}}
    assert fx.OPTIONS[0][1] in str(report.open[0].why) and "25%" in str(report.open[0].why)


def test_partial_credit_whose_feedback_denies_a_fault_does_not_warn() -> None:
    credited = single_choice_data(qid="single-0", prompt=fx.STEMS[0], options=fx.OPTIONS[0],
                                  correct=0, credit={2: 25},
                                  feedback={2: "不算违规，只是还不够周到。"})
    singles = [credited, *_singles(ROTATING)[1:]]
    assert lint.lint([make_lint_bank(questions=_clean(singles=singles))]).warnings == ()


def test_near_duplicate_stems_across_banks_with_different_keys_warn_both() -> None:
    first = make_lint_bank(key="bank-one", title="第一题库", questions=[
        true_false_data(qid="red-packet", prompt=fx.TRUE_FALSE_STEMS[0], answer=False)])
    second = make_lint_bank(key="bank-two", title="第二题库", questions=[
        true_false_data(qid="red-packet-again", prompt=fx.TRUE_FALSE_STEMS[0].rstrip("。") + "！",
                        answer=True)])
    report = lint.lint([first, second])
    assert {(w.bank, w.code) for w in report.open} == {
        ("bank-one", WarningCode.DUPLICATE_STEM), ("bank-two", WarningCode.DUPLICATE_STEM)}
    assert "第二题库" in str(next(w for w in report.open if w.bank == "bank-one").why)
    # The same stem with the same key is a repeat, not a contradiction.
    agreeing = make_lint_bank(key="bank-two", title="第二题库", questions=[
        true_false_data(qid="red-packet-again", prompt=fx.TRUE_FALSE_STEMS[0], answer=False)])
    assert lint.lint([first, agreeing]).warnings == ()


def test_near_duplicate_choice_questions_contradict_when_an_option_changes_sides() -> None:
    one = single_choice_data(qid="addr", prompt=fx.STEMS[0], options=fx.OPTIONS[0], correct=0)
    other = single_choice_data(qid="addr-2", prompt=fx.STEMS[0], options=fx.OPTIONS[0],
                               correct=2)
    report = lint.lint([make_lint_bank(questions=[one, other])])
    assert {w.question for w in report.open} == {"addr", "addr-2"}
    assert fx.OPTIONS[0][0] in str(report.open[0].why)


def test_an_explanation_pointing_at_another_question_warns() -> None:
    referring = true_false_data(qid="tf-0", prompt=fx.TRUE_FALSE_STEMS[0], answer=True,
                                explanation=fx.CROSS_EXPLANATION)
    report = lint.lint([make_lint_bank(questions=_clean(
        true_false=[referring, *_true_false()[1:]]))])
    assert _codes(report) == {"tf-0": {WarningCode.CROSS_REFERENCE}}
    assert "上一题" in str(report.open[0].why)


def test_an_explanation_quoting_only_another_questions_text_warns() -> None:
    quoting = true_false_data(qid="tf-0", prompt=fx.TRUE_FALSE_STEMS[0], answer=True,
                              explanation=f"记住“{fx.STEMS[3][:12]}”这一问的答案即可。")
    report = lint.lint([make_lint_bank(questions=_clean(true_false=[quoting, *_true_false()[1:]]))])
    assert _codes(report) == {"tf-0": {WarningCode.CROSS_REFERENCE}}
    assert "single-3" not in str(report.open[0].why)  # named by its text, not its id
    assert fx.STEMS[3][:10] in str(report.open[0].why)


def test_an_acknowledged_warning_is_kept_with_its_reason_but_not_open() -> None:
    ack = [{"warning": "position-cue", "reason": "法规题，正确项须放在第一位"}]
    singles = [single_choice_data(qid=f"single-{i}", prompt=fx.STEMS[i], options=fx.OPTIONS[i],
                                  correct=0, acknowledged=ack if i == 0 else None)
               for i in range(10)]
    report = lint.lint([make_lint_bank(questions=_clean(singles=singles))])
    assert [w.question for w in report.acknowledged] == ["single-0"]
    assert report.acknowledged[0].acknowledged == "法规题，正确项须放在第一位"
    assert "single-0" not in {w.question for w in report.open}
    assert len(report.open) == 9
    assert "bank/single-0" not in report.flagged()


def test_acknowledged_is_validated_with_its_line() -> None:
    text = """key: b
title: 题库
questions:
  - id: q
    kind: true-false
    prompt: 判断。
    points: 1
    answer: true
    acknowledged:
      - {warning: no-such-warning, reason: 因为}
      - {warning: coverage}
"""
    bank, problems = load_bank(text.encode("utf-8"), "b.yaml")
    assert bank is None
    assert [(p.line, p.message.text) for p in problems] == [
        (10, "acknowledged[%(index)d] 的 warning 只能是 %(allowed)s 之一"),
        (11, "缺少字段 %(name)s")]


def test_acknowledged_survives_the_typed_definition_round_trip() -> None:
    ack = [{"warning": "wrong-credit", "reason": "部分得分是有意的"}]
    data = single_choice_data(qid="q", prompt=fx.STEMS[0], options=fx.OPTIONS[0], correct=0,
                              acknowledged=ack)
    bank = make_lint_bank(questions=[data])
    definition = bank.questions[0].definition
    assert definition.acknowledgement(WarningCode.WRONG_CREDIT) == kinds.Acknowledgement(
        warning=WarningCode.WRONG_CREDIT, reason="部分得分是有意的")
    assert kinds.load(definition.to_data()) == definition
    assert definition.to_data()["acknowledged"] == ack


def test_every_code_has_a_chinese_label() -> None:
    assert set(LABELS) == set(WarningCode)
    assert all(not any("a" <= ch.lower() <= "z" for ch in label) for label in LABELS.values())


def test_the_correct_answer_never_the_longest_option_warns_the_reverse_cue() -> None:
    singles = []
    for i, position in enumerate(ROTATING):
        options = list(fx.OPTIONS[i])
        wrong = (position + 1) % len(options)
        options[wrong] = fx.LONG_OPTION + str(i)
        singles.append(single_choice_data(qid=f"single-{i}", prompt=fx.STEMS[i],
                                          options=options, correct=position))
    report = lint.lint([make_lint_bank(questions=_clean(singles=singles))])
    assert _codes(report) == {f"single-{i}": {WarningCode.SHORT_KEY_CUE} for i in range(10)}
    warning = report.open[0]
    assert warning.label == "正确答案从不是最长"
    assert "只有 0 道" in str(warning.why)


def test_the_reverse_length_cue_needs_evidence() -> None:
    # Two of ten keys the longest (2.5 expected by chance): not a cue.
    singles = []
    for i, position in enumerate(ROTATING):
        options = list(fx.OPTIONS[i])
        target = position if i < 2 else (position + 1) % len(options)
        options[target] = fx.LONG_OPTION + str(i)
        singles.append(single_choice_data(qid=f"single-{i}", prompt=fx.STEMS[i],
                                          options=options, correct=position))
    report = lint.lint([make_lint_bank(questions=_clean(singles=singles))])
    assert WarningCode.SHORT_KEY_CUE not in {w.code for w in report.open}
