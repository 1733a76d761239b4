"""Chat exam attempts: start, the console, poll, reply, finish, sweep; the server owns time.

Customer messages are rows with `due_at`, written when the engine schedules them. A poll
delivers every row that is due: it stamps `delivered_at` (the first delivery to a browser,
server time) and gives it the attempt's next `seq`; response time is measured from that
stamp. Nudges and leaving are decided by `engine.on_tick` on poll and by the sweep. Nothing
lives only in a process: every change happens under the attempt's row lock (PostgreSQL
`FOR UPDATE`; SQLite's writing transactions are exclusive), and `(attempt, seq)` is unique,
so two processes serving one attempt can neither deliver a message twice nor lose a reply.
The attempt keeps `next_event_at` and `last_seq`, so a poll with nothing new reads one row
and writes nothing (`poll_is_empty`). A reply is planned without the lock and written only if
the attempt has not moved; a process may keep the attempt its last reply wrote, as a copy
used only while the database's version of the attempt still matches it (`_Consoles`).
"""
from __future__ import annotations

import dataclasses
import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

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
from portal.courses.errors import StageLocked
from portal.db import insert_ignore, per_engine
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


def warm_up() -> None:
    """Build what the first reply in a process would otherwise build inside its write
    transaction (jieba's dictionary: seconds): the app does it at start-up."""
    from portal.chat.normalize import tokenizer

    tokenizer()


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


@dataclass(frozen=True)
class ScenarioDefinition:
    """A scenario version as the console and the engine use it (decoded once)."""

    scenario: Scenario
    rules: Rules
    title: str


@dataclass(frozen=True)
class DrillDefinition:
    drill: Drill
    title: str
    track_key: str | None
    stage_key: str | None


# The hot path (every poll with news, every reply) reads a conversation's scenario by the
# version id in its foreign-key column: with the decoded version cached per database
# (engine) and id, the version row is never loaded again (versions are immutable; ids
# repeat only across databases, e.g. one per test).
_BY_ENGINE: weakref.WeakKeyDictionary[Any, dict[tuple[str, int], Any]] = (
    weakref.WeakKeyDictionary())


def _cache(session: Session) -> dict[tuple[str, int], Any]:
    return per_engine(session, _BY_ENGINE, dict)


def scenario_version(session: Session, version_id: int) -> ScenarioDefinition:
    cache = _cache(session)
    found = cache.get(("scenario", version_id))
    if found is None:
        version = session.get(ChatScenarioVersion, version_id)
        assert version is not None
        scenario, rules = _scenario(version.id, version.source_hash, version.definition)
        found = cache[("scenario", version_id)] = ScenarioDefinition(scenario, rules,
                                                                     version.title)
    return found  # type: ignore[no-any-return]


def scenario_for(session: Session, row: ChatConversation) -> Scenario:
    return scenario_version(session, row.chat_scenario_version_id).scenario


def drill_version(session: Session, version_id: int) -> DrillDefinition:
    cache = _cache(session)
    found = cache.get(("drill", version_id))
    if found is None:
        version = session.get(ChatDrillVersion, version_id)
        assert version is not None
        found = cache[("drill", version_id)] = DrillDefinition(
            drill_of(version), version.title, version.track_key, version.stage_key)
    return found  # type: ignore[no-any-return]


def drill_for(session: Session, attempt: ChatAttempt) -> DrillDefinition:
    return drill_version(session, attempt.chat_drill_version_id)


# --- the rules of attempts (as for written exams) -------------------------------------


# --- drills for a trainee -------------------------------------------------------------


def get_drill(session: Session, drill_key: str) -> ChatDrill:
    drill = session.scalar(sa.select(ChatDrill).where(ChatDrill.key == drill_key))
    if drill is None or drill.current_version is None:
        raise NotFound(N_("找不到模拟接待考核 %(key)s"), key=drill_key)
    return drill


# The drills online now: courses' catalog of chat exams (registered in create_app).
ONLINE_DRILL_KEYS = sa.select(ChatDrill.key).where(ChatDrill.current_version_id.is_not(None))


def existing_drill_keys(session: Session) -> set[str]:
    """The drills online now."""
    return set(session.scalars(ONLINE_DRILL_KEYS))


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
        raise StageLocked(N_("阶段“%(stage)s”尚未解锁，暂不能参加这场考核"),
                          stage_key=status.key, stage=status.title)


