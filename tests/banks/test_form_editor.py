"""The form-based question editor over HTTP: every kind edited and created with the form,
problems shown on their fields, rows added, the live preview, the YAML source beside it."""
from __future__ import annotations

import re
from datetime import datetime

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from portal.auth.models import Role, User
from portal.exams import kinds
from portal.exams.models import Question, QuestionBank
from tests.banks.form_editor_fixtures import (
    DEMO_BANK,
    NEW_QUESTION_FORMS,
    QUESTION_OF_KIND,
    SAVED,
    form_fields,
    with_values,
)
from tests.factories import HX, import_docs_example_bank, login, make_user


@pytest.fixture
def trainer(client: FlaskClient, session: Session, now: datetime) -> User:
    user = make_user(session, role=Role.TRAINER, display_name="周培训")
    import_docs_example_bank(session, now=now)
    session.commit()
    login(client, user)
    return user


def _current(session: Session, qid: str) -> kinds.QuestionDef:
    session.rollback()  # what the app committed
    bank = session.scalars(sa.select(QuestionBank).where(QuestionBank.key == "after-sales-demo")).one()
    question = session.scalars(sa.select(Question).where(Question.bank_id == bank.id,
                                                         Question.qid == qid)).one()
    assert question.current_version is not None
    return question.current_version.definition


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


@pytest.mark.parametrize("kind", list(kinds.KINDS))
def test_every_kind_reads_back_from_its_form_unchanged(client: FlaskClient, trainer: User,
                                                      kind: str) -> None:
    url = f"{DEMO_BANK}/questions/{QUESTION_OF_KIND[kind]}/edit"
    page = _text(client.get(url))
    assert "高级：编辑源文件" in page and 'name="definition"' not in page
    # Saving the form as it was opened changes nothing: the form holds the whole question.
    response = client.post(url, data=MultiDict(form_fields(page)))
    assert response.status_code == 422 and "题目没有改动" in _text(response)


def test_an_edit_in_the_form_saves_a_new_version(client: FlaskClient, trainer: User,
                                                 session: Session) -> None:
    url = f"{DEMO_BANK}/questions/promise-express-01/edit"
    fields = form_fields(_text(client.get(url)))
    changed = with_values(fields, q__points="3", q__tags_topics="发货承诺、快递")
    response = client.post(url, data=MultiDict(changed))
    assert response.status_code == 303
    saved = _current(session, "promise-express-01")
    assert saved.points == 3 and "topic:快递" in saved.tags


@pytest.mark.parametrize("kind", list(kinds.KINDS))
def test_the_form_creates_a_question_of_every_kind(client: FlaskClient, trainer: User,
                                                   session: Session, kind: str) -> None:
    url = f"{DEMO_BANK}/questions/new?kind={kind}"
    page = _text(client.get(url))
    assert "新建题目" in page and f'name="q.kind" value="{kind}"' in page
    fields = dict(form_fields(page))
    fields.update(NEW_QUESTION_FORMS[kind])
    response = client.post(url, data=fields)
    assert response.status_code == 303, re.findall(r'field__errors[^>]*>(.*?)</ul>', _text(response), re.DOTALL)
    qid = f"{kind}-01"
    assert response.headers["Location"] == f"{DEMO_BANK}/questions/{qid}"
    data = _current(session, qid).to_data()
    for name, expected in SAVED[kind].items():
        assert data[name] == expected, name


