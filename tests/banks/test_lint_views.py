"""The lint in the trainers' pages: the bank browser marks warned questions, the question
page explains them, the editor acknowledges one with a reason (htmx and plain), uploads list
them. Labels and reasons in Chinese, never a warning's code."""
from __future__ import annotations

import io
from datetime import datetime

import pytest
import sqlalchemy as sa
import yaml
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.auth.models import Role, User
from portal.exams.models import Question, QuestionVersion
from tests.factories import HX, cued_questions, import_lint_bank, login, make_user

BANK = "/banks/lint-bank"
CODES = ("position-cue", "length-cue", "wrong-credit", "true-false-balance")


@pytest.fixture
def trainer(client: FlaskClient, session: Session, now: datetime) -> User:
    user = make_user(session, role=Role.TRAINER, display_name="周培训")
    import_lint_bank(session, now=now, questions=cued_questions())
    session.commit()
    login(client, user)
    return user


def _no_codes(page: str) -> None:
    for code in CODES:
        assert f">{code}<" not in page and f"：{code}" not in page


def _current(session: Session, qid: str) -> QuestionVersion:
    session.rollback()
    question = session.scalar(sa.select(Question).where(Question.qid == qid))
    assert question is not None and question.current_version is not None
    return question.current_version


def test_the_bank_browser_marks_every_warned_question(client: FlaskClient, trainer: User) -> None:
    page = client.get(BANK).get_data(as_text=True)
    assert page.count("1 条出题提醒：正确答案位置有规律") == 10
    _no_codes(page)


def test_the_question_page_explains_its_warnings(client: FlaskClient, trainer: User) -> None:
    page = client.get(f"{BANK}/questions/single-0").get_data(as_text=True)
    assert 'id="warnings"' in page and "正确答案位置有规律" in page
    assert "本题的正确答案在第 1 个选项" in page and "10 道单选题中有 10 道" in page
    _no_codes(page)


def _edit_page(client: FlaskClient, qid: str = "single-0", *, mode: str = "form") -> str:
    return client.get(f"{BANK}/questions/{qid}/edit?mode={mode}").get_data(as_text=True)


def _ack(client: FlaskClient, reason: str, *, headers: dict | None = None,
         qid: str = "single-0"):  # type: ignore[no-untyped-def]
    page = _edit_page(client, qid)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    return client.post(f"{BANK}/questions/{qid}/acknowledge", headers=headers or {},
                       data={"csrf_token": token, "warning": "position-cue", "reason": reason,
                             "base_version": "1"})


def test_the_editor_offers_to_acknowledge_a_saved_warning(client: FlaskClient,
                                                          trainer: User) -> None:
    page = _edit_page(client)
    assert 'id="saved-warnings"' in page and "确认这条提醒" in page
    assert 'name="warning" value="position-cue"' in page  # a form value, not shown text
    assert 'id="live-warnings"' in page  # the text as it is would be warned too
    _no_codes(page.replace('value="position-cue"', ""))


def test_acknowledging_without_htmx_saves_a_version_and_redirects(
        client: FlaskClient, session: Session, trainer: User) -> None:
    response = _ack(client, "法规要求正确项放在第一位")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{BANK}/questions/single-0/edit")
    version = _current(session, "single-0")
    assert version.number == 2
    assert version.data["acknowledged"] == [{"warning": "position-cue",
                                             "reason": "法规要求正确项放在第一位"}]
    assert version.created_by_id == trainer.id
    page = client.get(f"{BANK}/questions/single-0").get_data(as_text=True)
    assert "已确认" in page and "确认理由：法规要求正确项放在第一位" in page
    bank = client.get(BANK).get_data(as_text=True)
    assert bank.count("1 条出题提醒：正确答案位置有规律") == 9
    # The editor's text now carries the acknowledgement, so saving keeps it.
    edit = _edit_page(client, mode="source")  # the YAML source editor
    text = edit.split('name="definition"', 1)[1].split(">", 1)[1].split("</textarea>", 1)[0]
    assert yaml.safe_load(text.replace("&#34;", '"').replace("&#39;", "'"))["acknowledged"][0][
        "reason"] == "法规要求正确项放在第一位"


def test_acknowledging_with_htmx_answers_the_editor_fragment(
        client: FlaskClient, session: Session, trainer: User) -> None:
    response = _ack(client, "有意为之", headers=HX)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="editor"') and "<html" not in body
    assert "已确认这条提醒，题目保存为第 2 版。" in body
    assert 'id="base_version" name="base_version" type="hidden" value="2"' in body
    assert _current(session, "single-0").number == 2


@pytest.mark.parametrize("headers", [None, HX])
def test_an_acknowledgement_without_a_reason_is_refused_and_saves_nothing(
        client: FlaskClient, session: Session, trainer: User, headers: dict | None) -> None:
    response = _ack(client, "   ", headers=headers)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "请写明确认的理由（不超过 500 个字），没有保存" in body
    assert ("<html" in body) is (headers is None)
    assert _current(session, "single-0").number == 1


def test_an_upload_lists_its_warnings_with_file_and_line(client: FlaskClient,
                                                        trainer: User) -> None:
    text = yaml.safe_dump({"key": "other-bank", "title": "另一个题库",
                           "questions": cued_questions()}, allow_unicode=True, sort_keys=False)
    response = client.post("/banks/import", data={
        "step": "check", "files": [(io.BytesIO(text.encode("utf-8")), "other-bank.yaml")]},
        content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="import-warnings"' in page and "出题提醒" in page
    assert "<code>other-bank.yaml</code> 第 4 行 <strong>正确答案位置有规律</strong>" in page
    _no_codes(page)
