"""Chat exam attempts: start, the console, poll, reply, finish, sweep; the server owns time.

Customer messages are rows with `due_at`, written when the engine schedules them. A poll
delivers every row that is due: it stamps `delivered_at` (the first delivery to a browser,
server time) and gives it the attempt's next `seq`; response time is measured from that
stamp. Nudges and leaving are decided by `engine.on_tick` on poll and by the sweep. Nothing
lives in a process: every change happens under the attempt's row lock (PostgreSQL
`FOR UPDATE`; SQLite's writing transactions are exclusive), and `(attempt, seq)` is unique,
so two processes serving one attempt can neither deliver a message twice nor lose a reply.
The attempt keeps `next_event_at` and `last_seq`, so a poll with nothing new reads one row
and writes nothing (`poll_is_empty`).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.assessments.rules import StartCheck, can_start
from portal.audit import services as audit
from portal.auth.models import Role, User
from portal.chat import engine, scoring
from portal.chat.models import (
    ChatAttempt,
    ChatAttemptStatus,
    ChatConversation,
    ChatDrill,
    ChatDrillVersion,
    ChatEndedBy,
    ChatMessage,
    ChatScenario,
    ChatScenarioVersion,
    ChatSender,
)
from portal.chat.scenario import Drill, Ending, Rules, Scenario
from portal.chat.services.errors import AttemptClosed, CannotStart, ConversationClosed
from portal.courses import services as courses
from portal.db import insert_ignore
from portal.errors import DomainError, Forbidden, NotFound
from portal.messages import N_

MAX_REPLY_CHARS = 1000
# After a customer's script ends (their last message), the trainee still has this long to
# say goodbye (the farewell item is scored on the last reply); a customer who left has gone.
FAREWELL_WINDOW = timedelta(seconds=20)


def closes_at(row: ChatConversation) -> datetime | None:
    """When a conversation stops taking replies (None while its script runs)."""
    if not row.ended:
        return None
    ended_at = row.ended_at or row.entered_at
    return ended_at if row.ending == Ending.LEFT.value else ended_at + FAREWELL_WINDOW


def takes_replies(row: ChatConversation, now: datetime) -> bool:
    closing = closes_at(row)
    return now >= row.arrives_at and (closing is None or now < closing)


# --- definitions as stored ------------------------------------------------------------


def drill_of(version: ChatDrillVersion) -> Drill:
    return _drill(version.id, version.source_hash, version.definition)


def scenario_of(version: ChatScenarioVersion) -> Scenario:
    return _scenario(version.id, version.source_hash, version.definition)[0]


def rules_of(version: ChatScenarioVersion) -> Rules:
    return _scenario(version.id, version.source_hash, version.definition)[1]


# Versions never change, so a decoded definition can be kept per (id, hash) in a process.
# The cache is keyed by values only; the definition passes through for the first decode.
_DEFINITIONS: dict[tuple[int, str], Any] = {}


def _drill(version_id: int, source_hash: str, data: dict[str, Any]) -> Drill:
    key = (version_id, source_hash)
    if key not in _DEFINITIONS:
        _DEFINITIONS[key] = Drill.from_data(data["drill"])
    return _DEFINITIONS[key]  # type: ignore[no-any-return]


def _scenario(version_id: int, source_hash: str, data: dict[str, Any]) -> tuple[Scenario, Rules]:
    key = (-version_id, source_hash)
    if key not in _DEFINITIONS:
        _DEFINITIONS[key] = (Scenario.from_data(data["scenario"]), Rules.from_data(data["rules"]))
    return _DEFINITIONS[key]  # type: ignore[no-any-return]


# --- the rules of attempts (as for written exams) -------------------------------------


# --- drills for a trainee -------------------------------------------------------------


def get_drill(session: Session, drill_key: str) -> ChatDrill:
    drill = session.scalar(sa.select(ChatDrill).where(ChatDrill.key == drill_key))
    if drill is None or drill.current_version is None:
        raise NotFound(N_("找不到模拟接待考核 %(key)s"), key=drill_key)
    return drill


def existing_drill_keys(session: Session) -> set[str]:
    """The drills online now (courses' catalog of chat exams)."""
    return set(session.scalars(sa.select(ChatDrill.key)
                               .where(ChatDrill.current_version_id.is_not(None))))


@dataclass(frozen=True)
class DrillStatus:
    drill: ChatDrill
    version: ChatDrillVersion
    definition: Drill
    attempts: list[ChatAttempt]
    open_attempt: ChatAttempt | None
    check: StartCheck
    best_score: float | None
    passed: bool


def _check_may_take(session: Session, user: User, version: ChatDrillVersion) -> None:
    """A trainee takes a drill of their own track once its stage is open."""
    if user.role is not Role.TRAINEE:
        raise Forbidden(N_("只有新客服可以参加模拟接待考核"))
    if version.track_key is None:
        return
    status = courses.stage_for_trainee(session, user=user, track_key=version.track_key,
                                       stage_key=version.stage_key)
    if status is None:
        raise NotFound(N_("这场模拟接待考核不属于你的培训路线"))
    if status.state.value == "locked":
        raise Forbidden(N_("阶段“%(stage)s”尚未解锁，暂不能参加这场考核"), stage=status.title)


def drill_status(session: Session, *, user: User, drill_key: str, now: datetime) -> DrillStatus:
    """The start page: the drill, the trainee's attempts, whether another may start."""
    drill = get_drill(session, drill_key)
    version = drill.current_version
    assert version is not None
    _check_may_take(session, user, version)
    attempts = list(session.scalars(sa.select(ChatAttempt).where(
        ChatAttempt.user_id == user.id, ChatAttempt.chat_drill_id == drill.id)
        .order_by(ChatAttempt.number)))
    for attempt in attempts:
        finish_if_expired(session, attempt=attempt, now=now)
    definition = drill_of(version)
    open_attempt = next((a for a in attempts if a.status is ChatAttemptStatus.IN_PROGRESS), None)
    check = can_start(attempts_allowed=definition.attempts,
                      finished=[a.ended_at for a in attempts if a.ended_at is not None],
                      wait_minutes=definition.wait_minutes, now=now)
    scores = [a.score for a in attempts if a.score is not None]
    return DrillStatus(drill=drill, version=version, definition=definition, attempts=attempts,
                       open_attempt=open_attempt, check=check,
                       best_score=max(scores) if scores else None,
                       passed=any(a.passed for a in attempts))


def start_attempt(session: Session, *, user: User, drill_key: str, now: datetime) -> ChatAttempt:
    """Start a new attempt, or return the one in progress (a double click is harmless).

    Each customer's conversation pins the scenario's current version; the engine opens it
    at its arrival time, so its first messages are rows due then.
    """
    status = drill_status(session, user=user, drill_key=drill_key, now=now)
    if status.open_attempt is not None:
        return status.open_attempt
    if not status.check.allowed:
        assert status.check.reason is not None
        raise CannotStart(status.check.reason)
    definition = status.definition
    scenarios = _current_scenarios(session, [c.scenario for c in definition.customers])
    number = len(status.attempts) + 1
    started = insert_ignore(session, ChatAttempt, {
        "user_id": user.id, "chat_drill_id": status.drill.id,
        "chat_drill_version_id": status.version.id, "number": number,
        "status": ChatAttemptStatus.IN_PROGRESS, "started_at": now,
        "deadline_at": now + timedelta(minutes=definition.time_limit_minutes), "last_seq": 0},
        index_elements=("user_id", "chat_drill_id", "number"))
    attempt = session.scalars(sa.select(ChatAttempt).where(
        ChatAttempt.user_id == user.id, ChatAttempt.chat_drill_id == status.drill.id,
        ChatAttempt.number == number)).one()
    if not started:
        return attempt
    for slot, customer in enumerate(definition.customers):
        version = scenarios[customer.scenario]
        scenario = scenario_of(version)
        arrives_at = now + timedelta(seconds=customer.arrive)
        step = engine.open_conversation(scenario, arrives_at=arrives_at)
        row = ChatConversation(chat_attempt_id=attempt.id, slot=slot,
                               chat_scenario_version_id=version.id, arrives_at=arrives_at)
        _store_state(row, step.conversation)
        session.add(row)
        session.flush()
        _schedule(session, attempt, row, step)
    session.flush()
    _plan_next_event(session, attempt)
    audit.record(session, actor_id=user.id, action="chat.attempt.start", target_type="chat_attempt",
                 target_id=attempt.id, details={"drill": drill_key, "number": number}, now=now)
    return attempt


def _current_scenarios(session: Session, keys: list[str]) -> dict[str, ChatScenarioVersion]:
    rows = session.execute(sa.select(ChatScenario.key, ChatScenarioVersion)
                           .join(ChatScenarioVersion,
                                 ChatScenarioVersion.id == ChatScenario.current_version_id)
                           .where(ChatScenario.key.in_(set(keys))))
    found = {key: version for key, version in rows}
    missing = sorted(set(keys) - set(found))
    if missing:
        raise CannotStart(N_("考核用到的场景 %(keys)s 尚未导入"), keys="、".join(missing))
    return found


# --- the engine's state, column by column ---------------------------------------------


def _state_fields() -> list[str]:
    return [f.name for f in dataclasses.fields(engine.Conversation)]


def _conversation(row: ChatConversation) -> engine.Conversation:
    values = {name: getattr(row, name) for name in _state_fields()}
    values["ending"] = Ending(row.ending) if row.ending else None
    return engine.Conversation(**values)


def _store_state(row: ChatConversation, conv: engine.Conversation) -> None:
    for name in _state_fields():
        value = getattr(conv, name)
        setattr(row, name, value.value if hasattr(value, "value") else value)


def _schedule(session: Session, attempt: ChatAttempt, row: ChatConversation,
              step: engine.Step) -> None:
    """The customer messages a step schedules become rows, due at their time."""
    for scheduled in step.messages:
        session.add(ChatMessage(
            chat_attempt_id=attempt.id, chat_conversation_id=row.id, sender=ChatSender.CUSTOMER,
            text=scheduled.text, due_at=scheduled.due_at, state=scheduled.state,
            nudge=scheduled.kind is engine.MessageKind.NUDGE))


def _plan_next_event(session: Session, attempt: ChatAttempt) -> None:
    """The earliest moment something happens without the trainee: a message falls due, a
    conversation's silence timer (nudge, leaving), or the deadline."""
    session.flush()
    due = session.scalar(sa.select(sa.func.min(ChatMessage.due_at)).where(
        ChatMessage.chat_attempt_id == attempt.id, ChatMessage.delivered_at.is_(None)))
    moments = [attempt.deadline_at] + ([due] if due is not None else [])
    for row in attempt.conversations:
        if row.ended:
            moments.append(closes_at(row) or attempt.deadline_at)
            continue
        moment = engine.next_event(scenario_of(row.scenario_version), _conversation(row))
        if moment is not None:
            moments.append(moment)
    attempt.next_event_at = min(moments)


# --- taking an attempt -----------------------------------------------------------------


def get_attempt(session: Session, *, user: User, attempt_id: int,
                lock: bool = False) -> ChatAttempt:
    """An attempt its owner may see; anyone else gets "not found" (no hint it exists).

    With `lock`, the attempt's row is locked until the transaction ends, so that polls and
    replies of one attempt in several processes happen one after the other.
    """
    query = sa.select(ChatAttempt).where(ChatAttempt.id == attempt_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    attempt = session.scalar(query)
    if attempt is None or attempt.user_id != user.id:
        raise NotFound(N_("找不到该作答记录"))
    return attempt


def poll_is_empty(session: Session, *, user_id: int, attempt_id: int, seen_seq: int,
                  now: datetime) -> bool:
    """True when a poll has nothing to do: one row read, nothing written.

    The browser has seen every message up to `seen_seq`, and nothing falls due before
    `next_event_at`. Anything else (including a stranger's attempt id) takes the full poll.
    """
    row = session.execute(sa.select(ChatAttempt.user_id, ChatAttempt.status,
                                    ChatAttempt.last_seq, ChatAttempt.next_event_at)
                          .where(ChatAttempt.id == attempt_id)).first()
    return (row is not None and row.user_id == user_id
            and row.status == ChatAttemptStatus.IN_PROGRESS and row.last_seq == seen_seq
            and row.next_event_at is not None and now < row.next_event_at)


def advance(session: Session, *, attempt: ChatAttempt, now: datetime) -> list[ChatMessage]:
    """Bring a locked attempt up to `now`: silence (nudges, leaving), then deliver what is
    due, in order, each with the next seq; end the attempt if every script has ended or
    time is up. Returns the messages delivered by this call."""
    if attempt.status is not ChatAttemptStatus.IN_PROGRESS:
        return []
    if now >= attempt.deadline_at:
        delivered = _deliver(session, attempt, attempt.deadline_at)
        _finish(session, attempt, now=attempt.deadline_at, by=ChatEndedBy.DEADLINE)
        return delivered
    _tick(session, attempt, now)
    delivered = _deliver(session, attempt, now)
    pending = session.scalar(sa.select(sa.func.count()).select_from(ChatMessage).where(
        ChatMessage.chat_attempt_id == attempt.id, ChatMessage.delivered_at.is_(None)))
    if not pending and all((closes_at(row) or attempt.deadline_at) <= now
                           for row in attempt.conversations):
        _finish(session, attempt, now=now, by=ChatEndedBy.SCRIPTS)
    else:
        _plan_next_event(session, attempt)
    return delivered


def _tick(session: Session, attempt: ChatAttempt, now: datetime) -> None:
    """Silence up to `now`: the nudges that fell due, customers who left."""
    for row in attempt.conversations:
        if row.ended or now < row.arrives_at:
            continue
        step = engine.on_tick(scenario_of(row.scenario_version), _conversation(row), now=now)
        _store_state(row, step.conversation)
        _schedule(session, attempt, row, step)
    session.flush()


def _deliver(session: Session, attempt: ChatAttempt, now: datetime) -> list[ChatMessage]:
    due = list(session.scalars(sa.select(ChatMessage).where(
        ChatMessage.chat_attempt_id == attempt.id, ChatMessage.delivered_at.is_(None),
        ChatMessage.due_at <= now).order_by(ChatMessage.due_at, ChatMessage.id)))
    for message in due:
        attempt.last_seq += 1
        message.seq = attempt.last_seq
        message.delivered_at = now
    session.flush()
    return due


@dataclass(frozen=True)
class Reply:
    message: ChatMessage
    conversation: ChatConversation


def reply(session: Session, *, user: User, attempt_id: int, slot: int, text: str,
          now: datetime) -> Reply:
    """The trainee answers one customer: stored with the next seq, then the engine routes."""
    text = text.strip()
    if not text:
        raise DomainError(N_("回复不能为空"))
    if len(text) > MAX_REPLY_CHARS:
        raise DomainError(N_("一条回复最多 %(n)d 个字"), n=MAX_REPLY_CHARS)
    attempt = get_attempt(session, user=user, attempt_id=attempt_id, lock=True)
    _check_open(session, attempt, now)
    row = next((c for c in attempt.conversations if c.slot == slot), None)
    if row is None:
        raise NotFound(N_("找不到这位买家"))
    if not takes_replies(row, now):
        raise ConversationClosed(N_("这位买家的会话已结束，不能再回复"))
    # What the customers said before this reply (a nudge included) comes before it.
    _tick(session, attempt, now)
    _deliver(session, attempt, now)
    if not takes_replies(row, now):  # left a moment ago, before this reply arrived
        raise ConversationClosed(N_("这位买家已经离开，不能再回复"))
    attempt.last_seq += 1
    message = ChatMessage(chat_attempt_id=attempt.id, chat_conversation_id=row.id,
                          seq=attempt.last_seq, sender=ChatSender.TRAINEE, text=text,
                          due_at=now, delivered_at=now, sent_at=now, state=row.state)
    session.add(message)
    row.read_seq = attempt.last_seq
    session.flush()
    since = _replies_since_customer(session, row)
    step = engine.on_reply(scenario_of(row.scenario_version), _conversation(row), since, now=now)
    _store_state(row, step.conversation)
    _schedule(session, attempt, row, step)
    _plan_next_event(session, attempt)
    return Reply(message=message, conversation=row)


def _replies_since_customer(session: Session, row: ChatConversation) -> list[str]:
    """The trainee's replies since the customer last spoke, oldest first."""
    last_customer = session.scalar(sa.select(sa.func.max(ChatMessage.seq)).where(
        ChatMessage.chat_conversation_id == row.id, ChatMessage.sender == ChatSender.CUSTOMER,
        ChatMessage.nudge.is_(False), ChatMessage.seq.is_not(None)))
    query = sa.select(ChatMessage.text).where(
        ChatMessage.chat_conversation_id == row.id, ChatMessage.sender == ChatSender.TRAINEE)
    if last_customer is not None:
        query = query.where(ChatMessage.seq > last_customer)
    return list(session.scalars(query.order_by(ChatMessage.seq)))


def _check_open(session: Session, attempt: ChatAttempt, now: datetime) -> None:
    if finish_if_expired(session, attempt=attempt, now=now):
        raise AttemptClosed(N_("考核时间已到，已自动结束，这条回复没有发出"))
    if attempt.status is not ChatAttemptStatus.IN_PROGRESS:
        raise AttemptClosed(N_("考核已结束，不能再回复"))


def mark_read(session: Session, *, attempt: ChatAttempt, slot: int) -> None:
    """The trainee looked at a customer's pane: what was delivered there is read."""
    row = next((c for c in attempt.conversations if c.slot == slot), None)
    if row is not None and row.read_seq < attempt.last_seq:
        row.read_seq = attempt.last_seq
        session.flush()


# --- ending ---------------------------------------------------------------------------


def finish_if_expired(session: Session, *, attempt: ChatAttempt, now: datetime) -> bool:
    """End an attempt whose time is up (scored from what was said); True if it has ended."""
    if attempt.status is not ChatAttemptStatus.IN_PROGRESS:
        return True
    if now < attempt.deadline_at:
        return False
    session.refresh(attempt, with_for_update=True)
    if attempt.status is ChatAttemptStatus.IN_PROGRESS:
        advance(session, attempt=attempt, now=now)
    return True


def finish_attempt(session: Session, *, user: User, attempt_id: int, now: datetime) -> ChatAttempt:
    """The trainee ends the attempt early; ending twice is harmless."""
    attempt = get_attempt(session, user=user, attempt_id=attempt_id, lock=True)
    if finish_if_expired(session, attempt=attempt, now=now):
        return attempt
    _deliver(session, attempt, now)
    _finish(session, attempt, now=now, by=ChatEndedBy.TRAINEE)
    return attempt


def sweep(session: Session, *, now: datetime) -> int:
    """End every attempt whose time is up (the CLI runs this on a schedule)."""
    expired = list(session.scalars(sa.select(ChatAttempt).where(
        ChatAttempt.status == ChatAttemptStatus.IN_PROGRESS, ChatAttempt.deadline_at <= now)
        .with_for_update(skip_locked=True)))
    for attempt in expired:
        advance(session, attempt=attempt, now=now)
    return len(expired)


def _finish(session: Session, attempt: ChatAttempt, *, now: datetime, by: ChatEndedBy) -> None:
    """Score every conversation with the engine, store the result; a pass reports to courses."""
    session.flush()
    attempt.status = ChatAttemptStatus.FINISHED
    attempt.ended_at = now
    attempt.ended_by = by
    attempt.next_event_at = None
    definition = drill_of(attempt.drill_version)
    scored = []
    for row in attempt.conversations:
        scenario, rules = _scenario(row.scenario_version.id, row.scenario_version.source_hash,
                                    row.scenario_version.definition)
        scored.append(scoring.score_conversation(scenario, transcript(session, row), rules))
    result = scoring.score_attempt(scored, pass_mark=definition.pass_mark)
    attempt.auto_result = result.to_data()
    attempt.score = result.score
    attempt.fail_reason = result.violations[0].id.value if result.violations else None
    attempt.passed = bool(result.passed)
    session.flush()
    audit.record(session, actor_id=attempt.user_id if by is ChatEndedBy.TRAINEE else None,
                 action="chat.attempt.finish", target_type="chat_attempt", target_id=attempt.id,
                 details={"by": by.value, "score": attempt.score, "passed": attempt.passed},
                 now=now)
    version = attempt.drill_version
    if attempt.passed and version.track_key and version.stage_key:
        courses.record_assessment_passed(
            session, user_id=attempt.user_id, track_key=version.track_key,
            stage_key=version.stage_key, source=courses.AssessmentSource.CHAT_EXAM,
            reference=f"{version.title} #{attempt.number}: {attempt.score:g}", now=now)


def transcript(session: Session, row: ChatConversation) -> list[scoring.TranscriptMessage]:
    """A conversation's delivered messages as the scoring reads them, in seq order: a
    customer message at its first delivery to the browser, a reply when it was received."""
    messages = session.scalars(sa.select(ChatMessage).where(
        ChatMessage.chat_conversation_id == row.id, ChatMessage.seq.is_not(None),
        ChatMessage.sender != ChatSender.SYSTEM).order_by(ChatMessage.seq))
    return [scoring.TranscriptMessage(
        seq=m.seq or 0, text=m.text, state=m.state, nudge=m.nudge,
        author=(scoring.Author.TRAINEE if m.sender is ChatSender.TRAINEE
                else scoring.Author.CUSTOMER),
        at=(m.sent_at if m.sender is ChatSender.TRAINEE else m.delivered_at) or m.due_at)
        for m in messages]