def drill_status(session: Session, *, user: User, drill_key: str, now: datetime) -> DrillStatus:
    """The start page: the drill, the trainee's attempts, whether another may start."""
    drill = get_drill(session, drill_key)
    version = drill.current_version
    assert version is not None
    _check_may_take(session, user, version)
    attempts = list(session.scalars(sa.select(ChatAttempt).where(
        ChatAttempt.user_id == user.id, ChatAttempt.chat_drill_id == drill.id)
        .order_by(ChatAttempt.number)))
    return _status(session, drill, version, attempts, now=now)


def _status(session: Session, drill: ChatDrill, version: ChatDrillVersion,
            attempts: list[ChatAttempt], *, now: datetime) -> DrillStatus:
    """What a trainee's attempts add up to (one rule for one trainee and for a cohort)."""
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


def drill_statuses(session: Session, *, users: Sequence[User], drill_key: str, now: datetime
                   ) -> dict[int, DrillStatus | None]:
    """`drill_status` for many trainees in a few queries, whatever their number: by trainee
    id, None for one who may not take the drill (not theirs, its stage locked). Raises
    NotFound when the drill is not online."""
    drill = get_drill(session, drill_key)
    version = drill.current_version
    assert version is not None
    found: dict[int, DrillStatus | None] = {u.id: None for u in users}
    trainees = courses.may_take(session, users=users, track_key=version.track_key,
                                stage_key=version.stage_key)
    if not trainees:
        return found
    attempts: dict[int, list[ChatAttempt]] = {u.id: [] for u in trainees}
    for attempt in session.scalars(sa.select(ChatAttempt).where(
            ChatAttempt.user_id.in_(list(attempts)), ChatAttempt.chat_drill_id == drill.id)
            .order_by(ChatAttempt.user_id, ChatAttempt.number)):
        attempts[attempt.user_id].append(attempt)
    for user_id, rows in attempts.items():
        found[user_id] = _status(session, drill, version, rows, now=now)
    return found


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
        row = ChatConversation(slot=slot, chat_scenario_version_id=version.id,
                               arrives_at=arrives_at, messages=[])
        _store_state(row, step.conversation)
        attempt.conversations.append(row)
        _schedule(session, attempt, row, step)
    _plan_next_event(session, attempt, now)
    session.flush()
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


_STATE_FIELDS = tuple(f.name for f in dataclasses.fields(engine.Conversation))


def _conversation(row: ChatConversation) -> engine.Conversation:
    values = {name: getattr(row, name) for name in _STATE_FIELDS}
    values["ending"] = Ending(row.ending) if row.ending else None
    return engine.Conversation(**values)


def _store_state(row: ChatConversation, conv: engine.Conversation) -> None:
    for name in _STATE_FIELDS:
        value = getattr(conv, name)
        value = value.value if hasattr(value, "value") else value
        if getattr(row, name) != value:  # an unchanged column is not written
            setattr(row, name, value)


def _schedule(session: Session, attempt: ChatAttempt, row: ChatConversation,
              step: engine.Step) -> None:
    """The customer messages a step schedules become rows, due at their time (added
    through the conversation's collection, which the hot path keeps loaded)."""
    for scheduled in step.messages:
        row.messages.append(ChatMessage(
            chat_attempt_id=attempt.id, sender=ChatSender.CUSTOMER,
            text=scheduled.text, due_at=scheduled.due_at, state=scheduled.state,
            nudge=scheduled.kind is engine.MessageKind.NUDGE, seq=None, delivered_at=None,
            sent_at=None))


def _undelivered(attempt: ChatAttempt) -> list[ChatMessage]:
    """The messages not yet delivered, in the order they were written: rows in id order,
    rows of this request (no id yet) after them, as added. Filtered before sorting (a reply
    asks several times, and most of an attempt's rows have been delivered)."""
    waiting = [m for row in attempt.conversations for m in row.messages if m.delivered_at is None]
    return sorted(waiting, key=lambda m: (m.id is None, m.id or 0))


