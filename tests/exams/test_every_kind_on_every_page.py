"""Every kind on every page that shows a question: the exam attempt, the trainee's result
review, the staff review, the grading page, the bank browser and the question editor's
preview. Each page answers 200 and shows the kind's own content, never an internal key.

The questions are those of docs/question-bank-format.md (one of every kind); the trainee
answers through the attempt page's form fields, so the inputs each kind renders are the
fields its answer_from_form reads.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.auth.models import Role, User
from portal.banks import services as bank_services
from portal.banks.services import UploadedFile
from portal.exams import kinds
from portal.exams.models import Attempt, QuestionVersion
from tests.exams.examples import docs_example_text
from tests.exams.grading_fixtures import STAGES, TRACK_KEY
from tests.factories import HX, login, make_cohort, make_track, make_user

BANK = "after-sales-demo"
ORDER = ["promise-express-01", "campaign-rules-01", "invoice-amount-01", "return-window-01",
         "invoice-split-01", "team-groups-01", "complaint-reply-01", "refund-in-transit",
         "out-of-stock-note"]
EXAM = f"""
key: every-kind
title: 每种题型
pass_mark: 60
time_limit_minutes: 30
attempts: 2
shuffle_questions: false
shuffle_options: false
review: {{when: after-submit, show: [score, responses, correct, explanations]}}
questions:
  fixed: [{", ".join(f"{BANK}/{qid}" for qid in ORDER)}]
"""

# What a trainee sees of each kind before answering (choice texts, field labels …).
SHOWN = {
    "single-choice": ["不算，客服没有在聊天中答应发韵达", 'type="radio"'],
    "multiple-choice": ["发票金额按订单如实开具", 'type="checkbox"', "多选题：选出所有正确的选项。"],
    "true-false": ["买家多付 10 元", 'value="true"', "> 对</label>"],
    "fill-in": ["【第 1 空】", "【第 2 空】", "第 2 空</label>"],
    "numeric": ["另一张应开多少元", "答案（元）"],
    "matching": ["客服群", "<option value=\"接收排班、活动和话术通知\""],
    "short-answer": ["买家收到的鞋少了一只", "你的回答"],
    "case": ["运输途中买家想换 41 码", "对这笔“仅退款”申请", "写出你打给买家的电话要点"],
    "operation-task": ["备注原因", "<option value=\"等待补货\"", 'type="datetime-local"'],
}
# The form fields a trainee fills in for each question, and the answer they become.
FIELDS: dict[str, tuple[dict[str, object], object]] = {
    "single-choice": ({"answer": "a"}, "a"),
    "multiple-choice": ({"answer": ["a", "c"]}, ["a", "c"]),
    "true-false": ({"answer": "false"}, False),
    "fill-in": ({"blank-1": "七", "blank-2": "退货"}, ["七", "退货"]),
    "numeric": ({"answer": "268"}, "268"),
    "matching": ({"match-1": "接收排班、活动和话术通知", "match-2": "核对库存、漏发补发"},
                 {"1": "接收排班、活动和话术通知", "2": "核对库存、漏发补发"}),
    "short-answer": ({"answer": "非常抱歉，我马上联系快递核实包裹重量。"},
                     "非常抱歉，我马上联系快递核实包裹重量。"),
    "case": ({"q1.answer": "a", "q2.answer": "true", "q3.answer": "货在途中不能仅退款，收货后可换 41 码"},
             {"q1": "a", "q2": True, "q3": "货在途中不能仅退款，收货后可换 41 码"}),
    "operation-task": ({"field-reason": "缺货，买家同意换款", "field-staff_id": "KF0123",
                        "field-noted_at": "2025-11-11T10:10", "field-decision": "换款",
                        "field-remark": ""},
                       {"reason": "缺货，买家同意换款", "staff_id": "KF0123",
                        "noted_at": "2025-11-11T10:10", "decision": "换款", "remark": ""}),
}
# How each kind's answer reads on the review pages (the texts, not the keys).
ANSWERED = {
    "single-choice": ["A.</span>不算，客服没有在聊天中答应发韵达"],
    "multiple-choice": ["A.</span>买家嫌金额不吉利，客服让买家多付 1 元</span>",
                        "C.</span>承诺买家“一定明天到货”而无法保证"],
    "true-false": [">错<"],
    "fill-in": ["七；退货"],
    "numeric": ["268"],
    "matching": ["<dt>客服群</dt><dd>接收排班、活动和话术通知</dd>", "<dt>仓库群</dt><dd>—</dd>"],
    "short-answer": ["非常抱歉，我马上联系快递核实包裹重量。"],
    "case": ["第 1 小题", "后台拒绝，并电话联系买家核实情况", "货在途中不能仅退款"],
    "operation-task": ["<dt>备注原因</dt><dd>缺货，买家同意换款</dd>", "<dt>处理结果</dt><dd>换款</dd>"],
}
# Internal keys and raw values a person must never read on these pages.
INTERNAL = re.compile(
    r"single-choice|multiple-choice|true-false|fill-in|operation-task|short-answer|"
    r"all-or-nothing|proportional|weighted|\[\[\d\]\]|\bNone\b|\{&#34;|\{\"|"
    r">\s*(?:choice|choices|value|answer|q\d/\w+|staff_id|noted_at)\s*·")


def _visible(page: str) -> str:
    """The page as read: without attribute values, script and hidden YAML."""
    page = re.sub(r"<(script|textarea)\b.*?</\1>", "", page, flags=re.DOTALL)
    page = re.sub(r'<details class="cheatsheet question-source">.*?</details>', "", page, flags=re.DOTALL)
    return re.sub(r"<[^>]+>", lambda m: ">" if m[0].startswith("</") else "<>", page)


def assert_no_internal_keys(page: str, where: str) -> None:
    found = INTERNAL.search(_visible(page))
    assert found is None, f"{where}: {found[0]!r} in …{_visible(page)[max(0, found.start() - 80):found.end() + 80]}…"


@dataclass
class World:
    trainee: User
    trainer: User
    trainee_client: FlaskClient
    trainer_client: FlaskClient


@pytest.fixture
def world(app: Flask, session: Session, now: datetime) -> World:
    files = [UploadedFile(f"{BANK}.yaml", docs_example_text().encode("utf-8"), None, None),
             UploadedFile("every-kind.yaml", EXAM.encode("utf-8"), None, None)]
    check = bank_services.check_upload(session, files=files)
    assert check.ok, [str(p) for p in check.problems]
    bank_services.confirm_upload(session, files=files, expected_digest=check.digest,
                                 actor_id=None, now=now)
    make_track(session, now=now, key=TRACK_KEY, title="评分测试路线", stages=STAGES, modules={})
    trainer = make_user(session, role=Role.TRAINER, display_name="王培训")
    cohort = make_cohort(session, track_key=TRACK_KEY, staff=[trainer])
    trainee = make_user(session, cohort=cohort, display_name="林新人")
    session.commit()
    trainee_client, trainer_client = app.test_client(), app.test_client()
    login(trainee_client, trainee)
    login(trainer_client, trainer)
    return World(trainee, trainer, trainee_client, trainer_client)


def _kinds_in_order() -> list[str]:
    return ["single-choice", "multiple-choice", "true-false", "fill-in", "numeric", "matching",
            "short-answer", "case", "operation-task"]


def test_the_example_covers_every_kind() -> None:
    assert sorted(_kinds_in_order()) == sorted(kinds.KINDS)


def _section(page: str, start: str, end: str | None) -> str:
    part = page.split(start, 1)[1]
    return part.split(end, 1)[0] if end and end in part else part


def _tight(page: str) -> str:
    """The markup without the template's indentation around tags."""
    return re.sub(r"\s*(<[^>]+>)\s*", r"\1", page)


