"""Test factories: every builder that puts state in the database for a test, in one place.

Builders take the `session` (and keyword arguments only), add what they make and flush;
they never commit, so a test (or a fixture) decides when its state is shared with the app.
The data they build from (bank and exam files, stage lists) lives in the `*_fixtures.py`
modules beside the tests; test modules import builders from here, never from each other.
"""
from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal import create_app
from portal.auth.models import Cohort, Role, User
from portal.auth.passwords import hash_password
from portal.banks import services as bank_services
from portal.banks.services import UploadedFile
from portal.courses.models import Module, ModuleProgress, StageCompletion, Track, TrackVersion
from portal.courses.services import publish_module_version
from portal.db import utcnow
from portal.exams import grading
from portal.exams import services as exam_services
from portal.exams.bank import load_bank
from portal.exams.definitions import load_exam
from portal.exams.models import Attempt, AttemptStatus, Question, QuestionBank, Response
from tests.analytics import analytics_fixtures
from tests.banks import bank_fixtures
from tests.exams import exam_fixtures, grading_fixtures
from tests.progress import progress_fixtures

PASSWORD = "correct-horse-42"
HX = {"HX-Request": "true"}
_seq = itertools.count(1)


# --- the app -----------------------------------------------------------------------------------


def make_test_app(*, tmp_path: Path, database_url: str, **overrides: object) -> Flask:
    """The portal configured for tests on `database_url` (already migrated)."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-0123456789abcdef0123456789",
        "DATABASE_URL": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": None,
        # A name a template does not define fails the test instead of rendering as nothing.
        "JINJA_STRICT_UNDEFINED": True,
    }
    config.update(overrides)
    os.environ["PORTAL_INSTANCE_PATH"] = str(tmp_path / "instance")
    return create_app(config)


@contextmanager
def counting_statements(app: Flask) -> Iterator[list[str]]:
    """The SQL statements the app's engine runs inside the block."""
    statements: list[str] = []
    engine = app.extensions["portal.engine"]

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def statements_run(session: Session, call: Callable[[], object]) -> int:
    """How many SQL statements `call` runs on the session's engine."""
    count = 0

    def counted(*_args: object) -> None:
        nonlocal count
        count += 1

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", counted)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    return count


def statement_kind(statement: str) -> str:
    """A statement as "VERB table" (BEGIN as it is), to pin what a request runs."""
    words = statement.split()
    verb = words[0].upper()
    if verb == "BEGIN":
        return " ".join(words).upper()
    marker = {"SELECT": "FROM", "INSERT": "INTO", "UPDATE": "UPDATE", "DELETE": "FROM"}[verb]
    table = words[words.index(marker) + 1].strip('"')  # PostgreSQL quotes "user"
    return f"{verb} {table}"


# --- people ------------------------------------------------------------------------------------


@cache
def _hash(password: str) -> str:
    return hash_password(password)  # argon2 is slow on purpose: hash each password once


def make_cohort(session: Session, *, name: str | None = None, start_date: date = date(2026, 11, 23),
                track_key: str = "new-hire", staff: list[User] | None = None) -> Cohort:
    cohort = Cohort(name=name or f"批次{next(_seq)}", start_date=start_date, track_key=track_key,
                    created_at=utcnow())
    cohort.staff = list(staff or [])
    session.add(cohort)
    session.flush()
    return cohort


