"""The pure exam rules, without a database: which questions an attempt gets, when a trainee
may start again, which score counts, and what a finished attempt shows."""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.exams import rules
from portal.exams.definitions import ExamDefinition
from portal.exams.rules import Candidate, Dimension, RandomPick, Requirement, SelectionError

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def pool() -> list[Candidate]:
    """Twelve questions: basics (3 easy, 2 medium, 1 hard), after-sales (2 easy, 2 medium,
    1 hard) and one question on both stages."""
    made = []
    for stage, mix in (("basics", ["easy"] * 3 + ["medium"] * 2 + ["hard"]),
                       ("after-sales", ["easy"] * 2 + ["medium"] * 2 + ["hard"])):
        made += [Candidate(f"bank/{stage}-{n}", frozenset({f"stage:{stage}", "role:all"}), level)
                 for n, level in enumerate(mix)]
    made.append(Candidate("bank/both", frozenset({"stage:basics", "stage:after-sales"}), "easy"))
    return made


def definition(*, fixed: list[str] | None = None, random_picks: list[RandomPick] | None = None,
               shuffle: bool = False, require: tuple[Requirement, ...] = ()) -> ExamDefinition:
    return ExamDefinition(fixed=fixed or [], random=random_picks or [], shuffle_questions=shuffle,
                          require=require)


def pick(count: int, *tags: str, kinds: tuple[str, ...] = (), **difficulty: int) -> RandomPick:
    return RandomPick(count=count, tags=tags, difficulty=difficulty, kinds=kinds)


def by_ref() -> dict[str, Candidate]:
    return {c.ref: c for c in pool()}


# --- select_questions ----------------------------------------------------------------------


def test_fixed_questions_come_first_in_their_order_when_not_shuffled() -> None:
    chosen = rules.select_questions(
        definition(fixed=["bank/basics-5", "bank/basics-0"],
                   random_picks=[pick(2, "stage:after-sales")]), pool(), random.Random(1))
    assert chosen[:2] == ["bank/basics-5", "bank/basics-0"]
    assert len(chosen) == 4
    assert all("stage:after-sales" in by_ref()[ref].tags for ref in chosen[2:])


def test_a_random_pick_needs_every_tag_it_lists() -> None:
    for seed in range(20):
        chosen = rules.select_questions(
            definition(random_picks=[pick(1, "stage:basics", "stage:after-sales")]), pool(),
            random.Random(seed))
        assert chosen == ["bank/both"]  # the only question carrying both tags


def test_a_pick_without_tags_draws_from_the_whole_pool() -> None:
    chosen = rules.select_questions(definition(random_picks=[pick(12)]), pool(), random.Random(3))
    assert sorted(chosen) == sorted(by_ref())


def test_the_difficulty_mix_is_drawn_exactly() -> None:
    for seed in range(20):
        chosen = rules.select_questions(
            definition(random_picks=[pick(4, "stage:basics", easy=2, medium=1, hard=1)]), pool(),
            random.Random(seed))
        levels = sorted(by_ref()[ref].difficulty for ref in chosen)
        assert levels == ["easy", "easy", "hard", "medium"]
        assert all("stage:basics" in by_ref()[ref].tags for ref in chosen)


def test_a_question_is_never_asked_twice_in_one_attempt() -> None:
    # The fixed question and the first pick use up basics; the second pick may not repeat them.
    chosen = rules.select_questions(
        definition(fixed=["bank/basics-0"],
                   random_picks=[pick(5, "stage:basics"), pick(1, "stage:basics")]),
        pool(), random.Random(5))
    assert len(chosen) == len(set(chosen)) == 7  # all seven basics questions, once each


def test_too_few_questions_for_a_pick_names_the_tags_and_the_numbers() -> None:
    with pytest.raises(SelectionError) as raised:
        rules.select_questions(definition(random_picks=[pick(8, "stage:basics")]), pool(),
                               random.Random(0))
    assert str(raised.value) == "标签 stage:basics 下的题目只有 7 道，需要 8 道"


def test_questions_taken_by_the_fixed_list_are_not_there_for_a_pick() -> None:
    with pytest.raises(SelectionError) as raised:
        rules.select_questions(definition(fixed=["bank/basics-5"],
                                          random_picks=[pick(1, "stage:basics", hard=1)]),
                               pool(), random.Random(0))
    assert str(raised.value) == "标签 stage:basics 下难度为 hard 的题目只有 0 道，需要 1 道"


def test_a_fixed_question_missing_from_the_pool_is_named() -> None:
    with pytest.raises(SelectionError) as raised:
        rules.select_questions(definition(fixed=["bank/retired"]), pool(), random.Random(0))
    assert str(raised.value) == "考试引用的题目 bank/retired 不存在或已停用"