def test_every_kind_on_the_attempt_result_staff_review_and_grading_pages(
        session: Session, world: World) -> None:
    started = world.trainee_client.post("/exams/every-kind/attempts")
    assert started.status_code == 303, started.get_data(as_text=True)[:300]
    attempt_url = started.headers["Location"]
    page = world.trainee_client.get(attempt_url)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert_no_internal_keys(text, "attempt")
    for position, kind in enumerate(_kinds_in_order(), 1):
        question = _section(text, f'id="q{position}"', f'id="q{position + 1}"')
        assert kinds.get_kind(kind).label in question  # 单选题 … in the question's title
        for shown in SHOWN[kind]:
            assert shown in question, (kind, shown)
        fields, _ = FIELDS[kind]
        for name in fields:  # the inputs carry the names answer_from_form reads
            assert f'name="{name}"' in question, (kind, name)
        saved = world.trainee_client.post(f"{attempt_url}/answers/{position}", headers=HX,
                                          data={"revision": "1", **fields})
        assert saved.status_code == 200 and "已保存" in saved.get_data(as_text=True), kind
    attempt_id = int(attempt_url.rsplit("/", 1)[1])
    session.expire_all()
    attempt = session.get(Attempt, attempt_id)
    assert attempt is not None
    stored = {r.position: r.answer for r in attempt.responses}
    assert stored == {p: FIELDS[k][1] for p, k in enumerate(_kinds_in_order(), 1)}

    # The answers are back in the inputs when the page is opened again.
    again = world.trainee_client.get(attempt_url).get_data(as_text=True)
    assert 'value="七"' in again and 'value="268"' in again and "selected>换款</option>" in again

    submitted = world.trainee_client.post(f"{attempt_url}/submit")
    assert submitted.status_code == 303
    result = world.trainee_client.get(f"{attempt_url}/result")
    text = _tight(result.get_data(as_text=True))
    assert result.status_code == 200 and "答卷回顾" in text
    assert_no_internal_keys(text, "result")
    for position, kind in enumerate(_kinds_in_order(), 1):
        review = _section(text, f'id="r{position}"', f'id="r{position + 1}"')
        for shown in ANSWERED[kind]:
            assert shown in review, (kind, shown)
    key = _section(text, 'id="r4"', 'id="r5"')  # a fill-in's parts are named by their blanks
    assert "第 1 空：七 / 7" in key and "第 2 空 · 0.5 / 1 分" in key
    assert "◐ 部分得分" in key and "✗ 错误" not in key  # half credit is partial, not wrong
    essay = _section(text, 'id="r7"', 'id="r8"')  # waiting for a trainer: never "0 / 6 分"
    assert "… 待评分" in essay and "满分 6 分" in essay and "0 / 6" not in essay
    assert "先安抚情绪并致歉 · 满分 2 分" in essay and "评分要点" in essay
    case = _section(text, 'id="r8"', 'id="r9"')
    assert "已得 3 分，另有 2 分待评" in case
    operation = _section(text, 'id="r9"', None)  # the expected value of each checked field
    assert "<dt>备注原因</dt><dd>须包含：缺货、换款</dd>" in operation
    assert "<dt>备注时间</dt><dd>2025-11-11 10:10</dd>" in operation
    assert "接收排班、活动和话术通知" in _section(text, 'id="r6"', 'id="r7"')
    assert "运输途中买家想换 41 码" in _section(text, 'id="r8"', 'id="r9"')
    assert "第 1 小题 · 2 / 2 分" in _section(text, 'id="r8"', 'id="r9"')
    assert "备注原因 · 2 / 2 分" in _section(text, 'id="r9"', None)
    lost = _tight(world.trainee_client.get(f"{attempt_url}/result?show=lost").get_data(as_text=True))
    assert [p for p in range(1, 10) if f'id="r{p}"' in lost] == [4, 6]  # partial credit only
    assert "只看失分的题（2）" in lost and 'aria-current="page">只看失分的题' in lost

    staff = world.trainer_client.get(f"/attempts/{attempt_id}/review")
    text = _tight(staff.get_data(as_text=True))
    assert staff.status_code == 200
    assert_no_internal_keys(text, "staff review")
    for position, kind in enumerate(_kinds_in_order(), 1):
        review = _section(text, f'id="r{position}"', f'id="r{position + 1}"')
        assert kinds.get_kind(kind).label in review
        for shown in ANSWERED[kind]:
            assert shown in review, (kind, shown)
    assert "七 / 7" in text and "退货（得 50%）" in text  # the staff key, partial credit too
    assert "备注原因（2 分）：须包含：缺货、换款" in text
    assert "亲，非常抱歉给您带来不便" in text  # the short answer's reference answer

    responses = {r.position: r.id for r in attempt.responses}
    for position, kind in enumerate(_kinds_in_order(), 1):
        grading = world.trainer_client.get(f"/grading/responses/{responses[position]}")
        text = _tight(grading.get_data(as_text=True))
        assert grading.status_code == 200, kind
        assert_no_internal_keys(text, f"grading {kind}")
        assert kinds.get_kind(kind).label in text
        for shown in ANSWERED[kind]:
            assert shown in text, (kind, shown)
    case_page = world.trainer_client.get(f"/grading/responses/{responses[8]}").get_data(as_text=True)
    assert "<h2 id=\"scenario-title\">案例</h2>" in case_page and 'name="score-q3-1"' in case_page