def _plan_next_event(session: Session, attempt: ChatAttempt, now: datetime) -> None:
    """The earliest moment something happens without the trainee: a message falls due, a
    conversation's silence timer (nudge, leaving), an ended conversation's farewell window
    closing, or the deadline. A window that has closed is no event any more (it would keep
    every poll from being empty until the attempt ends)."""
    moments = [attempt.deadline_at] + [m.due_at for m in _undelivered(attempt)]
    for row in attempt.conversations:
        if row.ended:
            closing = closes_at(row)
            if closing is not None and closing > now:
                moments.append(closing)
            continue
        moment = engine.next_event(scenario_for(session, row), _conversation(row))
        if moment is not None:
            moments.append(moment)
    if attempt.next_event_at != min(moments):
        attempt.next_event_at = min(moments)


# --- taking an attempt -----------------------------------------------------------------


def get_attempt(session: Session, *, user: User, attempt_id: int,
                lock: bool = False) -> ChatAttempt:
    """An attempt its owner may see; anyone else gets "not found" (no hint it exists).

    With `lock`, the attempt's row is locked until the transaction ends, so that polls and
    replies of one attempt in several processes happen one after the other; then its
    conversations and their messages are read in one more statement (everything a poll or a
    reply needs). Not in the locking statement: on PostgreSQL a statement that waited for
    the lock re-reads only the locked row, and would see the other tables as they were
    before the transaction it waited for.
    """
    return _get_attempt(session, user_id=user.id, attempt_id=attempt_id, lock=lock)


