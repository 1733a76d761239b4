"""The Double-11 bank gives no answer away by its shape: true/false keys balanced, and the
correct single choice sometimes the longest option and sometimes not (neither cue)."""
from __future__ import annotations

from portal.config import PROJECT_ROOT
from portal.exams.files import load_folder
from portal.exams.kinds.choice import ChoiceQuestion, TrueFalseQuestion

BANK = next(b for b in load_folder(PROJECT_ROOT / "question_banks").banks
            if b.key == "double11")


def test_true_false_keys_are_balanced() -> None:
    keys = [q.definition.answer for q in BANK.questions
            if isinstance(q.definition, TrueFalseQuestion)]
    assert len(keys) >= 6
    assert abs(keys.count(True) - keys.count(False)) <= 1, keys


def test_the_key_is_the_longest_option_in_some_single_choices_but_not_most() -> None:
    flags = []
    for q in BANK.questions:
        if q.definition.kind != "single-choice":
            continue
        assert isinstance(q.definition, ChoiceQuestion)
        choices = q.definition.choices
        lengths = [len(c.text) for c in choices]
        key = next(i for i, c in enumerate(choices) if c.correct)
        flags.append(lengths[key] == max(lengths))
    share = sum(flags) / len(flags)
    # by chance about 1 in 4: a bank where it never is, or nearly always is, teaches a cue
    assert 0.15 <= share <= 0.45, (sum(flags), len(flags))