def make_user(session: Session, *, role: Role = Role.TRAINEE, employee_no: str | None = None,
              display_name: str | None = None, password: str = PASSWORD, active: bool = True,
              cohort: Cohort | None = None, must_change_password: bool = False) -> User:
    n = next(_seq)
    user = User(
        employee_no=employee_no or f"{role.value}-{n:04d}",
        display_name=display_name or f"测试用户{n}",
        role=role,
        password_hash=_hash(password),
        active=active,
        cohort_id=cohort.id if cohort else None,
        must_change_password=must_change_password,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    session.add(user)
    session.flush()
    return user


def login(client: FlaskClient, user: User, password: str = PASSWORD) -> None:
    response = client.post("/login", data={"employee_no": user.employee_no, "password": password})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


# --- tracks, reading and stages ----------------------------------------------------------------


def make_track(session: Session, *, now: datetime, key: str = progress_fixtures.TRACK_KEY,
               title: str = "进度测试路线",
               stages: list[dict[str, Any]] = progress_fixtures.STAGES,
               modules: Mapping[str, str] = progress_fixtures.MODULE_TITLES) -> Track:
    """A published track with `stages` and one published version of each of `modules`
    (key → title). By default the progress tests' track: three stages, five modules."""
    track = Track(key=key)
    session.add(track)
    session.flush()
    for module_key, module_title in modules.items():
        module = Module(track_id=track.id, key=module_key)
        session.add(module)
        session.flush()
        publish_module_version(session, module=module, track_key=key, title=module_title,
                               summary="", minutes=10, tags=[], roles=["all"],
                               body_markdown=f"# {module_title}\n", source_hash=module_key,
                               actor_id=None, now=now)
    version = TrackVersion(track_id=track.id, number=1, title=title, summary="",
                           stages=stages, source_text="", source_hash="h", created_at=now)
    session.add(version)
    session.flush()
    track.current_version = version
    session.flush()
    return track


def read(session: Session, *, user: User, track: Track, module_key: str, opened: datetime,
         seconds: int, completed: datetime | None = None) -> ModuleProgress:
    """`user` opened a module of `track` at `opened` and spent `seconds` reading it."""
    module = next(m for m in track.modules if m.key == module_key)
    progress = ModuleProgress(user_id=user.id, module_id=module.id, first_opened_at=opened,
                              last_opened_at=opened, completed_at=completed, seconds_spent=seconds)
    session.add(progress)
    session.flush()
    return progress


def pass_stage(session: Session, *, user: User, stage_key: str, at: datetime, source: str,
               track_key: str = progress_fixtures.TRACK_KEY, by: User | None = None,
               reason: str = "") -> StageCompletion:
    completion = StageCompletion(user_id=user.id, track_key=track_key, stage_key=stage_key,
                                 completed_at=at, source=source,
                                 by_user_id=by.id if by else None, reason=reason)
    session.add(completion)
    session.flush()
    return completion


@dataclass
class Scenario:
    track: Track
    cohort: Cohort
    trainer: User
    supervisor: User
    outsider: User       # a trainer who does not follow the cohort
    fresh: User          # has opened nothing
    reading: User        # read m-a, started m-b; s1 still open
    second: User         # s1 passed by hand, reading s2
    done: User           # every stage passed
    inactive: User       # left: not in the grid


def build_scenario(session: Session, *, now: datetime, start: date) -> Scenario:
    """The progress track and a cohort (starting `start`) whose trainees stand at different
    points of it, followed by a trainer and a supervisor."""
    track = make_track(session, now=now)
    trainer = make_user(session, role=Role.TRAINER, display_name="带教周老师")
    supervisor = make_user(session, role=Role.SUPERVISOR)
    outsider = make_user(session, role=Role.TRAINER)
    cohort = make_cohort(session, name="进度测试批次", start_date=start,
                         track_key=progress_fixtures.TRACK_KEY, staff=[trainer, supervisor])
    made = {}
    for n, (name, label) in enumerate([("fresh", "甲新人"), ("reading", "乙新人"),
                                       ("second", "丙新人"), ("done", "丁新人"),
                                       ("inactive", "戊离职")], start=1):
        made[name] = make_user(session, cohort=cohort, display_name=label,
                               employee_no=f"P{n:03d}", active=name != "inactive")
        made[name].created_at = now - timedelta(days=3)
    t = now - timedelta(days=1)
    read(session, user=made["reading"], track=track, module_key="m-a", opened=t, seconds=600,
         completed=t + timedelta(minutes=15))
    read(session, user=made["reading"], track=track, module_key="m-b",
         opened=t + timedelta(minutes=20), seconds=125)
    read(session, user=made["second"], track=track, module_key="m-a", opened=t, seconds=300,
         completed=t)
    read(session, user=made["second"], track=track, module_key="m-c",
         opened=t + timedelta(hours=2), seconds=60)
    pass_stage(session, user=made["second"], stage_key="s1", at=t + timedelta(hours=1),
               source="manual", by=trainer, reason="线下笔试满分")
    for stage, source in (("s1", "exam"), ("s2", "checklist"), ("s3", "exam")):
        pass_stage(session, user=made["done"], stage_key=stage, at=t, source=source)
    # Someone else's trainee, with progress of their own: never in this grid.
    other = make_user(session, cohort=make_cohort(session, track_key=progress_fixtures.TRACK_KEY))
    read(session, user=other, track=track, module_key="m-a", opened=t, seconds=999)
    session.flush()
    return Scenario(track=track, cohort=cohort, trainer=trainer, supervisor=supervisor,
                    outsider=outsider, **made)


def cohort_with_trainees(session: Session, *, now: datetime, trainer: User, size: int) -> int:
    """A cohort of `size` trainees on the progress track (made already) with some reading and
    some passed stages, followed by `trainer` (for query counts). Returns the cohort's id."""
    cohort = make_cohort(session, track_key=progress_fixtures.TRACK_KEY, staff=[trainer])
    track = session.scalars(sa.select(Track).where(Track.key == progress_fixtures.TRACK_KEY)).one()
    for n in range(size):
        trainee = make_user(session, cohort=cohort)
        read(session, user=trainee, track=track, module_key="m-a", opened=now, seconds=60 * n,
             completed=now if n % 2 else None)
        if n % 3 == 0:
            pass_stage(session, user=trainee, stage_key="s1", at=now, source="exam")
            read(session, user=trainee, track=track, module_key="m-c", opened=now, seconds=30)
    return cohort.id


# --- banks and exams ---------------------------------------------------------------------------


def upload(name: str, text: str | bytes, **keys: str) -> UploadedFile:
    """A file as the bank upload form hands it over (`key`, `title` as typed in the form)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return UploadedFile(name, data, keys.get("key"), keys.get("title"))


def import_small_bank(session: Session, *, now: datetime, with_exam: bool = False,
                      actor_id: int | None = None) -> None:
    """The small after-sales bank (and its exam), through the upload's check and confirm."""
    files = [upload("after-sales-small.yaml", bank_fixtures.SMALL_BANK)]
    if with_exam:
        files.append(upload("small-exam.yaml", bank_fixtures.EXAM))
    check = bank_services.check_upload(session, files=files)
    assert check.ok, [str(p) for p in check.problems]
    bank_services.confirm_upload(session, files=files, expected_digest=check.digest,
                                 actor_id=actor_id, now=now)


def import_exam(session: Session, *, now: datetime, bank: str, bank_file: str,
                exams: tuple[str, ...], exam_file: str = "exam.yaml") -> None:
    """Import one bank file and the exam files over it, as `flask exams import` does."""
    loaded, problems = load_bank(bank.encode("utf-8"), bank_file)
    assert loaded is not None, [str(p) for p in problems]
    definitions = []
    for text in exams:
        definition, problems = load_exam(text, exam_file)
        assert definition is not None and not problems, [str(p) for p in problems]
        definitions.append(definition)
    exam_services.apply_import(session, banks=[loaded], exams=definitions, actor_id=None, now=now)


def import_demo_exam(session: Session, *, now: datetime, exam: str = exam_fixtures.EXAM) -> None:
    """The demo bank (one question of each auto-graded kind) and its exam."""
    import_exam(session, now=now, bank=exam_fixtures.BANK, bank_file="demo-bank.yaml",
                exams=(exam,), exam_file="demo-exam.yaml")


def start_demo_attempt(client: FlaskClient) -> int:
    """Start the demo exam (import_demo_exam) as the client's trainee; the new attempt's id."""
    response = client.post("/exams/demo-exam/attempts")
    assert response.status_code == 303
    return int(response.headers["Location"].split("/")[2])


def import_grading_exam(session: Session, *, now: datetime, bank: str = grading_fixtures.BANK,
                        exams: tuple[str, ...] = (grading_fixtures.EXAM,
                                                  grading_fixtures.STAGED_EXAM)) -> None:
    """The grading bank (a short answer and a case) and its two exams."""
    import_exam(session, now=now, bank=bank, bank_file="grading-bank.yaml", exams=exams)


@dataclass
class World:
    cohort: Cohort
    trainee: User
    trainer: User
    second_trainer: User  # follows the same cohort: for lock conflicts
    supervisor: User
    outsider: User  # a trainer of another cohort


def build_world(session: Session, *, now: datetime) -> World:
    """The grading exams, their track, a cohort with two trainers and a supervisor, one
    trainee, and a trainer of another cohort."""
    import_grading_exam(session, now=now)
    make_track(session, now=now, key=grading_fixtures.TRACK_KEY, title="评分测试路线",
               stages=grading_fixtures.STAGES, modules={})
    trainer = make_user(session, role=Role.TRAINER, display_name="王培训")
    second = make_user(session, role=Role.TRAINER, display_name="李培训")
    supervisor = make_user(session, role=Role.SUPERVISOR, display_name="陈主管")
    outsider = make_user(session, role=Role.TRAINER, display_name="外批次培训")
    cohort = make_cohort(session, track_key=grading_fixtures.TRACK_KEY,
                         staff=[trainer, second, supervisor])
    make_cohort(session, track_key=grading_fixtures.TRACK_KEY, staff=[outsider])
    trainee = make_user(session, cohort=cohort, display_name="林新人")
    return World(cohort=cohort, trainee=trainee, trainer=trainer, second_trainer=second,
                 supervisor=supervisor, outsider=outsider)


def take_and_submit(session: Session, *, trainee: User, now: datetime,
                    exam_key: str = "grading-exam",
                    answers: dict[int, Any] | None = None) -> Attempt:
    """`trainee` starts the exam at `now`, answers (by position) and submits five minutes later."""
    attempt = exam_services.start_attempt(session, user=trainee, exam_key=exam_key, now=now)
    for position, answer in (grading_fixtures.ANSWERS if answers is None else answers).items():
        exam_services.save_answer(session, user=trainee, attempt_id=attempt.id,
                                  position=position, answer=answer, revision=1, now=now)
    exam_services.submit_attempt(session, user=trainee, attempt_id=attempt.id,
                                 now=now + timedelta(minutes=5))
    return attempt


def response_at(attempt: Attempt, position: int) -> Response:
    return next(r for r in attempt.responses if r.position == position)


def grade_all(session: Session, *, trainer: User, attempt: Attempt, now: datetime) -> None:
    """`trainer` gives full marks to the essay and the case part of a grading-exam attempt."""
    for position, scores in ((2, grading_fixtures.FULL_ESSAY), (3, grading_fixtures.FULL_CASE)):
        response = response_at(attempt, position)
        grading.grading_page(session, actor=trainer, response_id=response.id, now=now)
        grading.grade_response(session, actor=trainer, response_id=response.id, scores=scores,
                               comment="", now=now)


def fix_choice_key(session: Session, *, now: datetime) -> Question:
    """Import a new version of the choice question whose key is "b" (the "corrected" key)."""
    fixed = grading_fixtures.BANK.replace(
        "{key: a, text: 先核对订单状态, correct: true}", "{key: a, text: 先核对订单状态}").replace(
        "{key: b, text: 直接修改地址}", "{key: b, text: 直接修改地址, correct: true}")
    import_grading_exam(session, now=now, bank=fixed, exams=())
    return session.scalars(sa.select(Question).where(Question.qid == "choice")).one()


def import_categorised_bank(session: Session, *, now: datetime) -> None:
    """A GIFT bank with nested categories and titles, through the upload's check and confirm."""
    files = [upload("categorised.gift", bank_fixtures.CATEGORISED_GIFT, key="categorised",
                    title="分类题库")]
    check = bank_services.check_upload(session, files=files)
    assert check.ok, [str(p) for p in check.problems]
    bank_services.confirm_upload(session, files=files, expected_digest=check.digest,
                                  actor_id=None, now=now)


# --- chat exams --------------------------------------------------------------------------------


def import_chats(session: Session, *, now: datetime, folder: Path | None = None) -> None:
    """Import a chats folder (by default the console tests' own, tests/chat/data/web)."""
    from portal.chat.files import load_folder
    from portal.chat.services import imports as chat_imports
    from tests.chat import chat_web_fixtures

    content = load_folder(folder or chat_web_fixtures.CHATS)
    assert not content.problems, [str(p) for p in content.problems]
    chat_imports.apply_import(session, scenarios=content.scenarios, drills=content.drills,
                              rules=content.rules, actor_id=None, now=now)


def make_chat_trainee(session: Session, *, now: datetime,
                      stages: list[dict[str, Any]] | None = None) -> User:
    """A trainee of a cohort on the chat tests' track (stage `practice` asks for drill `solo`),
    with the chats imported."""
    from tests.chat import chat_web_fixtures

    if session.scalar(sa.select(Track).where(Track.key == chat_web_fixtures.TRACK_KEY)) is None:
        make_track(session, now=now, key=chat_web_fixtures.TRACK_KEY, title="聊天考核路线",
                   stages=stages or chat_web_fixtures.STAGES, modules=chat_web_fixtures.MODULES)
        import_chats(session, now=now)
    cohort = make_cohort(session, track_key=chat_web_fixtures.TRACK_KEY)
    return make_user(session, cohort=cohort)


# --- chat exams: the staff side (review, agreement) ----------------------------------------------


def make_finished_chat_attempt(session: Session, *, trainee: User, now: datetime,
                               replies: tuple[str, ...] = ("亲，您好~我们合作的是申通、中通和圆通哦",),
                               drill_key: str = "solo", first_reply_after: float = 12.0,
                               between: float = 8.0) -> Any:
    """A chat attempt of `trainee` (a make_chat_trainee) played to its end with an explicit
    clock: the customer's opening messages delivered, `replies` sent to the first customer
    (the first after `first_reply_after` seconds, then every `between` seconds), finished."""
    from portal.chat.services import attempts as chat_attempts

    attempt = chat_attempts.start_attempt(session, user=trainee, drill_key=drill_key, now=now)
    chat_attempts.advance(session, attempt=attempt, now=now + timedelta(seconds=5))
    at = first_reply_after
    for text in replies:
        chat_attempts.reply(session, user_id=trainee.id, attempt_id=attempt.id, slot=0, text=text,
                            now=now + timedelta(seconds=at))
        at += between
    chat_attempts.finish_attempt(session, user=trainee, attempt_id=attempt.id,
                                 now=now + timedelta(seconds=at + 30))
    session.flush()
    return attempt


def make_scored_chat_attempt(session: Session, *, trainee: User, drill_key: str,
                             customers: list[tuple[int, Any]], ended_at: datetime | None,
                             deadline_at: datetime | None = None) -> Any:
    """A chat attempt of `trainee` written as rows, with the engine's result given, not played:
    `customers` are (scenario version id, ConversationScore) in slot order. With `ended_at`
    it is finished and `auto_result` is `score_attempt` of the scores (the drill's pass mark);
    without, it is still in progress (until `deadline_at`)."""
    from portal.chat import scoring
    from portal.chat.models import (
        ChatAttempt,
        ChatAttemptStatus,
        ChatConversation,
        ChatDrill,
        ChatEndedBy,
    )
    from portal.chat.services.attempts import drill_of

    drill = session.scalars(sa.select(ChatDrill).where(ChatDrill.key == drill_key)).one()
    version = drill.current_version
    assert version is not None
    number = 1 + (session.scalar(sa.select(sa.func.count()).select_from(ChatAttempt).where(
        ChatAttempt.user_id == trainee.id, ChatAttempt.chat_drill_id == drill.id)) or 0)
    started = (ended_at or deadline_at or utcnow()) - timedelta(minutes=5)
    attempt = ChatAttempt(user_id=trainee.id, chat_drill_id=drill.id,
                          chat_drill_version_id=version.id, number=number,
                          started_at=started, deadline_at=deadline_at or started + timedelta(
                              minutes=drill_of(version).time_limit_minutes),
                          status=ChatAttemptStatus.IN_PROGRESS, last_seq=0)
    for slot, (version_id, _score) in enumerate(customers):
        attempt.conversations.append(ChatConversation(
            slot=slot, chat_scenario_version_id=version_id, arrives_at=started, state="ask",
            entered_at=started, waiting_since=started, ended=ended_at is not None))
    if ended_at is not None:
        result = scoring.score_attempt([score for _, score in customers],
                                       pass_mark=drill_of(version).pass_mark)
        attempt.status = ChatAttemptStatus.FINISHED
        attempt.ended_at, attempt.ended_by = ended_at, ChatEndedBy.SCRIPTS
        attempt.auto_result = result.to_data()
        attempt.score, attempt.passed = result.score, bool(result.passed)
        attempt.fail_reason = result.violations[0].id.value if result.violations else None
    session.add(attempt)
    session.flush()
    return attempt


def make_chat_review(session: Session, *, reviewer: User, attempt_id: int, item: str,
                     points: float, reason: str, now: datetime, comment: str = "") -> Any:
    """A reviewer's score for one item of a finished chat attempt, through the service."""
    from portal.chat.services import review

    return review.record_review(session, actor=reviewer, attempt_id=attempt_id, now=now,
                                entry=review.ReviewInput(item=item, points=points,
                                                         reason=reason, comment=comment))


# --- lint: crafted banks --------------------------------------------------------------------


def make_lint_bank(*, questions: list[dict[str, Any]], key: str = "lint-bank",
                   title: str = "检查用题库") -> Any:
    """A bank read through the real bank reader (so every question has its file line)."""
    text = yaml.safe_dump({"key": key, "title": title, "questions": questions},
                          allow_unicode=True, sort_keys=False)
    bank, problems = load_bank(text.encode("utf-8"), f"question_banks/banks/{key}.yaml")
    assert bank is not None, [str(p) for p in problems]
    return bank


def single_choice_data(*, qid: str, prompt: str, options: tuple[str, ...] | list[str],
                       correct: int, credit: dict[int, float] | None = None,
                       feedback: dict[int, str] | None = None, explanation: str = "",
                       acknowledged: list[dict[str, str]] | None = None,
                       tags: list[str] | None = None, difficulty: str = "easy") -> dict[str, Any]:
    choices: list[dict[str, Any]] = []
    for index, option in enumerate(options):
        choice: dict[str, Any] = {"text": option, "correct": index == correct}
        if credit and index in credit:
            choice["credit"] = credit[index]
        if feedback and index in feedback:
            choice["feedback"] = feedback[index]
        choices.append(choice)
    data: dict[str, Any] = {"id": qid, "kind": "single-choice", "prompt": prompt, "points": 1,
                            "difficulty": difficulty, "tags": tags or ["stage:basics"],
                            "choices": choices}
    if explanation:
        data["explanation"] = explanation
    if acknowledged:
        data["acknowledged"] = acknowledged
    return data


def multiple_choice_data(*, qid: str, prompt: str, options: tuple[str, ...],
                         correct: tuple[int, ...], tags: list[str] | None = None,
                         ) -> dict[str, Any]:
    return {"id": qid, "kind": "multiple-choice", "prompt": prompt, "points": 2,
            "difficulty": "medium", "tags": tags or ["stage:basics"],
            "choices": [{"text": o, "correct": i in correct} for i, o in enumerate(options)]}


def true_false_data(*, qid: str, prompt: str, answer: bool, explanation: str = "",
                    tags: list[str] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"id": qid, "kind": "true-false", "prompt": prompt, "points": 1,
                            "difficulty": "easy", "tags": tags or ["stage:basics"],
                            "answer": answer}
    if explanation:
        data["explanation"] = explanation
    return data


def import_lint_bank(session: Session, *, now: datetime, questions: list[dict[str, Any]],
                     key: str = "lint-bank") -> None:
    """A crafted bank (see `make_lint_bank`) imported through the exams import path."""
    exam_services.apply_import(session, banks=[make_lint_bank(questions=questions, key=key)],
                               exams=[], actor_id=None, now=now)
    session.flush()


def cued_questions() -> list[dict[str, Any]]:
    """Ten single-choice questions all keyed on the first option: every one warned."""
    from tests.exams import lint_fixtures

    return [single_choice_data(qid=f"single-{i}", prompt=lint_fixtures.STEMS[i],
                               options=lint_fixtures.OPTIONS[i], correct=0) for i in range(10)]


# --- observation forms -------------------------------------------------------------------------


def import_observation_forms(session: Session, *, now: datetime) -> None:
    """Import the shipped observation forms (question_banks/observations) through the service."""
    from portal.observations import services as observation_services
    from portal.observations.files import load_folder
    from tests.observations import observation_fixtures

    content = load_folder(observation_fixtures.FORMS)
    assert not content.problems, [str(p) for p in content.problems]
    observation_services.apply_import(session, forms=content.forms, actor_id=None, now=now)


@dataclass
class ObservationWorld:
    trainer: User
    supervisor: User
    outsider: User  # a trainer of another cohort
    cohort: Cohort
    trainees: list[User]


def build_observation_world(session: Session, *, now: datetime, size: int = 2) -> ObservationWorld:
    """The forms imported; a cohort staffed by a trainer and a supervisor, with `size` trainees;
    a trainer of another cohort."""
    import_observation_forms(session, now=now)
    trainer = make_user(session, role=Role.TRAINER, display_name="王组长")
    supervisor = make_user(session, role=Role.SUPERVISOR, display_name="李主管")
    outsider = make_user(session, role=Role.TRAINER, display_name="外组组长")
    cohort = make_cohort(session, name="十一月批次", staff=[trainer, supervisor])
    make_cohort(session, name="别的批次", staff=[outsider])
    trainees = [make_user(session, cohort=cohort, display_name=f"新人{i + 1}",
                          employee_no=f"N{i + 1:03d}") for i in range(size)]
    return ObservationWorld(trainer=trainer, supervisor=supervisor, outsider=outsider,
                            cohort=cohort, trainees=trainees)


def import_docs_example_bank(session: Session, *, now: datetime) -> None:
    """The complete example bank of docs/question-bank-format.md: one question of every kind
    (bank key after-sales-demo)."""
    from tests.exams.examples import docs_example_text

    loaded, problems = load_bank(docs_example_text().encode("utf-8"), "after-sales-demo.yaml")
    assert loaded is not None, [str(p) for p in problems]
    exam_services.apply_import(session, banks=[loaded], exams=[], actor_id=None, now=now)


# --- probation ---------------------------------------------------------------------------------


@dataclass
class ProbationWorld:
    trainer: User
    supervisor: User  # 李主管
    second_supervisor: User  # 赵主管: the checker when 李主管 proposes
    outsider: User  # a supervisor of another cohort
    cohort: Cohort  # starts 2026-11-23 on the chat tests' track (stage `practice`: drill solo)
    trainees: list[User]


def build_probation_world(session: Session, *, now: datetime, size: int = 2) -> ProbationWorld:
    """The observation forms and the chat tests' track and drills imported; a cohort on that
    track followed by a trainer and two supervisors, with `size` trainees; a supervisor of
    another cohort."""
    from tests.chat import chat_web_fixtures

    import_observation_forms(session, now=now)
    if session.scalar(sa.select(Track).where(Track.key == chat_web_fixtures.TRACK_KEY)) is None:
        make_track(session, now=now, key=chat_web_fixtures.TRACK_KEY, title="聊天考核路线",
                   stages=chat_web_fixtures.STAGES, modules=chat_web_fixtures.MODULES)
        import_chats(session, now=now)
    trainer = make_user(session, role=Role.TRAINER, display_name="王组长")
    supervisor = make_user(session, role=Role.SUPERVISOR, display_name="李主管")
    second = make_user(session, role=Role.SUPERVISOR, display_name="赵主管")
    outsider = make_user(session, role=Role.SUPERVISOR, display_name="外组主管")
    cohort = make_cohort(session, name="转正批次", track_key=chat_web_fixtures.TRACK_KEY,
                         staff=[trainer, supervisor, second])
    make_cohort(session, name="别组批次", staff=[outsider])
    trainees = [make_user(session, cohort=cohort, display_name=f"转正新人{i + 1}",
                          employee_no=f"Z{i + 1:03d}") for i in range(size)]
    return ProbationWorld(trainer=trainer, supervisor=supervisor, second_supervisor=second,
                          outsider=outsider, cohort=cohort, trainees=trainees)


def fill_observations(session: Session, *, actor: User, trainee: User, now: datetime,
                      scores: Mapping[str, int], low: Mapping[str, int] | None = None) -> None:
    """Score every item of each form in `scores` (form key -> score) through the observation
    service; `low` gives one item (item key -> score) a different score."""
    from portal.observations import services as observation_services
    from portal.observations.files import load_folder
    from tests.observations import observation_fixtures

    forms = {f.key: f for f in load_folder(observation_fixtures.FORMS).forms}
    for form_key, score in scores.items():
        for item in forms[form_key].items:
            value = (low or {}).get(item.key, score)
            observation_services.record_entry(session, actor=actor, trainee_id=trainee.id,
                                              form_key=form_key, item=item.key, score=value,
                                              note="", now=now)


# --- placement ----------------------------------------------------------------------------------


def import_placement_exam(session: Session, *, now: datetime, counts: str = "highest") -> None:
    """The placement tests' bank (two questions per area) and its exam with `areas`."""
    from tests.placement import placement_fixtures

    import_exam(session, now=now, bank=placement_fixtures.AREA_BANK,
                bank_file="placement-bank.yaml",
                exams=(placement_fixtures.AREA_EXAM.format(counts=counts),),
                exam_file="placement-exam.yaml")


def placement_policy(*, missing: str = "reweigh") -> Any:
    """The placement tests' small policy (placement_fixtures.POLICY_YAML)."""
    from portal.placement.policy import read_policy
    from tests.placement import placement_fixtures

    policy, problems = read_policy(
        placement_fixtures.POLICY_YAML.format(missing=missing).encode(), "policy.yaml")
    assert policy is not None, [str(p) for p in problems]
    return policy


def set_placement_plan(session: Session, *, supervisor: User, cohort: Cohort, pre_sales: int,
                       after_sales: int, now: datetime) -> None:
    from portal.placement import services as placement_services

    placement_services.save_plan(session, actor=supervisor, cohort_id=cohort.id, method="direct",
                                 capacities={"pre-sales": str(pre_sales),
                                             "after-sales": str(after_sales)},
                                 formula=None, now=now)


# --- the shipped content and a finished cohort (dashboard, exports, demo) ------------------------


def import_shipped_content(session: Session, *, now: datetime) -> None:
    """Everything `make demo` imports (courses, banks and exams, chats, observation forms),
    through the same services as the commands."""
    from portal import demo_cohort

    demo_cohort.import_shipped_content(session, now=now)


def build_finished_cohort(session: Session, *, now: datetime,
                          people: tuple[Any, ...] | None = None) -> Any:
    """The shipped content, a trainer and a supervisor, and the demo's finished cohort of
    `people` (DemoTrainee values; by default three: strong, critical violation, weak),
    generated through the services. Returns the demo's FinishedCohort."""
    from portal import demo_cohort

    import_shipped_content(session, now=now)
    trainer = make_user(session, role=Role.TRAINER, display_name="周组长")
    supervisor = make_user(session, role=Role.SUPERVISOR, display_name="陈主管")
    chosen = people or (demo_cohort.DEMO_TRAINEES[0], demo_cohort.DEMO_TRAINEES[6],
                        demo_cohort.DEMO_TRAINEES[8])
    made = demo_cohort.load_finished_cohort(session, trainer=trainer, supervisor=supervisor,
                                            password_hash=_hash(PASSWORD), now=now, people=chosen)
    assert made is not None
    return made


def build_chat_observation_world(session: Session, *, now: datetime,
                                 replies: tuple[str, ...] = ("亲，您好~我们合作的是申通、中通和圆通哦",)
                                 ) -> ObservationWorld:
    """The observation forms imported and a cohort on the chat tests' track staffed by a
    trainer and a supervisor: its first trainee played drill `solo` to the end (`replies`,
    the first 12 s after the start, then every 8 s), its second played nothing."""
    import_observation_forms(session, now=now)
    first = make_chat_trainee(session, now=now)
    cohort = session.get(Cohort, first.cohort_id)
    assert cohort is not None
    trainer = make_user(session, role=Role.TRAINER, display_name="王组长")
    supervisor = make_user(session, role=Role.SUPERVISOR, display_name="李主管")
    outsider = make_user(session, role=Role.TRAINER, display_name="外组组长")
    cohort.staff = [trainer, supervisor]
    second = make_user(session, cohort=cohort, display_name="新人2", employee_no="N902")
    first.display_name, first.employee_no = "新人1", "N901"
    session.flush()
    make_finished_chat_attempt(session, trainee=first, now=now, replies=replies)
    return ObservationWorld(trainer=trainer, supervisor=supervisor, outsider=outsider,
                            cohort=cohort, trainees=[first, second])


# --- item analysis -----------------------------------------------------------------------------


@dataclass
class ExamWorld:
    cohort: Cohort
    trainees: list[User]
    trainer: User
    supervisor: User
    outsider: User  # a trainer of another cohort
    other_cohort: Cohort


def take_demo_exam(session: Session, *, user: User, answers: dict[int, Any], now: datetime) -> Attempt:
    attempt = exam_services.start_attempt(session, user=user, exam_key="demo-exam", now=now, seed=1)
    for position, answer in answers.items():
        exam_services.save_answer(session, user=user, attempt_id=attempt.id, position=position,
                          answer=answer, revision=1, now=now)
    exam_services.submit_attempt(session, user=user, attempt_id=attempt.id,
                                 now=now + timedelta(minutes=12))
    return attempt


def build_exam_world(session: Session, *, now: datetime) -> ExamWorld:
    """The demo exam taken by a cohort as tests/analytics/analytics_fixtures.py describes."""
    import_demo_exam(session, now=now)
    trainer = make_user(session, role=Role.TRAINER, display_name="王培训")
    supervisor = make_user(session, role=Role.SUPERVISOR, display_name="陈主管")
    outsider = make_user(session, role=Role.TRAINER, display_name="外批次培训")
    cohort = make_cohort(session, name="十二月一批", staff=[trainer, supervisor])
    other = make_cohort(session, name="别的批次", staff=[outsider])
    trainees = [make_user(session, cohort=cohort, display_name=f"学员{i}") for i in range(1, 13)]
    for user, answers in zip(trainees[:5] + trainees[7:], analytics_fixtures.ANSWERS * 2,
                             strict=True):
        take_demo_exam(session, user=user, answers=answers, now=now)
    take_demo_exam(session, user=trainees[4], answers=exam_fixtures.ANSWERS_RIGHT, now=now + timedelta(hours=1))
    # T6 finished, but an answer waits for a trainer (as a manually graded one would)
    waiting = take_demo_exam(session, user=trainees[5], answers=exam_fixtures.ANSWERS_RIGHT, now=now)
    session.execute(sa.update(Attempt).where(Attempt.id == waiting.id)
                    .values(status=AttemptStatus.SUBMITTED, score=None, passed=None))
    session.execute(sa.update(Response).where(Response.attempt_id == waiting.id,
                                              Response.position == 6)
                    .values(needs_manual=True, points=None))
    # T7 is still writing
    exam_services.start_attempt(session, user=trainees[6], exam_key="demo-exam", now=now, seed=1)
    session.commit()
    return ExamWorld(cohort=cohort, trainees=trainees, trainer=trainer, supervisor=supervisor,
                     outsider=outsider, other_cohort=other)


# --- cohort analytics ----------------------------------------------------------------------------


@dataclass
class CohortAnalyticsWorld:
    cohort: Cohort            # 分析批次: trainees 甲 乙 丙 丁 戊 (and 己, who left)
    other: Cohort             # another cohort on the same track
    trainer: User             # follows `cohort` (and grades its essays)
    supervisor: User          # follows `cohort`
    outsider: User            # a trainer who follows `other` only
    trainees: dict[str, User]  # by name: 甲 乙 丙 丁 戊 (active), 己 (left)
    stranger: User            # 庚, the other cohort's trainee
    track: Track
    questions: dict[str, int]  # qid -> Question.id


def _take_exam(session: Session, *, trainee: User, exam_key: str, at: datetime,
               answers: dict[int, Any], grader: User | None = None,
               essay: dict[str, int] | None = None) -> Attempt:
    """`trainee` starts the exam at `at`, answers (by position), submits five minutes later;
    `grader` scores the essay (position 2) with `essay` at `at` + 30 minutes."""
    attempt = exam_services.start_attempt(session, user=trainee, exam_key=exam_key, now=at)
    for position, answer in answers.items():
        exam_services.save_answer(session, user=trainee, attempt_id=attempt.id,
                                  position=position, answer=answer, revision=1, now=at)
    exam_services.submit_attempt(session, user=trainee, attempt_id=attempt.id,
                                 now=at + timedelta(minutes=5))
    if grader is not None and essay is not None:
        response = response_at(attempt, 2)
        grading.grade_response(session, actor=grader, response_id=response.id, scores=essay,
                               comment="", now=at + timedelta(minutes=30))
    return attempt


def build_cohort_analytics_world(session: Session) -> CohortAnalyticsWorld:
    """The analytics tests' week (tests/analytics/cohort_analytics_fixtures.py), played
    through the services on its own clock; tests/analytics/test_cohort_service.py lists what
    each trainee did."""
    from tests.analytics import cohort_analytics_fixtures as fx
    from tests.chat import chat_web_fixtures as chat_fx

    at = fx.at
    import_exam(session, now=at(1, 8), bank=fx.BANK, bank_file="ana-bank.yaml",
                exams=(fx.BASICS, fx.AFTER), exam_file="ana-exams.yaml")
    import_chats(session, now=at(1, 8))
    track = make_track(session, now=at(1, 8), key=fx.TRACK_KEY, title=fx.TRACK_TITLE,
                       stages=fx.STAGES, modules=fx.MODULES)
    trainer = make_user(session, role=Role.TRAINER, display_name="分析组长")
    supervisor = make_user(session, role=Role.SUPERVISOR, display_name="分析主管")
    outsider = make_user(session, role=Role.TRAINER, display_name="别组组长")
    cohort = make_cohort(session, name="分析批次", start_date=fx.START, track_key=fx.TRACK_KEY,
                         staff=[trainer, supervisor])
    other = make_cohort(session, name="别组批次", start_date=fx.START, track_key=fx.TRACK_KEY,
                        staff=[outsider])
    people = {name: make_user(session, cohort=cohort, display_name=name,
                              employee_no=f"ANA{n:02d}")
              for n, name in enumerate(("甲", "乙", "丙", "丁", "戊", "己"), start=1)}
    stranger = make_user(session, cohort=other, display_name="庚", employee_no="ANA90")
    a, b, c, d, e, f = (people[n] for n in ("甲", "乙", "丙", "丁", "戊", "己"))

    def opens(user: User, module_key: str, when: datetime) -> None:
        read(session, user=user, track=track, module_key=module_key, opened=when, seconds=300)

    def basics(user: User, when: datetime, choice: str, essay: dict[str, int] | None,
               grader: User = trainer) -> Attempt:
        return _take_exam(session, trainee=user, exam_key="ana-basics", at=when,
                          answers={1: choice, 2: fx.ESSAY}, grader=grader, essay=essay)

    def after(user: User, when: datetime, answer: bool) -> Attempt:
        return _take_exam(session, trainee=user, exam_key="ana-after", at=when,
                          answers={1: answer})

    # Monday
    opens(d, "m-b", at(1, 9, 30))
    opens(a, "m-a", at(1, 10))
    opens(a, "m-b", at(1, 10))
    opens(b, "m-a", at(1, 10))
    basics(d, at(1, 10), fx.RIGHT, fx.FULL)            # 100: passes 入门 at 10:30
    basics(stranger, at(1, 10), fx.WRONG, fx.FULL, grader=outsider)  # 50
    basics(a, at(1, 11), fx.RIGHT, fx.EIGHT)           # 90: passes 入门 at 11:30
    after(d, at(1, 11), False)                         # 0
    basics(f, at(1, 12), fx.WRONG, fx.FULL)            # 50 (己 leaves later)
    opens(a, "m-c", at(1, 13))
    basics(b, at(1, 14), fx.WRONG, fx.FULL)            # 50
    basics(c, at(1, 15), fx.WRONG, fx.FOUR)            # 20
    opens(b, "m-b", at(1, 16))
    basics(c, at(1, 16), fx.RIGHT, None)               # waits for the trainer
    # Tuesday
    after(a, at(2, 9), True)                           # 100: passes 售后 at 9:05
    basics(b, at(2, 10), fx.RIGHT, fx.FULL)            # 100: passes 入门 at 10:30
    make_finished_chat_attempt(session, trainee=a, now=at(2, 14), drill_key="one",
                               replies=(chat_fx.PROMISE,))  # a critical violation: fails
    make_finished_chat_attempt(session, trainee=a, now=at(2, 15), drill_key="one")  # passes
    # Wednesday: the trainer marks 实战 passed for 甲
    pass_stage(session, user=a, stage_key="s3", at=at(3, 10), source="manual", by=trainer,
               reason="线下实操通过", track_key=fx.TRACK_KEY)
    # Thursday
    after(d, at(4, 10), True)                          # 100: passes 售后 at 10:05
    # Friday
    make_finished_chat_attempt(session, trainee=d, now=at(5, 10), drill_key="one")  # passes
    exam_services.start_attempt(session, user=e, exam_key="ana-basics", now=at(5, 17, 20))
    f.active = False
    session.flush()
    questions = dict(session.execute(
        sa.select(Question.qid, Question.id).join(QuestionBank)
        .where(QuestionBank.key == "ana-bank")).all())
    return CohortAnalyticsWorld(cohort=cohort, other=other, trainer=trainer,
                                supervisor=supervisor, outsider=outsider, trainees=people,
                                stranger=stranger, track=track, questions=questions)


def make_failing_trainees(session: Session, *, world: CohortAnalyticsWorld,
                          count: int) -> list[User]:
    """`count` more trainees of the world's cohort: each opens 运费与时效 on Monday at 9:00,
    fails 入门考核 at 10:00 (the wrong choice, the essay scored in full) and so is still on
    stage 入门; one of them also passes it by hand on Tuesday (for counting statements)."""
    from tests.analytics import cohort_analytics_fixtures as fx

    made = []
    for _ in range(count):
        n = next(_seq)
        trainee = make_user(session, cohort=world.cohort, display_name=f"加{n}",
                            employee_no=f"ANX{n:04d}")
        read(session, user=trainee, track=world.track, module_key="m-a", opened=fx.at(1, 9),
             seconds=60)
        _take_exam(session, trainee=trainee, exam_key="ana-basics", at=fx.at(1, 10),
                   answers={1: fx.WRONG, 2: fx.ESSAY}, grader=world.trainer, essay=fx.FULL)
        made.append(trainee)
    if made:
        pass_stage(session, user=made[0], stage_key="s1", at=fx.at(2, 9), source="manual",
                   by=world.trainer, reason="补考通过", track_key=fx.TRACK_KEY)
    session.flush()
    return made
