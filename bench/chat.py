"""Simulated-chat exams under load, and scoring time per reply: ratios measured in one run.

One run sets up a throwaway instance (a temporary SQLite database migrated to head, the
tracks of courses/ and the shipped chats of question_banks/chats/ imported, the demo data,
N trainee accounts sharing one precomputed argon2 hash, each with the stages before the
drill's stage passed), serves it with gunicorn on loopback (or werkzeug's threaded
server), and then, like N browsers, signs every trainee in through the log-in form. It
loads the bare endpoint /healthz with N keep-alive clients; then every trainee opens the
`new-hire-chat` drill's start page, starts an attempt (its CSRF token and all) and opens the
console, all within moments (set-up, not measured). Then it measures, with the same N
clients, one per trainee:

1. empty polls: the console's poll (`GET /chat/attempts/<id>/poll?c=..&seen=..`, as htmx
   sends it every 1.5 s) when nothing is new. Once the first customers' opening messages
   are due, every trainee's console polls until it is told "nothing new" (204); from then
   on, until the first nudge or the next customer falls due (the attempts' earliest
   `next_event_at`, read from the database and checked to lie after the measured time),
   every poll with the latest seq is empty. Each one must be a 204 with no body, and
   afterwards no attempt's `last_seq` and no message's delivery may have changed.
2. replies: the console's reply form posted as htmx posts it (`POST
   /chat/attempts/<id>/reply`, `csrf_token`, `c`, `text`, `HX-Request`, `X-CSRFToken`),
   back to back, alternating between the two customers who are there, each walking that
   customer's script to a satisfied ending (REPLY_PLANS) and then saying goodbye. A reply
   is acknowledged by a 200 with the console's fresh poller and the reply in the message
   list. Afterwards, in the database, every acknowledged reply must be stored exactly once,
   in order, in its customer's conversation ("lost replies: 0").
3. scoring: `portal.chat.scoring.score_reply` over the labelled replies of
   question_banks/chats/labelled/replies.jsonl, each timed alone, against one compiled
   regular expression's `re.search` on the same texts; p50 and p95 of both and their ratio.

Absolute numbers depend on the machine; the report gives ratios from the same run, next to
the goals of issue 8. Nothing here asserts on timing.
"""
from __future__ import annotations

import argparse
import http.client
import json
import math
import re
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import unescape
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from markupsafe import escape

from bench.support import (
    FORM,
    READY_TIMEOUT,
    Browser,
    ClientTally,
    Endpoint,
    EndpointResult,
    Instance,
    Ratio,
    ServerOptions,
    Target,
    add_server_arguments,
    csrf_token,
    database,
    divide,
    fmt,
    in_parallel,
    machine,
    measure,
    new_instance,
    percentile,
    problem_lines,
    ratio,
    run_clients,
    serve,
)
from portal.config import PROJECT_ROOT

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from portal.chat.files import ChatContent

DRILL_KEY = "new-hire-chat"
CHATS = PROJECT_ROOT / "question_banks" / "chats"
LABELLED = CHATS / "labelled" / "replies.jsonl"
PASSWORD = "bench-password-2026"  # one argon2 hash, computed once, for every bench trainee
EMPLOYEE_PREFIX = "bench-chat-"
SETUP_WORKERS = 16  # concurrent sign-ins, attempt starts and settling polls (not measured)

DEFAULT_TRAINEES = 100
MAX_TRAINEES = 500
DEFAULT_SECONDS = 10.0
# The drill runs on the server's real clock, so each load must fit in the script's quiet
# spells: the empty polls between the opening messages and the first nudge (about 40 s),
# the replies before the first two customers' farewell windows close (about 30 s after the
# first reply).
MAX_SECONDS = 15.0
DEFAULT_PASSES = 5
QUIET_MARGIN = timedelta(seconds=2)  # the empty polls end at least this long before anything is due
SETTLE_POLLS = 6  # polls a console may need to catch up before it is told "nothing new"

GOALS = {"reply/bare": 0.3, "empty-poll/bare": 0.6}  # issue 8's goals (throughput ratios)

# What a trainee writes to each of the two customers who arrive first (by scenario key):
# good replies that walk the script to a satisfied ending (tests/bench checks it with the
# engine); the last one, a goodbye, is repeated after that while the farewell window lasts.
REPLY_PLANS: dict[str, tuple[str, ...]] = {
    "carrier-promise": (
        "亲，您好~发韵达的话我先帮您问问仓库哈，稍等我一下",
        "亲，问过啦，韵达我们暂时没有合作哦，申通、中通、圆通都能发，您看哪家能送到您那边？",
        "好的亲，已经给您备注发中通，派件前会电话联系您",
        "感谢您的耐心，发货后有物流提醒，有问题随时找我哦~",
    ),
    "presale-bargain": (
        "亲，您好~价格改不了哦，不过您先领满299减20的店铺券，到手279，这周下单还送真空收纳袋",
        "真的不能再少了亲，这款是95白鹅绒，1000克很保暖",
        "16点前付款今天就发货，默认中通包邮哦",
        "感谢您的支持，有问题随时找我哦~",
    ),
}

