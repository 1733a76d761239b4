"""Written exams under load, and importing a big bank: ratios measured in one run.

One run sets up a throwaway instance (a temporary SQLite database migrated to head, the
demo data, N trainee accounts sharing one precomputed argon2 hash, a small bank of every
auto-graded kind and an exam of it imported through `services.apply_import`), serves it with
gunicorn on loopback (or werkzeug's threaded server), signs every trainee in through the
log-in form and starts one attempt each over HTTP, then measures:

1. autosave: N keep-alive clients, one per trainee, each saving answers to its own attempt
   with rising revisions (the htmx request the attempt page sends), against the bare
   endpoint /healthz loaded by the same N clients. Every acknowledged save (a 200 with the
   receipt) is then looked up in the database: the stored revision must be at least the
   highest acknowledged one, and when equal the stored answer must be the acknowledged one.
2. submissions at a deadline: all N attempts submitted at once (a barrier), against N
   simultaneous /healthz requests; each attempt must be submitted exactly once (one audit
   record) with the score its saved answers earn; submitting again must change nothing.
   Then the other path: N more attempts whose deadline has passed, submitted by
   `services.sweep_expired` (what the CLI sweep runs), timed and checked the same way.
3. import: a generated bank of 10,000 questions of every kind (in files of 500, the
   format's limit per file) through `bank.load_bank` + `services.apply_import`, against a
   plain executemany insert of the same rows into question/question_version; both
   databases must end up with the same rows.

Absolute numbers depend on the machine; the report gives ratios from the same run.
Nothing here asserts on timing.
"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import math
import re
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlencode

import yaml

from bench.databases import DatabaseOptions, add_arguments, bench_database, options_from
from bench.support import (
    FORM,
    MAX_SECONDS,
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
    combine,
    csrf_token,
    database,
    divide,
    fmt,
    in_parallel,
    machine,
    measure,
    new_instance,
    problem_lines,
    ratio,
    run_clients,
    serve,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

EXAM_KEY = "bench-exam"
BANK_KEY = "bench-bank"
PASSWORD = "bench-password-2026"  # one argon2 hash, computed once, for every bench trainee
EMPLOYEE_PREFIX = "bench-"
SETUP_WORKERS = 16  # concurrent sign-ins and attempt starts (set-up, not measured)

DEFAULT_TRAINEES = 200
MAX_TRAINEES = 1000
DEFAULT_SECONDS = 10.0
DEFAULT_QUESTIONS = 10_000
MAX_QUESTIONS = 50_000
ONLY = ("all", "import")

# A small bank: every kind a trainee answers and the machine grades (short answers would
# leave the score waiting for a trainer). The exam asks them all, in this order.
BANK = """
key: bench-bank
title: 压测题库
questions:
  - id: aov
    kind: single-choice
    prompt: 客单价怎么算？
    points: 10
    difficulty: easy
    tags: [topic:kpi]
    explanation: 客单价 = 销售额 ÷ 订单数。
    choices:
      - {text: 销售额除以订单数, correct: true}
      - {text: 订单数除以销售额}
      - {text: 销售额除以访客数}
  - id: security
    kind: multiple-choice
    prompt: 哪些是信息安全要求？
    points: 10
    tags: [topic:security]
    scoring: proportional
    explanation: 一人一号，不共享密码，不外传客户信息。
    choices:
      - {text: 一人一号, correct: true}
      - {text: 不共享密码, correct: true}
      - {text: 把客户信息发到公共群}
      - {text: 下班后把账号借给同事}
  - id: response-time
    kind: true-false
    prompt: 首次响应超过 100 秒算差。
    points: 10
    tags: [topic:kpi]
    answer: true
    explanation: 100 秒以上为差。
  - id: return-window
    kind: fill-in
    prompt: 签收后 [[1]] 天内可以申请七天无理由退货。
    points: 10
    tags: [topic:after-sales]
    blanks:
      - [七, 7]
    explanation: 七天。
  - id: aov-number
    kind: numeric
    prompt: 销售额 30000 元、100 单，客单价多少元？
    points: 10
    difficulty: hard
    tags: [topic:kpi]
    value: 300
    tolerance: 0
    unit: 元
    explanation: 30000 ÷ 100 = 300。
  - id: groups
    kind: matching
    prompt: 把工作群和它的用途对应起来。
    points: 10
    tags: [topic:team]
    pairs:
      - {left: 客服群, right: 接收排班和活动通知}
      - {left: 物流群, right: 跟进异常件和催件}
      - {left: 仓库群, right: 核对库存和漏发补发}
    explanation: 每个群各有用途。
  - id: address-note
    kind: operation-task
    prompt: 买家改了地址，写订单备注。
    tags: [topic:orders]
    explanation: 备注要有事由、工号、时间。
    form:
      - {name: reason, label: 变动事由, type: text, points: 4,
         check: {rule: contains-all, values: [地址]}}
      - {name: staff_id, label: 工号, type: text, points: 3,
         check: {rule: regex, pattern: "KF\\\\d{4}"}}
      - {name: decision, label: 处理方式, type: select, points: 3,
         options: [改地址后发货, 拦截退回, 联系买家核实],
         check: {rule: exact, value: 改地址后发货}}
  - id: missing-item
    kind: case
    scenario: 买家收到的鞋少了一只，要求差评。
    tags: [topic:after-sales]
    questions:
      - id: q1
        kind: single-choice
        prompt: 先做什么？
        points: 5
        choices:
          - {text: 安抚并核实包裹重量, correct: true}
          - {text: 直接拒绝}
      - id: q2
        kind: fill-in
        prompt: 核实后可以补发或退一件的 [[1]]。
        points: 5
        blanks:
          - [钱, 货款]
"""

EXAM = """
key: bench-exam
title: 压测考试
pass_mark: 60
time_limit_minutes: 60
attempts: 2
counts: highest
wait_minutes: 0
shuffle_questions: false
shuffle_options: false
layout: all-on-one-page
review: {when: after-submit, show: [score, responses, correct, explanations]}
questions:
  fixed: [bench-bank/aov, bench-bank/security, bench-bank/response-time, bench-bank/return-window,
          bench-bank/aov-number, bench-bank/groups, bench-bank/address-note, bench-bank/missing-item]
