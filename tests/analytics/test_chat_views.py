"""The chat-scenario analytics pages through the test client: who sees which attempts, what
a trainer reads (Chinese labels, never an internal key), and every table as CSV."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.auth.models import Cohort, Role, User
from portal.chat.models import ChatScenario
from portal.chat.scenario import Violation
from portal.chat.scoring import CheckOutcome
from tests.analytics.chat_fixtures import plus_one_result, yunda_result
from tests.chat import chat_web_fixtures
from tests.factories import (
    HX,
    login,
    make_chat_review,
    make_chat_trainee,
    make_cohort,
    make_scored_chat_attempt,
    make_user,
)

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
PAGE = "/analytics/chat/scenarios/yunda"


@dataclass
class World:
    trainee: User
    trainer: User  # follows cohort A
    outsider: User  # follows cohort B only
    cohort_a: Cohort
    cohort_b: Cohort


@pytest.fixture
def world(session: Session) -> World:
    """Cohort A: 小林 served twice (drill `one`: a false promise, 45 s and an unanswered turn;
    drill `pair` with 阿强: 5 s), one attempt in progress; the trainer reviewed accuracy
    (engine 0, reviewer 3). Cohort B: 小林 once, a rude reply after 200 s."""
    trainee = make_chat_trainee(session, now=NOW)
    cohort_a = session.get(Cohort, trainee.cohort_id)
    assert cohort_a is not None
    cohort_b = make_cohort(session, track_key=chat_web_fixtures.TRACK_KEY)
    other = make_user(session, cohort=cohort_b)
    trainer = make_user(session, role=Role.TRAINER, display_name="王组长")
    outsider = make_user(session, role=Role.TRAINER, display_name="外组组长")
    cohort_a.staff = [trainer]
    cohort_b.staff = [outsider]
    scenario = session.scalars(sa.select(ChatScenario).where(ChatScenario.key == "yunda")).one()
    plus_one = session.scalars(sa.select(ChatScenario).where(ChatScenario.key == "plus-one")).one()
    yunda_v, plus_one_v = scenario.current_version_id, plus_one.current_version_id
    assert yunda_v is not None and plus_one_v is not None
    first = make_scored_chat_attempt(
        session, trainee=trainee, drill_key="one", ended_at=NOW - timedelta(days=2),
        customers=[(yunda_v, yunda_result(greeting=0, timeliness=1.2, accuracy=0,
                                          greets=CheckOutcome.MISSED,
                                          promise=CheckOutcome.DEDUCTED, times=(45.0,), turns=2,
                                          violations=(Violation.FALSE_PROMISE,)))])
    make_scored_chat_attempt(
        session, trainee=trainee, drill_key="pair", ended_at=NOW - timedelta(days=1),
        customers=[(yunda_v, yunda_result(greeting=1, timeliness=2, accuracy=3,
                                          greets=CheckOutcome.AWARDED, times=(5.0,), turns=1)),
                   (plus_one_v, plus_one_result(bargaining=2, timeliness=1))])
    make_scored_chat_attempt(session, trainee=trainee, drill_key="one", ended_at=None,
                             deadline_at=NOW + timedelta(hours=1), customers=[(yunda_v, None)])
    make_scored_chat_attempt(
        session, trainee=other, drill_key="one", ended_at=NOW - timedelta(days=1),
        customers=[(yunda_v, yunda_result(greeting=1, timeliness=0, accuracy=3,
                                          greets=CheckOutcome.AWARDED, times=(200.0,), turns=1,
                                          violations=(Violation.RUDE,)))])
    make_chat_review(session, reviewer=trainer, attempt_id=first.id, item="accuracy", points=3,
                     reason="missed_good", now=NOW)
    session.commit()
    return World(trainee=trainee, trainer=trainer, outsider=outsider, cohort_a=cohort_a,
                 cohort_b=cohort_b)


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def _visible(html: str) -> str:
    """What a person reads: the text outside tags, scripts and styles."""
    body = html.split("<main", 1)[1].split("</main>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def _csv(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    body = response.get_data()
    assert body.startswith("\ufeff".encode())  # Excel reads the Chinese
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_index_lists_drills_and_scenarios_with_attempts(client: FlaskClient,
                                                            world: World) -> None:
    login(client, world.trainer)
    page = client.get("/analytics/chat")
    assert page.status_code == 200 and "HX-Request" in page.headers["Vary"]
    text = _visible(_text(page))
    assert "模拟对话分析" in text and "单人接待体验" in text and "双人接待练习" in text
    assert "买家想发韵达" in text and "小林（理性型）" in text and "阿强（挑剔型）" in text
    # 小林: two finished attempts of cohort A, one in progress (cohort B's is not counted).
    row = re.search(r'<a href="/analytics/chat/scenarios/yunda">买家想发韵达</a></th>(.*?)</tr>',
                    _text(page), re.DOTALL)
    assert row is not None
    assert re.findall(r"<td>(\d+)</td>", row.group(1)) == ["2", "2", "1"]


def test_a_trainer_reads_their_cohorts_figures_in_chinese(client: FlaskClient,
                                                          world: World) -> None:
    login(client, world.trainer)
    page = client.get(PAGE)
    assert page.status_code == 200
    text = _visible(_text(page))
    assert "对话场景：买家想发韵达" in text
    assert "已结束的考试 2 次，接待这位买家 2 次" in text and "1 次，不计入" in text
    for label in ("问候语", "客户咨询回复及时性", "对客户提问回复的准确性", "承诺店铺做不到的事",
                  "第一句先问候。", "样本太少（不足 10 次）", "复核太少（不足 10 对）",
                  "单人接待体验、双人接待练习"):
        assert label in text, label
    # Accuracy: the reviewer's 3 replaces the engine's 0 in the first attempt; both 3 of 3.
    assert re.search(r"对客户提问回复的准确性 100\.0% 3\.00 / 3 2 其中 1 次按复核分计", text)
    # Times 45 and 5 (and one turn unanswered): median 25.0 s; 1 of 3 turns within 30 s.
    assert "中位数 25.0 秒" in text and "30 秒内回复的轮次 33.3%" in text
    assert "2 次已结束的考试中，1 次因接待这位买家时出现严重违规而不通过（50.0%）" in text
    # Nothing of cohort B's attempt, and no internal key, shows.
    assert "态度恶劣" not in text
    for key in ("yunda", "greets", "no-promise", "false_promise", "too_few", "accuracy",
                "unanswered", "good"):
        assert key not in text, key
    assert 'role="img"' in _text(page) and "<desc" in _text(page)


def test_another_cohorts_trainer_sees_only_their_own(client: FlaskClient, world: World) -> None:
    login(client, world.outsider)
    text = _visible(_text(client.get(PAGE)))
    assert "已结束的考试 1 次" in text and "态度恶劣、敷衍买家" in text
    assert "承诺店铺做不到的事" not in text and "进行中 0 次，不计入" in text
    assert client.get(f"{PAGE}?cohort={world.cohort_a.id}").status_code == 403
    rows = _csv(client.get(f"{PAGE}/violations.csv"))
    assert rows[1:] == [["态度恶劣、敷衍买家", "1", "1", "100.0"]]


def test_a_cohort_picked_among_those_followed(client: FlaskClient, session: Session,
                                              world: World) -> None:
    world.cohort_b.staff.append(world.trainer)
    session.commit()
    login(client, world.trainer)
    text = _visible(_text(client.get(f"{PAGE}?cohort={world.cohort_b.id}")))
    assert "已结束的考试 1 次" in text and "态度恶劣、敷衍买家" in text
    assert "已结束的考试 3 次" in _visible(_text(client.get(PAGE)))
    page = _text(client.get(f"/analytics/chat?cohort={world.cohort_b.id}"))
    assert f'href="/analytics/chat/scenarios/yunda?cohort={world.cohort_b.id}"' in page
    assert client.get("/analytics/chat/scenarios/yunda?cohort=999999").status_code == 404


def test_trainees_and_admins_are_refused(client: FlaskClient, session: Session,
                                         world: World) -> None:
    login(client, world.trainee)
    for url in ("/analytics/chat", PAGE, f"{PAGE}/items.csv"):
        assert client.get(url).status_code == 403, url
        assert client.get(url, headers=HX).status_code == 403, url
    admin = make_user(session, role=Role.ADMIN)
    session.commit()
    login(client, admin)
    assert client.get(PAGE).status_code == 403


def test_unknown_scenarios_and_tables_are_not_found(client: FlaskClient, world: World) -> None:
    login(client, world.trainer)
    assert client.get("/analytics/chat/scenarios/no-such").status_code == 404
    assert client.get(f"{PAGE}/secrets.csv").status_code == 404


def test_every_table_downloads_as_csv_with_chinese_headers(client: FlaskClient,
                                                          world: World) -> None:
    login(client, world.trainer)
    page = _text(client.get(PAGE))
    names = re.findall(r'/analytics/chat/scenarios/yunda/([a-z-]+)\.csv', page)
    assert names == ["versions", "items", "checks", "response-times", "violations", "agreement"]

    items = client.get(f"{PAGE}/items.csv")
    assert items.status_code == 200 and items.mimetype == "text/csv"
    assert items.headers["Cache-Control"] == "no-store"
    disposition = unquote(items.headers["Content-Disposition"])
    assert "filename*=UTF-8''买家想发韵达-评分项得分-" in disposition and 'filename="chat-yunda-items-' \
        in disposition
    rows = _csv(items)
    assert rows[0] == ["评分项", "满分", "平均得分", "平均得分率（百分比）", "接待次数", "其中按复核分计", "提示"]
    # greeting 0 and 1: 50 %; timeliness 1.2 and 2 of 2: 80 %; accuracy 3 (reviewed) and 3.
    few = "样本太少（不足 10 次）：数字只说明这几次，不代表整体"
    assert rows[1:] == [["问候语", "1.0", "0.5", "50.0", "2", "0", few],
                        ["客户咨询回复及时性", "2.0", "1.6", "80.0", "2", "0", few],
                        ["对客户提问回复的准确性", "3.0", "3.0", "100.0", "2", "1", few]]

    checks = _csv(client.get(f"{PAGE}/checks.csv"))
    assert checks[0][:3] == ["评分项", "评分点", "失分次数"]
    assert [r[:7] for r in checks[1:]] == [
        ["问候语", "第一句先问候。", "1", "1", "0", "2", "50.0"],
        ["对客户提问回复的准确性", "店铺不合作韵达，答应了做不到。", "1", "0", "1", "2", "50.0"]]

    times = _csv(client.get(f"{PAGE}/response-times.csv"))
    assert times[0] == ["响应时间", "轮次", "占全部轮次（百分比）"]
    assert [r[1] for r in times[1:]] == ["1", "1", "0", "0", "1"]
    assert times[1][0] == "30 秒以内（及时，满分）" and times[5][0] == "买家这一轮没有得到回复（不得分）"

    violations = _csv(client.get(f"{PAGE}/violations.csv"))
    assert violations == [["严重违规", "出现次数", "因此未通过的考试", "占已结束考试（百分比）"],
                          ["承诺店铺做不到的事", "1", "1", "50.0"]]

    # One pair (engine 0 %, reviewer 100 %) in the week of 16 November: no agreement, kappa 0
    # (chance agreement 0), weighted kappa 1 − (100²)/(100²) = 0.
    agreement = _csv(client.get(f"{PAGE}/agreement.csv"))
    assert agreement[0] == ["时间段", "评分对数", "一致", "一致比例（百分比）", "科恩 κ", "二次加权 κ", "提示"]
    assert agreement[1][:6] == ["2026年11月16日 至 2026年11月22日", "1", "0", "0.0", "0.0", "0.0"]
    assert agreement[2][0] == "合计" and agreement[2][6].startswith("复核太少")

    versions = _csv(client.get(f"{PAGE}/versions.csv"))
    assert versions[1][:2] == ["1", "买家想发韵达"] and versions[1][3:5] == ["是", "2"]


def test_a_page_with_nothing_played_yet(client: FlaskClient, world: World) -> None:
    login(client, world.trainer)
    text = _visible(_text(client.get("/analytics/chat/scenarios/plus-one")))
    assert "已结束的考试 1 次，接待这位买家 1 次" in text
    assert "接待这位买家时没有出现严重违规。" in text
    assert "还没有可以归到这位买家的复核评分。" in text
