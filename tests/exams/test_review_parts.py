"""The review's typed values: stored per-part feedback read back as `Part`s, how a question
or a part came out (`Outcome`), and choices in the order the attempt showed them."""
from __future__ import annotations

from portal.exams import kinds
from portal.exams.kinds import Outcome, Part
from portal.messages import msg
from tests.exams.examples import question


def test_stored_parts_read_back_as_they_were_graded() -> None:
    graded = kinds.grade(question("return-window-01"), ["七", "退货"])
    stored = [p.as_dict() for p in graded.parts]
    assert kinds.parts_of(stored) == graded.parts
    note = Part("1", 0, 2, False, note=msg("未作答"))
    assert kinds.parts_of([note.as_dict()]) == (note,)
    # What an older portal or a broken row might hold is skipped, never an error.
    assert kinds.parts_of([{"points": 1}, "x", None, {"key": "2", "points": "a"}]) == (
        Part("2", 0.0, 0.0, None),)
    assert kinds.parts_of(None) == ()


def test_partial_credit_is_partial_and_a_trainers_part_is_pending() -> None:
    assert Outcome.of(2, 2) is Outcome.CORRECT
    assert Outcome.of(0.5, 1) is Outcome.PARTIAL
    assert Outcome.of(0, 1) is Outcome.WRONG
    assert Outcome.of(0, 6, pending=True) is Outcome.PENDING
    assert Outcome.of(None, 6) is Outcome.PENDING
    assert Part("2", 0.5, 1, False).outcome is Outcome.PARTIAL  # "correct: False", half credit
    assert Part("1", 0, 2, None).outcome is Outcome.PENDING


def test_a_choice_question_in_the_attempts_order_shows_the_letters_the_trainee_saw() -> None:
    q = question("promise-express-01")
    keys = q.option_keys
    shuffled = q.in_order(list(reversed(keys)))
    assert [c.key for c in shuffled.choices] == list(reversed(keys))
    assert kinds.grade(shuffled, keys[0]).points == kinds.grade(q, keys[0]).points
    # A choice added to the question since the attempt comes last; other kinds are unchanged.
    assert [c.key for c in q.in_order(keys[1:2]).choices] == [keys[1], keys[0], *keys[2:]]
    other = question("invoice-amount-01")
    assert other.in_order(["x"]) is other


def test_a_regrade_gives_typed_parts_and_stores_them_as_before() -> None:
    from portal.exams import grading

    q = question("complaint-reply-01")
    scored = [{"key": "1", "points": 2, "max_points": 2, "correct": True},
              {"key": "2", "points": 1, "max_points": 2, "correct": False},
              {"key": "3", "points": 0, "max_points": 2, "correct": False}]
    again = grading.regraded(q, "答案", scored, manually_graded=True)
    assert all(isinstance(p, Part) for p in again.parts) and again.points == 3
    assert [p.outcome for p in again.parts] == [Outcome.CORRECT, Outcome.PARTIAL, Outcome.WRONG]
    assert again.feedback == [p.as_dict() for p in again.parts]
