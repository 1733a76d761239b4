"""Two app processes (two Flask apps, two engines) on one database serve one attempt at once:
no message is delivered twice, no acknowledged reply is lost, every seq is used once.

Runs on SQLite here and on PostgreSQL in the Makefile's PG_SUITE (PORTAL_TEST_DB=postgres).
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, OpenerDirector, build_opener

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from portal.chat.models import ChatAttempt, ChatMessage, ChatSender
from tests.factories import PASSWORD, make_chat_trainee, make_test_app


@pytest.fixture
def second_app(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    """Another portal process on the same database (its own engine and connection pool)."""
    other = make_test_app(tmp_path=tmp_path / "second", database_url=database_url)
    yield other
    other.extensions["portal.engine"].dispose()


def _serve(app: Flask) -> tuple[str, object, threading.Thread]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{server.server_port}", server, thread


def _status(opener: OpenerDirector, url: str, data: dict[str, str] | None = None) -> int:
    try:
        with opener.open(url, data=urlencode(data).encode() if data is not None else None,
                         timeout=30) as response:
            return int(response.status)
    except HTTPError as exc:
        return exc.code


def test_two_processes_serving_one_attempt_lose_and_duplicate_nothing(
        app: Flask, second_app: Flask, session: Session, now) -> None:  # type: ignore[no-untyped-def]
    trainee = make_chat_trainee(session, now=now)
    session.commit()
    servers = [_serve(app), _serve(second_app)]
    try:
        openers = []
        for base, _, _ in servers:
            opener = build_opener(HTTPCookieProcessor(CookieJar()))
            opener.open(base + "/login", data=urlencode(
                {"employee_no": trainee.employee_no, "password": PASSWORD}).encode())
            openers.append((base, opener))
        base, opener = openers[0]
        assert _status(opener, base + "/chat/drills/pair/attempts", {}) == 200  # after 303
        attempt_id = session.scalars(sa.select(ChatAttempt.id)).one()

        def work(i: int) -> tuple[str, int]:
            base, opener = openers[i % 2]
            if i % 3 == 0:
                text = f"稍等一下哦，我查一下 {i}"
                return text, _status(opener, f"{base}/chat/attempts/{attempt_id}/reply",
                                     {"c": "0", "text": text})
            return "", _status(opener, f"{base}/chat/attempts/{attempt_id}/poll?c=0&seen=0")

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(work, range(90)))
    finally:
        for _, server, thread in servers:
            server.shutdown()  # type: ignore[attr-defined]
            thread.join(timeout=10)
    polls = [status for text, status in results if not text]
    assert set(polls) <= {200, 204}, polls
    sent = {text: status for text, status in results if text}
    # A reply is taken (200) or refused because the customer's script ended (409): nothing else.
    assert set(sent.values()) <= {200, 409}, sent
    assert list(sent.values()).count(200) >= 3  # the fallback ends 小林's script after three
    session.rollback()
    rows = list(session.scalars(sa.select(ChatMessage).where(
        ChatMessage.chat_attempt_id == attempt_id)))
    stored = sorted(m.text for m in rows if m.sender is ChatSender.TRAINEE)
    assert stored == sorted(text for text, status in sent.items() if status == 200)
    seqs = sorted(m.seq for m in rows if m.seq is not None)
    attempt = session.get(ChatAttempt, attempt_id)
    assert attempt is not None
    assert seqs == list(range(1, attempt.last_seq + 1))
    # Each customer message exists once (no duplicate scheduling), delivered at most once.
    customer = [(m.chat_conversation_id, m.text, m.due_at) for m in rows
                if m.sender is ChatSender.CUSTOMER and not m.nudge]
    assert len(customer) == len(set(customer))