def test_every_kind_in_the_bank_browser_and_the_editor_preview(world: World) -> None:
    client = world.trainer_client
    for qid, kind in zip(ORDER, _kinds_in_order(), strict=True):
        page = client.get(f"/banks/{BANK}/questions/{qid}")
        text = page.get_data(as_text=True)
        assert page.status_code == 200, (kind, text[:300])
        trainee_view = _section(text, 'id="trainee-heading"', 'id="key-heading"')
        for shown in SHOWN[kind]:
            assert shown in trainee_view, (kind, shown)
        assert_no_internal_keys(_section(text, 'class="question-views"', "question-source"),
                                f"bank {kind}")
        # The form editor shows the same preview; the YAML source is its advanced face.
        form = client.get(f"/banks/{BANK}/questions/{qid}/edit")
        assert form.status_code == 200, kind
        for shown in SHOWN[kind]:
            assert shown in _section(form.get_data(as_text=True), 'id="preview-trainee"', None)
        edit = client.get(f"/banks/{BANK}/questions/{qid}/edit?mode=source")
        text = edit.get_data(as_text=True)
        assert edit.status_code == 200, kind
        preview = _section(text, 'id="preview-trainee"', None)
        for shown in SHOWN[kind]:
            assert shown in preview, (kind, shown)
        assert_no_internal_keys(preview, f"editor {kind}")
        definition = html.unescape(text.split('name="definition"', 1)[1].split(">", 1)[1]
                                   .split("</textarea>")[0]).lstrip("\r\n")
        live = client.post("/banks/preview", headers=HX, data={
            "bank_key": BANK, "qid": qid, "definition": definition})
        body = live.get_data(as_text=True)
        assert live.status_code == 200 and "预览已更新，没有发现问题" in body, kind
        for shown in SHOWN[kind]:
            assert shown in body, (kind, shown)