# The baseline of part 3: one compiled pattern of the kind a matcher holds (a carrier
# promise), searched in the same texts.
BASELINE_PATTERN = re.compile(r"(?:可以|能|给您|帮您)(?:发|走|安排)?(?:韵达|顺丰|申通|中通|圆通|极兔)")
REGEX_REPEAT = 200  # re.search is timed over this many runs per text (the timer costs more)


@dataclass(frozen=True)
class Options:
    trainees: int = DEFAULT_TRAINEES
    seconds: float = DEFAULT_SECONDS  # measured time of each load (bare, empty polls, replies)
    warmup: int = 2  # unmeasured /healthz and polls per trainee (and one reply) first
    passes: int = DEFAULT_PASSES  # timed passes of score_reply over the labelled set
    server: str = "auto"
    workers: int = 2
    threads: int = 4

    def __post_init__(self) -> None:
        if not 1 <= self.trainees <= MAX_TRAINEES:
            raise ValueError(f"trainees must be between 1 and {MAX_TRAINEES}")
        if not 0 < self.seconds <= MAX_SECONDS:
            raise ValueError(f"seconds must be in (0, {MAX_SECONDS:g}]")
        if not 0 <= self.warmup <= 20:
            raise ValueError("warmup must be between 0 and 20")
        if not 1 <= self.passes <= 100:
            raise ValueError("passes must be between 1 and 100")
        ServerOptions(self.server, self.workers, self.threads)  # checks those three

    @property
    def server_options(self) -> ServerOptions:
        return ServerOptions(self.server, self.workers, self.threads)


class Aborted(RuntimeError):
    """The run cannot measure what it claims (said before measuring it)."""


# -- trainees -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    slot: int
    text: str
    acked: bool


@dataclass
class Trainee:
    employee_no: str
    user_id: int
    browser: Browser
    csrf: str = ""
    attempt_id: int = 0
    poll_path: str = ""  # the console's poller URL (carries the latest seq the browser saw)
    sent: list[Sent] = field(default_factory=list)  # every reply posted, in order
    plan_step: dict[int, int] = field(default_factory=dict)  # slot -> replies sent there
    ended: set[int] = field(default_factory=set)  # slots the console shows ended (classroom)

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Cookie": self.browser.cookie, "X-CSRFToken": self.csrf, "HX-Request": "true",
                "HX-Current-URL": f"http://{self.browser.target.host}:"
                                  f"{self.browser.target.port}/chat/attempts/{self.attempt_id}",
                **extra}

    @property
    def seen(self) -> int:
        found = SEEN_PARAM.search(self.poll_path)
        return int(found.group(1)) if found else -1


ATTEMPT_URL = re.compile(r"/chat/attempts/(\d+)$")
POLLER = re.compile(rb'<div id="chat-poller" hx-get="([^"]+)"')
SEEN_PARAM = re.compile(r"[?&]seen=(\d+)")


def poller_path(body: bytes) -> str | None:
    """The console's poller URL in a page or fragment (the latest seq is in it)."""
    found = POLLER.search(body)
    return unescape(found.group(1).decode()) if found else None


def _sign_in(trainee: Trainee) -> None:
    """As a browser would: log in through the form."""
    trainee.browser.sign_in(trainee.employee_no, PASSWORD)


def _start(trainee: Trainee) -> None:
    """As a browser would: open the drill's start page, start an attempt, open the console."""
    status, body = trainee.browser.get(f"/chat/drills/{DRILL_KEY}")
    token = csrf_token(body)
    if status != 200 or token is None:
        raise RuntimeError(f"{trainee.employee_no}: the drill's start page answered {status}")
    trainee.csrf = token
    status, location, _ = trainee.browser.post_form(f"/chat/drills/{DRILL_KEY}/attempts",
                                                    {"csrf_token": token})
    found = ATTEMPT_URL.search(location)
    if status != 303 or found is None:
        raise RuntimeError(f"{trainee.employee_no}: starting an attempt answered {status} "
                           f"{location!r}")
    trainee.attempt_id = int(found.group(1))
    status, body = trainee.browser.get(f"/chat/attempts/{trainee.attempt_id}")
    path = poller_path(body)
    if status != 200 or path is None:
        raise RuntimeError(f"{trainee.employee_no}: the console answered {status}")
    trainee.poll_path = path


def _poll_headers(trainee: Trainee) -> dict[str, str]:
    return trainee.headers(**{"HX-Target": "chat-poller", "HX-Trigger": "chat-poller"})


