"""The chat staff pages with and without htmx: review queue, replay and scoring an item,
agreement, the scenario player and the matcher tester."""
from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.auth.models import Role, User
from portal.chat.models import ChatReview, ChatScenarioVersion
from tests.chat import chat_web_fixtures, staff_fixtures
from tests.factories import (
    HX,
    login,
    make_chat_review,
    make_chat_trainee,
    make_finished_chat_attempt,
    make_user,
)


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, object]:
    folder = tmp_path / "chats"
    shutil.copytree(chat_web_fixtures.CHATS, folder)
    return {"CHAT_FOLDER": str(folder)}


@pytest.fixture
def clock(app: Flask, now: datetime) -> Iterator[list[datetime]]:
    at = [now]
    app.config["CHAT_CLOCK"] = lambda: at[0]
    yield at


class World:
    def __init__(self, session: Session, now: datetime) -> None:
        self.trainee = make_chat_trainee(session, now=now)
        self.trainer = make_user(session, role=Role.TRAINER, display_name="王培训")
        self.supervisor = make_user(session, role=Role.SUPERVISOR, display_name="赵主管")
        self.outsider = make_user(session, role=Role.TRAINER, display_name="孙培训")
        self.admin = make_user(session, role=Role.ADMIN)
        self.trainee.cohort.staff.extend([self.trainer, self.supervisor])
        self.attempt = make_finished_chat_attempt(session, trainee=self.trainee, now=now,
                                                  replies=(staff_fixtures.PROMISE,))
        session.commit()


@pytest.fixture
def world(session: Session, now: datetime) -> World:
    return World(session, now)


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def _reviews(session: Session) -> list[tuple[str, float, str]]:
    session.rollback()
    return [(r.item, r.points, r.reason.value) for r in session.scalars(
        sa.select(ChatReview).order_by(ChatReview.id))]


# --- review queue and replay ---------------------------------------------------------------


def test_the_review_queue_full_page_and_fragment(client: FlaskClient, world: World) -> None:
    login(client, world.trainer)
    page = client.get("/chat/staff/reviews")
    assert page.status_code == 200 and "<html" in _text(page)
    assert world.trainee.display_name in _text(page) and "单人接待练习" in _text(page)
    assert "HX-Request" in page.headers["Vary"]
    fragment = client.get("/chat/staff/reviews?drill=pair", headers=HX)
    assert "<html" not in _text(fragment) and 'id="queue"' in _text(fragment)
    assert world.trainee.display_name not in _text(fragment)
    assert "没有符合筛选条件的对话考试" in _text(fragment)


def test_a_trainer_of_another_cohort_sees_an_empty_queue_and_no_replay(
        client: FlaskClient, world: World) -> None:
    login(client, world.outsider)
    assert world.trainee.display_name not in _text(client.get("/chat/staff/reviews"))
    refused = client.get(f"/chat/staff/reviews/{world.attempt.id}")
    assert refused.status_code == 403 and "你不负责该新客服所在的批次" in _text(refused)
    assert client.get(f"/chat/staff/reviews/{world.attempt.id}", headers=HX).headers[
        "HX-Retarget"] == "#alerts"


def test_the_replay_shows_times_evidence_and_one_form_per_item(
        client: FlaskClient, world: World) -> None:
    login(client, world.trainer)
    html = _text(client.get(f"/chat/staff/reviews/{world.attempt.id}"))
    assert "你好，能给我发韵达吗？" in html
    assert "用时 7 秒" in html
    assert '<mark class="chat-hit">给您韵达</mark>' in html
    assert "承诺店铺做不到的事" in html  # the violation, by its label
    for label in ("问候语", "客户咨询回复及时性", "对客户提问回复的准确性"):
        assert label in html
    assert len(re.findall(r'name="points"', html)) == 3
    assert "false_promise" not in html and "accuracy</" not in html


def test_scoring_an_item_with_htmx_answers_with_the_item(client: FlaskClient, world: World,
                                                         session: Session) -> None:
    login(client, world.trainer)
    url = f"/chat/staff/reviews/{world.attempt.id}/items/accuracy"
    saved = client.post(url, headers=HX, data={"points": "1.5", "reason": "context",
                                               "comment": "后面改口了"})
    assert saved.status_code == 200
    html = _text(saved)
    assert "<html" not in html and 'id="item-accuracy"' in html
    assert "已保存你对「对客户提问回复的准确性」的复核：1.5 分。" in html
    assert "王培训" in html and "需结合上下文判断" in html
    assert _reviews(session) == [("accuracy", 1.5, "context")]


