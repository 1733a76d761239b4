"""The trainer's side of exams over HTTP: queue, grading page and its lock, results,
overrides, attempt review, regrade — full pages and htmx fragments, and who may reach what."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.auth.models import Role
from portal.exams.models import Attempt, AttemptStatus, ExamOverride, Question, Response
from tests.factories import (
    HX,
    World,
    build_world,
    fix_choice_key,
    login,
    make_user,
    response_at,
    take_and_submit,
)


@pytest.fixture
def world(session: Session, now: datetime) -> World:
    built = build_world(session, now=now)
    session.commit()
    return built


@pytest.fixture
def attempt(session: Session, world: World) -> Attempt:
    # The views use the real clock: the attempt is taken just now.
    from portal.db import utcnow

    taken = take_and_submit(session, trainee=world.trainee, now=utcnow() - timedelta(minutes=6))
    session.commit()
    return taken


def _ids(attempt: Attempt) -> tuple[int, int]:
    return response_at(attempt, 2).id, response_at(attempt, 3).id


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def _fresh(session: Session, model: type, id_: int):  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.get(model, id_)


def _now_in_db(session: Session, response_id: int) -> Response:
    """The response as committed now (a new read transaction: SQLite keeps a reader's
    snapshot until it ends)."""
    session.rollback()
    return session.get(Response, response_id, populate_existing=True)  # type: ignore[return-value]


# --- the queue ---------------------------------------------------------------------------------


def test_the_queue_is_a_page_and_its_filter_an_htmx_fragment(
        client: FlaskClient, world: World, attempt: Attempt) -> None:
    login(client, world.trainer)
    essay_id, case_id = _ids(attempt)
    page = client.get("/grading")
    html = _text(page)
    assert page.status_code == 200 and "<html" in html and "HX-Request" in page.headers["Vary"]
    assert html.index(f"/grading/responses/{essay_id}") < html.index(f"/grading/responses/{case_id}")
    assert "林新人" in html and "简答题" in html and "案例题" in html
    assert '<label for="queue-exam">' in html and "<caption" in html and 'scope="col"' in html
    assert "评分测试考试（2）" in html and 'aria-current="page"' in html
    fragment = client.get("/grading?exam=grading-staged", headers=HX)
    body = _text(fragment)
    assert fragment.status_code == 200 and "<html" not in body and 'id="queue"' in body
    assert "这场考试没有待评分的题目" in body


def test_the_trainers_home_shows_the_answers_waiting_for_them(
        app: Flask, client: FlaskClient, world: World, attempt: Attempt) -> None:
    login(client, world.trainer)
    home = _text(client.get("/"))
    assert "等你处理" in home and "有 2 道题的回答等你评分" in home
    assert "评分测试考试</a>：2 道" in home and 'href="/grading?exam=grading-exam"' in home
    assert "<code>" not in home.split("<main")[1]  # the track by its title, never its key
    supervisor = app.test_client()
    login(supervisor, world.supervisor)
    assert "等你处理" not in _text(supervisor.get("/"))


# --- grading -------------------------------------------------------------------------------------


def test_the_grading_page_shows_the_answer_beside_the_rubric_and_locks_only_when_scoring(
        client: FlaskClient, session: Session, world: World, attempt: Attempt) -> None:
    login(client, world.trainer)
    essay_id, _ = _ids(attempt)
    page = client.get(f"/grading/responses/{essay_id}")
    html = _text(page)
    assert page.status_code == 200 and "<html" in html
    for shown in ("顾客投诉物流太慢", "先向顾客道歉，然后查询物流并告知预计时间。", "先安抚并致歉",
                  "有明确的致歉即可得分", "先致歉，再查询物流", "现在没有人在评这道题", "开始评分",
                  "保存评分"):
        assert shown in html, shown
    assert '<label class="field__label" for="score-1">' in html and 'max="4"' in html
    assert 'aria-describedby="score-1-hint"' in html and '<label class="field__label" for="comment">' in html
    assert _now_in_db(session, essay_id).locked_by_id is None  # opening locks nothing
    fragment = client.get(f"/grading/responses/{essay_id}", headers=HX)
    assert "<html" not in _text(fragment) and 'id="grading"' in _text(fragment)
    # "开始评分" (or the first score typed, as htmx posts it) takes the lock.
    status = client.post(f"/grading/responses/{essay_id}/claim", data={"status": "1"}, headers=HX)
    assert status.status_code == 200 and _text(status).strip().startswith('<div id="lock-status"')
    assert "你正在评这道题" in _text(status) and "data-release-url" in _text(status)
    assert _now_in_db(session, essay_id).locked_by_id == world.trainer.id
    claimed = _text(client.post(f"/grading/responses/{essay_id}/claim"))
    assert "你正在评这道题" in claimed and "放弃评分并解除锁定" in claimed
    # Leaving (the page's beacon) releases it at once.
    left = client.post(f"/grading/responses/{essay_id}/release", data={"beacon": "1"})
    assert left.status_code == 204 and _now_in_db(session, essay_id).locked_by_id is None
    client.post(f"/grading/responses/{essay_id}/claim")
    given_up = client.post(f"/grading/responses/{essay_id}/release")
    assert given_up.status_code == 303 and given_up.headers["Location"] == "/grading"
    assert _now_in_db(session, essay_id).locked_by_id is None


def test_the_case_page_shows_the_automatic_part_and_asks_only_for_the_manual_one(
        client: FlaskClient, world: World, attempt: Attempt) -> None:
    login(client, world.trainer)
    _, case_id = _ids(attempt)
    html = _text(client.get(f"/grading/responses/{case_id}"))
    assert "顾客说包裹里少了一件商品" in html and "自动评分：4 / 4 分" in html
    assert 'name="score-q2-1"' in html and 'name="score-q2-2"' in html
    assert 'name="score-q1' not in html


def test_saving_grades_finalises_the_score_the_trainee_then_sees(
        app: Flask, client: FlaskClient, session: Session, world: World, attempt: Attempt) -> None:
    login(client, world.trainer)
    essay_id, case_id = _ids(attempt)
    client.get(f"/grading/responses/{essay_id}")
    saved = client.post(f"/grading/responses/{essay_id}",
                        data={"score-1": "4", "score-2": "5", "comment": "物流说明可以更具体"})
    assert saved.status_code == 303 and saved.headers["Location"] == "/grading"
    assert "还有题目待评分" in _text(client.get("/grading"))
    client.get(f"/grading/responses/{case_id}", headers=HX)
    hx_saved = client.post(f"/grading/responses/{case_id}",
                           data={"score-q2-1": "3", "score-q2-2": "3"}, headers=HX)
    assert hx_saved.status_code == 200 and hx_saved.headers["HX-Redirect"] == "/grading"
    queue = _text(client.get("/grading"))
    assert "最终成绩：96.7 分（通过）" in queue and "没有待评分的题目" in queue
    done = _fresh(session, Attempt, attempt.id)
    assert done.status is AttemptStatus.GRADED and done.score == 96.7
    essay = _fresh(session, Response, essay_id)
    assert (essay.points, essay.graded_by_id, essay.locked_by_id) == (9, world.trainer.id, None)
    trainee_client = app.test_client()
    login(trainee_client, world.trainee)
    result = _text(trainee_client.get(f"/attempts/{attempt.id}/result"))
    assert "96.7" in result and "通过" in result and "物流说明可以更具体" in result
    # A graded answer shows its grade and offers no form.
    again = _text(client.get(f"/grading/responses/{essay_id}"))
    assert "这道题已评分：9 / 10 分" in again and ">保存评分</button>" not in again


def test_scores_outside_the_rubric_come_back_with_422_and_what_was_typed(
        client: FlaskClient, session: Session, world: World, attempt: Attempt) -> None:
    login(client, world.trainer)
    essay_id, _ = _ids(attempt)
    client.get(f"/grading/responses/{essay_id}")
    for headers in ({}, HX):
        refused = client.post(f"/grading/responses/{essay_id}",
                              data={"score-1": "9", "score-2": "", "comment": "留着"},
                              headers=headers)
        body = _text(refused)
        assert refused.status_code == 422 and "先安抚并致歉" in body and "得分应在 0 到 4 之间" in body
        assert 'value="9"' in body and "留着" in body
        assert ("<html" in body) is (not headers)
    assert _fresh(session, Response, essay_id).needs_manual


def test_a_second_grader_sees_the_lock_and_is_refused_with_409(
        app: Flask, client: FlaskClient, session: Session, world: World, attempt: Attempt) -> None:
    login(client, world.trainer)
    essay_id, _ = _ids(attempt)
    client.post(f"/grading/responses/{essay_id}/claim")
    other = app.test_client()
    login(other, world.second_trainer)
    page = _text(other.get(f"/grading/responses/{essay_id}"))
    assert "正在由 王培训 评分" in page and "不能保存评分" in page and "disabled" in page
    assert ">保存评分</button>" not in page
    assert "正在由 王培训 评分" in _text(other.get("/grading"))
    for headers in ({}, HX):
        refused = other.post(f"/grading/responses/{essay_id}",
                             data={"score-1": "0", "score-2": "0"}, headers=headers)
        assert refused.status_code == 409 and "你的评分没有保存" in _text(refused)
    assert _fresh(session, Response, essay_id).needs_manual
    assert client.post(f"/grading/responses/{essay_id}",
                       data={"score-1": "4", "score-2": "6"}).status_code == 303


def test_an_expired_lock_can_be_taken_over(app: Flask, client: FlaskClient, session: Session,
                                           world: World, attempt: Attempt) -> None:
    login(client, world.trainer)
    essay_id, _ = _ids(attempt)
    client.post(f"/grading/responses/{essay_id}/claim")
    response = _fresh(session, Response, essay_id)
    response.locked_at = response.locked_at - timedelta(minutes=16)
    session.commit()
    other = app.test_client()
    login(other, world.second_trainer)
    assert "现在没有人在评这道题" in _text(other.get(f"/grading/responses/{essay_id}"))
    assert "你正在评这道题" in _text(other.post(f"/grading/responses/{essay_id}/claim"))
    refused = client.post(f"/grading/responses/{essay_id}", data={"score-1": "4", "score-2": "6"})
    assert refused.status_code == 409 and "正在由 李培训 评分" in _text(refused)


# --- results, review, overrides ---------------------------------------------------------------


def test_results_show_attempts_and_overrides_with_a_form_for_trainers_only(
        app: Flask, client: FlaskClient, session: Session, world: World, attempt: Attempt) -> None:
    session.add(ExamOverride(user_id=world.trainee.id, exam_id=attempt.exam_id, extra_minutes=5,
                             extra_attempts=0, reason="停电", by_user_id=world.trainer.id))
    session.commit()
    login(client, world.supervisor)
    page = client.get("/exams/grading-exam/results")
    html = _text(page)
    assert page.status_code == 200 and "林新人" in html and "待评分" in html
    assert f"/attempts/{attempt.id}/review" in html and "加时 5 分钟" in html and "停电" in html
    assert "记录调整" not in html
    trainer = app.test_client()
    login(trainer, world.trainer)
    html = _text(trainer.get("/exams/grading-exam/results"))
    assert "记录调整" in html and f'for="t{world.trainee.id}-reason"' in html
    assert "评分测试考试" in _text(trainer.get("/exam-results"))
    assert client.get("/exams/no-such-exam/results").status_code == 404


def test_an_override_is_recorded_and_extends_the_attempt_in_progress(
        client: FlaskClient, session: Session, world: World) -> None:
    from portal.db import utcnow
    from portal.exams import services

    open_attempt = services.start_attempt(session, user=world.trainee, exam_key="grading-exam",
                                          now=utcnow())
    deadline = open_attempt.deadline_at
    session.commit()
    login(client, world.trainer)
    prefix = f"t{world.trainee.id}-"
    saved = client.post(f"/exams/grading-exam/trainees/{world.trainee.id}/overrides",
                        data={prefix + "extra_minutes": "15", prefix + "extra_attempts": "1",
                              prefix + "reason": "系统故障"})
    assert saved.status_code == 303
    assert saved.headers["Location"].endswith(f"/exams/grading-exam/results#trainee-{world.trainee.id}")
    page = _text(client.get("/exams/grading-exam/results"))
    assert "进行中的作答已延长到" in page and "系统故障" in page and "补考 1 次" in page
    assert _fresh(session, Attempt, open_attempt.id).deadline_at == deadline + timedelta(minutes=15)
    assert session.scalars(sa.select(ExamOverride)).one().reason == "系统故障"


def test_an_override_without_a_reason_comes_back_with_422(
        client: FlaskClient, session: Session, world: World) -> None:
    login(client, world.trainer)
    url = f"/exams/grading-exam/trainees/{world.trainee.id}/overrides"
    prefix = f"t{world.trainee.id}-"
    fragment = client.post(url, data={prefix + "extra_minutes": "10", prefix + "reason": ""},
                           headers=HX)
    body = _text(fragment)
    assert fragment.status_code == 422 and "<html" not in body
    assert f'id="trainee-{world.trainee.id}"' in body and "请填写原因" in body and " open" in body
    page = client.post(url, data={prefix + "reason": "只有原因"})
    assert page.status_code == 422 and "<html" in _text(page)
    assert "请填写加时分钟数或补考次数" in _text(page)
    assert session.scalars(sa.select(ExamOverride)).all() == []


def test_staff_review_an_attempt_with_its_key_and_trainers_get_a_regrade_link(
        app: Flask, client: FlaskClient, world: World, attempt: Attempt) -> None:
    login(client, world.trainer)
    html = _text(client.get(f"/attempts/{attempt.id}/review"))
    assert "林新人 的第 1 次作答" in html and "先核对订单状态" in html and "先看订单是否已发货" in html
    assert "按最新题目重新评分" in html and "去评分" in html and "新客服的答案" in html
    supervisor = app.test_client()
    login(supervisor, world.supervisor)
    html = _text(supervisor.get(f"/attempts/{attempt.id}/review"))
    assert "先看订单是否已发货" in html and "按最新题目重新评分" not in html


# --- regrade ----------------------------------------------------------------------------------


def test_regrade_previews_then_applies(client: FlaskClient, session: Session, world: World,
                                       attempt: Attempt, now: datetime) -> None:
    question = fix_choice_key(session, now=now)
    session.commit()
    login(client, world.trainer)
    review = _text(client.get(f"/attempts/{attempt.id}/review"))
    assert f"/questions/{question.id}/regrade?use_current=1" in review
    assert "题目已更新到第 2 版" in review
    url = f"/questions/{question.id}/regrade"
    page = client.get(url)
    html = _text(page)
    assert page.status_code == 200 and "<html" in html and "其中 0 份会改变" in html
    assert "确认重新评分" not in html and '<label class="checkbox" for="use-current">' in html
    fragment = client.get(url + "?use_current=1", headers=HX)
    body = _text(fragment)
    assert "<html" not in body and 'id="regrade-plan"' in body and "其中 1 份会改变" in body
    assert "<s>10</s> → <strong>0</strong>" in body
    applied = client.post(url, data={"use_current": "1", "version": str(question.current_version_id)})
    assert applied.status_code == 303 and applied.headers["Location"].endswith("?use_current=1")
    assert "1 份作答有变化" in _text(client.get(applied.headers["Location"]))
    choice = _fresh(session, Response, response_at(attempt, 1).id)
    assert choice.points == 0 and choice.question_version_id == question.current_version_id
    stale = client.post(url, data={"use_current": "1", "version": "1"})
    assert stale.status_code == 409


# --- who may reach what ----------------------------------------------------------------------


def _urls(attempt: Attempt, question_id: int, trainee_id: int) -> list[tuple[str, str]]:
    essay = response_at(attempt, 2).id
    return [("GET", f"/grading/responses/{essay}"), ("POST", f"/grading/responses/{essay}"),
            ("GET", "/exams/grading-exam/results"), ("GET", f"/attempts/{attempt.id}/review"),
            ("POST", f"/exams/grading-exam/trainees/{trainee_id}/overrides"),
            ("GET", f"/questions/{question_id}/regrade"),
            ("POST", f"/questions/{question_id}/regrade")]


def test_a_trainer_of_another_cohort_reaches_nothing_of_it(
        client: FlaskClient, session: Session, world: World, attempt: Attempt,
        now: datetime) -> None:
    question = fix_choice_key(session, now=now)
    session.commit()
    login(client, world.outsider)
    form = {"score-1": "4", "score-2": "6", "use_current": "1",
            "version": str(question.current_version_id),
            f"t{world.trainee.id}-extra_minutes": "5", f"t{world.trainee.id}-reason": "x"}
    for method, url in _urls(attempt, question.id, world.trainee.id):
        for headers in ({}, HX):
            response = client.open(url, method=method, headers=headers, data=form)
            if "/questions/" in url or url.endswith("/results"):
                # An exam or a question is not the cohort's: the outsider gets the page,
                # holding (and changing) nothing of this cohort.
                assert response.status_code in (200, 303), (method, url)
                assert "林新人" not in _text(response), (method, url)
            else:
                assert response.status_code in (403, 404), (method, url, response.status_code)
    assert "林新人" not in _text(client.get("/grading"))
    session.expire_all()
    essay, choice = response_at(attempt, 2), response_at(attempt, 1)
    assert essay.needs_manual and essay.locked_by_id is None and choice.points == 10
    assert choice.question_version_id != question.current_version_id
    assert session.scalars(sa.select(ExamOverride)).all() == []


@pytest.mark.parametrize("role", [Role.TRAINEE, Role.SUPERVISOR])
def test_trainees_and_supervisors_may_not_grade_override_or_regrade(
        client: FlaskClient, session: Session, world: World, attempt: Attempt,
        role: Role) -> None:
    question_id = session.scalars(sa.select(Question.id).where(Question.qid == "choice")).one()
    user = world.trainee if role is Role.TRAINEE else world.supervisor
    login(client, user)
    for method, url in _urls(attempt, question_id, world.trainee.id) + [("GET", "/grading")]:
        allowed = role is Role.SUPERVISOR and method == "GET" and (
            url.endswith(("/results", "/review")))
        status = client.open(url, method=method, headers=HX).status_code
        assert (status == 200) is allowed and (allowed or status == 403), (role, method, url, status)


def test_a_trainee_gets_no_other_trainees_attempt_via_staff_urls(
        client: FlaskClient, session: Session, world: World, attempt: Attempt) -> None:
    stranger = make_user(session, cohort=world.cohort)
    session.commit()
    login(client, stranger)
    assert client.get(f"/attempts/{attempt.id}/review").status_code == 403