"""


@dataclass(frozen=True)
class Options:
    trainees: int = DEFAULT_TRAINEES
    seconds: float = DEFAULT_SECONDS  # measured time of each load (bare, autosave)
    rounds: int = 1  # bare, autosave, again: the time is split evenly between rounds
    warmup: int = 2  # unmeasured saves per trainee (and /healthz requests) before measuring
    questions: int = DEFAULT_QUESTIONS  # the import benchmark's bank size (0: skip it)
    server: str = "auto"
    workers: int = 2
    threads: int = 4
    database: DatabaseOptions = field(default_factory=DatabaseOptions)
    only: str = "all"  # "import": part 3 alone (no server, no trainees)

    def __post_init__(self) -> None:
        if self.only not in ONLY:
            raise ValueError(f"only must be one of {', '.join(ONLY)}")
        if self.only == "import" and not self.questions:
            raise ValueError("--only import needs --questions above 0")
        if not 1 <= self.trainees <= MAX_TRAINEES:
            raise ValueError(f"trainees must be between 1 and {MAX_TRAINEES}")
        if not 0 < self.seconds <= MAX_SECONDS:
            raise ValueError(f"seconds must be in (0, {MAX_SECONDS:g}]")
        if not 1 <= self.rounds <= 20:
            raise ValueError("rounds must be between 1 and 20")
        if not 0 <= self.warmup <= 100:
            raise ValueError("warmup must be between 0 and 100")
        if not 0 <= self.questions <= MAX_QUESTIONS:
            raise ValueError(f"questions must be between 0 and {MAX_QUESTIONS}")
        ServerOptions(self.server, self.workers, self.threads)  # checks those three

    @property
    def server_options(self) -> ServerOptions:
        return ServerOptions(self.server, self.workers, self.threads)


# -- answers: form fields and what the server must store for them -----------------------


class _Form(dict[str, list[str]]):
    """The form fields as portal.exams.answers reads them (get / getlist)."""

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        values = super().get(key)
        return values[0] if values else default

    def getlist(self, key: str) -> list[str]:
        return list(super().get(key, []))


def answer_form(view: Any, variant: int, prefix: str = "") -> dict[str, list[str]]:
    """The form fields a trainee would send for `view`'s question (a kinds.PublicQuestion);
    `variant` changes the answer (text answers carry it, so every revision's answer differs)."""
    return _answer_form(view.to_data(), variant, prefix)


def _answer_form(view: dict[str, Any], variant: int, prefix: str = "") -> dict[str, list[str]]:
    kind = view["kind"]
    if kind in ("single-choice", "multiple-choice"):
        keys = [c["key"] for c in view["choices"]]
        if kind == "single-choice":
            return {prefix + "answer": [keys[variant % len(keys)]]}
        chosen = [k for i, k in enumerate(keys) if (variant + 1) >> i & 1] or keys[:1]
        return {prefix + "answer": chosen}
    if kind == "true-false":
        return {prefix + "answer": ["true" if variant % 2 else "false"]}
    if kind == "fill-in":
        return {f"{prefix}blank-{i}": [f"第{variant}次 {i}"]
                for i in range(1, int(view.get("blanks", 1)) + 1)}
    if kind == "numeric":
        return {prefix + "answer": [str(variant)]}
    if kind == "short-answer":
        return {prefix + "answer": [f"第 {variant} 次修改的回答"]}
    if kind == "matching":
        rights = view["right"]
        return {f"{prefix}match-{left['key']}": [rights[(variant + j) % len(rights)]]
                for j, left in enumerate(view["left"])}
    if kind == "operation-task":
        fields: dict[str, list[str]] = {}
        for item in view["form"]:
            if item["type"] == "select":
                value = item["options"][variant % len(item["options"])]
            elif item["type"] == "datetime":
                value = f"2025-11-11 10:{variant % 60:02d}"
            else:
                value = f"{item['label']} 第{variant}次"
            fields[f"{prefix}field-{item['name']}"] = [value]
        return fields
    if kind == "case":
        fields = {}
        for sub in view["questions"]:
            fields.update(_answer_form(sub, variant, prefix=f"{prefix}{sub['id']}."))
        return fields
    raise ValueError(f"no form for kind {kind!r}")


def as_stored(answer: Any) -> Any:
    """An answer as the JSON column gives it back."""
    return json.loads(json.dumps(answer, ensure_ascii=False))


def expected_answer(view: Any, form: dict[str, list[str]]) -> Any:
    """What the server stores for this form: the app's own pure form reader, as JSON."""
    from portal.exams.answers import answer_from_form

    return as_stored(answer_from_form(view, _Form(form)))


# -- trainees -----------------------------------------------------------------------------


@dataclass
class Trainee:
    employee_no: str
    user_id: int
    browser: Browser
    csrf: str = ""
    attempt_id: int = 0
    second_attempt_id: int = 0
    sent: int = 0  # saves sent so far (each one a new revision of some question)
    revisions: dict[int, int] = field(default_factory=dict)  # position -> last revision sent
    acked: dict[int, tuple[int, Any]] = field(default_factory=dict)  # position -> highest ack
    ack_count: int = 0

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Cookie": self.browser.cookie, "X-CSRFToken": self.csrf, **extra}


ATTEMPT_URL = re.compile(r"/attempts/(\d+)$")


def _sign_in_and_start(trainee: Trainee) -> None:
    """As a browser would: log in, open the exam's start page, start, open the attempt."""
    trainee.browser.sign_in(trainee.employee_no, PASSWORD)
    status, body = trainee.browser.get(f"/exams/{EXAM_KEY}")
    token = csrf_token(body)
    if status != 200 or token is None:
        raise RuntimeError(f"{trainee.employee_no}: the exam's start page answered {status}")
    trainee.csrf = token
    trainee.attempt_id = _start_attempt(trainee)
    status, body = trainee.browser.get(f"/attempts/{trainee.attempt_id}")
    if status != 200 or b"data-autosave" not in body:
        raise RuntimeError(f"{trainee.employee_no}: the attempt page answered {status}")


def _start_attempt(trainee: Trainee) -> int:
    status, location, _ = trainee.browser.post_form(f"/exams/{EXAM_KEY}/attempts",
                                                    {"csrf_token": trainee.csrf})
    found = ATTEMPT_URL.search(location)
    if status != 303 or found is None:
        raise RuntimeError(f"{trainee.employee_no}: starting an attempt answered {status} "
                           f"{location!r}")
    return int(found.group(1))


# -- load: autosave ---------------------------------------------------------------------


AUTOSAVE = Endpoint("autosave", "/attempts/<id>/answers/<n>", b'id="nav-')


def _autosave_client(target: Target, trainee: Trainee, views: dict[int, dict[str, Any]],
                     barrier: threading.Barrier, seconds: float, limit: int | None,
                     tally: ClientTally) -> None:
    """One trainee's tab: save after save on one keep-alive connection, each a new revision
    of the next question; remember the highest revision the server acknowledged."""
    positions = sorted(views)
    conn = target.connect()
    try:
        conn.connect()  # the handshake is not part of the measured time
    except OSError:
        pass  # the first request will say what is wrong
    barrier.wait()
    deadline = time.perf_counter() + seconds
    sent = 0
    try:
        while time.perf_counter() < deadline and (limit is None or sent < limit):
            sent += 1
            trainee.sent += 1
            position = positions[trainee.sent % len(positions)]
            revision = trainee.revisions.get(position, 0) + 1
            trainee.revisions[position] = revision
            form = answer_form(views[position], trainee.sent)
            body = urlencode({**form, "revision": [str(revision)]}, doseq=True).encode()
            headers = trainee.headers(**{"HX-Request": "true", "Content-Type": FORM})
            began = time.perf_counter()
            try:
                conn.request("POST", f"/attempts/{trainee.attempt_id}/answers/{position}",
                             body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as exc:
                tally.errors[type(exc).__name__] += 1
                conn.close()
                conn = target.connect()
                continue
            took = time.perf_counter() - began
            if response.status != 200:
                tally.errors[f"HTTP {response.status}"] += 1
            elif (f'id="nav-{position}"'.encode() not in data
                  or response.getheader("X-Seconds-Left") is None):
                tally.errors["200 without the receipt"] += 1
            else:
                tally.latencies.append(took)
                trainee.ack_count += 1
                trainee.acked[position] = (revision, expected_answer(views[position], form))
            if response.will_close:
                conn.close()
                conn = target.connect()
    finally:
        tally.finished = time.perf_counter()
        conn.close()


def autosave(target: Target, trainees: Sequence[Trainee], views: dict[int, dict[str, Any]], *,
             seconds: float, per_trainee: int | None = None) -> EndpointResult:
    tallies = [ClientTally() for _ in trainees]
    began, _ = run_clients(
        [lambda barrier, t=t, tally=tally: _autosave_client(target, t, views, barrier, seconds,
                                                            per_trainee, tally)
         for t, tally in zip(trainees, tallies, strict=True)], seconds=seconds)
    return _result(AUTOSAVE, tallies, began)


def _result(endpoint: Endpoint, tallies: Sequence[ClientTally], began: float) -> EndpointResult:
    errors: Counter[str] = Counter()
    latencies: list[float] = []
    for tally in tallies:
        errors.update(tally.errors)
        latencies.extend(tally.latencies)
    elapsed = max((t.finished for t in tallies), default=began) - began
    return EndpointResult(endpoint, len(latencies), errors, max(elapsed, 0.0), latencies)


# -- load: bursts (everyone at once) ----------------------------------------------------


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    ok: Callable[[int, str, bytes], bool]  # status, Location, body


def burst(target: Target, endpoint: Endpoint, calls: Sequence[Call]) -> EndpointResult:
    """Every call on its own fresh connection, all released at the same moment."""
    tallies = [ClientTally() for _ in calls]

    def client(barrier: threading.Barrier, call: Call, tally: ClientTally) -> None:
        conn = target.connect()
        try:
            try:
                conn.connect()
            except OSError:
                pass
            barrier.wait()
            began = time.perf_counter()
            try:
                conn.request(call.method, call.path, body=call.body, headers=call.headers)
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as exc:
                tally.errors[type(exc).__name__] += 1
                return
            took = time.perf_counter() - began
            if call.ok(response.status, response.getheader("Location") or "", data):
                tally.latencies.append(took)
            else:
                tally.errors[f"HTTP {response.status}"] += 1
        finally:
            tally.finished = time.perf_counter()
            conn.close()

    began, _ = run_clients([lambda barrier, c=c, t=t: client(barrier, c, t)
                            for c, t in zip(calls, tallies, strict=True)], seconds=0)
    return _result(endpoint, tallies, began)


def _submit_calls(trainees: Sequence[Trainee]) -> list[Call]:
    def call(t: Trainee) -> Call:
        result = f"/attempts/{t.attempt_id}/result"
        return Call("POST", f"/attempts/{t.attempt_id}/submit",
                    t.headers(**{"Content-Type": FORM}),
                    urlencode({"csrf_token": t.csrf}).encode(),
                    lambda status, location, _: status == 303 and location.endswith(result))
    return [call(t) for t in trainees]


def _bare_calls(count: int) -> list[Call]:
    return [Call("GET", "/healthz", {}, None, lambda status, _, body: status == 200
                 and b"ok" in body) for _ in range(count)]


# -- checks in the database ---------------------------------------------------------------


@dataclass(frozen=True)
class SaveCheck:
    acknowledged: int  # 200 responses (acknowledged saves) covered by the check
    answers: int  # (attempt, question) pairs with an acknowledged save
    lost: list[str]  # stored revision older than an acknowledged one
    differs: list[str]  # same revision, another answer
    newer: int  # stored revision newer than any acknowledged (a save whose reply was lost)

    @property
    def ok(self) -> bool:
        return not self.lost and not self.differs


def compare_saves(acked: dict[tuple[int, int], tuple[int, Any]],
                  stored: dict[tuple[int, int], tuple[int, Any]], *,
                  acknowledged: int) -> SaveCheck:
    """Every acknowledged save must be in `stored`: (attempt, position) -> (revision, answer).
    Revisions rise per question, so the highest acknowledged one covers the older ones."""
    lost: list[str] = []
    differs: list[str] = []
    newer = 0
    for key, (revision, answer) in sorted(acked.items()):
        have_revision, have_answer = stored.get(key, (0, None))
        where = f"attempt {key[0]} question {key[1]}"
        if have_revision < revision:
            lost.append(f"{where}: revision {revision} acknowledged, {have_revision} stored")
        elif have_revision == revision and have_answer != answer:
            differs.append(f"{where} revision {revision}: acknowledged {answer!r}, "
                           f"stored {have_answer!r}")
        elif have_revision > revision:
            newer += 1
    return SaveCheck(acknowledged, len(acked), lost, differs, newer)


def check_saves(sessions: sessionmaker[Session], trainees: Sequence[Trainee]) -> SaveCheck:
    import sqlalchemy as sa

    from portal.exams.models import Response

    ids = [t.attempt_id for t in trainees]
    with sessions() as session:
        rows = session.execute(sa.select(Response.attempt_id, Response.position,
                                         Response.revision, Response.answer)
                               .where(Response.attempt_id.in_(ids))).all()
        session.rollback()
    stored = {(a, p): (r, answer) for a, p, r, answer in rows}
    acked = {(t.attempt_id, position): ack for t in trainees for position, ack in t.acked.items()}
    return compare_saves(acked, stored, acknowledged=sum(t.ack_count for t in trainees))


@dataclass(frozen=True)
class SubmitCheck:
    attempts: int
    once: int  # submitted, with exactly one submission audit record
    scored: int  # graded, with the score its saved answers earn
    by: str
    mean_score: float
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_submitted(sessions: sessionmaker[Session], attempt_ids: Sequence[int], *,
                    by: str) -> SubmitCheck:
    """Each attempt submitted exactly once (one audit record, by `by`), graded, and its score
    what its saved answers earn when graded again here."""
    import sqlalchemy as sa

    from portal.audit.models import AuditEvent
    from portal.exams import kinds, rules
    from portal.exams.models import Attempt, AttemptStatus

    problems: list[str] = []
    once = scored = 0
    scores: list[float] = []
    with sessions() as session:
        audits = Counter(dict(session.execute(
            sa.select(AuditEvent.target_id, sa.func.count())
            .where(AuditEvent.action == "attempt.submit", AuditEvent.target_type == "attempt",
                   AuditEvent.target_id.in_([str(i) for i in attempt_ids]))
            .group_by(AuditEvent.target_id)).all()))
        for attempt_id in attempt_ids:
            attempt = session.get(Attempt, attempt_id)
            if attempt is None:
                problems.append(f"attempt {attempt_id}: missing")
                continue
            records = audits.get(str(attempt_id), 0)
            if attempt.submitted_at is None or attempt.submitted_by != by or records != 1:
                problems.append(f"attempt {attempt_id}: {attempt.status.value}, submitted by "
                                f"{attempt.submitted_by}, {records} submission records")
            else:
                once += 1
            points = max_points = 0.0
            for response in attempt.responses:
                grade = kinds.grade(response.question_version.definition, response.answer)
                points += grade.points
                max_points += grade.max_points
            expected = rules.score(points, max_points)
            if (attempt.status is AttemptStatus.GRADED and attempt.score is not None
                    and abs(attempt.score - expected) < 1e-6):
                scored += 1
                scores.append(attempt.score)
            else:
                problems.append(f"attempt {attempt_id}: {attempt.status.value}, score "
                                f"{attempt.score}, its saved answers earn {expected}")
        session.rollback()
    mean = sum(scores) / len(scores) if scores else math.nan
    return SubmitCheck(len(attempt_ids), once, scored, by, mean, problems)


# -- the instance -------------------------------------------------------------------------


def prepare_instance(folder: Path, trainees: int,
                     database_url: str | None = None) -> tuple[Instance, list[tuple[str, int]]]:
    """Database at head, demo data, the bench bank and exam, `trainees` trainee accounts."""
    from portal.auth.passwords import hash_password
    from portal.db import utcnow
    from portal.demo import load_demo_data

    instance = new_instance(folder, database_url)
    password_hash = hash_password(PASSWORD)  # once: argon2 is slow on purpose
    now = utcnow()
    with database(instance) as sessions, sessions() as session:
        load_demo_data(session, now=now)
        accounts = add_exam_and_trainees(session, trainees, password_hash=password_hash, now=now)
    return instance, accounts


def add_exam_and_trainees(session: Session, trainees: int, *, password_hash: str,
                          now: datetime) -> list[tuple[str, int]]:
    """The bench bank and exam imported, `trainees` trainee accounts (in the demo cohort if
    there is one) sharing `password_hash`; committed. Returns (employee no, user id)."""
    import sqlalchemy as sa

    from portal.auth.models import Cohort, Role, User
    from portal.demo import DEMO_COHORT
    from portal.exams import services
    from portal.exams.bank import load_bank
    from portal.exams.definitions import load_exam

    bank, problems = load_bank(BANK.encode("utf-8"), "bench-bank.yaml")
    if bank is None:
        raise RuntimeError("the bench bank is invalid: " + "; ".join(map(str, problems)))
    exam, problems = load_exam(EXAM, "bench-exam.yaml")
    if exam is None or problems:
        raise RuntimeError("the bench exam is invalid: " + "; ".join(map(str, problems)))
    services.apply_import(session, banks=[bank], exams=[exam], actor_id=None, now=now)
    cohort = session.scalar(sa.select(Cohort).where(Cohort.name == DEMO_COHORT))
    users = [User(employee_no=f"{EMPLOYEE_PREFIX}{i:04d}", display_name=f"压测学员 {i}",
                  role=Role.TRAINEE, password_hash=password_hash,
                  cohort_id=cohort.id if cohort else None,
                  hire_date=cohort.start_date if cohort else None,
                  must_change_password=False, created_at=now, updated_at=now)
             for i in range(1, trainees + 1)]
    session.add_all(users)
    session.commit()
    return [(u.employee_no, u.id) for u in users]


def exam_views(sessions: sessionmaker[Session], attempt_id: int) -> dict[int, dict[str, Any]]:
    """position -> the public view of the question there (what the attempt page shows)."""
    from portal.exams import kinds
    from portal.exams.models import Attempt

    with sessions() as session:
        attempt = session.get(Attempt, attempt_id)
        assert attempt is not None
        views = {r.position: kinds.public_view(r.question_version.definition)
                 for r in attempt.responses}
        session.rollback()
    return views


# -- the deadline sweep -------------------------------------------------------------------


@dataclass(frozen=True)
class Sweep:
    attempts: int  # what sweep_expired reported
    seconds: float
    check: SubmitCheck


def sweep(sessions: sessionmaker[Session], trainees: Sequence[Trainee],
          views: dict[int, dict[str, Any]]) -> Sweep:
    """Each trainee's second attempt (started over HTTP) gets saved answers, then its deadline
    passes and sweep_expired submits them all in one transaction, as the CLI does."""
    import sqlalchemy as sa

    from portal.auth.models import User
    from portal.db import utcnow
    from portal.exams import services
    from portal.exams.models import Attempt

    ids = [t.second_attempt_id for t in trainees]
    with sessions() as session:
        for n, trainee in enumerate(trainees):
            user = session.get(User, trainee.user_id)
            assert user is not None
            for position, view in views.items():
                services.save_answer(session, user=user, attempt_id=trainee.second_attempt_id,
                                     position=position,
                                     answer=expected_answer(view, answer_form(view, n)),
                                     revision=1, now=utcnow())
        session.commit()
        latest = session.scalar(sa.select(sa.func.max(Attempt.deadline_at))
                                .where(Attempt.id.in_(ids)))
    assert latest is not None
    after = latest + timedelta(seconds=1)  # every deadline has passed
    with sessions() as session:
        began = time.perf_counter()
        count = services.sweep_expired(session, now=after)
        session.commit()
        seconds = time.perf_counter() - began
    return Sweep(count, seconds, check_submitted(sessions, ids, by="deadline"))


# -- import: the real path against a plain bulk insert ----------------------------------


KINDS_CYCLE = ("single-choice", "multiple-choice", "true-false", "fill-in", "numeric",
               "matching", "short-answer", "case", "operation-task")


def generated_question(n: int) -> dict[str, Any]:
    """Question number n of the generated bank; the kind cycles through every kind."""
    kind = KINDS_CYCLE[n % len(KINDS_CYCLE)]
    common: dict[str, Any] = {
        "id": f"q{n:05d}", "kind": kind,
        "difficulty": ("easy", "medium", "hard")[n % 3],
        "tags": [f"stage:s{n % 5}", f"topic:t{n % 37}",
                 ("role:all", "role:pre-sales", "role:after-sales")[n % 3]],
        "explanation": f"第 {n} 题的解析：先核实，再处理，最后记录。",
    }
    prompt = f"第 {n} 题：买家留言询问订单 {100000 + n} 的处理方式，你会怎么做？"
    if kind == "single-choice":
        return {**common, "prompt": prompt, "points": 2, "choices": [
            {"text": f"先核实订单 {n}", "correct": True}, {"text": "直接拒绝"},
            {"text": "让买家等待", "credit": 25}]}
    if kind == "multiple-choice":
        return {**common, "prompt": prompt, "points": 3, "scoring": "proportional", "choices": [
            {"text": "安抚情绪", "correct": True}, {"text": "核实事实", "correct": True},
            {"text": "承诺做不到的事"}, {"text": f"要求买家加价 {n % 10 + 1} 元"}]}
    if kind == "true-false":
        return {**common, "prompt": f"第 {n} 题：发票金额按订单如实开具。", "points": 1,
                "answer": n % 2 == 0}
    if kind == "fill-in":
        return {**common, "prompt": f"第 {n} 题：签收后 [[1]] 天内可以申请 [[2]]。", "points": 2,
                "blanks": [["七", "7"], {"answers": ["七天无理由退货",
                                                   {"text": "退货", "credit": 50}]}]}
    if kind == "numeric":
        return {**common, "prompt": f"第 {n} 题：销售额 {n * 100} 元、100 单，客单价多少元？",
                "points": 2, "value": n, "tolerance": "1%", "unit": "元"}
    if kind == "matching":
        return {**common, "prompt": f"第 {n} 题：把工作群和用途对应起来。", "points": 3, "pairs": [
            {"left": "客服群", "right": "接收排班和活动通知"},
            {"left": "物流群", "right": "跟进异常件和催件"},
            {"left": "仓库群", "right": f"核对库存 {n}"}], "distractors": ["发布个人广告"]}
    if kind == "short-answer":
        return {**common, "prompt": prompt, "rubric": [
            {"criterion": "先安抚情绪并致歉", "points": 2},
            {"criterion": "给出补发或退款方案", "points": 2, "guidance": "提到补发或退款即可"}],
            "reference_answer": "亲，非常抱歉……", "max_chars": 800}
    if kind == "case":
        return {**common, "scenario": f"第 {n} 题：买家收到的鞋少了一只。", "questions": [
            {"id": "q1", "kind": "single-choice", "prompt": "先做什么？", "points": 2,
             "choices": [{"text": "核实包裹重量", "correct": True}, {"text": "直接拒绝"}]},
            {"id": "q2", "kind": "fill-in", "prompt": "可以补发或退一件的 [[1]]。", "points": 2,
             "blanks": [["钱", "货款"]]}]}
    return {**common, "prompt": f"第 {n} 题：买家改了地址，写订单备注。", "form": [
        {"name": "reason", "label": "变动事由", "type": "text", "points": 2,
         "check": {"rule": "contains-all", "values": ["地址"]}},
        {"name": "staff_id", "label": "工号", "type": "text", "points": 1,
         "check": {"rule": "regex", "pattern": r"KF\d{4}"}},
        {"name": "decision", "label": "处理方式", "type": "select", "points": 1,
         "options": ["改地址后发货", "拦截退回"], "check": {"rule": "exact", "value": "改地址后发货"}},
        {"name": "noted_at", "label": "备注时间", "type": "datetime", "points": 1,
         "check": {"rule": "datetime-within", "start": "2025-11-11 10:00",
                   "end": "2025-11-11 10:30"}},
        {"name": "remark", "label": "其他说明"}]}


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # bank files may not use aliases


def generated_bank_files(questions: int) -> list[tuple[str, bytes]]:
    """`questions` questions as bank files of at most bank.MAX_QUESTIONS each."""
    from portal.exams.bank import MAX_BANK_BYTES
    from portal.exams.bank import MAX_QUESTIONS as PER_FILE

    files = []
    for start in range(0, questions, PER_FILE):
        number = start // PER_FILE + 1
        data = {"key": f"import-{number:03d}", "title": f"导入压测题库 {number}",
                "questions": [generated_question(n)
                              for n in range(start, min(start + PER_FILE, questions))]}
        text = yaml.dump(data, Dumper=_NoAliases, allow_unicode=True, sort_keys=False,
                         width=100)
        body = text.encode("utf-8")
        if len(body) > MAX_BANK_BYTES:
            raise RuntimeError(f"generated bank {number} is {len(body)} bytes, over the limit")
        files.append((f"import-{number:03d}.yaml", body))
    return files


@dataclass(frozen=True)
class ImportResult:
    questions: int
    files: int
    load_seconds: float  # bank.load_bank on every file: read, parse, validate
    import_seconds: float  # services.apply_import + commit
    reimport_load_seconds: float  # the same files again: hashed, recognised, not read ...
    reimport_seconds: float  # ... and apply_import + commit (nothing changes)
    reimport_touched: bool
    bulk_seconds: float  # executemany of the same rows + commit
    import_statements: int  # SQL statements sent (an executemany counts once)
    reimport_statements: int
    bulk_statements: int
    same_rows: bool
    difference: str = ""

    @property
    def real_seconds(self) -> float:
        return self.load_seconds + self.import_seconds


class Statements:
    """Counts the SQL statements an engine sends while the block runs."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.engine = sessions.kw["bind"]
        self.count = 0

    def _seen(self, *args: Any) -> None:
        self.count += 1

    def __enter__(self) -> Self:
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc: object) -> None:
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._seen)


def _content_hash(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True)
                          .encode("utf-8")).hexdigest()


def _bulk_insert(sessions: sessionmaker[Session], banks: Sequence[Any], now: datetime) -> float:
    """The same rows as an import, written with plain executemany inserts; the rows are
    prepared first, only the writes and the commit are timed."""
    import sqlalchemy as sa

    from portal.exams.models import Question, QuestionBank, QuestionVersion

    bank_rows, question_rows, version_rows, links = [], [], [], []
    question_id = 0
    for bank_id, bank in enumerate(banks, 1):
        bank_rows.append({"id": bank_id, "key": bank.key, "title": bank.title,
                          "source_hash": bank.content_hash, "updated_at": now})
        for item in bank.questions:
            question_id += 1
            question_rows.append({"id": question_id, "bank_id": bank_id, "qid": item.id,
                                  "retired": False})
            data = item.definition.to_data()
            version_rows.append({
                "id": question_id, "question_id": question_id, "number": 1, "kind": item.kind,
                "difficulty": item.difficulty, "points": float(item.points),
                "tags": list(item.tags), "data": data,
                "content_hash": _content_hash(data), "created_at": now,
                "created_by_id": None})
            links.append({"b_id": question_id, "b_version": question_id})
    question = Question.__table__
    with sessions() as session:
        began = time.perf_counter()
        session.execute(sa.insert(QuestionBank.__table__), bank_rows)
        session.execute(sa.insert(question), question_rows)
        session.execute(sa.insert(QuestionVersion.__table__), version_rows)
        session.execute(sa.update(question).where(question.c.id == sa.bindparam("b_id"))
                        .values(current_version_id=sa.bindparam("b_version")), links)
        session.commit()
        return time.perf_counter() - began


def _question_rows(sessions: sessionmaker[Session]) -> list[tuple[Any, ...]]:
    import sqlalchemy as sa

    from portal.exams.models import Question, QuestionBank, QuestionVersion

    with sessions() as session:
        rows = session.execute(
            sa.select(QuestionBank.key, QuestionBank.title, QuestionBank.source_hash,
                      Question.qid, Question.retired, QuestionVersion.number,
                      QuestionVersion.kind, QuestionVersion.difficulty, QuestionVersion.points,
                      QuestionVersion.tags, QuestionVersion.data, QuestionVersion.content_hash)
            .join(Question, Question.bank_id == QuestionBank.id)
            .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
            .order_by(QuestionBank.key, Question.qid)).all()
        versions = session.scalar(sa.select(sa.func.count()).select_from(QuestionVersion))
        session.rollback()
    return [tuple(r) for r in rows] + [("versions", versions)]


def import_bench(folder: Path, questions: int) -> ImportResult:
    from portal.db import utcnow
    from portal.exams import services
    from portal.exams.bank import Bank, load_bank, load_banks

    files = generated_bank_files(questions)

    def load() -> list[Bank]:
        banks = []
        for path, data in files:
            bank, problems = load_bank(data, path)
            if bank is None:
                raise RuntimeError(f"{path}: " + "; ".join(map(str, problems[:5])))
            banks.append(bank)
        return banks

    real_folder, bulk_folder = folder / "import-real", folder / "import-bulk"
    real_folder.mkdir()
    bulk_folder.mkdir()
    now = utcnow()
    with database(new_instance(real_folder)) as real:
        began = time.perf_counter()
        banks = load()
        loaded = time.perf_counter()
        with real() as session, Statements(real) as import_statements:
            services.apply_import(session, banks=banks, exams=[], actor_id=None, now=now)
            session.commit()
        imported = time.perf_counter()
        # As `flask exams import` does: files byte for byte as imported are not read again.
        with real() as session, Statements(real) as reimport_statements:
            known = services.known_bank_files(session, files)
            again, problems = load_banks(files, known={k.path: k.key for k in known})
            if problems:
                raise RuntimeError("; ".join(map(str, problems[:5])))
            reloaded = time.perf_counter()
            plan = services.apply_import(session, banks=again, exams=[], actor_id=None, now=now,
                                         known=known)
            session.commit()
        reimported = time.perf_counter()
        real_rows = _question_rows(real)
    with database(new_instance(bulk_folder)) as bulk:
        with Statements(bulk) as bulk_statements:
            bulk_seconds = _bulk_insert(bulk, banks, now)
        bulk_rows = _question_rows(bulk)
    difference = ""
    if real_rows != bulk_rows:
        first = next((i for i, (a, b) in enumerate(zip(real_rows, bulk_rows)) if a != b),
                     min(len(real_rows), len(bulk_rows)))
        difference = (f"{len(real_rows) - 1} vs {len(bulk_rows) - 1} rows; first difference "
                      f"at row {first}")
    return ImportResult(
        questions, len(files), load_seconds=loaded - began, import_seconds=imported - loaded,
        reimport_load_seconds=reloaded - imported, reimport_seconds=reimported - reloaded,
        reimport_touched=plan.touched or len(plan.unchanged) != questions,
        bulk_seconds=bulk_seconds,
        import_statements=import_statements.count,
        reimport_statements=reimport_statements.count, bulk_statements=bulk_statements.count,
        same_rows=real_rows == bulk_rows, difference=difference)


# -- the whole run ------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    options: Options
    server: str
    setup_seconds: float  # signing in every trainee and starting their attempts
    questions_per_attempt: int
    bare: EndpointResult
    autosave: EndpointResult
    saves: SaveCheck
    bare_burst: EndpointResult
    submit_burst: EndpointResult
    submitted: SubmitCheck
    resubmit: EndpointResult
    resubmitted: SubmitCheck
    sweep: Sweep
    imported: ImportResult | None
    server_exceptions: Counter[str] = field(default_factory=Counter)

    @property
    def results(self) -> list[EndpointResult]:
        return [self.bare, self.autosave, self.bare_burst, self.submit_burst, self.resubmit]

    @property
    def ratios(self) -> list[Ratio]:
        return [ratio(self.autosave, self.bare), ratio(self.submit_burst, self.bare_burst)]

    @property
    def error_count(self) -> int:
        return sum(r.error_count for r in self.results)

    @property
    def failed(self) -> bool:
        checks = [self.saves.ok, self.submitted.ok, self.resubmitted.ok, self.sweep.check.ok,
                  self.sweep.attempts == self.options.trainees]
        if self.imported is not None:
            checks.append(not import_failed(self.imported))
        return bool(self.error_count) or not all(checks)


BARE = Endpoint("bare", "/healthz", b"ok")


def run(options: Options) -> Report:
    """Set up, serve, sign in, then autosave, submit at once, sweep; then the import."""
    with tempfile.TemporaryDirectory(prefix="portal-bench-exams-") as tmp:
        folder = Path(tmp)
        with bench_database(options.database, folder) as databases:
            return _run(options, folder, databases.new_database())


def _run(options: Options, folder: Path, database_url: str) -> Report:
    instance, accounts = prepare_instance(folder, options.trainees, database_url)
    n = options.trainees
    budget = max(READY_TIMEOUT, 5.0 * n)  # set-up tasks: generous but bounded
    with serve(instance, options.server_options) as server, database(instance) as sessions:
        target = server.target
        trainees = [Trainee(no, uid, Browser(target)) for no, uid in accounts]
        began = time.perf_counter()
        in_parallel(_sign_in_and_start, trainees, workers=SETUP_WORKERS, timeout=budget)
        setup_seconds = time.perf_counter() - began
        views = exam_views(sessions, trainees[0].attempt_id)

        if options.warmup:  # first hits compile templates in every worker
            measure(target, BARE, cookie="", concurrency=n, seconds=MAX_SECONDS,
                    max_requests=options.warmup * n)
            autosave(target, trainees, views, seconds=MAX_SECONDS,
                     per_trainee=options.warmup)
        bare_parts, save_parts = [], []
        seconds = options.seconds / options.rounds
        for _ in range(options.rounds):  # interleaved: a slow moment hits both
            bare_parts.append(measure(target, BARE, cookie="", concurrency=n,
                                      seconds=seconds))
            save_parts.append(autosave(target, trainees, views, seconds=seconds))
        saves = check_saves(sessions, trainees)

        bare_burst = burst(target, Endpoint("bare-burst", f"GET /healthz x{n} at once",
                                            b""), _bare_calls(n))
        submit_burst = burst(target, Endpoint(
            "submit", f"POST /attempts/<id>/submit x{n} at once", b""),
            _submit_calls(trainees))
        ids = [t.attempt_id for t in trainees]
        submitted = check_submitted(sessions, ids, by="trainee")
        resubmit = burst(target, Endpoint("resubmit", f"the same x{n} again", b""),
                         _submit_calls(trainees))
        resubmitted = check_submitted(sessions, ids, by="trainee")

        def start_second(trainee: Trainee) -> None:
            trainee.second_attempt_id = _start_attempt(trainee)

        in_parallel(start_second, trainees, workers=SETUP_WORKERS, timeout=budget)
        swept = sweep(sessions, trainees, views)
    server_exceptions = server.exceptions()  # the server has stopped: its log is complete
    imported = import_bench(folder, options.questions) if options.questions else None
    return Report(options, server.description, setup_seconds, len(views),
                  combine(bare_parts), combine(save_parts), saves, bare_burst, submit_burst,
                  submitted, resubmit, resubmitted, swept, imported, server_exceptions)


# -- output -------------------------------------------------------------------------------


def _row(r: EndpointResult) -> str:
    slowest = max(r.latencies, default=math.nan)
    return (f"{r.endpoint.name:<10} {r.endpoint.path:<38} {r.ok:>7} {r.error_count:>6} "
            f"{fmt(r.throughput, '.1f'):>8} {fmt(r.p50 * 1000, '.1f'):>8} "
            f"{fmt(r.p95 * 1000, '.1f'):>8} {fmt(slowest * 1000, '.1f'):>8}")


def _ratio_line(r: Ratio) -> str:
    return (f"  {r.name:<20} throughput {fmt(r.throughput, '.2f'):>6}"
            f"    p95 latency {fmt(r.p95, '.2f'):>6}x")


def _check_lines(check: SubmitCheck) -> list[str]:
    lines = [(f"  submitted exactly once (by {check.by}, one audit record each): "
              f"{check.once}/{check.attempts}; graded with the score their saved answers earn: "
              f"{check.scored}/{check.attempts} (mean score {fmt(check.mean_score, '.1f')})")]
    lines += [f"  PROBLEM: {p}" for p in check.problems[:10]]
    if len(check.problems) > 10:
        lines.append(f"  ... and {len(check.problems) - 10} more problems")
    return lines


def _seconds(value: float) -> str:
    return f"{value:.2f} s"


def import_lines(imp: ImportResult) -> list[str]:
    """Part 3 of the report: the import against the bulk insert."""
    reimport = imp.reimport_load_seconds + imp.reimport_seconds
    return [
        (f"3. importing {imp.questions} questions of every kind ({imp.files} files of at "
         f"most 500, the format's limit per file) vs a plain bulk insert"),
        (f"  real path: bank.load_bank (read, validate) {_seconds(imp.load_seconds)} + "
         f"services.apply_import and commit {_seconds(imp.import_seconds)} "
         f"({imp.import_statements} SQL statements) = {_seconds(imp.real_seconds)}"),
        (f"  bulk insert of the same rows: executemany into question_bank, question, "
         f"question_version and commit {_seconds(imp.bulk_seconds)} "
         f"({imp.bulk_statements} SQL statements)"),
        (f"  import/bulk {fmt(divide(imp.real_seconds, imp.bulk_seconds), '.1f')}x "
         f"(load_bank {fmt(divide(imp.load_seconds, imp.bulk_seconds), '.1f')}x + "
         f"apply_import {fmt(divide(imp.import_seconds, imp.bulk_seconds), '.1f')}x)"),
        (f"  re-importing the same files: hash + known_bank_files + load_banks "
         f"{_seconds(imp.reimport_load_seconds)} + "
         f"apply_import {_seconds(imp.reimport_seconds)} ({imp.reimport_statements} SQL "
         f"statements) = {fmt(divide(reimport, imp.bulk_seconds), '.1f')}x the bulk insert; "
         f"{'CHANGED SOMETHING' if imp.reimport_touched else 'changed nothing'}"),
        (f"  same rows in both databases: "
         f"{'yes' if imp.same_rows else 'NO: ' + imp.difference}"),
    ]


def format_report(report: Report) -> str:
    from portal.db import SQLITE_BUSY_TIMEOUT_MS

    o = report.options
    n = o.trainees
    rounds = f" (in {o.rounds} interleaved rounds)" if o.rounds > 1 else ""
    header = (f"{'endpoint':<10} {'path':<38} {'ok':>7} {'errors':>6} {'req/s':>8} "
              f"{'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    head = "Written exams under load, and a big import (python -m bench exams)"
    lines = [
        head,
        f"server:  {report.server} on loopback, keep-alive 5 s, timeout 60 s",
        (f"         SQLite in WAL mode, synchronous=NORMAL, busy_timeout "
         f"{SQLITE_BUSY_TIMEOUT_MS / 1000:g} s, writing requests BEGIN IMMEDIATE"
         if o.database.kind == "sqlite" else f"         {o.database.describe()} "
         "(the import benchmark stays on SQLite)"),
        (f"data:    demo data + {n} trainees (one shared argon2 hash), an exam of "
         f"{report.questions_per_attempt} questions (every auto-graded kind)"),
        (f"clients: {n} trainees, each on its own keep-alive connection (threads in one "
         f"process), {o.seconds:g} s per load{rounds}"),
        f"machine: {machine()}",
        (f"set-up:  {n} sign-ins through the log-in form + {n} attempts started over HTTP in "
         f"{_seconds(report.setup_seconds)}"),
        "",
        f"1. autosave by {n} trainees at once (htmx POST, rising revisions) vs /healthz",
        header, _row(report.bare), _row(report.autosave),
        _ratio_line(report.ratios[0]),
    ]
    s = report.saves
    lines.append(f"  acknowledged saves checked in the database: {s.acknowledged} "
                 f"({s.answers} latest answers): lost {len(s.lost)}, answer differs "
                 f"{len(s.differs)}; stored newer than acknowledged: {s.newer}")
    lines += [f"  LOST: {p}" for p in (s.lost + s.differs)[:10]]
    lines += ["", f"2. {n} submissions at the same moment vs {n} /healthz at the same moment",
              header, _row(report.bare_burst), _row(report.submit_burst),
              _row(report.resubmit), _ratio_line(report.ratios[1])]
    lines += _check_lines(report.submitted)
    lines.append(f"  after submitting again: {report.resubmitted.once}/{n} still submitted "
                 f"exactly once")
    lines += [f"  PROBLEM: {p}" for p in report.resubmitted.problems[:10]]
    sw = report.sweep
    http_wall = report.submit_burst.elapsed
    lines.append(f"  deadline sweep instead: services.sweep_expired submitted {sw.attempts} "
                 f"expired attempts in {_seconds(sw.seconds)} "
                 f"({fmt(divide(sw.seconds * 1000, sw.attempts), '.1f')} ms each) = "
                 f"{fmt(divide(sw.seconds, http_wall), '.2f')}x the wall time of the {n} "
                 f"simultaneous HTTP submissions")
    lines += _check_lines(sw.check)
    if report.imported is not None:
        lines += ["", *import_lines(report.imported)]
    lines += problem_lines(report.results, report.server_exceptions)
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench exams",
        description="Autosave and submissions under load, the deadline sweep, and importing a "
                    "big bank; printed as ratios to a bare endpoint or a bulk insert measured "
                    "in the same run.")
    parser.add_argument("--trainees", type=int, default=DEFAULT_TRAINEES,
                        help=f"simulated trainees, one client each (default {DEFAULT_TRAINEES}, "
                             f"at most {MAX_TRAINEES})")
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS,
                        help=f"measured time of the bare and the autosave load (default "
                             f"{DEFAULT_SECONDS:g}, at most {MAX_SECONDS:g})")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure bare, autosave this many times in turn, splitting the "
                             "time (default 1)")
    parser.add_argument("--warmup", type=int, default=2,
                        help="unmeasured saves per trainee before measuring (default 2)")
    parser.add_argument("--questions", type=int, default=DEFAULT_QUESTIONS,
                        help=f"questions in the imported bank (default {DEFAULT_QUESTIONS}; "
                             f"0 skips the import benchmark)")
    add_server_arguments(parser)
    parser.add_argument("--only", choices=ONLY, default="all",
                        help="'import': only part 3, the import against a bulk insert (no "
                             "server, no trainees; with --rounds R, R imports one after "
                             "another); default all")
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return Options(trainees=args.trainees, seconds=args.seconds, rounds=args.rounds,
                       warmup=args.warmup, questions=args.questions, server=args.server,
                       workers=args.workers, threads=args.threads,
                       database=options_from(args), only=args.only)
    except ValueError as exc:
        parser.error(str(exc))
        raise  # unreachable: parser.error exits


def import_failed(imp: ImportResult) -> bool:
    return not imp.same_rows or imp.reimport_touched


def run_imports(options: Options) -> list[ImportResult]:
    """Part 3 alone, `options.rounds` times, each into fresh SQLite databases."""
    results = []
    for _ in range(options.rounds):
        with tempfile.TemporaryDirectory(prefix="portal-bench-import-") as tmp:
            results.append(import_bench(Path(tmp), options.questions))
    return results


def format_imports(results: list[ImportResult]) -> str:
    lines = ["Importing a big bank (python -m bench exams --only import)",
             f"machine: {machine()}", "database: SQLite files in a temporary folder"]
    for number, imp in enumerate(results, 1):
        lines += ["", *([f"round {number} of {len(results)}"] if len(results) > 1 else []),
                  *import_lines(imp)]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run and print; the exit status is 1 on any error response, lost save or failed check."""
    options = parse_args(argv)
    if options.only == "import":
        results = run_imports(options)
        print(format_imports(results))
        return 1 if any(import_failed(r) for r in results) else 0
    report = run(options)
    print(format_report(report))
    return 1 if report.failed else 0