def test_scoring_an_item_without_htmx_redirects_back_with_a_message(
        client: FlaskClient, world: World, session: Session) -> None:
    login(client, world.supervisor)
    url = f"/chat/staff/reviews/{world.attempt.id}/items/greeting"
    saved = client.post(url, data={"points": "0", "reason": "agree"})
    assert saved.status_code == 303
    assert saved.headers["Location"].endswith(f"/chat/staff/reviews/{world.attempt.id}#item-greeting")
    page = _text(client.get(saved.headers["Location"]))
    assert "已保存你对「问候语」的复核：0 分。" in page
    assert _reviews(session) == [("greeting", 0.0, "agree")]


def test_a_refused_score_comes_back_with_the_error_and_what_was_typed(
        client: FlaskClient, world: World, session: Session) -> None:
    login(client, world.trainer)
    url = f"/chat/staff/reviews/{world.attempt.id}/items/accuracy"
    refused = client.post(url, headers=HX, data={"points": "5", "reason": "context",
                                                 "comment": "我的备注"})
    assert refused.status_code == 422
    html = _text(refused)
    assert "<html" not in html and "「对客户提问回复的准确性」的分数应在 0 到 3 分之间" in html
    assert 'value="5"' in html and "我的备注" in html
    whole = client.post(url, data={"points": "1", "reason": "other", "comment": ""})
    assert whole.status_code == 422 and "<html" in _text(whole)
    assert "请在备注中说明" in _text(whole)
    assert _reviews(session) == []


def test_admins_read_replays_but_do_not_score(client: FlaskClient, world: World,
                                             session: Session) -> None:
    login(client, world.admin)
    page = _text(client.get(f"/chat/staff/reviews/{world.attempt.id}"))
    assert "你好，能给我发韵达吗？" in page and 'name="points"' not in page
    assert client.post(f"/chat/staff/reviews/{world.attempt.id}/items/accuracy",
                       data={"points": "1", "reason": "context"}).status_code == 403
    assert _reviews(session) == []


def test_the_agreement_page(client: FlaskClient, world: World, session: Session,
                            now: datetime) -> None:
    login(client, world.trainer)
    assert "还没有复核过的对话考试" in _text(client.get("/chat/staff/agreement"))
    make_chat_review(session, reviewer=world.trainer, attempt_id=world.attempt.id,
                     item="accuracy", points=0, reason="agree", now=now)
    make_chat_review(session, reviewer=world.supervisor, attempt_id=world.attempt.id,
                     item="accuracy", points=1, reason="context", now=now)
    session.commit()
    html = _text(client.get("/chat/staff/agreement"))
    assert "单人接待练习" in html and "对客户提问回复的准确性" in html
    assert "0 / 1 次一致（0%）" in html  # between the two reviewers
    assert "1 / 2 次一致（50%）" in html  # with the engine
    assert "kappa" not in html.lower()


def test_the_trainee_sees_reviewers_scores_beside_the_engines_on_the_result_page(
        client: FlaskClient, world: World, session: Session, now: datetime) -> None:
    make_chat_review(session, reviewer=world.trainer, attempt_id=world.attempt.id,
                     item="accuracy", points=1, reason="context", comment="后来说明了合作快递",
                     now=now)
    session.commit()
    login(client, world.trainee)
    html = _text(client.get(f"/chat/attempts/{world.attempt.id}/result"))
    assert "王培训" in html and "后来说明了合作快递" in html and "需结合上下文判断" in html
    assert "0 / 3" in html  # the engine's points stay


# --- the scenario player --------------------------------------------------------------------


@pytest.fixture
def trainer(client: FlaskClient, session: Session) -> User:
    user = make_user(session, role=Role.TRAINER)
    session.commit()
    login(client, user)
    return user


def _state(html: str) -> dict[str, list[str]]:
    """The hidden fields of the player form, as the browser would send them back."""
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', html):
        fields.setdefault(name, []).append(value.replace("&#34;", '"').replace("&amp;", "&"))
    fields.pop("csrf_token", None)
    return fields


