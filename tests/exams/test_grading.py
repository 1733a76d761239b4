"""The trainer's side of exams through the services: the grading queue and its lock, manual
grading that finalises a score (and passes a stage), overrides, and regrade with a dry run.

The bank, exams and track are in grading_fixtures.py; the builders (the world of a cohort
with its staff, an attempt taken and submitted) in tests/factories.py.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.audit.models import AuditEvent
from portal.courses.models import StageCompletion
from portal.errors import Forbidden, NotFound
from portal.exams import errors, forms, grading, kinds, services
from portal.exams.bank import load_bank
from portal.exams.errors import ManualScoreInvalid
from portal.exams.models import Attempt, AttemptStatus, ExamOverride, Question
from tests.exams.grading_fixtures import ANSWERS, BANK, FULL_CASE, FULL_ESSAY, TRACK_KEY
from tests.factories import (
    World,
    build_world,
    fix_choice_key,
    grade_all,
    import_grading_exam,
    make_cohort,
    make_user,
    response_at,
    take_and_submit,
)


def audit_events(session: Session, action: str) -> list[AuditEvent]:
    return list(session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)
                                .order_by(AuditEvent.id)))


@pytest.fixture
def world(session: Session, now: datetime) -> World:
    built = build_world(session, now=now)
    session.commit()
    return built


@pytest.fixture
def submitted(session: Session, world: World, now: datetime) -> Attempt:
    return take_and_submit(session, trainee=world.trainee, now=now)


# --- pure helpers ---------------------------------------------------------------------------


def _question(ref: str) -> kinds.QuestionDef:
    bank, _ = load_bank(BANK.encode("utf-8"), "grading-bank.yaml")
    assert bank is not None
    return next(q.definition for q in bank.questions if q.id == ref)


def test_the_grading_form_gives_the_scores_each_kind_expects() -> None:
    essay, case = _question("essay"), _question("case")
    form = {"score-1": "3", "score-2": "５", "score-q2-1": "1", "score-q2-2": "2"}
    assert forms.scores_from_form(grading.grading_sections(essay, ANSWERS[2], []), form) == {"1": "3", "2": "５"}
    # Only the case parts that wait for a trainer are asked for.
    assert forms.scores_from_form(grading.grading_sections(case, ANSWERS[3], []), form) == {"q2": {"1": "1", "2": "2"}}
    assert forms.scores_from_form(grading.grading_sections(case, {"q1": True, "q2": "  "}, []), form) == {}


def test_grading_sections_put_each_part_beside_its_rubric() -> None:
    sections = grading.grading_sections(_question("case"), ANSWERS[3], [])
    assert [(s.key, s.manual, s.points) for s in sections] == [("q1", False, 4.0),
                                                               ("q2", True, None)]
    assert [forms.score_field(sections[1].key, c.number) for c in sections[1].criteria] == [
        "score-q2-1", "score-q2-2"]
    essay = grading.grading_sections(_question("essay"), ANSWERS[2],
                                     [{"key": "1", "points": 3, "correct": False},
                                      {"key": "2", "points": 0, "correct": None}])
    assert [(c.text, c.points, c.given, c.guidance != "") for c in essay[0].criteria] == [
        ("先安抚并致歉", 4, 3, True), ("查询并说明物流", 6, None, False)]


def test_regrading_keeps_a_trainers_scores_and_recomputes_the_rest() -> None:
    case = _question("case")
    graded = [{"key": "q1/answer", "points": 4.0, "max_points": 4, "correct": True},
              {"key": "q2/1", "points": 2.0, "max_points": 3, "correct": False},
              {"key": "q2/2", "points": 3.0, "max_points": 3, "correct": True}]
    again = grading.regraded(case, {"q1": False, "q2": "核实后补发"}, graded, manually_graded=True)
    assert again.points == 5.0 and not again.needs_manual  # q1 now wrong, q2's 2 + 3 kept
    # A rubric line the old grade has no score for sends the answer back to a trainer.
    data = case.to_data()
    data["questions"][1]["rubric"].append({"criterion": "告知时效", "points": 2})
    longer = grading.regraded(kinds.load(data), {"q1": True, "q2": "核实后补发"}, graded,
                              manually_graded=True)
    assert longer.needs_manual and longer.points == 9.0


# --- the queue and the lock ------------------------------------------------------------------


def test_the_queue_holds_manual_items_of_followed_cohorts_oldest_first(
        session: Session, world: World, submitted: Attempt, now: datetime) -> None:
    assert submitted.status is AttemptStatus.SUBMITTED and submitted.score is None
    assert submitted.points == 14  # the choice and the case's true/false so far
    later_trainee = make_user(session, cohort=world.cohort, display_name="后交卷")
    later = take_and_submit(session, trainee=later_trainee, now=now + timedelta(minutes=10),
                            exam_key="grading-staged")
    queue = grading.grading_queue(session, actor=world.trainer, now=now)
    assert [(i.attempt.id, i.position, i.kind) for i in queue.items] == [
        (submitted.id, 2, "short-answer"), (submitted.id, 3, "case"),
        (later.id, 2, "short-answer"), (later.id, 3, "case")]
    assert {(c.key, c.count) for c in queue.exams} == {("grading-exam", 2), ("grading-staged", 2)}
    only = grading.grading_queue(session, actor=world.trainer, exam_key="grading-staged", now=now)
    assert [i.attempt.id for i in only.items] == [later.id, later.id] and only.total == 4
    assert grading.grading_queue(session, actor=world.outsider, now=now).items == []
    with pytest.raises(Forbidden):
        grading.grading_queue(session, actor=world.supervisor, now=now)


def test_an_empty_short_answer_is_zero_without_a_trainer(session: Session, world: World,
                                                          now: datetime) -> None:
    attempt = take_and_submit(session, trainee=world.trainee, now=now,
                              answers={1: "a", 2: " ", 3: {"q1": True, "q2": ""}})
    assert attempt.status is AttemptStatus.GRADED and attempt.points == 14
    assert grading.grading_queue(session, actor=world.trainer, now=now).items == []


def test_a_second_grader_sees_who_holds_the_lock_and_cannot_save(
        session: Session, world: World, submitted: Attempt, now: datetime) -> None:
    essay = response_at(submitted, 2)
    opened = grading.grading_page(session, actor=world.trainer, response_id=essay.id, now=now)
    assert opened.can_save and not opened.lock_mine and essay.locked_by_id is None
    mine = grading.claim_response(session, actor=world.trainer, response_id=essay.id, now=now)
    assert mine.can_save and mine.lock_mine
    assert mine.locked_until == now + timedelta(minutes=grading.LOCK_MINUTES)
    theirs = grading.grading_page(session, actor=world.second_trainer, response_id=essay.id,
                                  now=now + timedelta(minutes=1))
    assert not theirs.can_save and theirs.lock_holder == "王培训"
    queue = grading.grading_queue(session, actor=world.second_trainer, now=now)
    assert queue.items[0].locked_by == "王培训" and not queue.items[0].locked_by_me
    with pytest.raises(errors.LockHeld) as refused:
        grading.grade_response(session, actor=world.second_trainer, response_id=essay.id,
                               scores={"1": 0, "2": 0}, comment="", now=now)
    assert "王培训" in str(refused.value.message)
    assert essay.needs_manual and essay.points == 0  # nothing of the refused save stayed
    grading.grade_response(session, actor=world.trainer, response_id=essay.id,
                           scores=FULL_ESSAY, comment="很好", now=now + timedelta(minutes=2))
    assert essay.points == 10 and essay.locked_by_id is None and essay.grader_comment == "很好"
    with pytest.raises(errors.AlreadyGraded):
        grading.grade_response(session, actor=world.second_trainer, response_id=essay.id,
                               scores=FULL_ESSAY, comment="", now=now + timedelta(minutes=3))


def test_an_expired_lock_taken_by_another_refuses_the_first_graders_save(
        session: Session, world: World, submitted: Attempt, now: datetime) -> None:
    essay = response_at(submitted, 2)
    grading.claim_response(session, actor=world.trainer, response_id=essay.id, now=now)
    later = now + timedelta(minutes=grading.LOCK_MINUTES + 1)
    taken = grading.claim_response(session, actor=world.second_trainer, response_id=essay.id,
                                   now=later)
    assert taken.lock_mine
    with pytest.raises(errors.LockHeld) as refused:
        grading.grade_response(session, actor=world.trainer, response_id=essay.id,
                               scores=FULL_ESSAY, comment="", now=later + timedelta(minutes=1))
    assert "李培训" in str(refused.value.message)
    grading.grade_response(session, actor=world.second_trainer, response_id=essay.id,
                           scores={"1": 2, "2": 6}, comment="", now=later + timedelta(minutes=2))
    assert essay.points == 8 and essay.graded_by_id == world.second_trainer.id


def test_an_expired_lock_nobody_took_still_saves_and_a_free_answer_saves_without_a_claim(
        session: Session, world: World, submitted: Attempt, now: datetime) -> None:
    essay, case = response_at(submitted, 2), response_at(submitted, 3)
    grading.claim_response(session, actor=world.trainer, response_id=essay.id, now=now)
    grading.grade_response(session, actor=world.trainer, response_id=essay.id, scores=FULL_ESSAY,
                           comment="", now=now + timedelta(hours=1))
    assert essay.points == 10
    # Nobody was scoring the case: saving takes the free lock and releases it.
    grading.grade_response(session, actor=world.trainer, response_id=case.id,
                           scores=FULL_CASE, comment="", now=now)
    assert not case.needs_manual and case.locked_by_id is None


def test_opening_locks_nothing_and_leaving_releases_the_lock_at_once(
        session: Session, world: World, submitted: Attempt, now: datetime) -> None:
    essay = response_at(submitted, 2)
    for _ in range(3):  # a trainer browsing answers keeps none of them from others
        grading.grading_page(session, actor=world.trainer, response_id=essay.id, now=now)
    assert essay.locked_by_id is None
    grading.claim_response(session, actor=world.trainer, response_id=essay.id, now=now)
    # Another grader cannot release someone else's lock.
    assert not grading.release_response(session, actor=world.second_trainer,
                                        response_id=essay.id)
    assert essay.locked_by_id == world.trainer.id
    assert grading.release_response(session, actor=world.trainer, response_id=essay.id)
    theirs = grading.claim_response(session, actor=world.second_trainer, response_id=essay.id,
                                    now=now + timedelta(minutes=1))
    assert theirs.lock_mine  # without waiting 15 minutes


def test_scores_outside_the_rubric_are_refused(session: Session, world: World,
                                               submitted: Attempt, now: datetime) -> None:
    essay = response_at(submitted, 2)
    grading.claim_response(session, actor=world.trainer, response_id=essay.id, now=now)
    with pytest.raises(ManualScoreInvalid) as refused:
        grading.grade_response(session, actor=world.trainer, response_id=essay.id,
                               scores={"1": "5", "2": "6"}, comment="", now=now)
    assert "先安抚并致歉" in str(refused.value.message)
    with pytest.raises(errors.GradeInvalid):
        grading.grade_response(session, actor=world.trainer, response_id=essay.id,
                               scores=FULL_ESSAY, comment="长" * 2001, now=now)


def test_the_last_manual_item_makes_the_score_final_and_passes_the_stage(
        session: Session, world: World, now: datetime) -> None:
    attempt = take_and_submit(session, trainee=world.trainee, now=now, exam_key="grading-staged")
    essay, case = response_at(attempt, 2), response_at(attempt, 3)
    grading.grading_page(session, actor=world.trainer, response_id=essay.id, now=now)
    grading.grade_response(session, actor=world.trainer, response_id=essay.id, scores=FULL_ESSAY,
                           comment="", now=now)
    assert attempt.status is AttemptStatus.SUBMITTED and attempt.score is None
    assert attempt.points == 24
    grading.grading_page(session, actor=world.trainer, response_id=case.id, now=now)
    grading.grade_response(session, actor=world.trainer, response_id=case.id,
                           scores={"q2": {"1": "3", "2": "1.5"}}, comment="", now=now)
    assert attempt.status is AttemptStatus.GRADED
    assert attempt.points == 28.5 and attempt.score == 95.0 and attempt.passed
    assert case.feedback[0] == {"key": "q1/answer", "points": 4.0, "max_points": 4,
                                "correct": True}
    stage = session.scalars(sa.select(StageCompletion).where(
        StageCompletion.user_id == world.trainee.id)).one()
    assert (stage.track_key, stage.stage_key, stage.source) == (TRACK_KEY, "s1", "exam")
    events = audit_events(session, "response.grade")
    assert [e.details["points"] for e in events] == [10.0, 8.5]
    assert events[-1].details["attempt_score"] == 95.0 and events[-1].actor_id == world.trainer.id


# --- who sees what ----------------------------------------------------------------------------


def test_only_staff_of_the_cohort_see_an_attempt_and_only_trainers_grade(
        session: Session, world: World, submitted: Attempt, now: datetime) -> None:
    essay = response_at(submitted, 2)
    review = grading.attempt_review(session, actor=world.supervisor, attempt_id=submitted.id,
                                    now=now)
    assert [i.question.id for i in review.items] == ["choice", "essay", "case"]
    assert review.items[0].question.choices[0].correct is True  # staff may see keys
    for call in (lambda: grading.attempt_review(session, actor=world.outsider,
                                                attempt_id=submitted.id, now=now),
                 lambda: grading.grading_page(session, actor=world.outsider,
                                              response_id=essay.id, now=now)):
        with pytest.raises(NotFound):
            call()
    with pytest.raises(Forbidden):
        grading.grading_page(session, actor=world.supervisor, response_id=essay.id, now=now)
    with pytest.raises(Forbidden):
        grading.attempt_review(session, actor=world.trainee, attempt_id=submitted.id, now=now)
    assert essay.locked_by_id is None  # nobody refused got the lock


def test_results_list_followed_trainees_with_their_counted_scores(
        session: Session, world: World, submitted: Attempt, now: datetime) -> None:
    idle = make_user(session, cohort=world.cohort, display_name="未考")
    results = grading.exam_results(session, actor=world.supervisor, exam_key="grading-exam",
                                   now=now)
    rows = {r.trainee.id: r for r in results.rows}
    assert set(rows) == {world.trainee.id, idle.id}
    assert rows[world.trainee.id].waiting == 1 and rows[world.trainee.id].passed is None
    grade_all(session, trainer=world.trainer, attempt=submitted, now=now)
    results = grading.exam_results(session, actor=world.trainer, exam_key="grading-exam", now=now)
    row = next(r for r in results.rows if r.trainee.id == world.trainee.id)
    assert (row.counted_score, row.passed, row.attempts_left) == (100.0, True, 1)
    assert grading.exam_results(session, actor=world.outsider, exam_key="grading-exam",
                                now=now).rows == []
    overview = {e.key: e for e in grading.exams_overview(session, actor=world.trainer)}
    assert (overview["grading-exam"].attempts, overview["grading-exam"].waiting) == (1, 0)


# --- overrides ----------------------------------------------------------------------------------


def test_an_override_extends_the_attempt_in_progress_and_is_audited(
        session: Session, world: World, now: datetime) -> None:
    attempt = services.start_attempt(session, user=world.trainee, exam_key="grading-exam", now=now)
    deadline = attempt.deadline_at
    result = grading.create_override(session, actor=world.trainer, exam_key="grading-exam",
                                     trainee_id=world.trainee.id, extra_minutes=10,
                                     extra_attempts=0, reason="网络故障耽误了时间",
                                     now=now + timedelta(minutes=20))
    assert result.extended is attempt and attempt.deadline_at == deadline + timedelta(minutes=10)
    # The old deadline has passed, the new one not: saving still works.
    services.save_answer(session, user=world.trainee, attempt_id=attempt.id, position=1,
                         answer="a", revision=1, now=deadline + timedelta(minutes=5))
    event = audit_events(session, "exam.override")[0]
    assert event.actor_id == world.trainer.id and event.target_id == str(world.trainee.id)
    assert event.details["reason"] == "网络故障耽误了时间" and event.details["extra_minutes"] == 10
    # A later attempt starts with the extra time too.
    services.submit_attempt(session, user=world.trainee, attempt_id=attempt.id,
                            now=deadline + timedelta(minutes=6))
    second = services.start_attempt(session, user=world.trainee, exam_key="grading-exam",
                                    now=now + timedelta(hours=1))
    assert second.deadline_at == now + timedelta(hours=1, minutes=40)


def test_an_override_adds_attempts(session: Session, world: World, now: datetime) -> None:
    for _ in range(2):
        take_and_submit(session, trainee=world.trainee, now=now, answers={})
    with pytest.raises(errors.CannotStart):
        services.start_attempt(session, user=world.trainee, exam_key="grading-exam", now=now)
    grading.create_override(session, actor=world.trainer, exam_key="grading-exam",
                            trainee_id=world.trainee.id, extra_minutes=0, extra_attempts=1,
                            reason="补考一次", now=now)
    third = services.start_attempt(session, user=world.trainee, exam_key="grading-exam", now=now)
    assert third.number == 3
    assert session.scalars(sa.select(ExamOverride)).one().by_user_id == world.trainer.id


def test_extra_time_cannot_reopen_an_attempt_whose_time_is_up(session: Session, world: World,
                                                              now: datetime) -> None:
    attempt = services.start_attempt(session, user=world.trainee, exam_key="grading-exam", now=now)
    result = grading.create_override(session, actor=world.trainer, exam_key="grading-exam",
                                     trainee_id=world.trainee.id, extra_minutes=30,
                                     extra_attempts=0, reason="太迟了",
                                     now=now + timedelta(hours=1))
    assert result.extended is None and attempt.submitted_by == "deadline"


@pytest.mark.parametrize(("minutes", "attempts", "reason", "message"), [
    (0, 0, "原因", "请填写加时分钟数或补考次数"),
    (10, 0, "  ", "请填写原因"),
    (601, 0, "原因", "加时应在 0 到 600 分钟之间"),
    (0, -1, "原因", "补考次数应在"),
])
def test_overrides_need_something_to_grant_and_a_reason(
        session: Session, world: World, now: datetime, minutes: int, attempts: int, reason: str,
        message: str) -> None:
    with pytest.raises(errors.OverrideInvalid) as refused:
        grading.create_override(session, actor=world.trainer, exam_key="grading-exam",
                                trainee_id=world.trainee.id, extra_minutes=minutes,
                                extra_attempts=attempts, reason=reason, now=now)
    assert message in str(refused.value.message)


def test_overrides_are_for_followed_trainees_and_trainers_only(session: Session, world: World,
                                                               now: datetime) -> None:
    kwargs: dict[str, Any] = {"exam_key": "grading-exam", "trainee_id": world.trainee.id,
                              "extra_minutes": 5, "extra_attempts": 0, "reason": "x", "now": now}
    for actor in (world.outsider, world.supervisor):
        with pytest.raises(Forbidden):
            grading.create_override(session, actor=actor, **kwargs)
    with pytest.raises(NotFound):
        grading.create_override(session, actor=world.trainer, **{**kwargs, "trainee_id": 999999})
    with pytest.raises(NotFound):
        grading.create_override(session, actor=world.trainer, **{**kwargs, "exam_key": "nope"})
    assert session.scalars(sa.select(ExamOverride)).all() == []


# --- regrade -----------------------------------------------------------------------------------


def test_the_regrade_dry_run_equals_the_applied_result_and_is_audited(
        session: Session, world: World, now: datetime) -> None:
    first = take_and_submit(session, trainee=world.trainee, now=now)
    grade_all(session, trainer=world.trainer, attempt=first, now=now)
    assert first.score == 100.0 and first.passed
    other = make_user(session, cohort=world.cohort)
    second = take_and_submit(session, trainee=other, now=now, answers={**ANSWERS, 1: "b"})
    outsider_cohort_trainee = make_user(session, cohort=make_cohort(session, staff=[]))
    unseen = take_and_submit(session, trainee=outsider_cohort_trainee, now=now)
    question = fix_choice_key(session, now=now)
    old_version = response_at(first, 1).question_version_id

    same = grading.plan_regrade(session, actor=world.trainer, question_id=question.id,
                                use_current=False)
    assert len(same.lines) == 2 and same.changes == []  # the old key gives the old points

    plan = grading.plan_regrade(session, actor=world.trainer, question_id=question.id,
                                use_current=True)
    assert plan.ref == "grading-bank/choice" and plan.target.number == 2
    lines = {line.attempt.id: line for line in plan.lines}
    assert set(lines) == {first.id, second.id}  # never another cohort's attempt
    assert (lines[first.id].old_points, lines[first.id].new.points) == (10.0, 0.0)
    assert (lines[first.id].old_score, lines[first.id].new_score) == (100.0, 66.7)
    assert lines[second.id].new_score is None  # still waits for a trainer
    assert [line.attempt.id for line in plan.pass_changes] == []
    expected = {line.attempt.id: (line.new.points, line.new_score, line.new_passed)
                for line in plan.lines}

    applied = grading.apply_regrade(session, actor=world.trainer, question_id=question.id,
                                    use_current=True, expected_version_id=plan.target.id,
                                    now=now + timedelta(hours=1))
    assert len(applied.changes) == 2
    for attempt in (first, second):
        response = response_at(attempt, 1)
        assert (response.points, attempt.score, attempt.passed) == expected[attempt.id]
        assert response.question_version_id == plan.target.id != old_version
    # Manual grades stay; the unseen cohort's attempt keeps its old version.
    assert response_at(first, 2).points == 10 and response_at(first, 3).points == 10
    assert response_at(unseen, 1).question_version_id == old_version
    events = audit_events(session, "exam.regrade")
    assert len(events) == 2 and all(e.actor_id == world.trainer.id for e in events)
    event = next(e for e in events if e.details["attempt"] == first.id)
    assert event.details["before"] == {"version": 1, "points": 10.0, "needs_manual": False,
                                       "score": 100.0, "passed": True}
    assert event.details["after"] == {"version": 2, "points": 0.0, "needs_manual": False,
                                      "score": 66.7, "passed": True}
    again = grading.plan_regrade(session, actor=world.trainer, question_id=question.id,
                                 use_current=True)
    assert again.changes == []  # applying twice changes nothing more


def test_a_regrade_that_turns_a_fail_into_a_pass_passes_the_stage(
        session: Session, world: World, now: datetime) -> None:
    attempt = take_and_submit(session, trainee=world.trainee, now=now, exam_key="grading-staged",
                              answers={1: "b", 2: "道歉", 3: {"q1": False, "q2": "补发"}})
    for position, scores in ((2, {"1": 4, "2": 0}), (3, {"q2": {"1": 3, "2": 3}})):
        response = response_at(attempt, position)
        grading.grading_page(session, actor=world.trainer, response_id=response.id, now=now)
        grading.grade_response(session, actor=world.trainer, response_id=response.id,
                               scores=scores, comment="", now=now)
    assert attempt.score == 33.3 and attempt.passed is False
    question = fix_choice_key(session, now=now)
    plan = grading.plan_regrade(session, actor=world.trainer, question_id=question.id,
                                use_current=True)
    assert [(line.old_passed, line.new_passed, line.new_score) for line in plan.pass_changes] == [
        (False, True, 66.7)]
    grading.apply_regrade(session, actor=world.trainer, question_id=question.id, use_current=True,
                          expected_version_id=plan.target.id, now=now)
    assert attempt.passed is True
    assert session.scalars(sa.select(StageCompletion.stage_key).where(
        StageCompletion.user_id == world.trainee.id)).all() == ["s1"]


def test_a_new_rubric_line_sends_a_graded_answer_back_to_the_queue(
        session: Session, world: World, submitted: Attempt, now: datetime) -> None:
    grade_all(session, trainer=world.trainer, attempt=submitted, now=now)
    longer = BANK.replace("      - {criterion: 查询并说明物流, points: 6}",
                          "      - {criterion: 查询并说明物流, points: 6}\n"
                          "      - {criterion: 告知预计时间, points: 2}")
    import_grading_exam(session, now=now, bank=longer, exams=())
    essay = session.scalars(sa.select(Question).where(Question.qid == "essay")).one()
    plan = grading.plan_regrade(session, actor=world.trainer, question_id=essay.id,
                                use_current=True)
    line = plan.lines[0]
    assert line.new.needs_manual and line.new_score is None and line.pass_changed
    grading.apply_regrade(session, actor=world.trainer, question_id=essay.id, use_current=True,
                          expected_version_id=plan.target.id, now=now)
    assert submitted.status is AttemptStatus.SUBMITTED and submitted.score is None
    item = grading.grading_queue(session, actor=world.trainer, now=now).items[0]
    page = grading.grading_page(session, actor=world.trainer, response_id=item.response_id,
                                now=now)
    assert [c.given for c in page.sections[0].criteria] == [4, 6, None]  # kept, and the new one


def test_a_stale_dry_run_is_refused_and_only_trainers_regrade(
        session: Session, world: World, submitted: Attempt, now: datetime) -> None:
    question = fix_choice_key(session, now=now)
    with pytest.raises(errors.RegradeStale):
        grading.apply_regrade(session, actor=world.trainer, question_id=question.id,
                              use_current=True, expected_version_id=-1, now=now)
    with pytest.raises(Forbidden):
        grading.plan_regrade(session, actor=world.supervisor, question_id=question.id,
                             use_current=True)
    with pytest.raises(NotFound):
        grading.plan_regrade(session, actor=world.trainer, question_id=999999, use_current=True)
    assert audit_events(session, "exam.regrade") == []