def test_a_new_question_of_every_kind_opens_with_its_preview(world: World) -> None:
    for kind in _kinds_in_order():
        form = world.trainer_client.get(f"/banks/{BANK}/questions/new?kind={kind}")
        assert form.status_code == 200 and f'name="q.kind" value="{kind}"' in form.get_data(
            as_text=True), kind
        page = world.trainer_client.get(f"/banks/{BANK}/questions/new?kind={kind}&mode=source")
        text = page.get_data(as_text=True)
        assert page.status_code == 200, kind
        preview = _section(text, 'id="preview-trainee"', None)
        assert kinds.get_kind(kind).label in preview and "发现" not in preview, kind
        assert_no_internal_keys(preview, f"new {kind}")


def test_a_trainer_edits_a_question_of_every_kind(session: Session, world: World) -> None:
    client = world.trainer_client
    for qid in ORDER:
        url = f"/banks/{BANK}/questions/{qid}/edit"
        text = client.get(f"{url}?mode=source").get_data(as_text=True)
        definition = html.unescape(text.split('name="definition"', 1)[1].split(">", 1)[1]
                                   .split("</textarea>")[0]).lstrip("\r\n")
        was = re.search(r"^difficulty: (\w+)$", definition, flags=re.MULTILINE)
        assert was is not None, qid
        now_hard = "easy" if was[1] == "hard" else "hard"
        changed = definition.replace(was[0], f"difficulty: {now_hard}")
        assert changed != definition, qid
        saved = client.post(url, data={"bank_key": BANK, "qid": qid, "base_version": "1",
                                       "definition": changed})
        assert saved.status_code == 303, (qid, saved.get_data(as_text=True)[:300])
        shown = client.get(saved.headers["Location"]).get_data(as_text=True)
        label = "容易" if now_hard == "easy" else "较难"
        assert "已保存题目" in shown and f"<dd>{label}</dd>" in shown and "第 2 版" in shown, qid
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(QuestionVersion)) == 2 * len(ORDER)


def test_a_fill_in_question_opens_in_the_bank_browser_and_its_editor(world: World) -> None:
    """The bank pages once failed with 500 on any fill-in question (`mark_blanks` was
    registered by the exams blueprint only), e.g. the shipped double11/peak-hours-fill."""
    client = world.trainer_client
    for url in (f"/banks/{BANK}/questions/return-window-01",
                f"/banks/{BANK}/questions/return-window-01/edit"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert "买家签收后 【第 1 空】 天内" in page.get_data(as_text=True), url



def test_the_shipped_questions_of_every_kind_open_in_the_bank_browser(
        app: Flask, session: Session, now: datetime) -> None:
    """One shipped question of each kind, and double11/peak-hours-fill by name."""
    from portal.config import PROJECT_ROOT
    from portal.exams import services as exam_services
    from portal.exams.files import load_folder

    content = load_folder(PROJECT_ROOT / "question_banks")
    exam_services.apply_import(session, banks=content.banks, exams=content.exams,
                               actor_id=None, now=now)
    trainer = make_user(session, role=Role.TRAINER)
    session.commit()
    client = app.test_client()
    login(client, trainer)
    first: dict[str, tuple[str, str]] = {}
    for bank in content.banks:
        for q in bank.questions:
            first.setdefault(q.kind, (bank.key, q.definition.id))
    urls = {f"/banks/{bank}/questions/{qid}" for bank, qid in first.values()}
    urls.add("/banks/double11/questions/peak-hours-fill")
    for url in sorted(urls):
        for page in (url, f"{url}/edit"):
            response = client.get(page)
            assert response.status_code == 200, page
            assert_no_internal_keys(_section(response.get_data(as_text=True),
                                             'class="question', "question-source"), page)