def test_the_player_plays_a_scenario_from_the_folder(client: FlaskClient, trainer: User,
                                                     clock: list[datetime]) -> None:
    page = client.get("/chat/staff/player?script=file:yunda")
    html = _text(page)
    assert page.status_code == 200 and "<html" in html
    assert "你好，能给我发韵达吗？" in html and "别的快递都送不到家" not in html  # due at 4 s
    assert "买家正在输入" in html
    # Four seconds later a refresh shows the second message.
    clock[0] += timedelta(seconds=4)
    state = _state(html)
    refreshed = _text(client.post("/chat/staff/player", headers=HX,
                                  data={**state, "action": "wait"}))
    assert "<html" not in refreshed and "别的快递都送不到家" in refreshed
    # The trainer answers six seconds after that: the route, its evidence, the score.
    clock[0] += timedelta(seconds=6)
    answered = _text(client.post("/chat/staff/player", headers=HX, data={
        **_state(refreshed), "action": "reply", "text": staff_fixtures.GOOD}))
    # States read as the customer's line there; the YAML key only beside it, as code.
    # A state not reached yet does not give its line away.
    assert ('走了状态 「你好，能给我发韵达吗？」 <code class="chat-player__key">ask</code> 的第 2 条'
            '路线，进入 买家下一句还没出现的状态 <code class="chat-player__key">explained</code>。'
            in answered)
    assert '<mark class="chat-hit">申通</mark>' in answered
    assert "用时 10 秒" in answered
    assert "好吧，那就中通吧，谢谢" not in answered  # due 5 s later
    # 跳过等待: the customer's answer at once, and the end of the conversation.
    ended = _text(client.post("/chat/staff/player", headers=HX,
                              data={**_state(answered), "action": "skip"}))
    assert "好吧，那就中通吧，谢谢" in ended and "会话结束：买家满意结束。" in ended
    assert "6 / 6 分" in ended
    assert 'name="text"' not in ended  # nothing more to answer


def test_the_player_shows_a_critical_violation_with_its_evidence(
        client: FlaskClient, trainer: User, clock: list[datetime]) -> None:
    state = _state(_text(client.get("/chat/staff/player?script=file:yunda")))
    html = _text(client.post("/chat/staff/player", data={
        **state, "action": "reply", "text": staff_fixtures.PROMISE}))
    assert "<html" in html  # without htmx, the whole page
    assert "严重违规：考试会直接判为不通过" in html and "承诺店铺做不到的事" in html
    assert '<mark class="chat-hit">给您韵达</mark>' in html
    assert "店铺不合作韵达，答应了做不到。" in html  # the tip of the deducting check


def test_a_tampered_play_is_refused_in_chinese(client: FlaskClient, trainer: User,
                                               clock: list[datetime]) -> None:
    state = _state(_text(client.get("/chat/staff/player?script=file:yunda")))
    refused = client.post("/chat/staff/player", headers=HX, data={
        **state, "reply_at": ["50"], "reply_text": ["提前的回复"], "action": "wait"})
    assert refused.status_code == 422 and "试玩的时间记录有误，请重新开始试玩" in _text(refused)
    missing = client.post("/chat/staff/player", headers=HX, data={
        **state, "reply_at": ["0"], "action": "wait"})
    assert missing.status_code == 422 and "试玩记录不完整" in _text(missing)
    empty = client.post("/chat/staff/player", headers=HX, data={**state, "action": "reply",
                                                                 "text": "  "})
    assert empty.status_code == 422 and "请先输入回复" in _text(empty)
    unknown = client.post("/chat/staff/player", data={**state, "script": "file:nope"})
    assert unknown.status_code == 404 and "找不到这个剧本" in _text(unknown)


def test_the_player_plays_an_imported_version(client: FlaskClient, trainer: User,
                                              session: Session, now: datetime) -> None:
    from tests.factories import import_chats

    import_chats(session, now=now)
    session.commit()
    version = session.scalars(sa.select(ChatScenarioVersion)
                              .where(ChatScenarioVersion.title == "买家想发韵达")).one()
    picker = _text(client.get("/chat/staff/player"))
    assert f'value="version:{version.id}"' in picker and "已导入第 1 版，使用中" in picker
    html = _text(client.get(f"/chat/staff/player?script=version:{version.id}"))
    assert "你好，能给我发韵达吗？" in html