def test_the_same_seed_gives_the_same_attempt_and_shuffling_mixes_the_fixed_ones() -> None:
    exam = definition(fixed=["bank/basics-0", "bank/basics-1", "bank/basics-2"],
                      random_picks=[pick(3, "stage:after-sales")], shuffle=True)
    first = rules.select_questions(exam, pool(), random.Random(42))
    assert rules.select_questions(exam, pool(), random.Random(42)) == first
    orders = {tuple(rules.select_questions(exam, pool(), random.Random(seed)))
              for seed in range(30)}
    assert len(orders) > 1
    assert any(order[:3] != ("bank/basics-0", "bank/basics-1", "bank/basics-2")
               for order in orders)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), easy=st.integers(0, 3), medium=st.integers(0, 2),
       hard=st.integers(0, 1), extra=st.integers(0, 4))
def test_any_feasible_exam_draws_distinct_questions_that_fit_their_pick(
        seed: int, easy: int, medium: int, hard: int, extra: int) -> None:
    mix = {k: v for k, v in (("easy", easy), ("medium", medium), ("hard", hard)) if v}
    picks = [pick(extra, "stage:after-sales")] if extra else []
    if mix:
        picks.insert(0, pick(sum(mix.values()), "stage:basics", **mix))
    chosen = rules.select_questions(definition(random_picks=picks, shuffle=True), pool(),
                                    random.Random(seed))
    assert len(chosen) == len(set(chosen)) == sum(mix.values()) + extra


# --- option order, deadline, time left -----------------------------------------------------


def test_options_keep_their_order_unless_shuffled() -> None:
    keys = ["a", "b", "c", "d"]
    assert rules.option_order(keys, shuffle=False, rng=random.Random(0)) == keys
    shuffled = {tuple(rules.option_order(keys, shuffle=True, rng=random.Random(s)))
                for s in range(20)}
    assert len(shuffled) > 1 and all(sorted(order) == keys for order in shuffled)
    assert keys == ["a", "b", "c", "d"]  # the caller's list is not shuffled in place


def test_the_deadline_adds_granted_extra_time() -> None:
    assert rules.deadline(NOW, minutes=30) == NOW + timedelta(minutes=30)
    assert rules.deadline(NOW, minutes=30, extra_minutes=15) == NOW + timedelta(minutes=45)


def test_seconds_left_counts_down_to_zero_and_never_below() -> None:
    end = NOW + timedelta(minutes=1)
    assert rules.seconds_left(end, NOW) == 60
    assert rules.seconds_left(end, end - timedelta(milliseconds=500)) == 0  # not a second left
    assert rules.seconds_left(end, end) == 0
    assert rules.seconds_left(end, end + timedelta(hours=1)) == 0


# --- can_start -----------------------------------------------------------------------------


def test_a_first_attempt_may_start() -> None:
    check = rules.can_start(attempts_allowed=2, extra_attempts=0, finished=[], wait_minutes=30,
                            now=NOW)
    assert (check.allowed, check.reason, check.attempts_left, check.next_allowed_at) == (
        True, None, 2, None)


def test_attempts_run_out_and_a_trainer_can_grant_more() -> None:
    finished = [(NOW - timedelta(days=2), False), (NOW - timedelta(days=1), False)]
    used_up = rules.can_start(attempts_allowed=2, extra_attempts=0, finished=finished,
                              wait_minutes=0, now=NOW)
    assert not used_up.allowed and used_up.attempts_left == 0
    assert str(used_up.reason) == "作答次数已用完"
    granted = rules.can_start(attempts_allowed=2, extra_attempts=1, finished=finished,
                              wait_minutes=0, now=NOW)
    assert granted.allowed and granted.attempts_left == 1


def test_the_wait_counts_from_the_last_attempt_and_ends_exactly_on_time() -> None:
    last = NOW - timedelta(minutes=29)
    finished = [(NOW - timedelta(days=1), False), (last, False)]
    waiting = rules.can_start(attempts_allowed=3, extra_attempts=0, finished=finished,
                              wait_minutes=30, now=NOW)
    assert not waiting.allowed and waiting.attempts_left == 1
    assert waiting.next_allowed_at == last + timedelta(minutes=30)
    assert str(waiting.reason) == "两次作答之间需间隔 30 分钟"
    on_time = rules.can_start(attempts_allowed=3, extra_attempts=0, finished=finished,
                              wait_minutes=30, now=last + timedelta(minutes=30))
    assert on_time.allowed and on_time.next_allowed_at is None


def test_used_up_attempts_are_reported_before_the_wait() -> None:
    check = rules.can_start(attempts_allowed=1, extra_attempts=0, finished=[(NOW, True)],
                            wait_minutes=60, now=NOW)
    assert str(check.reason) == "作答次数已用完" and check.next_allowed_at is None


