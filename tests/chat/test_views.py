"""The trainee's chat pages with and without htmx: start, console, poll, reply, finish, result,
quick phrases; the cost of an empty poll and of a reply in SQL statements."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.auth.models import Role, User
from portal.chat.models import ChatAttempt, ChatMessage, ChatSender, QuickPhrase
from tests.chat import chat_web_fixtures as fx
from tests.factories import (
    HX,
    counting_statements,
    login,
    make_chat_trainee,
    make_test_app,
    make_user,
    statement_kind,
)


class Clock:
    """The server's clock for these tests (the app reads it through CHAT_CLOCK)."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at

    def tick(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@pytest.fixture
def clock(app: Flask, now: datetime) -> Iterator[Clock]:
    clock = Clock(now)
    app.config["CHAT_CLOCK"] = clock
    yield clock


@pytest.fixture
def trainee(session: Session, now: datetime, client: FlaskClient) -> User:
    user = make_chat_trainee(session, now=now)
    session.commit()
    login(client, user)
    return user


def _start(client: FlaskClient) -> int:
    response = client.post("/chat/drills/solo/attempts")
    assert response.status_code == 303
    return int(response.headers["Location"].rsplit("/", 1)[-1])


def _seen(session: Session, attempt_id: int) -> int:
    session.rollback()
    return session.scalars(sa.select(ChatAttempt.last_seq)
                           .where(ChatAttempt.id == attempt_id)).one()


def test_the_track_and_start_page_lead_to_the_chat_exam(
        client: FlaskClient, trainee: User, clock: Clock) -> None:
    home = client.get("/").get_data(as_text=True)
    assert 'href="/chat/drills/solo"' in home and "参加模拟接待考核" in home
    page = client.get("/chat/drills/solo").get_data(as_text=True)
    assert "单人接待练习" in page and "60 分（满分 100），且没有严重违规" in page
    assert "开始接待" in page and "剩余作答次数" in page



def test_the_start_page_leads_back_to_an_open_attempt(
        client: FlaskClient, trainee: User, clock: Clock) -> None:
    attempt_id = _start(client)
    page = client.get("/chat/drills/solo").get_data(as_text=True)
    assert f'href="/chat/attempts/{attempt_id}">继续作答</a>' in page and "开始接待" not in page
    # Only finished attempts are used up; the page says the open one counts once it ends.
    assert "<dt>剩余作答次数</dt><dd>2 （含正在进行的这一次，交卷后扣除）</dd>" in page
    assert "你的作答记录" in page and "接待中" in page

def test_the_console_shows_the_customer_the_card_and_a_poller(
        client: FlaskClient, session: Session, trainee: User, clock: Clock) -> None:
    attempt_id = _start(client)
    page = client.get(f"/chat/attempts/{attempt_id}").get_data(as_text=True)
    assert "你好，能给我发韵达吗？" in page and "小林" in page
    assert "2026112012345" in page and "本店合作快递：申通、中通、圆通" in page
    assert 'hx-trigger="every 1.5s"' in page and 'aria-live="polite"' in page
    assert "chat.js" in page and "<script>" not in page
    # An htmx request for the console gets the console only.
    fragment = client.get(f"/chat/attempts/{attempt_id}?c=0", headers=HX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div class="chat" id="chat">') and "<html" not in fragment


def test_an_empty_poll_answers_204_with_one_read_and_a_poll_with_news_the_fragments(
        app: Flask, client: FlaskClient, session: Session, trainee: User, clock: Clock) -> None:
    attempt_id = _start(client)
    client.get(f"/chat/attempts/{attempt_id}?c=0")
    seen = _seen(session, attempt_id)
    clock.tick(1)
    with counting_statements(app) as statements:
        response = client.get(f"/chat/attempts/{attempt_id}/poll?c=0&seen={seen}", headers=HX)
    assert response.status_code == 204 and response.get_data() == b""
    # The user's session row, then the attempt's row; no write.
    queries = [s for s in statements if s.strip().upper() not in ("BEGIN", "COMMIT", "ROLLBACK")]
    assert len(queries) == 2, statements
    # The user's check reads five columns (a principal), not the account's whole row.
    assert "session_version" in queries[0] and "password_hash" not in queries[0], queries[0]
    assert not any(s.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))
                   for s in statements)
    clock.tick(4)  # the second message falls due
    response = client.get(f"/chat/attempts/{attempt_id}/poll?c=0&seen={seen}", headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "别的快递都送不到家" in body and 'id="chat-poller"' in body
    assert 'id="chat-messages" hx-swap-oob="true"' in body
    # The screen reader hears the new message, once.
    assert "小林：别的快递都送不到家" in body


def test_the_customer_list_links_each_pane_as_the_router_builds_it(
        app: Flask, client: FlaskClient, trainee: User, clock: Clock) -> None:
    """The list builds its console URL once and appends the slot: the link must stay what
    url_for builds for each customer (page and reply fragment alike)."""
    attempt_id = _start(client)
    page = client.get(f"/chat/attempts/{attempt_id}?c=0").get_data(as_text=True)
    with app.test_request_context():
        from flask import url_for
        link = url_for("chat.console", attempt_id=attempt_id, c=0)
    assert f'<a href="{link}" aria-current="true">' in page
    clock.tick(15)
    reply = client.post(f"/chat/attempts/{attempt_id}/reply", data={"c": "0", "text": "稍等一下哦"},
                        headers=HX).get_data(as_text=True)
    assert 'id="chat-customers" hx-swap-oob="true"' in reply
    assert f'<a href="{link}" aria-current="true">' in reply


def test_a_poll_and_a_reply_check_the_cookie_as_every_page_does(
        client: FlaskClient, session: Session, trainee: User, clock: Clock) -> None:
    attempt_id = _start(client)
    client.get(f"/chat/attempts/{attempt_id}?c=0")
    poll = f"/chat/attempts/{attempt_id}/poll?c=0&seen={_seen(session, attempt_id)}"
    assert client.get(poll, headers=HX).status_code == 204
    trainee.session_version += 1  # signed out everywhere (another device)
    session.commit()
    assert client.get(poll, headers=HX).status_code == 401
    response = client.post(f"/chat/attempts/{attempt_id}/reply",
                           data={"c": "0", "text": "在的亲"}, headers=HX)
    assert response.status_code == 401
    login(client, trainee)
    assert client.get(poll, headers=HX).status_code == 204
    trainee.active = False
    session.commit()
    assert client.get(poll, headers=HX).status_code == 401
    assert client.get(poll).status_code == 302  # without htmx: the log-in page


def test_a_reply_with_htmx_swaps_out_of_band_and_without_redirects(
        app: Flask, client: FlaskClient, session: Session, trainee: User, clock: Clock) -> None:
    attempt_id = _start(client)
    client.get(f"/chat/attempts/{attempt_id}?c=0")
    clock.tick(5)
    client.get(f"/chat/attempts/{attempt_id}?c=0")
    clock.tick(10)
    with counting_statements(app) as statements:
        response = client.post(f"/chat/attempts/{attempt_id}/reply",
                               data={"c": "0", "text": "稍等一下哦"}, headers=HX)
    assert response.status_code == 200
    assert "稍等一下哦" in response.get_data(as_text=True)
    # Kept from creeping (23 statements before the first rework, 8 before the second): the
    # user, the attempt's version (one row, with its panes' read marks, the first word of
    # the subquery), then (nothing kept in this process yet) the attempt with its
    # conversations and messages in one plain read; then the short write: the attempt's
    # row if it has not moved, the reply, the conversation.
    kinds = [statement_kind(s) for s in statements]
    version = "SELECT chat_conversation"  # FROM of the read marks' subquery comes first
    assert [k for k in kinds if not k.startswith("BEGIN")] == [
        "SELECT user", version, "SELECT chat_attempt",
        "UPDATE chat_attempt", "INSERT chat_message", "UPDATE chat_conversation"], statements
    if app.config["DATABASE_URL"].startswith("sqlite"):  # SQLite's BEGINs are statements
        # Signed in and planned in one deferred transaction; the write lock for the writes
        # alone.
        assert kinds[:5] == ["BEGIN", "SELECT user", version, "SELECT chat_attempt",
                             "BEGIN IMMEDIATE"], kinds
    # The next reply in this process starts from the attempt the last one wrote (the
    # version says nothing has moved): no read of the conversations and messages.
    clock.tick(3)
    with counting_statements(app) as statements:
        response = client.post(f"/chat/attempts/{attempt_id}/reply",
                               data={"c": "0", "text": "我帮您查一下"}, headers=HX)
    assert response.status_code == 200 and "我帮您查一下" in response.get_data(as_text=True)
    kinds = [statement_kind(s) for s in statements]
    assert [k for k in kinds if not k.startswith("BEGIN")] == [
        "SELECT user", version,
        "UPDATE chat_attempt", "INSERT chat_message", "UPDATE chat_conversation"], statements
    response = client.post(f"/chat/attempts/{attempt_id}/reply", data={"c": "0", "text": "好的"})
    assert response.status_code == 303 and response.headers["Location"].endswith("c=0")
    session.rollback()
    replies = list(session.scalars(sa.select(ChatMessage.text).where(
        ChatMessage.sender == ChatSender.TRAINEE).order_by(ChatMessage.seq)))
    assert replies == ["稍等一下哦", "我帮您查一下", "好的"]


def test_a_reply_plans_from_the_kept_attempt_only_while_nothing_has_moved(
        app: Flask, client: FlaskClient, session: Session, trainee: User, clock: Clock,
        tmp_path: Path, database_url: str) -> None:
    """Each process keeps the attempt its last reply wrote; a write anywhere else (here
    another process's reply) makes the next reply read everything again."""
    other = make_test_app(tmp_path=tmp_path / "other", database_url=database_url)
    other.config["CHAT_CLOCK"] = clock
    try:
        elsewhere = other.test_client()
        login(elsewhere, trainee)
        attempt_id = _start(client)
        client.get(f"/chat/attempts/{attempt_id}?c=0")
        clock.tick(5)

        def reply(on: FlaskClient, text: str) -> list[str]:
            clock.tick(2)
            with counting_statements(app) as statements:
                response = on.post(f"/chat/attempts/{attempt_id}/reply",
                                   data={"c": "0", "text": text}, headers=HX)
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
            body = response.get_data(as_text=True)
            assert text in body
            return [statement_kind(s) for s in statements]

        full_read = "SELECT chat_attempt"
        assert full_read in reply(client, "稍等一下哦")  # nothing kept yet
        assert full_read not in reply(client, "我帮您查一下")  # kept by the last reply
        reply(elsewhere, "亲，还在吗")  # the other process moves the attempt
        kinds = reply(client, "让您久等啦")
        assert full_read in kinds  # its copy is out of date: read again
        page = client.get(f"/chat/attempts/{attempt_id}?c=0").get_data(as_text=True)
        assert "亲，还在吗" in page
        assert full_read not in reply(client, "马上就好")
    finally:
        other.extensions["portal.engine"].dispose()
    session.rollback()
    rows = list(session.execute(sa.select(ChatMessage.seq, ChatMessage.text).where(
        ChatMessage.sender == ChatSender.TRAINEE).order_by(ChatMessage.seq)))
    assert [text for _, text in rows] == [
        "稍等一下哦", "我帮您查一下", "亲，还在吗", "让您久等啦", "马上就好"]
    seqs = list(session.scalars(sa.select(ChatMessage.seq).where(ChatMessage.seq.is_not(None))))
    assert len(seqs) == len(set(seqs))


def test_the_open_panes_tab_counts_nothing_unread(
        client: FlaskClient, trainee: User, clock: Clock) -> None:
    attempt_id = _start(client)
    clock.tick(5)  # both of 小林's first messages are due
    page = client.get(f"/chat/attempts/{attempt_id}?c=0").get_data(as_text=True)
    assert "别的快递都送不到家" in page  # shown in the open pane, so read
    assert "条未读" not in page


def test_an_empty_reply_comes_back_as_a_422_with_the_error(
        client: FlaskClient, trainee: User, clock: Clock) -> None:
    attempt_id = _start(client)
    client.get(f"/chat/attempts/{attempt_id}?c=0")
    response = client.post(f"/chat/attempts/{attempt_id}/reply", data={"c": "0", "text": " "},
                           headers=HX)
    assert response.status_code == 422
    assert "回复不能为空" in response.get_data(as_text=True)


def test_finishing_leads_to_the_result_with_items_evidence_and_tips(
        client: FlaskClient, trainee: User, clock: Clock) -> None:
    attempt_id = _start(client)
    client.get(f"/chat/attempts/{attempt_id}?c=0")
    clock.tick(3)
    client.post(f"/chat/attempts/{attempt_id}/reply", data={"c": "0", "text": fx.PROMISE},
                headers=HX)
    clock.tick(30)
    # The script ended (and the time to say goodbye): the next poll goes to the result.
    response = client.get(f"/chat/attempts/{attempt_id}/poll?c=0&seen=1", headers=HX)
    assert response.headers["HX-Redirect"] == f"/chat/attempts/{attempt_id}/result"
    page = client.get(f"/chat/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "未通过" in page and "承诺店铺做不到的事" in page
    assert '<mark class="mark--bad">给您韵达</mark>' in page
    assert "问候语" in page
    assert "对客户提问回复的准确性" in page and "首次响应" in page and "回复率" in page
    assert "亲，我们合作的是申通、中通和圆通，您看哪家方便？" in page
    # No internal key reaches the page.
    for key in ("false_promise", "no-promise", "greets", "accuracy", "yunda"):
        assert key not in page.replace("yunda.yaml", "")
    # The console of a finished attempt goes to the result.
    assert client.get(f"/chat/attempts/{attempt_id}").status_code == 302


def test_the_finish_button_ends_the_attempt(client: FlaskClient, trainee: User,
                                            clock: Clock) -> None:
    attempt_id = _start(client)
    response = client.post(f"/chat/attempts/{attempt_id}/finish", headers=HX)
    assert response.headers["HX-Redirect"] == f"/chat/attempts/{attempt_id}/result"
    assert "你提前结束了接待" in client.get(f"/chat/attempts/{attempt_id}/result").get_data(
        as_text=True)


def test_a_stranger_and_staff_cannot_reach_an_attempt(
        app: Flask, client: FlaskClient, session: Session, trainee: User, clock: Clock) -> None:
    attempt_id = _start(client)
    other = make_user(session)
    trainer = make_user(session, role=Role.TRAINER)
    session.commit()
    client.post("/logout")
    login(client, other)
    assert client.get(f"/chat/attempts/{attempt_id}").status_code == 404
    assert client.get(f"/chat/attempts/{attempt_id}/poll?seen=0").status_code == 404
    assert client.post(f"/chat/attempts/{attempt_id}/reply",
                       data={"c": "0", "text": "hi"}).status_code == 404
    client.post("/logout")
    login(client, trainer)
    assert client.get(f"/chat/attempts/{attempt_id}").status_code == 403


def test_quick_phrases_are_added_edited_moved_and_deleted(
        client: FlaskClient, session: Session, trainee: User, clock: Clock) -> None:
    def texts() -> list[str]:
        session.rollback()
        return list(session.scalars(sa.select(QuickPhrase.text).where(
            QuickPhrase.user_id == trainee.id).order_by(QuickPhrase.position)))

    assert client.post("/chat/phrases", data={"text": "亲，您好~"}).status_code == 303
    fragment = client.post("/chat/phrases", data={"text": "祝您生活愉快"}, headers=HX)
    assert fragment.status_code == 200 and 'id="chat-phrases"' in fragment.get_data(as_text=True)
    assert texts() == ["亲，您好~", "祝您生活愉快"]
    second = session.scalars(sa.select(QuickPhrase.id).where(
        QuickPhrase.text == "祝您生活愉快")).one()
    client.post(f"/chat/phrases/{second}/move", data={"direction": "up"}, headers=HX)
    assert texts() == ["祝您生活愉快", "亲，您好~"]
    client.post(f"/chat/phrases/{second}/edit", data={"text": "祝您生活愉快，再见~"}, headers=HX)
    assert texts()[0] == "祝您生活愉快，再见~"
    bad = client.post("/chat/phrases", data={"text": "  "}, headers=HX)
    assert bad.status_code == 422 and "快捷短语不能为空" in bad.get_data(as_text=True)
    client.post(f"/chat/phrases/{second}/delete", headers=HX)
    assert texts() == ["亲，您好~"]
    page = client.get("/chat/phrases").get_data(as_text=True)
    assert "亲，您好~" in page and "新增快捷短语" in page
    # Someone else's phrase is not found.
    other = make_user(session)
    session.commit()
    client.post("/logout")
    login(client, other)
    mine = session.scalars(sa.select(QuickPhrase.id)).one()
    assert client.post(f"/chat/phrases/{mine}/delete").status_code == 404


def test_a_back_address_off_the_site_is_not_followed(client: FlaskClient, trainee: User,
                                                     clock: Clock) -> None:
    response = client.post("/chat/phrases", data={"text": "在的亲", "back": "//evil.example/"})
    assert response.headers["Location"] == "/chat/phrases"



def test_a_locked_stage_drill_shows_the_courses_locked_page(
        client: FlaskClient, session: Session, now: datetime, clock: Clock) -> None:
    # A first stage comes before the drill's: until it is passed, the drill is locked.
    stages = [{**fx.STAGES[1], "key": "first", "title": "入门", "planned_day": 1},
              {**fx.STAGES[0], "planned_day": 2}]
    user = make_chat_trainee(session, now=now, stages=stages)
    session.commit()
    login(client, user)
    for response in (client.get("/chat/drills/solo"), client.post("/chat/drills/solo/attempts")):
        page = response.get_data(as_text=True)
        assert response.status_code == 403
        assert "“实际解决能力”尚未解锁" in page and "你现在要完成的是“入门”" in page
        assert "<html" in page  # a page, not a bare error
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(ChatAttempt)) == 0


def test_a_serving_app_builds_the_segmenter_before_its_first_request(
        tmp_path, database_url: str) -> None:  # type: ignore[no-untyped-def]
    from portal import create_app
    from portal.chat import normalize

    built = normalize._tokenizer
    normalize._tokenizer = None
    try:
        app = create_app({"TESTING": False, "DATABASE_URL": database_url,
                          "SECRET_KEY": "x" * 32})
        assert normalize._tokenizer is not None  # built at start-up, not in a reply
        app.extensions["portal.engine"].dispose()
        normalize._tokenizer = None
        from tests.factories import make_test_app

        test_app = make_test_app(tmp_path=tmp_path, database_url=database_url)
        assert normalize._tokenizer is None  # tests skip it (they start many apps)
        test_app.extensions["portal.engine"].dispose()
    finally:
        normalize._tokenizer = built


def test_a_customer_who_left_is_shown_ended_in_the_list_the_classroom_bench_reads(
        client: FlaskClient, session: Session, trainee: User, clock: Clock) -> None:
    from bench.classroom import ended_slots

    response = client.post("/chat/drills/pair/attempts")
    attempt_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    clock.tick(21)  # 阿强 (slot 1) comes in at 20 s
    page = client.get(f"/chat/attempts/{attempt_id}?c=0").get_data()
    assert "阿强" in page.decode() and ended_slots(page) == set()
    seen = _seen(session, attempt_id)
    clock.tick(80)  # 阿强 nudges after 45 s of silence and leaves 30 s later; 小林 waits on
    body = client.get(f"/chat/attempts/{attempt_id}/poll?c=0&seen={seen}", headers=HX).get_data()
    assert ended_slots(body) == {1}
    assert ended_slots(client.get(f"/chat/attempts/{attempt_id}?c=0").get_data()) == {1}