def test_the_folder_s_problems_are_shown_with_file_and_line(
        client: FlaskClient, trainer: User, app: Flask) -> None:
    folder = Path(app.config["CHAT_FOLDER"])
    (folder / "scenarios" / "broken.yaml").write_text(staff_fixtures.BROKEN_SCENARIO,
                                                      encoding="utf-8")
    html = _text(client.get("/chat/staff/player"))
    assert "chats/scenarios/broken.yaml:" in html
    assert "修正前其中的剧本不能试玩" in html
    assert "file:yunda" not in html  # a folder with a problem offers none of its scenarios


# --- the matcher tester ---------------------------------------------------------------------


def test_the_matcher_tester_highlights_a_match(client: FlaskClient, trainer: User) -> None:
    page = client.get("/chat/staff/matchers",
                      query_string={"matcher": "file:yunda|promise-yunda",
                                    "sample": "可以的亲，給您韻達"})
    html = _text(page)
    assert page.status_code == 200 and "<html" in html
    # The matcher reads as its phrases; its YAML name only as code beside them.
    assert "匹配规则 「发韵达」「走韵达」「给您韵达」 命中了这句回复。" in html
    assert "文件中的名称: <code>promise-yunda</code>" in html
    assert ('<option value="file:yunda|promise-yunda" selected>「发韵达」「走韵达」「给您韵达」'
            '</option>') in html
    assert ">promise-yunda<" not in html.replace("<code>promise-yunda</code>", "")
    assert "給您韻達</mark>" in html  # on the original, traditional characters and all


def test_the_matcher_tester_shows_a_negation_that_flipped_a_phrase(
        client: FlaskClient, trainer: User) -> None:
    fragment = client.get("/chat/staff/matchers", headers=HX, query_string={
        "matcher": "file:yunda|promise-yunda", "sample": "亲，没法给您韵达哦，可以发中通"})
    html = _text(fragment)
    assert "<html" not in html and 'id="report"' in html
    assert "匹配规则 「发韵达」「走韵达」「给您韵达」 没有命中这句回复。" in html
    assert "有内容因否定词的有无而没有计入" in html
    assert "<td>没法给您韵达哦</td>" in html and "<td>没法</td>" in html
    assert "所在分句有否定词，被反转为否定，不计入" in html
    assert "<li>没法给您韵达哦</li>" in html and "<li>可以发中通</li>" in html  # the clauses


def test_the_matcher_tester_explains_a_negated_clause(client: FlaskClient,
                                                      trainer: User) -> None:
    html = _text(client.get("/chat/staff/matchers", headers=HX, query_string={
        "matcher": "file:yunda|shop-carrier", "sample": "中通发不了哦"}))
    assert "有内容因否定词的有无而没有计入" in html
    assert "所在分句有否定词，被反转为否定，不计入" in html
    assert "<td>中通发不了哦</td>" in html and "<td>不了</td>" in html


def test_the_matcher_tester_refuses_what_it_cannot_test(client: FlaskClient,
                                                        trainer: User) -> None:
    unknown = client.get("/chat/staff/matchers", headers=HX,
                         query_string={"matcher": "file:yunda|nope", "sample": "你好"})
    assert unknown.status_code == 422 and "找不到这个匹配规则" in _text(unknown)
    empty = client.get("/chat/staff/matchers", headers=HX,
                       query_string={"matcher": "file:yunda|promise-yunda", "sample": " "})
    assert empty.status_code == 422 and "请输入一句示例回复" in _text(empty)
    long = client.get("/chat/staff/matchers", headers=HX, query_string={
        "matcher": "file:yunda|promise-yunda", "sample": "好" * 501})
    assert long.status_code == 422 and "示例回复最多 500 个字" in _text(long)


def test_only_trainers_reach_the_player_and_the_tester(client: FlaskClient,
                                                       world: World) -> None:
    login(client, world.supervisor)
    assert client.get("/chat/staff/player").status_code == 403
    assert client.get("/chat/staff/matchers").status_code == 403
    assert client.get("/chat/staff/reviews").status_code == 200