def _settle(trainee: Trainee) -> None:
    """Poll as the console does until the server says nothing is new (204); each answer
    with news carries a fresh poller with the latest seq."""
    for _ in range(SETTLE_POLLS):
        conn = trainee.browser.target.connect()
        try:
            conn.request("GET", trainee.poll_path, headers=_poll_headers(trainee))
            response = conn.getresponse()
            body = response.read()
        finally:
            conn.close()
        if response.status == 204:
            return
        path = poller_path(body)
        if response.status != 200 or path is None:
            raise RuntimeError(f"{trainee.employee_no}: a poll answered {response.status}")
        trainee.poll_path = path
    raise RuntimeError(f"{trainee.employee_no}: still news after {SETTLE_POLLS} polls")


# -- load: empty polls ---------------------------------------------------------------------


EMPTY_POLL = Endpoint("empty-poll", "GET /chat/attempts/<id>/poll (204)", b"")
REPLY = Endpoint("reply", "POST /chat/attempts/<id>/reply", b'id="chat-poller"')
BARE = Endpoint("bare", "/healthz", b"ok")


def _connect(target: Target) -> http.client.HTTPConnection:
    conn = target.connect()
    try:
        conn.connect()  # the handshake is not part of the measured time
    except OSError:
        pass  # the first request will say what is wrong
    return conn


def _poll_client(target: Target, trainee: Trainee, barrier: threading.Barrier, seconds: float,
                 limit: int | None, tally: ClientTally) -> None:
    """One console's poller, back to back on one keep-alive connection, always with the
    latest seq: every answer must be "nothing new"."""
    conn = _connect(target)
    headers = _poll_headers(trainee)
    barrier.wait()
    deadline = time.perf_counter() + seconds
    sent = 0
    try:
        while time.perf_counter() < deadline and (limit is None or sent < limit):
            sent += 1
            began = time.perf_counter()
            try:
                conn.request("GET", trainee.poll_path, headers=headers)
                response = conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as exc:
                tally.errors[type(exc).__name__] += 1
                conn.close()
                conn = target.connect()
                continue
            took = time.perf_counter() - began
            if response.status == 200:
                tally.errors["not empty (HTTP 200 with news)"] += 1
            elif response.status != 204:
                tally.errors[f"HTTP {response.status}"] += 1
            elif body:
                tally.errors["204 with a body"] += 1
            else:
                tally.latencies.append(took)
            if response.will_close:
                conn.close()
                conn = target.connect()
    finally:
        tally.finished = time.perf_counter()
        conn.close()


def _result(endpoint: Endpoint, tallies: Sequence[ClientTally], began: float) -> EndpointResult:
    errors: Counter[str] = Counter()
    latencies: list[float] = []
    for tally in tallies:
        errors.update(tally.errors)
        latencies.extend(tally.latencies)
    elapsed = max((t.finished for t in tallies), default=began) - began
    return EndpointResult(endpoint, len(latencies), errors, max(elapsed, 0.0), latencies)


def empty_polls(target: Target, trainees: Sequence[Trainee], *, seconds: float,
                per_trainee: int | None = None) -> EndpointResult:
    tallies = [ClientTally() for _ in trainees]
    began, _ = run_clients(
        [lambda barrier, t=t, tally=tally: _poll_client(target, t, barrier, seconds,
                                                        per_trainee, tally)
         for t, tally in zip(trainees, tallies, strict=True)], seconds=seconds)
    return _result(EMPTY_POLL, tallies, began)


# -- load: replies ---------------------------------------------------------------------------


def next_reply(trainee: Trainee, plans: dict[int, tuple[str, ...]]) -> tuple[int, str]:
    """The next reply: the customers take turns; each gets its plan, then its last line."""
    slots = sorted(plans)
    slot = slots[len(trainee.sent) % len(slots)]
    step = trainee.plan_step.get(slot, 0)
    trainee.plan_step[slot] = step + 1
    plan = plans[slot]
    return slot, plan[min(step, len(plan) - 1)]


