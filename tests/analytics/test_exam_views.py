"""The exam analysis pages and their CSV through HTTP: who sees what, in Chinese."""
from __future__ import annotations

import csv
import io
from datetime import datetime

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.exams.models import Question, QuestionVersion
from tests.exams import exam_fixtures
from tests.factories import (
    build_cohort_analytics_world,
    build_exam_world,
    import_exam,
    login,
    make_user,
    take_demo_exam,
)


def _version_id(session: Session, qid: str) -> int:
    question = session.query(Question).filter_by(qid=qid).one()
    return session.get(QuestionVersion, question.current_version_id).id  # type: ignore[union-attr]


def test_the_trainer_reads_the_exam_and_a_question(client: FlaskClient, session: Session,
                                                    now: datetime) -> None:
    world = build_exam_world(session, now=now)
    login(client, world.trainer)
    index = client.get("/analytics").get_data(as_text=True)
    assert "测试考试" in index and 'href="/analytics/exams/demo-exam"' in index
    page = client.get("/analytics/exams/demo-exam").get_data(as_text=True)
    assert "统计了 10 次已评完分的作答（每人第一次作答）" in page
    assert "另有 1 次作答在等培训组长评分" in page and "1 次作答还没交卷" in page
    assert "作答少于 30 次：区分度波动很大" in page
    assert "客单价怎么算？" in page and "单选题" in page
    assert "too_easy" not in page and "None" not in page
    single = _version_id(session, "single")
    item = client.get(f"/analytics/exams/demo-exam/items/{single}").get_data(as_text=True)
    assert "销售额除以订单数" in item and "正确答案" in item
    assert 'href="/banks/demo-bank/questions/single/edit"' in item
    assert "重新评分" in item and "题库“测试题库” · 题号 single · 第 1 版" in item
    assert "答错的人看过课程吗" not in item  # an exam of no stage has no modules before it
    every = client.get("/analytics/exams/demo-exam?counting=all").get_data(as_text=True)
    assert "统计了 11 次已评完分的作答（全部作答）" in every


def test_a_flagged_question_says_why(client: FlaskClient, session: Session,
                                     now: datetime) -> None:
    world = build_exam_world(session, now=now)
    login(client, world.trainer)
    page = client.get("/analytics/exams/demo-exam").get_data(as_text=True)
    assert "需要看一看的题" in page and "太容易" in page
    tf = _version_id(session, "tf")
    item = client.get(f"/analytics/exams/demo-exam/items/{tf}").get_data(as_text=True)
    assert "得分率 100%，高于 90%：几乎人人答对" in item
    assert "人人得分相同，无法计算" in item  # its correlation, not a number


def test_the_csv_has_chinese_headers_and_every_question(client: FlaskClient, session: Session,
                                                        now: datetime) -> None:
    world = build_exam_world(session, now=now)
    login(client, world.supervisor)
    response = client.get("/analytics/exams/demo-exam/items.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["题库", "题号", "版本", "题型"]
    by_qid = {r[1]: r for r in rows[1:]}
    assert set(by_qid) == {"single", "multi", "tf", "fill", "num", "task"}
    assert by_qid["single"][0] == "测试题库"  # the bank's title, not its key
    assert by_qid["single"][3] == "单选题" and by_qid["single"][4] == "10"
    assert by_qid["tf"][-1] == "太容易；干扰项没人选（错）" and by_qid["multi"][-1] == ""
    assert float(by_qid["single"][5]) == 0.6
    single = _version_id(session, "single")
    options = client.get(f"/analytics/exams/demo-exam/items/{single}/options.csv")
    lines = list(csv.reader(io.StringIO(options.get_data(as_text=True).lstrip("\ufeff"))))
    assert lines[0][0] == "选项" and lines[1][:4] == ["A", "销售额除以订单数", "是", "6"]


def test_supervisors_read_but_do_not_edit_and_others_are_kept_out(
        client: FlaskClient, session: Session, now: datetime) -> None:
    world = build_exam_world(session, now=now)
    single = _version_id(session, "single")
    login(client, world.supervisor)
    item = client.get(f"/analytics/exams/demo-exam/items/{single}").get_data(as_text=True)
    assert "各选项的选择情况" in item and "/edit" not in item
    client.post("/logout")
    login(client, world.outsider)
    page = client.get("/analytics/exams/demo-exam").get_data(as_text=True)
    assert "还没有可以统计的作答" in page
    assert client.get(f"/analytics/exams/demo-exam?cohort={world.cohort.id}").status_code == 404
    assert client.get(f"/analytics/exams/demo-exam/items/{single}").status_code == 404
    client.post("/logout")
    login(client, world.trainees[0])
    assert client.get("/analytics").status_code == 403
    assert client.get("/analytics/exams/demo-exam").status_code == 403


def test_bad_choices_are_not_found(client: FlaskClient, session: Session, now: datetime) -> None:
    world = build_exam_world(session, now=now)
    login(client, world.trainer)
    assert client.get("/analytics/exams/demo-exam?counting=best").status_code == 404
    assert client.get("/analytics/exams/demo-exam?cohort=abc").status_code == 404
    assert client.get("/analytics/exams/nope").status_code == 404


def test_a_question_says_which_modules_those_who_failed_it_had_not_opened(
        client: FlaskClient, session: Session) -> None:
    """The cohort analytics' week: in 分析批次 two trainees failed `freight`; before that
    attempt both had not opened 订单流程 and one had not opened 运费与时效."""
    world = build_cohort_analytics_world(session)
    session.commit()
    login(client, world.trainer)
    version = session.get(Question, world.questions["freight"]).current_version_id  # type: ignore[union-attr]
    page = client.get(f"/analytics/exams/ana-basics/items/{version}").get_data(as_text=True)
    assert "2 人答错这道题" in page
    assert "订单流程</a>：2 人没打开过" in page and "运费与时效</a>：1 人没打开过" in page
    exam_world = client.get("/analytics/exams/ana-basics").get_data(as_text=True)
    assert "答错的人看过课程吗" not in exam_world  # only on a question's page


def test_a_changed_question_is_counted_per_version_side_by_side(
        client: FlaskClient, session: Session, now: datetime) -> None:
    world = build_exam_world(session, now=now)
    changed = exam_fixtures.BANK.replace("响应时间 100 秒以上算差。", "响应时间超过 100 秒算差。")
    import_exam(session, now=now, bank=changed, bank_file="demo-bank.yaml",
                exams=(exam_fixtures.EXAM,), exam_file="demo-exam.yaml")
    late = make_user(session, cohort=world.cohort, display_name="学员13")
    take_demo_exam(session, user=late, answers=exam_fixtures.ANSWERS_RIGHT, now=now)
    session.commit()
    login(client, world.trainer)
    second = _version_id(session, "tf")
    page = client.get(f"/analytics/exams/demo-exam/items/{second}").get_data(as_text=True)
    assert "这道题的各个版本" in page and "第 2 版（本页）" in page
    assert "响应时间超过 100 秒算差。" in page
    exam = client.get("/analytics/exams/demo-exam").get_data(as_text=True)
    assert "题号 tf · 第 1 版" in exam and "题号 tf · 第 2 版" in exam
    bands = client.get("/analytics/exams/demo-exam/distribution.csv").get_data(as_text=True)
    assert bands.lstrip("\ufeff").splitlines()[0] == "分数段,作答次数,整段达到及格线"
    assert "90–100 分,3,是" in bands  # T1 and T8 (all right) and 学员13