def _get_attempt(session: Session, *, user_id: int, attempt_id: int, lock: bool) -> ChatAttempt:
    query = sa.select(ChatAttempt).where(ChatAttempt.id == attempt_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    attempt = session.scalar(query)
    if attempt is None or attempt.user_id != user_id:
        raise NotFound(N_("找不到该作答记录"))
    if lock:
        rows = session.scalars(
            sa.select(ChatConversation).where(ChatConversation.chat_attempt_id == attempt.id)
            .options(joinedload(ChatConversation.messages))
            .order_by(ChatConversation.slot).execution_options(populate_existing=True)
        ).unique().all()
        set_committed_value(attempt, "conversations", list(rows))
    return attempt


_ATTEMPTS = ChatAttempt.__table__
_EMPTY_POLL = (sa.select(_ATTEMPTS.c.user_id, _ATTEMPTS.c.status, _ATTEMPTS.c.last_seq,
                         _ATTEMPTS.c.next_event_at)
               .where(_ATTEMPTS.c.id == sa.bindparam("attempt_id")))


def poll_is_empty(session: Session, *, user_id: int, attempt_id: int, seen_seq: int,
                  now: datetime) -> bool:
    """True when a poll has nothing to do: one row read, nothing written.

    The browser has seen every message up to `seen_seq`, and nothing falls due before
    `next_event_at`. Anything else (including a stranger's attempt id) takes the full poll.
    """
    # A plain Core select on the session's connection (the ORM's execution machinery costs
    # as much as the statement itself on this hot path).
    # Core does not autoflush: what the caller changed in this session is flushed first, as
    # an ORM select would (in the view nothing is pending and this is a no-op).
    if session.new or session.dirty or session.deleted:
        session.flush()
    row = session.connection().execute(_EMPTY_POLL, {"attempt_id": attempt_id}).first()
    return (row is not None and row.user_id == user_id
            and row.status == ChatAttemptStatus.IN_PROGRESS and row.last_seq == seen_seq
            and row.next_event_at is not None and now < row.next_event_at)


class NeedsLock(Exception):
    """An optimistic reply would end the attempt (scoring, audit, courses): it is redone
    the locked way (`reply`), which the rare ending can afford."""


def advance(session: Session, *, attempt: ChatAttempt, now: datetime,
            may_finish: bool = True) -> list[ChatMessage]:
    """Bring a locked attempt up to `now`: silence (nudges, leaving), then deliver what is
    due, in order, each with the next seq; end the attempt if every script has ended or
    time is up. Returns the messages delivered by this call. Without `may_finish` an
    ending raises `NeedsLock` instead."""
    if attempt.status is not ChatAttemptStatus.IN_PROGRESS:
        return []
    if now >= attempt.deadline_at:
        if not may_finish:
            raise NeedsLock
        delivered = _deliver(session, attempt, attempt.deadline_at)
        _finish(session, attempt, now=attempt.deadline_at, by=ChatEndedBy.DEADLINE)
        return delivered
    _tick(session, attempt, now)
    delivered = _deliver(session, attempt, now)
    if not _undelivered(attempt) and all((closes_at(row) or attempt.deadline_at) <= now
                                         for row in attempt.conversations):
        if not may_finish:
            raise NeedsLock
        _finish(session, attempt, now=now, by=ChatEndedBy.SCRIPTS)
    else:
        _plan_next_event(session, attempt, now)
    return delivered


def _tick(session: Session, attempt: ChatAttempt, now: datetime) -> None:
    """Silence up to `now`: the nudges that fell due, customers who left."""
    for row in attempt.conversations:
        if row.ended or now < row.arrives_at:
            continue
        step = engine.on_tick(scenario_for(session, row), _conversation(row), now=now)
        _store_state(row, step.conversation)
        _schedule(session, attempt, row, step)


def _deliver(session: Session, attempt: ChatAttempt, now: datetime) -> list[ChatMessage]:
    due = sorted((m for m in _undelivered(attempt) if m.due_at <= now),
                 key=lambda m: m.due_at)  # stable: the order written among equal times
    for message in due:
        attempt.last_seq += 1
        message.seq = attempt.last_seq
        message.delivered_at = now
    return due


@dataclass(frozen=True)
class Reply:
    attempt: ChatAttempt  # locked and brought up to the reply's time
    message: ChatMessage
    conversation: ChatConversation


def _reply_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise DomainError(N_("回复不能为空"))
    if len(text) > MAX_REPLY_CHARS:
        raise DomainError(N_("一条回复最多 %(n)d 个字"), n=MAX_REPLY_CHARS)
    return text


def _take_reply(session: Session, attempt: ChatAttempt, *, slot: int, text: str, now: datetime,
                may_finish: bool = True) -> tuple[ChatConversation, ChatMessage]:
    """The trainee's reply to the customer at `slot`, taken into an attempt that is open:
    what the customers said before it (a nudge included) comes first, then the reply with
    the next seq, the engine's route, what falls due at once and the next event; the pane is
    read. Without `may_finish` an ending raises `NeedsLock` (see `advance`)."""
    row = next((c for c in attempt.conversations if c.slot == slot), None)
    if row is None:
        raise NotFound(N_("找不到这位买家"))
    if not takes_replies(row, now):
        raise ConversationClosed(N_("这位买家的会话已结束，不能再回复"))
    _tick(session, attempt, now)
    _deliver(session, attempt, now)
    if not takes_replies(row, now):  # left a moment ago, before this reply arrived
        raise ConversationClosed(N_("这位买家已经离开，不能再回复"))
    attempt.last_seq += 1
    message = ChatMessage(chat_attempt_id=attempt.id, seq=attempt.last_seq,
                          sender=ChatSender.TRAINEE, text=text, due_at=now, delivered_at=now,
                          sent_at=now, state=row.state, nudge=False)
    row.messages.append(message)
    since = _replies_since_customer(row)
    step = engine.on_reply(scenario_for(session, row), _conversation(row), since, now=now)
    _store_state(row, step.conversation)
    _schedule(session, attempt, row, step)
    advance(session, attempt=attempt, now=now, may_finish=may_finish)  # an answer due at once
    row.read_seq = attempt.last_seq  # the trainee is looking at this customer's pane
    return row, message


def reply(session: Session, *, user_id: int, attempt_id: int, slot: int, text: str,
          now: datetime) -> Reply:
    """The trainee answers one customer: stored with the next seq, then the engine routes;
    what the customer says at once is delivered with it, so the attempt is up to `now`."""
    text = _reply_text(text)
    attempt = _get_attempt(session, user_id=user_id, attempt_id=attempt_id, lock=True)
    _check_open(session, attempt, now)
    row, message = _take_reply(session, attempt, slot=slot, text=text, now=now)
    session.flush()
    return Reply(attempt=attempt, message=message, conversation=row)


# --- a reply without the lock (optimistic) -------------------------------------------
#
# The reply is read and computed outside any lock: the attempt with its conversations and
# messages in one plain read, the engine and the deliveries in memory. The write phase then
# changes the attempt's row only if it still is as read (`last_seq`, `next_event_at`,
# `status`: every other writer of an attempt moves at least one of them — a reply or a
# delivery moves `last_seq`, a tick happens when `next_event_at` has come and plans a later
# one, an ending sets the status; marking a pane read touches `read_seq` alone, which a
# reply sets to the newest seq anyway) and writes the rest with Core statements. If it
# moved, nothing is written and the reply is planned again.

_CONVERSATION_COLUMNS = (*(f.name for f in dataclasses.fields(engine.Conversation)), "read_seq")


# A reply's plan starts from the attempt as the last reply planned in this process left it,
# when the database says nothing has moved since: the row's version (`_CONSOLE_VERSION`,
# one indexed read) is what every writer of an attempt changes. A reply or a delivery
# moves `last_seq`; a tick happens once `next_event_at` has come and plans a later one
# (an ended conversation's closed farewell window is no event, so it always moves); marking
# a pane read raises a `read_seq`, and the sum of them is in the version; an ending sets the
# status. The database stays the truth: a copy that does not match its version is never
# used, and the write is guarded as for any plan. Another process, a poll with news, the
# sweep: each just makes the next plan read everything again.

_CONVERSATIONS = ChatConversation.__table__
_CONSOLE_VERSION = sa.select(
    _ATTEMPTS.c.user_id, _ATTEMPTS.c.status, _ATTEMPTS.c.last_seq, _ATTEMPTS.c.next_event_at,
    _ATTEMPTS.c.deadline_at,
    sa.select(sa.func.coalesce(sa.func.sum(_CONVERSATIONS.c.read_seq), 0))
    .where(_CONVERSATIONS.c.chat_attempt_id == _ATTEMPTS.c.id)
    .scalar_subquery().label("read_seqs"),
).where(_ATTEMPTS.c.id == sa.bindparam("attempt_id"))

CONSOLES_KEPT = 512  # attempts a process keeps for their next reply (least recent dropped)


@dataclass(frozen=True)
class _Version:
    status: str
    last_seq: int
    next_event_at: datetime | None
    deadline_at: datetime
    read_seqs: int

    @classmethod
    def of_row(cls, row: sa.Row[Any]) -> _Version:
        return cls(ChatAttemptStatus(row.status).value, row.last_seq, row.next_event_at,
                   row.deadline_at, int(row.read_seqs))

    @classmethod
    def of_attempt(cls, attempt: ChatAttempt) -> _Version:
        return cls(ChatAttemptStatus(attempt.status).value, attempt.last_seq,
                   attempt.next_event_at, attempt.deadline_at,
                   sum(row.read_seq for row in attempt.conversations))


class _Consoles:
    """Detached attempts by id, each with the version it was written at. A plan takes its
    attempt out (no two requests share one); only a reply that was written puts it back."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._kept: OrderedDict[int, tuple[_Version, ChatAttempt]] = OrderedDict()

    def take(self, attempt_id: int, version: _Version) -> ChatAttempt | None:
        with self._lock:
            found = self._kept.pop(attempt_id, None)
        return found[1] if found is not None and found[0] == version else None

    def keep(self, attempt: ChatAttempt) -> None:
        version = _Version.of_attempt(attempt)
        with self._lock:
            self._kept[attempt.id] = (version, attempt)
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)


_CONSOLES: weakref.WeakKeyDictionary[Any, _Consoles] = weakref.WeakKeyDictionary()


def _consoles(session: Session) -> _Consoles:
    return per_engine(session, _CONSOLES, lambda: _Consoles(CONSOLES_KEPT))


def keep_planned(session: Session, plan: PlannedReply) -> None:
    """A planned reply was written and committed (and its console shown): keep its attempt
    for the next plan in this process."""
    _consoles(session).keep(plan.reply.attempt)


@dataclass(frozen=True)
class PlannedReply:
    """A reply computed from a plain read: what to write if the attempt has not moved."""

    reply: Reply
    seen_seq: int
    seen_next_event_at: datetime | None
    attempt_values: dict[str, Any]
    conversation_updates: list[dict[str, Any]]  # "_id" and every state column
    new_messages: list[ChatMessage]
    delivered: list[dict[str, Any]]  # "_id", seq, delivered_at


def plan_reply(session: Session, *, user_id: int, attempt_id: int, slot: int, text: str,
               now: datetime) -> PlannedReply:
    """Read the attempt without locking it and compute the reply in memory (raises what
    `reply` raises, and `NeedsLock` when the attempt would end). The objects are detached
    from the session: nothing is flushed; `apply_reply` writes the plan."""
    text = _reply_text(text)
    connection = session.connection()
    found = connection.execute(_CONSOLE_VERSION, {"attempt_id": attempt_id}).first()
    if found is None or found.user_id != user_id:
        raise NotFound(N_("找不到该作答记录"))
    if found.status != ChatAttemptStatus.IN_PROGRESS:
        raise AttemptClosed(N_("考核已结束，不能再回复"))
    if now >= found.deadline_at:
        raise NeedsLock
    consoles = _consoles(session)
    attempt = consoles.take(attempt_id, _Version.of_row(found))
    if attempt is None:
        # Read in a session of its own on the caller's connection (the same transaction),
        # closed at once: the objects come out detached, and nothing of them can ever be
        # flushed. They are as the version just read says, or newer (PostgreSQL reads each
        # statement afresh): the plan's guard is what they say.
        with Session(bind=connection, autoflush=False) as scratch:
            attempt = scratch.scalars(
                sa.select(ChatAttempt).where(ChatAttempt.id == attempt_id)
                .options(joinedload(ChatAttempt.conversations)
                         .joinedload(ChatConversation.messages))
            ).unique().one()
        if attempt.status is not ChatAttemptStatus.IN_PROGRESS:
            raise AttemptClosed(N_("考核已结束，不能再回复"))
        if now >= attempt.deadline_at:
            raise NeedsLock
    seen_seq, seen_next = attempt.last_seq, attempt.next_event_at
    before = {row.id: {name: getattr(row, name) for name in _CONVERSATION_COLUMNS}
              for row in attempt.conversations}
    undelivered = [m for row in attempt.conversations for m in row.messages
                   if m.delivered_at is None]
    # From here on the detached objects take the plan's state (a planned reply that is
    # not written is dropped with them). Scenario definitions are read with the caller's
    # session (cached per process: only the first use of a version reads it).
    row, message = _take_reply(session, attempt, slot=slot, text=text, now=now, may_finish=False)
    updates = []
    for conv in attempt.conversations:
        values = {name: getattr(conv, name) for name in _CONVERSATION_COLUMNS}
        if values != before[conv.id]:
            updates.append({"_id": conv.id, **values})
    new = [m for conv in attempt.conversations for m in conv.messages if m.id is None]
    delivered = [{"_id": m.id, "seq": m.seq, "delivered_at": m.delivered_at}
                 for m in undelivered if m.delivered_at is not None]
    return PlannedReply(
        reply=Reply(attempt=attempt, message=message, conversation=row),
        seen_seq=seen_seq, seen_next_event_at=seen_next,
        attempt_values={"last_seq": attempt.last_seq, "next_event_at": attempt.next_event_at},
        conversation_updates=updates, new_messages=new, delivered=delivered)


_MESSAGES = ChatMessage.__table__
_MESSAGE_COLUMNS = ("chat_attempt_id", "seq", "sender", "text", "due_at", "delivered_at",
                    "sent_at", "state")


def _move_attempt(next_event_at: sa.ColumnElement[bool]) -> sa.Update:
    return (sa.update(_ATTEMPTS)
            .where(_ATTEMPTS.c.id == sa.bindparam("_id"),
                   _ATTEMPTS.c.last_seq == sa.bindparam("_seen_seq"),
                   _ATTEMPTS.c.status == ChatAttemptStatus.IN_PROGRESS, next_event_at)
            .values(last_seq=sa.bindparam("last_seq"),
                    next_event_at=sa.bindparam("next_event_at")))


# Built once: a hot write spends its time in the database, not in building statements (and
# everything a write needs is computed before its first statement takes the lock).
_MOVE_ATTEMPT = _move_attempt(_ATTEMPTS.c.next_event_at == sa.bindparam("_seen_next"))
_MOVE_ATTEMPT_UNPLANNED = _move_attempt(_ATTEMPTS.c.next_event_at.is_(None))
_INSERT_MESSAGES = sa.insert(_MESSAGES).returning(_MESSAGES.c.id, sort_by_parameter_order=True)
_DELIVER_MESSAGES = (sa.update(_MESSAGES).where(_MESSAGES.c.id == sa.bindparam("_id"))
                     .values(seq=sa.bindparam("seq"), delivered_at=sa.bindparam("delivered_at")))
_UPDATE_CONVERSATIONS = (
    sa.update(_CONVERSATIONS).where(_CONVERSATIONS.c.id == sa.bindparam("_id"))
    .values({name: sa.bindparam(name) for name in _CONVERSATION_COLUMNS}))


def apply_reply(session: Session, plan: PlannedReply) -> bool:
    """The write phase of a planned reply: False (nothing written) if the attempt moved
    since it was read; else its row, the new messages, the deliveries, the conversations."""
    attempt = plan.reply.attempt
    move = {"_id": attempt.id, "_seen_seq": plan.seen_seq, **plan.attempt_values}
    if plan.seen_next_event_at is not None:
        move["_seen_next"] = plan.seen_next_event_at
    rows = [{name: getattr(m, name) for name in _MESSAGE_COLUMNS}
            | {"chat_conversation_id": m.conversation.id, "nudge": bool(m.nudge)}
            for m in plan.new_messages]
    conversations = [{**u, "ending": u["ending"].value if hasattr(u["ending"], "value")
                      else u["ending"]} for u in plan.conversation_updates]
    conn = session.connection()
    moved = conn.execute(_MOVE_ATTEMPT if plan.seen_next_event_at is not None
                         else _MOVE_ATTEMPT_UNPLANNED, move).rowcount
    if moved != 1:
        return False
    ids = conn.execute(_INSERT_MESSAGES, rows).scalars().all()
    if plan.delivered:
        conn.execute(_DELIVER_MESSAGES, plan.delivered)
    if conversations:
        conn.execute(_UPDATE_CONVERSATIONS, conversations)
    for message, new_id in zip(plan.new_messages, ids, strict=True):
        message.id = new_id
        message.chat_conversation_id = message.conversation.id
        message.chat_attempt_id = attempt.id
    return True


def _replies_since_customer(row: ChatConversation) -> list[str]:
    """The trainee's replies since the customer last spoke, oldest first."""
    shown = sorted((m for m in row.messages if m.seq is not None), key=lambda m: m.seq or 0)
    last_customer = max((m.seq or 0 for m in shown
                         if m.sender is ChatSender.CUSTOMER and not m.nudge), default=None)
    return [m.text for m in shown if m.sender is ChatSender.TRAINEE
            and (last_customer is None or (m.seq or 0) > last_customer)]


def _check_open(session: Session, attempt: ChatAttempt, now: datetime) -> None:
    if finish_if_expired(session, attempt=attempt, now=now):
        raise AttemptClosed(N_("考核时间已到，已自动结束，这条回复没有发出"))
    if attempt.status is not ChatAttemptStatus.IN_PROGRESS:
        raise AttemptClosed(N_("考核已结束，不能再回复"))


def mark_read(session: Session, *, attempt: ChatAttempt, slot: int | None) -> None:
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
    drill = drill_for(session, attempt)
    scored = []
    for row in attempt.conversations:
        found = scenario_version(session, row.chat_scenario_version_id)
        scored.append(scoring.score_conversation(found.scenario, transcript(session, row),
                                                 found.rules))
    result = scoring.score_attempt(scored, pass_mark=drill.drill.pass_mark)
    attempt.auto_result = result.to_data()
    attempt.score = result.score
    attempt.fail_reason = result.violations[0].id.value if result.violations else None
    attempt.passed = bool(result.passed)
    session.flush()
    audit.record(session, actor_id=attempt.user_id if by is ChatEndedBy.TRAINEE else None,
                 action="chat.attempt.finish", target_type="chat_attempt", target_id=attempt.id,
                 details={"by": by.value, "score": attempt.score, "passed": attempt.passed},
                 now=now)
    if attempt.passed and drill.track_key and drill.stage_key:
        courses.record_assessment_passed(
            session, user_id=attempt.user_id, track_key=drill.track_key,
            stage_key=drill.stage_key, source=courses.AssessmentSource.CHAT_EXAM,
            reference=f"{drill.title} #{attempt.number}: {attempt.score:g}", now=now)


def transcript(session: Session, row: ChatConversation) -> list[scoring.TranscriptMessage]:
    """A conversation's delivered messages as the scoring reads them, in seq order: a
    customer message at its first delivery to the browser, a reply when it was received."""
    messages = sorted((m for m in row.messages
                       if m.seq is not None and m.sender is not ChatSender.SYSTEM),
                      key=lambda m: m.seq or 0)
    return [scoring.TranscriptMessage(
        seq=m.seq or 0, text=m.text, state=m.state, nudge=m.nudge,
        author=(scoring.Author.TRAINEE if m.sender is ChatSender.TRAINEE
                else scoring.Author.CUSTOMER),
        at=(m.sent_at if m.sender is ChatSender.TRAINEE else m.delivered_at) or m.due_at)
        for m in messages]