def test_no_wait_means_a_retake_may_start_at_once() -> None:
    check = rules.can_start(attempts_allowed=2, extra_attempts=0, finished=[(NOW, False)],
                            wait_minutes=0, now=NOW)
    assert check.allowed and check.attempts_left == 1


# --- score and counted ---------------------------------------------------------------------


def test_the_score_is_out_of_100_with_one_decimal() -> None:
    assert rules.score(7, 9) == 77.8
    assert rules.score(9, 9) == 100.0
    assert rules.score(0, 0) == 0.0  # an exam with nothing to score gives no division error


def test_highest_counts_the_best_attempt_and_last_the_latest() -> None:
    attempts = [(1, 90.0), (2, 55.0)]
    assert rules.counted(attempts, "highest") == 90.0
    assert rules.counted(attempts, "last") == 55.0
    assert rules.counted(list(reversed(attempts)), "last") == 55.0  # by number, not list order


def test_attempts_without_a_score_do_not_count() -> None:
    assert rules.counted([], "highest") is None
    assert rules.counted([(1, None)], "last") is None
    assert rules.counted([(1, 70.0), (2, None)], "last") == 70.0
    assert rules.counted([(1, 0.0), (2, None)], "highest") == 0.0  # a zero is a score


# --- review_visible ------------------------------------------------------------------------

EVERYTHING = ["score", "responses", "correct", "explanations"]


def visible(when: str, show: list[str], *, submitted: bool = True,
            now: datetime = NOW) -> set[str]:
    return rules.review_visible(ExamDefinition(review_when=when, review_show=show),
                                submitted=submitted, deadline_at=NOW, now=now)


@pytest.mark.parametrize("when", ["after-submit", "after-close", "never"])
def test_nothing_is_shown_before_submitting(when: str) -> None:
    assert visible(when, EVERYTHING, submitted=False, now=NOW + timedelta(days=1)) == set()


def test_after_submit_shows_what_the_exam_lists_at_once() -> None:
    assert visible("after-submit", EVERYTHING, now=NOW - timedelta(minutes=20)) == set(EVERYTHING)
    assert visible("after-submit", ["score", "responses"]) == {"score", "responses"}


def test_after_close_shows_only_the_score_until_the_deadline() -> None:
    assert visible("after-close", EVERYTHING, now=NOW - timedelta(seconds=1)) == {"score"}
    assert visible("after-close", EVERYTHING, now=NOW) == set(EVERYTHING)  # at the deadline
    assert visible("after-close", ["responses"], now=NOW - timedelta(seconds=1)) == set()


def test_never_shows_at_most_the_score() -> None:
    assert visible("never", EVERYTHING, now=NOW + timedelta(days=30)) == {"score"}
    assert visible("never", ["responses", "correct"], now=NOW + timedelta(days=30)) == set()


def test_an_unknown_policy_shows_no_more_than_the_score() -> None:
    # A stored exam version is data: a policy this code does not know must fail closed.
    assert visible("after_close", EVERYTHING, now=NOW + timedelta(days=1)) == {"score"}


def test_a_policy_without_a_show_list_shows_the_score_only() -> None:
    assert rules.review_visible(ExamDefinition.from_data({}), submitted=True, deadline_at=NOW,
                                now=NOW) == {"score"}


# --- kinds in picks, and blueprints proved by counting the pools ---------------------------


def kinded_pool() -> list[Candidate]:
    """Ten questions of the operations stage: 5 single choice, 3 operation tasks (one about
    promises), 2 cases about promises."""
    made = [Candidate(f"bank/single-{n}", frozenset({"stage:operations"}), "easy",
                      "single-choice") for n in range(5)]
    made += [Candidate(f"bank/task-{n}", frozenset({"stage:operations"}), "medium",
                       "operation-task") for n in range(2)]
    made.append(Candidate("bank/task-promise", frozenset({"stage:operations", "topic:发货承诺"}),
                          "hard", "operation-task"))
    made += [Candidate(f"bank/case-{n}", frozenset({"stage:operations", "topic:发货承诺"}),
                       "medium", "case") for n in range(2)]
    return made


def kind_of(ref: str) -> str:
    return next(c.kind for c in kinded_pool() if c.ref == ref)


def needs(value: str, minimum: int) -> Requirement:
    dimension = Dimension.TAG if ":" in value else Dimension.KIND
    return Requirement(dimension, value, minimum)


def test_a_pick_with_kinds_draws_only_those_kinds() -> None:
    for seed in range(20):
        chosen = rules.select_questions(definition(random_picks=[
            pick(3, "stage:operations", kinds=("operation-task", "case"))]), kinded_pool(),
            random.Random(seed))
        assert {kind_of(ref) for ref in chosen} <= {"operation-task", "case"}
        assert len(set(chosen)) == 3


