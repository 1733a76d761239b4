"""Reviewing finished chat attempts with an explicit clock: who sees which attempt (the one
access rule), reviewers' scores kept apart from the engine's with their history, refusals
that change nothing, replay times and agreement per drill."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.auth import access
from portal.auth.models import Role, User
from portal.chat import scoring
from portal.chat.models import ChatMessage, ChatReview, ChatSender, ReviewReason
from portal.chat.scenario import Item
from portal.chat.services import attempts as chat_attempts
from portal.chat.services import review
from portal.errors import Conflict, Forbidden, NotFound
from tests.factories import (
    make_chat_review,
    make_chat_trainee,
    make_cohort,
    make_finished_chat_attempt,
    make_user,
)

GOOD = "亲，您好~我们合作的是申通、中通和圆通哦"
PROMISE = "可以的亲，给您韵达"


@dataclass
class World:
    trainee: User
    classmate: User  # same cohort
    stranger: User  # a trainee of a cohort nobody here staffs
    trainer: User  # staffs the trainee's cohort
    second_trainer: User  # staffs it too
    supervisor: User  # staffs it
    other_trainer: User  # staffs another cohort
    admin: User


@pytest.fixture
def world(session: Session, now: datetime) -> World:
    trainee = make_chat_trainee(session, now=now)
    stranger = make_chat_trainee(session, now=now)
    trainer = make_user(session, role=Role.TRAINER, display_name="王培训")
    second = make_user(session, role=Role.TRAINER, display_name="李培训")
    supervisor = make_user(session, role=Role.SUPERVISOR, display_name="赵主管")
    other = make_user(session, role=Role.TRAINER, display_name="孙培训")
    trainee.cohort.staff.extend([trainer, second, supervisor])
    make_cohort(session, track_key=trainee.cohort.track_key, staff=[other])
    classmate = make_user(session, cohort=trainee.cohort)
    session.flush()
    return World(trainee=trainee, classmate=classmate, stranger=stranger, trainer=trainer,
                 second_trainer=second, supervisor=supervisor, other_trainer=other,
                 admin=make_user(session, role=Role.ADMIN))


def _count(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(ChatReview)) or 0


# --- the queue: the one access rule -----------------------------------------------------------


def test_the_queue_lists_finished_attempts_of_the_trainees_each_actor_may_see(
        session: Session, world: World, now: datetime) -> None:
    mine = make_finished_chat_attempt(session, trainee=world.trainee, now=now)
    theirs = make_finished_chat_attempt(session, trainee=world.stranger, now=now)
    running = chat_attempts.start_attempt(session, user=world.classmate, drill_key="solo",
                                          now=now)
    trainees = [world.trainee, world.classmate, world.stranger]
    for actor in (world.trainer, world.supervisor, world.other_trainer, world.admin):
        queue = review.review_queue(session, actor=actor)
        listed = {row.attempt.id for row in queue.rows}
        assert running.id not in listed  # only finished attempts are reviewed
        # The queue agrees with may_see_trainee for every trainee with a finished attempt.
        expected = {a.id for a, t in ((mine, world.trainee), (theirs, world.stranger))
                    if access.may_see_trainee(session, actor=actor, trainee=t)}
        assert listed == expected, actor.display_name
        assert all(row.trainee in trainees for row in queue.rows)
    assert {r.attempt.id for r in review.review_queue(session, actor=world.trainer).rows} == {
        mine.id}
    assert {r.attempt.id for r in review.review_queue(session, actor=world.admin).rows} == {
        mine.id, theirs.id}
    assert review.review_queue(session, actor=world.other_trainer).rows == []


def test_a_trainee_sees_no_queue(session: Session, world: World) -> None:
    with pytest.raises(Forbidden):
        review.review_queue(session, actor=world.trainee)


def test_the_queue_filters_by_drill_and_by_what_is_left_to_review(
        session: Session, world: World, now: datetime) -> None:
    first = make_finished_chat_attempt(session, trainee=world.trainee, now=now)
    second = make_finished_chat_attempt(session, trainee=world.classmate, now=now,
                                        drill_key="pair")
    make_chat_review(session, reviewer=world.trainer, attempt_id=first.id, item="greeting",
                     points=1, reason=ReviewReason.AGREE, now=now)
    queue = review.review_queue(session, actor=world.trainer)
    assert {d.key: d.count for d in queue.drills} == {"solo": 1, "pair": 1}
    by_id = {row.attempt.id: row for row in queue.rows}
    assert by_id[first.id].reviewed_by_me and by_id[first.id].reviewers == 1
    assert not by_id[second.id].reviewed_by_me and by_id[second.id].reviewers == 0
    assert [r.attempt.id for r in review.review_queue(
        session, actor=world.trainer, pending_only=True).rows] == [second.id]
    # Another reviewer still has both to do.
    assert {r.attempt.id for r in review.review_queue(
        session, actor=world.second_trainer, pending_only=True).rows} == {first.id, second.id}
    assert [r.attempt.id for r in review.review_queue(
        session, actor=world.trainer, drill_key="pair").rows] == [second.id]


# --- reviewers' scores -------------------------------------------------------------------------


def test_a_reviewer_overrides_an_item_beside_the_engine_which_stays_as_it_was(
        session: Session, world: World, now: datetime) -> None:
    attempt = make_finished_chat_attempt(session, trainee=world.trainee, now=now,
                                         replies=(PROMISE,))
    engine_before = (attempt.score, attempt.passed, attempt.fail_reason, attempt.auto_result)
    assert review.engine_items(attempt)[Item.ACCURACY] == review.EngineItem(Item.ACCURACY, 0, 3)
    saved = make_chat_review(session, reviewer=world.trainer, attempt_id=attempt.id,
                             item="accuracy", points=1.5, reason=ReviewReason.CONTEXT,
                             comment="说了韵达，但随后改口说明了合作快递", now=now)
    assert (saved.item, saved.points, saved.engine_points, saved.max_points) == (
        Item.ACCURACY, 1.5, 0.0, 3.0)
    assert saved.reviewer_name == "王培训" and saved.changes == 1 and saved.differs
    assert saved.reason_label == "需结合上下文判断"
    session.refresh(attempt)
    assert (attempt.score, attempt.passed, attempt.fail_reason,
            attempt.auto_result) == engine_before


def test_two_reviewers_score_the_same_item_and_each_change_is_kept(
        session: Session, world: World, now: datetime) -> None:
    attempt = make_finished_chat_attempt(session, trainee=world.trainee, now=now,
                                         replies=(PROMISE,))
    make_chat_review(session, reviewer=world.trainer, attempt_id=attempt.id, item="accuracy",
                     points=1, reason=ReviewReason.CONTEXT, now=now)
    make_chat_review(session, reviewer=world.supervisor, attempt_id=attempt.id,
                     item="accuracy", points=0, reason=ReviewReason.AGREE,
                     now=now + timedelta(minutes=1))
    make_chat_review(session, reviewer=world.trainer, attempt_id=attempt.id, item="accuracy",
                     points=2, reason=ReviewReason.OTHER, comment="买家最终选了中通",
                     now=now + timedelta(minutes=2))
    current = review.reviews_for_attempt(session, attempt_id=attempt.id)
    assert [(r.reviewer_name, r.points, r.reason, r.changes) for r in current] == [
        ("王培训", 2.0, ReviewReason.OTHER, 2), ("赵主管", 0.0, ReviewReason.AGREE, 1)]
    history = review.item_history(session, attempt_id=attempt.id, item=Item.ACCURACY)
    assert [(h.reviewer_name, h.points, h.at) for h in history] == [
        ("王培训", 1.0, now), ("赵主管", 0.0, now + timedelta(minutes=1)),
        ("王培训", 2.0, now + timedelta(minutes=2))]
    assert _count(session) == 3


@pytest.mark.parametrize(("item", "points", "reason", "comment", "message"), [
    ("accuracy", 4, "context", "", "「对客户提问回复的准确性」的分数应在 0 到 3 分之间"),
    ("accuracy", -1, "context", "", "「对客户提问回复的准确性」的分数应在 0 到 3 分之间"),
    ("accuracy", "两分", "context", "", "「对客户提问回复的准确性」的分数“两分”不是数字"),
    ("accuracy", "", "context", "", "请填写「对客户提问回复的准确性」的分数"),
    ("accuracy", "nan", "context", "", "请填写「对客户提问回复的准确性」的分数"),
    ("accuracy", 1.005, "context", "", "「对客户提问回复的准确性」的分数最多保留两位小数"),
    ("bargaining", 1, "context", "", "「客户议价回复的得体性」不在这次考试的评分项里"),
    ("speed", 1, "context", "", "这次考试没有这个评分项"),
    ("accuracy", 1, "because", "", "请为「对客户提问回复的准确性」从列表中选择复核理由"),
    ("accuracy", 1, "agree", "", "「对客户提问回复的准确性」选了“同意系统评分”，分数应与系统的 0 分相同"),
    ("accuracy", 1, "other", "  ", "「对客户提问回复的准确性」的理由是“其他”，请在备注中说明"),
    ("accuracy", 1, "context", "长" * 1001, "「对客户提问回复的准确性」的备注最多 1000 个字"),
])
def test_a_bad_score_is_refused_in_chinese_and_nothing_is_saved(
        session: Session, world: World, now: datetime, item: str, points: object, reason: str,
        comment: str, message: str) -> None:
    attempt = make_finished_chat_attempt(session, trainee=world.trainee, now=now,
                                         replies=(PROMISE,))
    with pytest.raises(review.ReviewInvalid) as refused:
        review.record_review(session, actor=world.trainer, attempt_id=attempt.id, now=now,
                             entry=review.ReviewInput(item=item, points=points,  # type: ignore[arg-type]
                                                      reason=reason, comment=comment))
    assert str(refused.value.message) == message
    assert refused.value.status == 422
    assert _count(session) == 0


def test_saving_the_same_score_again_is_refused(session: Session, world: World,
                                                now: datetime) -> None:
    attempt = make_finished_chat_attempt(session, trainee=world.trainee, now=now)
    make_chat_review(session, reviewer=world.trainer, attempt_id=attempt.id, item="greeting",
                     points=1, reason="agree", now=now)
    with pytest.raises(review.ReviewInvalid, match="没有变化"):
        make_chat_review(session, reviewer=world.trainer, attempt_id=attempt.id,
                         item="greeting", points="1.0", reason="agree", now=now)
    assert _count(session) == 1


def test_who_may_score(session: Session, world: World, now: datetime) -> None:
    attempt = make_finished_chat_attempt(session, trainee=world.trainee, now=now)
    entry = review.ReviewInput(item="greeting", points=1, reason="agree")
    for actor, error in ((world.admin, Forbidden), (world.other_trainer, Forbidden),
                         (world.classmate, Forbidden)):
        with pytest.raises(error):
            review.record_review(session, actor=actor, attempt_id=attempt.id, entry=entry,
                                 now=now)
    with pytest.raises(NotFound):
        review.record_review(session, actor=world.trainer, attempt_id=attempt.id + 999,
                             entry=entry, now=now)
    running = chat_attempts.start_attempt(session, user=world.classmate, drill_key="solo",
                                          now=now)
    with pytest.raises(Conflict, match="还没有结束"):
        review.record_review(session, actor=world.trainer, attempt_id=running.id,
                             entry=entry, now=now)
    assert _count(session) == 0
    # Admins read every replay; they do not score.
    assert not review.attempt_replay(session, actor=world.admin, attempt_id=attempt.id).may_review
    assert review.attempt_replay(session, actor=world.supervisor,
                                 attempt_id=attempt.id).may_review
    with pytest.raises(Forbidden):
        review.attempt_replay(session, actor=world.other_trainer, attempt_id=attempt.id)


# --- the replay --------------------------------------------------------------------------------


def test_the_replay_shows_server_times_response_times_and_the_engine_evidence(
        session: Session, world: World, now: datetime) -> None:
    attempt = make_finished_chat_attempt(session, trainee=world.trainee, now=now,
                                         replies=(PROMISE,), first_reply_after=12)
    replay = review.attempt_replay(session, actor=world.trainer, attempt_id=attempt.id)
    (conversation,) = replay.conversations
    assert conversation.customer_name == "小林" and conversation.ending == "satisfied"
    lines = [(m.sender, m.text, m.at, m.response_seconds) for m in conversation.messages]
    # Both opening messages reached the browser at the first poll (5 s), the reply at 12 s.
    assert lines[:3] == [
        (ChatSender.CUSTOMER, "你好，能给我发韵达吗？", now + timedelta(seconds=5), None),
        (ChatSender.CUSTOMER, "别的快递都送不到家", now + timedelta(seconds=5), None),
        (ChatSender.TRAINEE, PROMISE, now + timedelta(seconds=12), 7.0)]
    reply = conversation.messages[2]
    assert [v.id.value for v in reply.violations] == ["false_promise"]
    assert [(c.item, c.points) for c in reply.checks] == [(Item.ACCURACY, -3.0)]
    assert {PROMISE[h.start:h.end] for h in reply.hits} == {"给您韵达"}
    assert [(row.engine.item, row.engine.points, row.engine.max_points)
            for row in replay.items] == [(Item.GREETING, 0, 1), (Item.TIMELINESS, 2, 2),
                                        (Item.ACCURACY, 0, 3)]


def test_replay_response_times_agree_with_the_engine_statistics(
        session: Session, world: World, now: datetime) -> None:
    attempt = make_finished_chat_attempt(session, trainee=world.trainee, now=now,
                                         replies=("在的亲", "您稍等", GOOD), between=20)
    (row,) = attempt.conversations
    shown = list(session.scalars(sa.select(ChatMessage).where(
        ChatMessage.chat_conversation_id == row.id, ChatMessage.seq.is_not(None))
        .order_by(ChatMessage.seq)))
    ours = list(review.response_times(shown).values())
    stats = scoring.response_stats(chat_attempts.scenario_of(row.scenario_version),
                                   chat_attempts.transcript(session, row))
    assert ours == list(stats.times)


# --- agreement ---------------------------------------------------------------------------------


def test_agreement_per_drill_and_item_between_reviewers_and_with_the_engine(
        session: Session, world: World, now: datetime) -> None:
    trainees = [world.trainee, world.classmate,
                make_user(session, cohort=world.trainee.cohort),
                make_user(session, cohort=world.trainee.cohort)]
    # Engine greeting points: 1 for a greeting first, 0 without.
    replies = [(GOOD,), ("申通中通圆通都可以哦",), (GOOD,), ("申通可以吗",)]
    attempts = [make_finished_chat_attempt(session, trainee=t, now=now, replies=r)
                for t, r in zip(trainees, replies, strict=True)]
    engine = [review.engine_items(a)[Item.GREETING].points for a in attempts]
    assert engine == [1, 0, 1, 0]
    first = [1, 0, 1, 1]  # 王培训
    second = [1, 0, 0, 1]  # 赵主管 (three of four attempts), first reviewer's order kept
    for a, p in zip(attempts, first, strict=True):
        make_chat_review(session, reviewer=world.trainer, attempt_id=a.id, item="greeting",
                         points=p, reason="agree" if p == engine[attempts.index(a)]
                         else "missed_good", now=now)
    for a, p in zip(attempts[:3], second, strict=False):
        make_chat_review(session, reviewer=world.supervisor, attempt_id=a.id, item="greeting",
                         points=p, reason="agree" if p == engine[attempts.index(a)]
                         else "false_match", now=now + timedelta(minutes=1))
    (drill,) = review.drill_agreement(session, actor=world.trainer)
    assert (drill.drill_key, drill.attempts) == ("solo", 4)
    (greeting,) = drill.items
    # Between reviewers: pairs (1,1) (0,0) (1,0): agreed 2 of 3; marginals first 1:2 0:1,
    # second 1:1 0:2; n²·p_e = 2·1 + 1·2 = 4; kappa = (2·3 - 4) / (9 - 4) = 0.4.
    assert (greeting.between_reviewers.pairs, greeting.between_reviewers.agreed) == (3, 2)
    assert greeting.between_reviewers.kappa == pytest.approx(0.4)
    # With the engine: (1,1) (0,0) (1,1) (0,1) from 王培训, (1,1) (0,0) (1,0) from 赵主管:
    # 5 of 7; engine 1:4 0:3, reviewers 1:4 0:3; n²·p_e = 16 + 9 = 25;
    # kappa = (5·7 - 25) / (49 - 25) = 10/24.
    assert (greeting.with_engine.pairs, greeting.with_engine.agreed) == (7, 5)
    assert greeting.with_engine.kappa == pytest.approx(10 / 24)
    # Another cohort's trainer sees none of it.
    assert review.drill_agreement(session, actor=world.other_trainer) == []