def test_problems_are_shown_on_their_fields_with_a_summary_that_links_to_them(
        client: FlaskClient, trainer: User) -> None:
    url = f"{DEMO_BANK}/questions/new?kind=single-choice"
    fields = dict(form_fields(_text(client.get(url))))
    fields.update({"q.points": "abc", "q.choices-rows": "3", "q.choices-1-text": "甲",
                   "q.choices-2-text": "乙", "q.choices-2-credit": "50", "q.choices-3-feedback": "只写了反馈"})
    for headers in ({}, HX):
        response = client.post(url, data=fields, headers=headers)
        page = _text(response)
        assert response.status_code == 422 and ("<html" in page) is (not headers)
        errors = dict(re.findall(r'<ul class="field__errors" id="([^"]+)-errors"><li>(.*?)</li>', page))
        assert errors["ed-q-prompt"] == "请填写这一项"
        assert errors["ed-q-points"].startswith("应为大于 0")
        assert errors["ed-q-choices-3-text"] == "请填写这一项"
        assert errors["ed-q-choices"] == "请把恰好一个选项标为正确答案"
        assert 'href="#ed-q-prompt"' in page and 'aria-invalid="true"' in page
        # What was typed is kept, and nothing internal is shown.
        assert 'value="abc"' in page and "只写了反馈" in page
        assert "correct: true" not in page and "缺少字段" not in page


def test_a_row_is_added_without_saving(client: FlaskClient, trainer: User,
                                       session: Session) -> None:
    url = f"{DEMO_BANK}/questions/team-groups-01/edit"
    fields = form_fields(_text(client.get(url)))
    before = len(re.findall(r'name="q\.pairs-\d+-left"', _text(client.get(url))))
    response = client.post(url, data=MultiDict([*fields, ("add", "q.pairs")]), headers=HX)
    page = _text(response)
    assert response.status_code == 200 and page.lstrip().startswith('<div id="editor"')
    assert len(re.findall(r'name="q\.pairs-\d+-left"', page)) == before + 1
    # Nothing was saved, and the empty row is left out when saving: still nothing changed.
    assert len(_current(session, "team-groups-01").pairs) == before
    saved = client.post(url, data=MultiDict(with_values(fields, q__pairs_rows=str(before + 1))))
    assert saved.status_code == 422 and "题目没有改动" in _text(saved)


def test_the_live_preview_reads_the_form(client: FlaskClient, trainer: User) -> None:
    url = f"{DEMO_BANK}/questions/invoice-split-01/edit"
    fields = with_values(form_fields(_text(client.get(url))), q__unit="元/单")
    response = client.post("/banks/preview", data=MultiDict(fields), headers=HX)
    page = _text(response)
    assert response.status_code == 200 and "<html" not in page
    assert "学员看到的题目" in page and "元/单" in page and "预览已更新，没有发现问题" in page
    broken = with_values(fields, q__answers_1_value="很多")
    page = _text(client.post("/banks/preview", data=MultiDict(broken), headers=HX))
    assert "发现 1 个问题" in page and "第 " not in page.split("preview-problems")[1][:200]


def test_the_source_editor_stays_available(client: FlaskClient, trainer: User) -> None:
    page = _text(client.get(f"{DEMO_BANK}/questions/invoice-split-01/edit?mode=source"))
    assert 'name="definition"' in page and "用表单编辑" in page and "q.kind" not in page
    assert "/banks/help/question-bank-format" in page


def test_help_pages_are_served_in_chinese_for_trainers(client: FlaskClient, trainer: User) -> None:
    imports = _text(client.get("/banks/import"))
    for page in ("question-bank-format", "exam-format", "gift-and-moodle"):
        assert f"/banks/help/{page}" in imports
        html = _text(client.get(f"/banks/help/{page}"))
        assert "<h1>" in html and "docs/" not in html
    bank = _text(client.get("/banks/help/question-bank-format"))
    assert "题库文件的写法" in bank and "<table>" in bank and "<script" not in bank.split("<main")[1]
    assert client.get("/banks/help/../README").status_code == 404
    assert client.get("/banks/help/nothing").status_code == 404


def test_tags_are_shown_as_labelled_chips(client: FlaskClient, trainer: User) -> None:
    page = _text(client.get(f"{DEMO_BANK}"))
    assert "主题：发货承诺" in page and "岗位：售后" in page
    assert ">stage:" not in page and ">role:" not in page and ">topic:" not in page
