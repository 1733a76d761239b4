"""Chat attempts with an explicit clock: arrivals, delivery, response time, nudges, leaving,
the deadline, scoring on finish and a pass reported to the stage."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.chat.models import (
    ChatAttempt,
    ChatAttemptStatus,
    ChatDrillVersion,
    ChatEndedBy,
    ChatMessage,
    ChatScenarioVersion,
    ChatSender,
)
from portal.chat.services import attempts, imports
from portal.chat.services.errors import AttemptClosed, CannotStart, ConversationClosed
from portal.courses.models import StageCompletion
from portal.errors import DomainError, NotFound
from tests.chat import chat_web_fixtures as fx
from tests.factories import import_chats, make_chat_trainee, make_user


def _s(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)


@pytest.fixture
def trainee(session: Session, now: datetime) -> User:
    return make_chat_trainee(session, now=now)


def _messages(session: Session, attempt: ChatAttempt) -> list[ChatMessage]:
    return list(session.scalars(sa.select(ChatMessage).where(
        ChatMessage.chat_attempt_id == attempt.id, ChatMessage.seq.is_not(None))
        .order_by(ChatMessage.seq)))


def test_starting_pins_versions_and_schedules_the_first_messages(
        session: Session, trainee: User, now: datetime) -> None:
    attempt = attempts.start_attempt(session, user=trainee, drill_key="solo", now=now)
    assert attempt.number == 1 and attempt.status is ChatAttemptStatus.IN_PROGRESS
    assert attempt.deadline_at == _s(now, 600)
    (conversation,) = attempt.conversations
    assert conversation.state == "ask" and conversation.arrives_at == now
    rows = list(session.scalars(sa.select(ChatMessage).order_by(ChatMessage.due_at)))
    assert [(m.text, m.due_at, m.seq) for m in rows] == [
        ("你好，能给我发韵达吗？", now, None), ("别的快递都送不到家", _s(now, 4), None)]
    # The first message is due at once: the first poll is not empty.
    assert attempt.next_event_at == now
    # A double click starts nothing new.
    assert attempts.start_attempt(session, user=trainee, drill_key="solo", now=now).id == attempt.id


def test_a_poll_delivers_what_is_due_once_in_order_and_stamps_the_delivery(
        session: Session, trainee: User, now: datetime) -> None:
    attempt = attempts.start_attempt(session, user=trainee, drill_key="solo", now=now)
    assert not attempts.poll_is_empty(session, user_id=trainee.id, attempt_id=attempt.id,
                                      seen_seq=0, now=now)
    delivered = attempts.advance(session, attempt=attempt, now=_s(now, 1))
    assert [(m.seq, m.delivered_at) for m in delivered] == [(1, _s(now, 1))]
    assert attempt.last_seq == 1 and attempt.next_event_at == _s(now, 4)
    # Nothing new before the second message is due: the poll is empty.
    assert attempts.poll_is_empty(session, user_id=trainee.id, attempt_id=attempt.id,
                                  seen_seq=1, now=_s(now, 3))
    # A browser that has not seen seq 1 yet (a second tab) is not told "nothing new".
    assert not attempts.poll_is_empty(session, user_id=trainee.id, attempt_id=attempt.id,
                                      seen_seq=0, now=_s(now, 3))
    # The browser was away: the second message is delivered when it comes back, not when due.
    assert [m.delivered_at for m in attempts.advance(session, attempt=attempt,
                                                     now=_s(now, 30))] == [_s(now, 30)]
    assert attempts.advance(session, attempt=attempt, now=_s(now, 31)) == []
    assert [m.seq for m in _messages(session, attempt)] == [1, 2]


def test_another_users_attempt_is_not_found_and_never_an_empty_poll(
        session: Session, trainee: User, now: datetime) -> None:
    attempt = attempts.start_attempt(session, user=trainee, drill_key="solo", now=now)
    other = make_user(session)
    with pytest.raises(NotFound):
        attempts.get_attempt(session, user=other, attempt_id=attempt.id)
    attempts.advance(session, attempt=attempt, now=now)
    assert not attempts.poll_is_empty(session, user_id=other.id, attempt_id=attempt.id,
                                      seen_seq=attempt.last_seq, now=now)


def test_a_reply_routes_and_the_response_time_runs_from_delivery(
        session: Session, trainee: User, now: datetime) -> None:
    attempt = attempts.start_attempt(session, user=trainee, drill_key="solo", now=now)
    attempts.advance(session, attempt=attempt, now=_s(now, 2))  # delivered 2 s after it was due
    attempts.advance(session, attempt=attempt, now=_s(now, 5))
    sent = attempts.reply(session, user_id=trainee.id, attempt_id=attempt.id, slot=0,
                          text=fx.GOOD_FIRST, now=_s(now, 27))
    assert sent.message.seq == 3 and sent.message.sent_at == _s(now, 27)
    assert sent.conversation.state == "explained" and sent.conversation.ended
    # The customer's thanks is due 5 s after the reply and ends the script; the trainee
    # may still say goodbye for 20 s, then the attempt ends.
    attempts.advance(session, attempt=attempt, now=_s(now, 40))
    assert attempt.status is ChatAttemptStatus.IN_PROGRESS
    assert attempt.next_event_at == _s(now, 52)
    attempts.reply(session, user_id=trainee.id, attempt_id=attempt.id, slot=0,
                   text="感谢理解，祝您生活愉快~", now=_s(now, 45))
    attempts.advance(session, attempt=attempt, now=_s(now, 51))
    assert attempt.status is ChatAttemptStatus.IN_PROGRESS
    with pytest.raises(ConversationClosed):
        attempts.reply(session, user_id=trainee.id, attempt_id=attempt.id, slot=0, text="再见",
                       now=_s(now, 53))
    attempts.advance(session, attempt=attempt, now=_s(now, 53))
    assert attempt.status is ChatAttemptStatus.FINISHED
    assert attempt.ended_by is ChatEndedBy.SCRIPTS and attempt.ended_at == _s(now, 53)
    result = attempt.auto_result
    assert result is not None
    (conversation,) = result["conversations"]
    # 27 s - 2 s: measured from the delivery to the browser, not from the due time; then
    # the goodbye 5 s after the thanks reached the page.
    assert conversation["response"]["times"] == [25.0, 5.0]
    items = {i["item"]: i["points"] for i in result["items"]}
    assert items == {"greeting": 1.0, "timeliness": 2.0, "accuracy": 3.0}
    assert attempt.score == 100.0 and attempt.passed and attempt.fail_reason is None


def test_a_critical_violation_fails_whatever_the_points(
        session: Session, trainee: User, now: datetime) -> None:
    attempt = attempts.start_attempt(session, user=trainee, drill_key="solo", now=now)
    attempts.advance(session, attempt=attempt, now=now)
    attempts.reply(session, user_id=trainee.id, attempt_id=attempt.id, slot=0, text=fx.PROMISE,
                   now=_s(now, 5))
    attempts.finish_attempt(session, user=trainee, attempt_id=attempt.id, now=_s(now, 20))
    assert attempt.ended_by is ChatEndedBy.TRAINEE
    assert attempt.passed is False and attempt.fail_reason == "false_promise"
    assert session.scalar(sa.select(StageCompletion)) is None


def test_silence_brings_a_nudge_then_the_customer_leaves(
        session: Session, trainee: User, now: datetime) -> None:
    attempt = attempts.start_attempt(session, user=trainee, drill_key="solo", now=now)
    attempts.advance(session, attempt=attempt, now=now)
    attempts.advance(session, attempt=attempt, now=_s(now, 4))
    # The turn began with the last scripted message (4 s); the nudge is due 60 s later.
    assert attempt.next_event_at == _s(now, 64)
    assert attempts.advance(session, attempt=attempt, now=_s(now, 63)) == []
    (nudge,) = attempts.advance(session, attempt=attempt, now=_s(now, 65))
    assert nudge.text == "在吗？" and nudge.nudge and nudge.sender is ChatSender.CUSTOMER
    # No answer for another 60 s: the customer leaves and the attempt ends with the script.
    attempts.advance(session, attempt=attempt, now=_s(now, 125))
    (conversation,) = attempt.conversations
    assert conversation.ended and conversation.ending == "left"
    assert attempt.status is ChatAttemptStatus.FINISHED
    result = attempt.auto_result
    assert result is not None
    response = result["conversations"][0]["response"]
    assert response["answered"] == 0 and response["turns"] == 1
    with pytest.raises(AttemptClosed):
        attempts.reply(session, user_id=trainee.id, attempt_id=attempt.id, slot=0, text="在的",
                       now=_s(now, 126))


def test_the_deadline_ends_the_attempt_on_the_next_request_or_the_sweep(
        session: Session, trainee: User, now: datetime) -> None:
    first = attempts.start_attempt(session, user=trainee, drill_key="solo", now=now)
    attempts.advance(session, attempt=first, now=now)
    attempts.reply(session, user_id=trainee.id, attempt_id=first.id, slot=0, text="稍等", now=_s(now, 5))
    assert attempts.sweep(session, now=_s(now, 599)) == 0
    assert attempts.sweep(session, now=_s(now, 700)) == 1
    assert first.status is ChatAttemptStatus.FINISHED and first.ended_by is ChatEndedBy.DEADLINE
    assert first.ended_at == first.deadline_at
    # Two attempts are allowed, five minutes apart.
    with pytest.raises(CannotStart):
        attempts.start_attempt(session, user=trainee, drill_key="solo", now=_s(now, 800))
    second = attempts.start_attempt(session, user=trainee, drill_key="solo", now=_s(now, 1000))
    assert second.number == 2
    # A reply after the deadline is refused and ends the attempt.
    with pytest.raises(AttemptClosed):
        attempts.reply(session, user_id=trainee.id, attempt_id=second.id, slot=0, text="您好",
                       now=_s(now, 1000 + 601))
    assert second.ended_by is ChatEndedBy.DEADLINE
    with pytest.raises(CannotStart):
        attempts.start_attempt(session, user=trainee, drill_key="solo", now=_s(now, 5000))


def test_replies_are_refused_before_arrival_and_when_empty_or_too_long(
        session: Session, trainee: User, now: datetime) -> None:
    attempt = attempts.start_attempt(session, user=trainee, drill_key="pair", now=now)
    attempts.advance(session, attempt=attempt, now=now)
    with pytest.raises(ConversationClosed):
        attempts.reply(session, user_id=trainee.id, attempt_id=attempt.id, slot=1, text="您好",
                       now=_s(now, 10))
    with pytest.raises(DomainError):
        attempts.reply(session, user_id=trainee.id, attempt_id=attempt.id, slot=0, text="  ",
                       now=_s(now, 10))
    with pytest.raises(DomainError):
        attempts.reply(session, user_id=trainee.id, attempt_id=attempt.id, slot=0, text="好" * 1001,
                       now=_s(now, 10))
    assert attempt.last_seq == 1


def test_two_customers_score_apart_and_add_up(session: Session, trainee: User,
                                              now: datetime) -> None:
    attempt = attempts.start_attempt(session, user=trainee, drill_key="pair", now=now)
    attempts.advance(session, attempt=attempt, now=now)
    attempts.reply(session, user_id=trainee.id, attempt_id=attempt.id, slot=0, text=fx.GOOD_FIRST,
                   now=_s(now, 10))
    delivered = attempts.advance(session, attempt=attempt, now=_s(now, 21))
    # The reply at 10 s first delivered 小林's second message (due at 4 s).
    assert [m.text for m in delivered] == ["好吧，那就中通吧，谢谢", "帮我把价格改高一块钱，我要报销"]
    attempts.reply(session, user_id=trainee.id, attempt_id=attempt.id, slot=1, text=fx.REFUSE_PRICE,
                   now=_s(now, 81))
    attempts.advance(session, attempt=attempt, now=_s(now, 110))
    assert attempt.status is ChatAttemptStatus.FINISHED
    result = attempt.auto_result
    assert result is not None
    by_scenario = {c["scenario"]: c for c in result["conversations"]}
    # 阿强 arrived at 20 s (delivered at 21 s) and was answered at 81 s: 60 s, "normal";
    # his nudge (due at 65 s) came before the reply, in the same turn.
    assert by_scenario["plus-one"]["response"]["times"] == [60.0]
    items = {i["item"]: (i["points"], i["max_points"]) for i in result["items"]}
    assert items["bargaining"] == (2.0, 2.0)
    assert items["timeliness"] == (2.6, 3.0)  # 1 x 100 % + 1 x 60 %
    assert attempt.passed


def test_a_closed_farewell_window_is_no_event_and_polls_are_empty_again(
        session: Session, trainee: User, now: datetime) -> None:
    attempt = attempts.start_attempt(session, user=trainee, drill_key="pair", now=now)
    attempts.advance(session, attempt=attempt, now=now)
    attempts.reply(session, user_id=trainee.id, attempt_id=attempt.id, slot=0, text=fx.GOOD_FIRST,
                   now=_s(now, 10))
    attempts.advance(session, attempt=attempt, now=_s(now, 21))
    first = attempt.conversations[0]
    assert first.ended and not attempt.conversations[1].ended
    closing = attempts.closes_at(first)
    assert closing is not None and closing < _s(now, 60)  # before 阿强's nudge (65 s)
    # While the farewell window is open, its closing is the next event.
    assert attempt.next_event_at == closing
    after = closing + timedelta(seconds=1)
    attempts.advance(session, attempt=attempt, now=after)
    # Once it has closed, the next event is the other customer's nudge, and polls are empty.
    assert attempt.next_event_at == _s(now, 65)
    assert attempts.poll_is_empty(session, user_id=trainee.id, attempt_id=attempt.id,
                                  seen_seq=attempt.last_seq, now=after)


def test_a_pass_reports_to_the_stage_and_a_stage_with_two_assessments_waits_for_both(
        session: Session, now: datetime) -> None:
    trainee = make_chat_trainee(session, now=now, stages=fx.BOTH_STAGES)
    attempt = attempts.start_attempt(session, user=trainee, drill_key="solo", now=now)
    attempts.advance(session, attempt=attempt, now=now)
    attempts.reply(session, user_id=trainee.id, attempt_id=attempt.id, slot=0, text=fx.GOOD_FIRST,
                   now=_s(now, 5))
    attempts.advance(session, attempt=attempt, now=_s(now, 40))
    assert attempt.passed
    # The stage also asks for a written exam: not passed yet.
    assert session.scalar(sa.select(StageCompletion)) is None
    from portal.courses import services as courses

    done = courses.record_assessment_passed(
        session, user_id=trainee.id, track_key=fx.TRACK_KEY, stage_key="practice",
        source=courses.AssessmentSource.EXAM, reference="笔试 #1: 90", now=_s(now, 60))
    assert done is not None and done.stage_key == "practice"


def test_a_pass_of_a_one_assessment_stage_completes_it(session: Session, trainee: User,
                                                       now: datetime) -> None:
    attempt = attempts.start_attempt(session, user=trainee, drill_key="solo", now=now)
    attempts.advance(session, attempt=attempt, now=now)
    attempts.reply(session, user_id=trainee.id, attempt_id=attempt.id, slot=0, text=fx.GOOD_FIRST,
                   now=_s(now, 5))
    attempts.advance(session, attempt=attempt, now=_s(now, 40))
    completion = session.scalars(sa.select(StageCompletion)).one()
    assert (completion.stage_key, completion.source) == ("practice", "chat-exam")
    assert "单人接待练习 #1" in completion.reason


def test_an_import_is_all_or_nothing_and_keeps_versions(session: Session, now: datetime,
                                                        tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    import_chats(session, now=now)
    assert session.scalar(sa.select(sa.func.count()).select_from(ChatScenarioVersion)) == 2
    folder = tmp_path / "chats"
    shutil.copytree(fx.CHATS, folder)
    from portal.chat.files import load_folder

    content = load_folder(folder)
    plan = imports.plan_import(session, scenarios=content.scenarios, drills=content.drills,
                               rules=content.rules)
    assert plan.new == [] and plan.changed == [] and len(plan.unchanged) == 5
    path = folder / "scenarios" / "yunda.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("别的快递都送不到家", "别家送不到"),
                    encoding="utf-8")
    content = load_folder(folder)
    plan = imports.apply_import(session, scenarios=content.scenarios, drills=content.drills,
                                rules=content.rules, actor_id=None, now=now)
    assert plan.changed == ["scenario:yunda"]
    numbers = sorted(session.scalars(sa.select(ChatScenarioVersion.number)))
    assert numbers == [1, 1, 2]
    # A drill whose scenario is missing refuses the whole import.
    (folder / "scenarios" / "plus-one.yaml").unlink()
    content = load_folder(folder)
    assert content.problems  # the reader already names the missing scenario
    assert session.scalar(sa.select(sa.func.count()).select_from(ChatDrillVersion)) == 3


def test_a_kept_attempt_serves_the_next_plan_only_at_its_version(
        session: Session, trainee: User, now: datetime) -> None:
    attempt = attempts.start_attempt(session, user=trainee, drill_key="pair", now=now)
    attempts.advance(session, attempt=attempt, now=_s(now, 21))  # both customers are here
    session.commit()

    def version() -> attempts._Version:
        row = session.connection().execute(attempts._CONSOLE_VERSION,
                                           {"attempt_id": attempt.id}).first()
        assert row is not None
        return attempts._Version.of_row(row)

    plan = attempts.plan_reply(session, user_id=trainee.id, attempt_id=attempt.id, slot=0,
                               text="稍等一下哦", now=_s(now, 22))
    assert attempts.apply_reply(session, plan)
    session.commit()
    kept = attempts._consoles(session)
    kept.keep(plan.reply.attempt)
    assert kept.take(attempt.id, version()) is plan.reply.attempt  # nothing moved
    assert kept.take(attempt.id, version()) is None  # taken: no two plans share it
    kept.keep(plan.reply.attempt)
    # The other customer's pane is marked read (the console, maybe in another process).
    locked = attempts.get_attempt(session, user=trainee, attempt_id=attempt.id, lock=True)
    attempts.mark_read(session, attempt=locked, slot=1)
    session.commit()
    assert kept.take(attempt.id, version()) is None