def test_a_pick_may_filter_by_kind_alone_and_with_a_difficulty_mix() -> None:
    chosen = rules.select_questions(definition(random_picks=[
        pick(2, kinds=("operation-task",), medium=1, hard=1)]), kinded_pool(), random.Random(0))
    assert sorted(chosen) == ["bank/task-0", "bank/task-promise"] or sorted(chosen) == [
        "bank/task-1", "bank/task-promise"]


def test_too_few_questions_of_a_kind_names_the_kind() -> None:
    with pytest.raises(SelectionError) as raised:
        rules.select_questions(definition(random_picks=[pick(4, kinds=("operation-task",))]),
                               kinded_pool(), random.Random(0))
    assert str(raised.value) == "标签 -、题型 operation-task 下的题目只有 3 道，需要 4 道"


def test_a_blueprint_met_by_a_pick_that_only_holds_the_kind_is_proved() -> None:
    exam = definition(random_picks=[pick(1, kinds=("operation-task",)),
                                    pick(9, "stage:operations")],
                      require=(needs("operation-task", 1),))
    assert rules.prove_blueprint(exam, kinded_pool()) == []


def test_a_blueprint_left_to_chance_is_refused_with_the_shortfall() -> None:
    # 10 of 10 drawn from the stage would hold every task; 6 of 10 may hold none.
    exam = definition(random_picks=[pick(6, "stage:operations")],
                      require=(needs("operation-task", 1),))
    [shortfall] = rules.prove_blueprint(exam, kinded_pool())
    assert shortfall.guarantee == rules.Guarantee(fixed=0, drawn=0)
    assert shortfall.missing == 1
    # Eight of the ten: at most 7 are not tasks, so one task is certain.
    exam = definition(random_picks=[pick(8, "stage:operations")],
                      require=(needs("operation-task", 1),))
    assert rules.prove_blueprint(exam, kinded_pool()) == []


def test_fixed_questions_count_towards_a_blueprint() -> None:
    exam = definition(fixed=["bank/case-0"], random_picks=[pick(1, kinds=("case",))],
                      require=(needs("case", 2), needs("topic:发货承诺", 2)))
    assert rules.prove_blueprint(exam, kinded_pool()) == []
    short = definition(fixed=["bank/case-0"], random_picks=[pick(2, "stage:operations")],
                       require=(needs("case", 2),))
    [shortfall] = rules.prove_blueprint(short, kinded_pool())
    assert shortfall.guarantee == rules.Guarantee(fixed=1, drawn=0)


def test_overlapping_pools_add_up_because_no_question_is_drawn_twice() -> None:
    # Both picks draw from the three tasks: the first takes 2, the second the last one;
    # together every attempt holds all three.
    exam = definition(random_picks=[pick(2, kinds=("operation-task",)),
                                    pick(1, kinds=("operation-task",))],
                      require=(needs("operation-task", 3),))
    assert rules.prove_blueprint(exam, kinded_pool()) == []
    for seed in range(20):
        chosen = rules.select_questions(exam, kinded_pool(), random.Random(seed))
        assert sum(kind_of(ref) == "operation-task" for ref in chosen) == 3


def test_an_overlapping_mixed_pool_cannot_count_what_another_pick_may_take() -> None:
    # The promise tag: the first pick (tasks) may or may not take task-promise; the second
    # (the stage) may draw no promise question at all. Only the cases pick would guarantee it.
    exam = definition(random_picks=[pick(1, kinds=("operation-task",)),
                                    pick(3, "stage:operations")],
                      require=(needs("topic:发货承诺", 1),))
    [shortfall] = rules.prove_blueprint(exam, kinded_pool())
    assert shortfall.guarantee.total == 0
    # Draws that really miss the tag exist, so the refusal is not over-cautious here.
    misses = [rules.select_questions(exam, kinded_pool(), random.Random(seed))
              for seed in range(200)]
    assert any(not any("promise" in ref or "case" in ref for ref in refs) for refs in misses)
    proved = definition(random_picks=[pick(1, kinds=("case",)), pick(3, "stage:operations")],
                        require=(needs("topic:发货承诺", 1),))
    assert rules.prove_blueprint(proved, kinded_pool()) == []


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), tasks=st.integers(0, 3), stage=st.integers(0, 7),
       minimum=st.integers(1, 4))
def test_a_proved_blueprint_holds_for_every_draw(seed: int, tasks: int, stage: int,
                                                 minimum: int) -> None:
    picks = [p for p in (pick(tasks, kinds=("operation-task",)) if tasks else None,
                         pick(stage, "stage:operations") if stage else None) if p]
    exam = definition(random_picks=picks, require=(needs("operation-task", minimum),))
    if not picks or rules.prove_blueprint(exam, kinded_pool()):
        return
    chosen = rules.select_questions(exam, kinded_pool(), random.Random(seed))
    assert sum(kind_of(ref) == "operation-task" for ref in chosen) >= minimum