def _reply_client(target: Target, trainee: Trainee, plans: dict[int, tuple[str, ...]],
                  barrier: threading.Barrier, seconds: float, limit: int | None,
                  tally: ClientTally) -> None:
    """One trainee typing fast: reply after reply on one keep-alive connection."""
    conn = _connect(target)
    headers = trainee.headers(**{"Content-Type": FORM, "HX-Target": "chat-poller",
                                 "HX-Trigger": "chat-reply"})
    barrier.wait()
    deadline = time.perf_counter() + seconds
    sent = 0
    try:
        while time.perf_counter() < deadline and (limit is None or sent < limit):
            sent += 1
            slot, text = next_reply(trainee, plans)
            body = urlencode({"csrf_token": trainee.csrf, "c": str(slot), "text": text}).encode()
            began = time.perf_counter()
            try:
                conn.request("POST", f"/chat/attempts/{trainee.attempt_id}/reply", body=body,
                             headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as exc:
                trainee.sent.append(Sent(slot, text, acked=False))
                tally.errors[type(exc).__name__] += 1
                conn.close()
                conn = target.connect()
                continue
            took = time.perf_counter() - began
            shown = f'<p class="msg__text">{escape(text)}</p>'.encode()
            acked = False
            if response.status != 200:
                tally.errors[f"HTTP {response.status}"] += 1
            elif response.getheader("HX-Redirect"):
                tally.errors["the attempt ended (HX-Redirect)"] += 1
            elif REPLY.expected not in data or shown not in data:
                tally.errors["200 without the reply in the console"] += 1
            else:
                acked = True
                tally.latencies.append(took)
                path = poller_path(data)
                if path is not None:
                    trainee.poll_path = path
            trainee.sent.append(Sent(slot, text, acked=acked))
            if response.will_close:
                conn.close()
                conn = target.connect()
    finally:
        tally.finished = time.perf_counter()
        conn.close()


def replies(target: Target, trainees: Sequence[Trainee], plans: dict[int, tuple[str, ...]], *,
            seconds: float, per_trainee: int | None = None) -> EndpointResult:
    tallies = [ClientTally() for _ in trainees]
    began, _ = run_clients(
        [lambda barrier, t=t, tally=tally: _reply_client(target, t, plans, barrier, seconds,
                                                         per_trainee, tally)
         for t, tally in zip(trainees, tallies, strict=True)], seconds=seconds)
    return _result(REPLY, tallies, began)


# -- checks in the database ---------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """What a poll could have changed: per attempt, its last seq and delivered messages."""

    last_seq: dict[int, int]
    delivered: dict[int, int]
    messages: int
    next_event_at: datetime | None  # the earliest over the attempts


def snapshot(sessions: sessionmaker[Session], attempt_ids: Sequence[int]) -> Snapshot:
    import sqlalchemy as sa

    from portal.chat.models import ChatAttempt, ChatMessage

    with sessions() as session:
        rows = session.execute(sa.select(ChatAttempt.id, ChatAttempt.last_seq,
                                         ChatAttempt.next_event_at)
                               .where(ChatAttempt.id.in_(attempt_ids))).all()
        delivered = dict(session.execute(
            sa.select(ChatMessage.chat_attempt_id, sa.func.count())
            .where(ChatMessage.chat_attempt_id.in_(attempt_ids),
                   ChatMessage.delivered_at.is_not(None))
            .group_by(ChatMessage.chat_attempt_id)).all())
        messages = session.scalar(sa.select(sa.func.count()).select_from(ChatMessage)
                                  .where(ChatMessage.chat_attempt_id.in_(attempt_ids)))
        session.rollback()
    moments = [r.next_event_at for r in rows if r.next_event_at is not None]
    return Snapshot({r.id: r.last_seq for r in rows},
                    {i: int(delivered.get(i, 0)) for i in attempt_ids}, int(messages or 0),
                    min(moments) if len(moments) == len(attempt_ids) else None)


@dataclass(frozen=True)
class PollCheck:
    attempts: int
    quiet_until: datetime  # nothing fell due before then (the earliest next_event_at)
    ended_at: datetime  # the empty polls' last answer (server clock)
    changed: list[str]  # attempts whose seq, deliveries or messages changed

    @property
    def ok(self) -> bool:
        return not self.changed and self.ended_at < self.quiet_until


def compare_snapshots(before: Snapshot, after: Snapshot) -> list[str]:
    changed = [f"attempt {i}: last seq {before.last_seq[i]} -> {after.last_seq.get(i)}"
               for i in sorted(before.last_seq) if after.last_seq.get(i) != before.last_seq[i]]
    changed += [f"attempt {i}: delivered messages {before.delivered[i]} -> {after.delivered[i]}"
                for i in sorted(before.delivered) if after.delivered[i] != before.delivered[i]]
    if after.messages != before.messages:
        changed.append(f"messages {before.messages} -> {after.messages}")
    return changed


@dataclass(frozen=True)
class ReplyCheck:
    posted: int  # replies posted (warm-up included)
    acknowledged: int
    stored: int  # trainee messages in the database
    lost: list[str]  # acknowledged, not stored
    duplicated: list[str]  # stored more often than posted
    out_of_order: list[str]  # stored, but not in the order they were acknowledged

    @property
    def ok(self) -> bool:
        return not self.lost and not self.duplicated and not self.out_of_order


def compare_replies(sent: dict[int, list[Sent]],
                    stored: dict[int, list[tuple[int, str]]]) -> ReplyCheck:
    """Each attempt's posted replies (in order) against its stored trainee messages
    ((slot, text) in seq order): every acknowledged reply exactly once, in order. A reply
    whose answer was lost may be stored or not; anything else stored is a duplicate."""
    lost: list[str] = []
    duplicated: list[str] = []
    out_of_order: list[str] = []
    for attempt_id in sorted(sent):
        posted = sent[attempt_id]
        rows = stored.get(attempt_id, [])
        want = Counter((s.slot, s.text) for s in posted if s.acked)
        may = Counter((s.slot, s.text) for s in posted)
        have = Counter(rows)
        for key, n in sorted(want.items()):
            if have[key] < n:
                lost.append(f"attempt {attempt_id} customer {key[0]}: {n} acknowledged "
                            f"{key[1]!r}, {have[key]} stored")
        for key, n in sorted(have.items()):
            if n > may[key]:
                duplicated.append(f"attempt {attempt_id} customer {key[0]}: {key[1]!r} posted "
                                  f"{may[key]} times, stored {n}")
        in_order = rows == [(s.slot, s.text) for s in posted]
        if all(s.acked for s in posted) and not in_order and not lost and not duplicated:
            out_of_order.append(f"attempt {attempt_id}: stored in another order")
    return ReplyCheck(sum(len(v) for v in sent.values()),
                      sum(1 for v in sent.values() for s in v if s.acked),
                      sum(len(v) for v in stored.values()), lost, duplicated, out_of_order)


def check_replies(sessions: sessionmaker[Session], trainees: Sequence[Trainee]) -> ReplyCheck:
    import sqlalchemy as sa

    from portal.chat.models import ChatConversation, ChatMessage, ChatSender

    ids = [t.attempt_id for t in trainees]
    stored: dict[int, list[tuple[int, str]]] = {i: [] for i in ids}
    with sessions() as session:
        for attempt_id, slot, text in session.execute(
                sa.select(ChatMessage.chat_attempt_id, ChatConversation.slot, ChatMessage.text)
                .join(ChatConversation, ChatConversation.id == ChatMessage.chat_conversation_id)
                .where(ChatMessage.chat_attempt_id.in_(ids),
                       ChatMessage.sender == ChatSender.TRAINEE)
                .order_by(ChatMessage.chat_attempt_id, ChatMessage.seq)):
            stored[attempt_id].append((slot, text))
        session.rollback()
    return compare_replies({t.attempt_id: t.sent for t in trainees}, stored)


# -- the instance -------------------------------------------------------------------------


def load_chats() -> ChatContent:
    from portal.chat.files import load_folder

    content = load_folder(CHATS)
    if content.problems:
        raise RuntimeError("question_banks/chats/ has problems: "
                           + "; ".join(map(str, content.problems[:5])))
    return content


def reply_plans(content: ChatContent) -> dict[int, tuple[str, ...]]:
    """The drill's slots that get replies: slot -> what the trainee writes there."""
    drill = content.drill(DRILL_KEY)
    if drill is None:
        raise RuntimeError(f"question_banks/chats/ has no drill {DRILL_KEY}")
    plans = {slot: REPLY_PLANS[c.scenario] for slot, c in enumerate(drill.customers)
             if c.scenario in REPLY_PLANS}
    if not plans:
        raise RuntimeError(f"drill {DRILL_KEY} has none of the customers of REPLY_PLANS")
    return plans


def prepare_instance(folder: Path, trainees: int,
                     database_url: str | None = None) -> tuple[Instance, list[tuple[str, int]]]:
    """Database at head, courses and chats imported, demo data, `trainees` trainee accounts
    in the demo cohort with every stage before the drill's stage passed."""
    import sqlalchemy as sa

    from portal.auth.models import Cohort, Role, User
    from portal.auth.passwords import hash_password
    from portal.chat.services import imports as chat_imports
    from portal.content.loader import load_content
    from portal.courses import services as courses
    from portal.courses.rules import stage_assessments
    from portal.db import utcnow
    from portal.demo import DEMO_COHORT, load_demo_data

    instance = new_instance(folder, database_url)
    tracks = load_content(PROJECT_ROOT / "courses")
    if tracks.problems:
        raise RuntimeError("courses/ has problems: " + "; ".join(map(str, tracks.problems[:5])))
    chats = load_chats()
    drill = chats.drill(DRILL_KEY)
    assert drill is not None
    password_hash = hash_password(PASSWORD)  # once: argon2 is slow on purpose
    now = utcnow()
    with database(instance) as sessions, sessions() as session:
        courses.import_content(session, content=tracks, actor_id=None, now=now)
        chat_imports.apply_import(session, scenarios=chats.scenarios, drills=chats.drills,
                                  rules=chats.rules, actor_id=None, now=now)
        load_demo_data(session, now=now)
        cohort = session.scalar(sa.select(Cohort).where(Cohort.name == DEMO_COHORT))
        if cohort is None or cohort.track_key != drill.track:
            raise RuntimeError(f"the demo cohort is not on the drill's track {drill.track}")
        stages = courses.get_track(session, drill.track).current_version.stages  # type: ignore[union-attr]
        keys = [s.key for s in stages]
        earlier = stages[:keys.index(drill.stage)] if drill.stage in keys else []
        users = [User(employee_no=f"{EMPLOYEE_PREFIX}{i:04d}", display_name=f"压测学员 {i}",
                      role=Role.TRAINEE, password_hash=password_hash, cohort_id=cohort.id,
                      hire_date=cohort.start_date, must_change_password=False,
                      created_at=now, updated_at=now)
                 for i in range(1, trainees + 1)]
        session.add_all(users)
        session.flush()
        for user in users:  # as if the earlier stages' exams and checklist had been passed
            for stage in earlier:
                for assessment in stage_assessments(stage):
                    courses.record_assessment_passed(
                        session, user_id=user.id, track_key=drill.track, stage_key=stage.key,
                        source=assessment.source, reference="压测预置", now=now)
        session.commit()
        accounts = [(u.employee_no, u.id) for u in users]
    return instance, accounts


def opening_due(sessions: sessionmaker[Session], attempt_ids: Sequence[int],
                slots: Sequence[int]) -> datetime | None:
    """When the last message now scheduled for the customers at `slots` falls due."""
    import sqlalchemy as sa

    from portal.chat.models import ChatConversation, ChatMessage

    with sessions() as session:
        due = session.scalar(
            sa.select(sa.func.max(ChatMessage.due_at))
            .join(ChatConversation, ChatConversation.id == ChatMessage.chat_conversation_id)
            .where(ChatMessage.chat_attempt_id.in_(attempt_ids),
                   ChatConversation.slot.in_(slots), ChatMessage.delivered_at.is_(None)))
        arrives = session.scalar(
            sa.select(sa.func.max(ChatConversation.arrives_at))
            .where(ChatConversation.chat_attempt_id.in_(attempt_ids),
                   ChatConversation.slot.in_(slots)))
        session.rollback()
    moments = [m for m in (due, arrives) if m is not None]
    return max(moments) if moments else None


def _wait_until(moment: datetime | None) -> None:
    from portal.db import utcnow

    if moment is None:
        return
    left = (moment - utcnow()).total_seconds()
    if left > 120:
        raise Aborted(f"the first customers' messages are due only in {left:.0f} s")
    if left > 0:
        time.sleep(left + 0.2)


# -- part 3: scoring time per reply -------------------------------------------------------


@dataclass(frozen=True)
class ScoringResult:
    replies: int
    passes: int
    score_times: Sequence[float] = field(repr=False)  # seconds per reply, every timed pass
    regex_times: Sequence[float] = field(repr=False)
    critical: int  # replies with a critical violation (one pass)
    matched: int  # texts the baseline pattern matches

    @property
    def p50(self) -> tuple[float, float]:
        return percentile(self.score_times, 50), percentile(self.regex_times, 50)

    @property
    def p95(self) -> tuple[float, float]:
        return percentile(self.score_times, 95), percentile(self.regex_times, 95)


def labelled_replies() -> list[tuple[str, str, str]]:
    """(scenario, state, reply) of every labelled reply."""
    rows = []
    for line in LABELLED.read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            rows.append((data["scenario"], data["state"], data["reply"]))
    return rows


def scoring_bench(passes: int) -> ScoringResult:
    """score_reply on each labelled reply, one timed call each, `passes` times after an
    untimed pass (which loads the segmenter's dictionary and compiles the patterns); the
    baseline's re.search timed over REGEX_REPEAT runs per text."""
    from portal.chat.scoring import score_reply

    content = load_chats()
    scenarios = {s.key: s for s in content.scenarios}
    rows = labelled_replies()
    cases = [(scenarios[key], state, text) for key, state, text in rows]
    critical = sum(1 for s, state, text in cases
                   if score_reply(s, state, text, content.rules).critical)  # the untimed pass
    score_times: list[float] = []
    regex_times: list[float] = []
    clock = time.perf_counter
    search = BASELINE_PATTERN.search
    for _ in range(passes):
        for scenario, state, text in cases:
            began = clock()
            score_reply(scenario, state, text, content.rules)
            score_times.append(clock() - began)
        for _, _, text in cases:
            began = clock()
            for _ in range(REGEX_REPEAT):
                search(text)
            regex_times.append((clock() - began) / REGEX_REPEAT)
    matched = sum(1 for _, _, text in cases if search(text))
    return ScoringResult(len(cases), passes, score_times, regex_times, critical, matched)


# -- the whole run ------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    options: Options
    server: str
    sign_in_seconds: float  # signing every trainee in (set-up)
    start_seconds: float  # starting every attempt and opening its console (set-up)
    customers: int  # customers with a reply plan (the ones there during the loads)
    bare: EndpointResult
    polls: EndpointResult
    poll_check: PollCheck
    reply: EndpointResult
    reply_check: ReplyCheck
    scoring: ScoringResult
    server_exceptions: Counter[str] = field(default_factory=Counter)

    @property
    def results(self) -> list[EndpointResult]:
        return [self.bare, self.polls, self.reply]

    @property
    def ratios(self) -> list[Ratio]:
        return [ratio(self.reply, self.bare), ratio(self.polls, self.bare)]

    @property
    def error_count(self) -> int:
        return sum(r.error_count for r in self.results)

    @property
    def failed(self) -> bool:
        return bool(self.error_count) or not self.poll_check.ok or not self.reply_check.ok


def run(options: Options) -> Report:
    """Set up, serve, sign in; /healthz; start every attempt; empty polls, replies; then
    scoring (after the server has stopped)."""
    from portal.db import utcnow

    plans = reply_plans(load_chats())
    n = options.trainees
    with tempfile.TemporaryDirectory(prefix="portal-bench-chat-") as tmp:
        instance, accounts = prepare_instance(Path(tmp), n)
        budget = max(READY_TIMEOUT, 5.0 * n)  # set-up tasks: generous but bounded
        with serve(instance, options.server_options) as server, database(instance) as sessions:
            target = server.target
            trainees = [Trainee(no, uid, Browser(target)) for no, uid in accounts]
            began = time.perf_counter()
            in_parallel(_sign_in, trainees, workers=SETUP_WORKERS, timeout=budget)
            sign_in_seconds = time.perf_counter() - began

            if options.warmup:
                measure(target, BARE, cookie="", concurrency=n, seconds=MAX_SECONDS,
                        max_requests=options.warmup * n)
            bare = measure(target, BARE, cookie="", concurrency=n, seconds=options.seconds)

            # All attempts start within moments of each other, so that their quiet spells
            # (after the first customers' opening messages) overlap.
            began = time.perf_counter()
            in_parallel(_start, trainees, workers=SETUP_WORKERS, timeout=budget)
            start_seconds = time.perf_counter() - began
            ids = [t.attempt_id for t in trainees]

            # Every console catches up once the opening messages are due; then, until the
            # first nudge or customer, nothing is new.
            _wait_until(opening_due(sessions, ids, sorted(plans)))
            in_parallel(_settle, trainees, workers=SETUP_WORKERS, timeout=budget)
            if options.warmup:
                empty_polls(target, trainees, seconds=MAX_SECONDS, per_trainee=options.warmup)
            before = snapshot(sessions, ids)
            quiet_until = before.next_event_at
            if quiet_until is None:
                raise Aborted("an attempt has nothing planned (no next_event_at)")
            room = (quiet_until - QUIET_MARGIN - utcnow()).total_seconds()
            if room < options.seconds:
                raise Aborted(f"the next scripted event is due in {room:.1f} s (less a "
                              f"{QUIET_MARGIN.total_seconds():g} s margin), too soon for "
                              f"{options.seconds:g} s of empty polls; the set-up was slow: "
                              f"use fewer --trainees or less --seconds")
            polls = empty_polls(target, trainees, seconds=options.seconds)
            polls_ended = utcnow()
            poll_check = PollCheck(len(ids), quiet_until, polls_ended,
                                   compare_snapshots(before, snapshot(sessions, ids)))

            if options.warmup:  # one reply each: the reply path's first hits in every worker
                replies(target, trainees, plans, seconds=MAX_SECONDS, per_trainee=1)
            reply = replies(target, trainees, plans, seconds=options.seconds)
            reply_check = check_replies(sessions, trainees)
        server_exceptions = server.exceptions()  # the server has stopped: its log is complete
    scoring = scoring_bench(options.passes)
    return Report(options, server.description, sign_in_seconds, start_seconds, len(plans), bare,
                  polls,
                  poll_check, reply, reply_check, scoring, server_exceptions)


# -- output -------------------------------------------------------------------------------


def _row(r: EndpointResult) -> str:
    slowest = max(r.latencies, default=math.nan)
    return (f"{r.endpoint.name:<10} {r.endpoint.path:<38} {r.ok:>7} {r.error_count:>6} "
            f"{fmt(r.throughput, '.1f'):>8} {fmt(r.p50 * 1000, '.1f'):>8} "
            f"{fmt(r.p95 * 1000, '.1f'):>8} {fmt(slowest * 1000, '.1f'):>8}")


def _ratio_line(r: Ratio) -> str:
    goal = GOALS.get(r.name)
    verdict = ""
    if goal is not None:
        met = not math.isnan(r.throughput) and r.throughput >= goal
        verdict = f"    goal >= {goal:.1f}x: {'met' if met else 'NOT met'}"
    return (f"  {r.name:<16} throughput {fmt(r.throughput, '.2f'):>6}"
            f"    p95 latency {fmt(r.p95, '.2f'):>6}x{verdict}")


def _us(seconds: float) -> str:
    return f"{fmt(seconds * 1e6, '.1f')} µs"


def format_report(report: Report) -> str:
    from portal.db import SQLITE_BUSY_TIMEOUT_MS

    o = report.options
    n = o.trainees
    header = (f"{'endpoint':<10} {'path':<38} {'ok':>7} {'errors':>6} {'req/s':>8} "
              f"{'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    lines = [
        "Simulated-chat exams under load, and scoring time per reply (python -m bench chat)",
        f"server:  {report.server} on loopback, keep-alive 5 s, timeout 60 s",
        (f"         SQLite in WAL mode, synchronous=NORMAL, busy_timeout "
         f"{SQLITE_BUSY_TIMEOUT_MS / 1000:g} s, writing requests BEGIN IMMEDIATE"),
        (f"data:    courses/ and question_banks/chats/ imported, demo data + {n} trainees "
         f"(one shared argon2 hash), each with an attempt of the drill {DRILL_KEY}"),
        (f"clients: {n} trainees, each on its own keep-alive connection (threads in one "
         f"process), {o.seconds:g} s per load"),
        f"machine: {machine()}",
        (f"set-up:  {n} sign-ins through the log-in form in {report.sign_in_seconds:.2f} s; "
         f"{n} attempts started and consoles opened over HTTP in "
         f"{report.start_seconds:.2f} s"),
        "",
        (f"1-2. empty polls and replies by {n} trainees at once (htmx requests, as the "
         f"console sends them) vs /healthz"),
        header, _row(report.bare), _row(report.polls), _row(report.reply),
        ("ratios to the bare endpoint, same run (issue 8's goals: reply >= 0.3x, empty poll "
         ">= 0.6x the bare throughput; not asserted):"),
        *(_ratio_line(r) for r in report.ratios),
    ]
    pc = report.poll_check
    margin = (pc.quiet_until - pc.ended_at).total_seconds()
    lines.append(
        f"  empty polls: every measured poll sent the latest seq and got 204 without a body; "
        f"nothing was due until {pc.quiet_until:%H:%M:%S} UTC, {margin:.1f} s after the last "
        f"poll; in the database, {pc.attempts} attempts: "
        + ("last seq, deliveries and messages unchanged" if not pc.changed
           else f"CHANGED: {len(pc.changed)}"))
    lines += [f"  CHANGED: {c}" for c in pc.changed[:10]]
    rc = report.reply_check
    lines.append(
        f"  replies to {report.customers} customers each: {rc.posted} posted (warm-up "
        f"included), {rc.acknowledged} acknowledged, {rc.stored} stored; "
        f"duplicated: {len(rc.duplicated)}, out of order: {len(rc.out_of_order)}")
    lines.append(f"  lost replies: {len(rc.lost)}")
    lines += [f"  LOST: {p}" for p in rc.lost[:10]]
    lines += [f"  DUPLICATED: {p}" for p in rc.duplicated[:10]]
    lines += [f"  OUT OF ORDER: {p}" for p in rc.out_of_order[:10]]
    sc = report.scoring
    (score50, regex50), (score95, regex95) = sc.p50, sc.p95
    lines += [
        "",
        (f"3. scoring time per reply: portal.chat.scoring.score_reply on the {sc.replies} "
         f"labelled replies ({sc.passes} timed passes, after an untimed one) vs re.search of "
         f"one compiled pattern on the same texts"),
        (f"  score_reply   p50 {_us(score50):>12}   p95 {_us(score95):>12}   "
         f"({sc.critical} replies with a critical violation)"),
        (f"  re.search     p50 {_us(regex50):>12}   p95 {_us(regex95):>12}   "
         f"(mean of {REGEX_REPEAT} runs per text; the pattern matches {sc.matched} texts)"),
        (f"  score_reply/re.search   p50 {fmt(divide(score50, regex50), '.0f')}x   "
         f"p95 {fmt(divide(score95, regex95), '.0f')}x"),
    ]
    lines += problem_lines(report.results, report.server_exceptions)
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench chat",
        description="Empty polls and replies of the chat console under load, against a bare "
                    "endpoint, and score_reply's time per reply against a plain regex search.")
    parser.add_argument("--trainees", type=int, default=DEFAULT_TRAINEES,
                        help=f"simulated trainees, one client and one attempt each (default "
                             f"{DEFAULT_TRAINEES}, at most {MAX_TRAINEES})")
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS,
                        help=f"measured time of each load: bare, empty polls, replies (default "
                             f"{DEFAULT_SECONDS:g}, at most {MAX_SECONDS:g}: the drill's quiet "
                             f"spells bound it)")
    parser.add_argument("--warmup", type=int, default=2,
                        help="unmeasured /healthz requests and polls per trainee, and one reply "
                             "each, before measuring (default 2; 0: none)")
    parser.add_argument("--passes", type=int, default=DEFAULT_PASSES,
                        help=f"timed passes of score_reply over the labelled replies (default "
                             f"{DEFAULT_PASSES})")
    add_server_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return Options(trainees=args.trainees, seconds=args.seconds, warmup=args.warmup,
                       passes=args.passes, server=args.server, workers=args.workers,
                       threads=args.threads)
    except ValueError as exc:
        parser.error(str(exc))
        raise  # unreachable: parser.error exits


def main(argv: Sequence[str] | None = None) -> int:
    """Run and print; the exit status is 1 on any error response, lost reply or failed check."""
    options = parse_args(argv)
    try:
        report = run(options)
    except Aborted as exc:
        print(f"python -m bench chat: not measured: {exc}")
        return 1
    print(format_report(report))
    return 1 if report.failed else 0
