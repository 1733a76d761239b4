"""The bank pages over HTTP: access, import with a dry run, browser, exports, the editor."""
from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.auth.models import Role, User
from portal.exams.bank import load_bank
from portal.exams.gift import import_gift
from portal.exams.models import QuestionBank, QuestionVersion
from tests.banks.bank_fixtures import EXAM, SENTINEL, SMALL_BANK
from tests.exams.examples import FIXTURES, docs_example_text
from tests.factories import HX, import_categorised_bank, import_small_bank, login, make_user

BANK = "/banks/after-sales-small"


@pytest.fixture
def trainer(client: FlaskClient, session: Session) -> User:
    user = make_user(session, role=Role.TRAINER, display_name="周培训")
    session.commit()
    login(client, user)
    return user


@pytest.fixture
def imported(session: Session, now: datetime) -> None:
    import_small_bank(session, now=now, with_exam=True)
    session.commit()


def versions(session: Session) -> int:
    session.rollback()  # a fresh read: the app committed in its own session
    return session.scalar(sa.select(sa.func.count()).select_from(QuestionVersion)) or 0


def upload(client: FlaskClient, *files: tuple[str, str | bytes], headers: dict | None = None,
           **fields: str):  # type: ignore[no-untyped-def]
    data: dict[str, object] = {"step": "check", **fields}
    data["files"] = [(io.BytesIO(text.encode("utf-8") if isinstance(text, str) else text), name)
                     for name, text in files]
    return client.post("/banks/import", data=data, content_type="multipart/form-data",
                       headers=headers or {})


def confirm_data(page: str, step: str = "confirm") -> dict[str, object]:
    """The hidden fields of the report's form, as a browser would send them back."""
    form = page[page.index('class="import-confirm"'):]
    form = form[:form.index("</form>")]
    data: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form):
        data.setdefault(name, []).append(value)
    for name, value in re.findall(r'<input class="field__input" id="[^"]+" name="([^"]+)" value="([^"]*)"', form):
        data.setdefault(name, []).append(value)
    data.pop("csrf_token", None)
    return {**data, "step": step}


# --- access ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.TRAINEE, Role.SUPERVISOR, Role.ADMIN])
def test_only_trainers_manage_banks(client: FlaskClient, session: Session, imported: None,
                                    role: Role) -> None:
    user = make_user(session, role=role)
    session.commit()
    login(client, user)
    for url in ("/banks", BANK, f"{BANK}/questions/promise-01", f"{BANK}/export.yaml",
                f"{BANK}/export.gift", "/banks/import", f"{BANK}/questions/promise-01/edit",
                f"{BANK}/questions/new"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert SENTINEL not in response.get_data(as_text=True)
    for url in ("/banks/import", "/banks/preview", f"{BANK}/questions/promise-01/edit"):
        assert client.post(url, data={"definition": "id: x"}).status_code == 403
        assert client.post(url, headers=HX).headers.get("HX-Retarget") == "#alerts"
    assert "题库" not in client.get("/").get_data(as_text=True).split("<main")[0]


# --- the list, one bank, one question ------------------------------------------------------


def test_the_bank_list_shows_counts_and_is_in_the_navigation(client: FlaskClient, trainer: User,
                                                            imported: None) -> None:
    page = client.get("/banks").get_data(as_text=True)
    assert 'aria-current="page">题库</a>' in page
    assert "售后小题库" in page and f'href="{BANK}"' in page
    assert "单选题 1" in page and "匹配题 1" in page
    assert f'href="{BANK}/export.yaml"' in page


def test_a_bank_lists_its_questions_and_filters_with_htmx(client: FlaskClient, trainer: User,
                                                         imported: None) -> None:
    page = client.get(BANK).get_data(as_text=True)
    assert page.startswith("<!doctype html>")
    for qid in ("promise-01", "invoice-01", "aov-01", "groups-01"):
        assert f'{BANK}/questions/{qid}"' in page
    assert "共 4 道题" in page and "第 1 版" in page and "topic:KPI" in page
    fragment = client.get(f"{BANK}?kind=numeric", headers=HX)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "HX-Request" in fragment.headers["Vary"]
    assert body.lstrip().startswith('<div id="questions">') and "<html" not in body
    assert "aov-01" in body and "promise-01" not in body and "显示 1 道题（共 4 道）" in body
    body = client.get(f"{BANK}?q=物流群&difficulty=medium", headers=HX).get_data(as_text=True)
    assert "groups-01" in body and "aov-01" not in body
    body = client.get(f"{BANK}?tag=role:after-sales&status=retired", headers=HX).get_data(as_text=True)
    assert "没有符合条件的题目" in body
    # A filtered URL visited directly is a whole page with the filters filled in.
    page = client.get(f"{BANK}?kind=numeric").get_data(as_text=True)
    assert "<html" in page and '<option value="numeric" selected>' in page
    assert client.get("/banks/nope").status_code == 404


def test_a_question_shows_what_trainees_see_its_key_and_its_versions(
        client: FlaskClient, trainer: User, imported: None) -> None:
    page = client.get(f"{BANK}/questions/promise-01").get_data(as_text=True)
    trainee_part = page.split('id="trainee-heading"')[1].split('id="key-heading"')[0]
    assert "不算，承诺以聊天记录为准" in trainee_part and SENTINEL not in trainee_part
    key_part = page.split('id="key-heading"')[1]
    assert "✓ 正确" in key_part and f"正确 {SENTINEL}" in key_part  # feedback
    assert f"承诺以聊天记录为准 {SENTINEL}" in key_part  # explanation
    assert 'id="version-1"' in page and "当前版本" in page and "0 次作答" in page
    assert client.get(f"{BANK}/questions/promise-01?version=3").status_code == 404
    assert client.get(f"{BANK}/questions/nope").status_code == 404


def test_the_list_shows_category_paths_and_titles_and_filters_by_category(
        client: FlaskClient, trainer: User, session: Session, now: datetime) -> None:
    import_categorised_bank(session, now=now)
    session.commit()
    page = client.get("/banks/categorised").get_data(as_text=True)
    row = page.split('/banks/categorised/questions/promise-yunda"')[0].rsplit("<tr", 1)[1]
    assert '<span class="bank-questions__category">售后 › 发货承诺</span>' in row
    after = page.split('/banks/categorised/questions/promise-yunda"', 1)[1]
    assert after.startswith(">没答应的快递</a>")  # the title, not the id, is the link
    assert '<code class="bank-questions__id">promise-yunda</code>' in after
    assert '/questions/promise-48h"><code>promise-48h</code></a>' in page  # no title: the id
    assert '<option value="售后/发货承诺">售后 › 发货承诺</option>' in page
    body = client.get("/banks/categorised?category=售后", headers=HX).get_data(as_text=True)
    assert "显示 3 道题（共 4 道）" in body and "presale-deposit" not in body
    body = client.get("/banks/categorised?category=售后/发票", headers=HX).get_data(as_text=True)
    assert "invoice-title" in body and "promise-yunda" not in body
    page = client.get("/banks/categorised?category=售后/发票").get_data(as_text=True)
    assert '<option value="售后/发票" selected>售后 › 发票</option>' in page


def test_a_question_page_shows_its_title_and_category(client: FlaskClient, trainer: User,
                                                      session: Session, now: datetime) -> None:
    import_categorised_bank(session, now=now)
    session.commit()
    page = client.get("/banks/categorised/questions/invoice-title").get_data(as_text=True)
    assert "<dt>标题</dt><dd>改抬头</dd>" in page
    assert ('<dt>分类</dt><dd><a href="/banks/categorised?category=%E5%94%AE%E5%90%8E/'
            '%E5%8F%91%E7%A5%A8">售后 › 发票</a></dd>') in page
    page = client.get("/banks/categorised/questions/promise-48h").get_data(as_text=True)
    assert "<dt>标题</dt>" not in page
    small = client.get("/banks/categorised/questions/presale-deposit").get_data(as_text=True)
    assert ">售前</a>" in small


def test_a_bank_without_categories_has_no_category_filter(client: FlaskClient, trainer: User,
                                                          imported: None) -> None:
    page = client.get(BANK).get_data(as_text=True)
    assert 'id="bank-category"' not in page and "<dt>分类</dt>" not in page
    page = client.get(f"{BANK}/questions/promise-01").get_data(as_text=True)
    assert "<dt>分类</dt><dd>未分类</dd>" in page


# --- export ------------------------------------------------------------------------------


def test_exports_download_yaml_and_gift(client: FlaskClient, trainer: User, session: Session,
                                        now: datetime) -> None:
    from portal.banks import services
    from tests.factories import upload as file

    files = [file("after-sales-demo.yaml", docs_example_text())]
    check = services.check_upload(session, files=files)
    services.confirm_upload(session, files=files, expected_digest=check.digest, actor_id=None,
                            now=now)
    session.commit()
    response = client.get("/banks/after-sales-demo/export.yaml")
    assert response.status_code == 200 and response.mimetype == "application/yaml"
    assert response.headers["Content-Disposition"] == 'attachment; filename="after-sales-demo.yaml"'
    assert response.headers["Cache-Control"] == "no-store"
    bank, problems = load_bank(response.data, "x.yaml")
    assert problems == [] and bank is not None and len(bank.questions) == 9
    response = client.get("/banks/after-sales-demo/export.gift")
    text = response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    assert 'filename="after-sales-demo-gift.txt"' in response.headers["Content-Disposition"]
    header = text.split("\n::")[0]
    assert "// 注意：有" in header and "refund-in-transit" in header and "out-of-stock-note" in header
    back = import_gift(response.data, "x.txt", key="after-sales-demo")
    assert back.problems == [] and back.bank is not None and len(back.bank.questions) == 6


# --- import ------------------------------------------------------------------------------


def test_upload_shows_a_dry_run_then_confirm_imports(client: FlaskClient, trainer: User,
                                                    session: Session) -> None:
    assert "检查文件" in client.get("/banks/import").get_data(as_text=True)
    response = upload(client, ("after-sales-small.yaml", SMALL_BANK), ("small-exam.yaml", EXAM))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in page
    assert "没有发现问题" in page and "确认导入" in page
    assert "<code>promise-01</code>" in page and "<code>small-exam</code>" in page
    assert versions(session) == 0
    response = client.post("/banks/import", data=confirm_data(page),
                           content_type="multipart/form-data")
    assert response.status_code == 303 and response.headers["Location"] == BANK
    assert versions(session) == 4
    assert "导入完成：新增 5 项，修改 0 项，停用 0 道题。" in client.get(BANK).get_data(as_text=True)
    # The same files again: all unchanged, nothing to confirm.
    page = upload(client, ("after-sales-small.yaml", SMALL_BANK)).get_data(as_text=True)
    assert "全部不变，不需要导入" in page and 'value="confirm"' not in page


def test_upload_with_htmx_swaps_the_import_area(client: FlaskClient, trainer: User,
                                               session: Session) -> None:
    response = upload(client, ("after-sales-small.yaml", SMALL_BANK), headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.lstrip().startswith('<div id="import-area"')
    response = client.post("/banks/import", data=confirm_data(body),
                           content_type="multipart/form-data", headers=HX)
    assert response.status_code == 200 and response.headers["HX-Redirect"] == BANK
    assert versions(session) == 4


def test_problems_are_shown_by_file_and_line_with_status_422(client: FlaskClient, trainer: User,
                                                             session: Session) -> None:
    broken = SMALL_BANK.replace("points: 1\n", "points: -1\n")
    line = broken.split("\n").index("    points: -1") + 1
    for headers in ({}, HX):
        response = upload(client, ("broken.yaml", broken), ("q.gift", "::q:: 对吗 {T}"),
                          headers=headers)
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        assert "<code>broken.yaml</code>" in page and f"第 {line} 行：points 应为大于 0" in page
        assert 'value="confirm"' not in page and "没有导入任何内容" in page
    assert versions(session) == 0


def test_hostile_xml_is_refused_in_the_report(client: FlaskClient, trainer: User) -> None:
    response = upload(client, ("xxe.xml", (FIXTURES / "xxe.xml").read_bytes()))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "出于安全原因不予导入" in page and "root:" not in page


def test_a_gift_file_gets_its_key_in_the_form_and_can_be_rechecked(
        client: FlaskClient, trainer: User, session: Session) -> None:
    page = upload(client, ("KPI quiz.gift", "::q1:: 客单价 = 销售额 ÷ 订单数 {T}")).get_data(as_text=True)
    assert 'value="kpi-quiz"' in page and "题库 <code>kpi-quiz</code>" in page
    data = confirm_data(page, step="recheck")
    data["f0-key"] = ["kpi-basics"]
    data["f0-title"] = ["KPI 基础"]
    page = client.post("/banks/import", data=data, content_type="multipart/form-data").get_data(
        as_text=True)
    assert "题库 <code>kpi-basics</code> KPI 基础" in page
    response = client.post("/banks/import", data=confirm_data(page),
                           content_type="multipart/form-data")
    assert response.headers["Location"] == "/banks/kpi-basics"
    session.rollback()
    assert session.scalar(sa.select(QuestionBank.title).where(QuestionBank.key == "kpi-basics")) == "KPI 基础"


def test_the_key_set_in_the_upload_form_names_a_single_gift_file(
        client: FlaskClient, trainer: User) -> None:
    page = upload(client, ("x.gift", "::q1:: 对吗 {T}"), bank_key="kpi-2", bank_title="KPI 二").get_data(as_text=True)
    assert "题库 <code>kpi-2</code> KPI 二" in page


def test_a_confirm_that_no_longer_matches_the_review_imports_nothing(
        client: FlaskClient, trainer: User, session: Session, now: datetime) -> None:
    page = upload(client, ("after-sales-small.yaml", SMALL_BANK)).get_data(as_text=True)
    data = confirm_data(page)
    import_small_bank(session, now=now)  # someone else was quicker
    session.commit()
    before = versions(session)
    response = client.post("/banks/import", data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "没有导入" in page and "全部不变" in page
    assert versions(session) == before
    # Damaged content is refused too.
    data["f0-data"] = ["@@not base64@@"]
    response = client.post("/banks/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 422 and "丢失或已损坏" in response.get_data(as_text=True)


def test_large_files_are_carried_in_pieces(client: FlaskClient, trainer: User,
                                           session: Session) -> None:
    padding = "# " + "填充" * 200 + "\n"
    big = SMALL_BANK + padding * 600  # about 720 kB: several carried pieces
    page = upload(client, ("after-sales-small.yaml", big)).get_data(as_text=True)
    data = confirm_data(page)
    assert len(data["f0-data"]) > 1
    response = client.post("/banks/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 303 and versions(session) == 4


# --- the editor --------------------------------------------------------------------------


def source_url(url: str) -> str:
    """The YAML source editor ("高级：编辑源文件") of an editor address."""
    return url + ("&" if "?" in url else "?") + "mode=source"


def editor_text(client: FlaskClient, url: str) -> str:
    page = client.get(source_url(url)).get_data(as_text=True)
    raw = page.split('name="definition"', 1)[1].split(">", 1)[1].split("</textarea>")[0]
    import html

    return html.unescape(raw).lstrip("\r\n")


def test_the_editor_is_prefilled_and_previews_as_a_trainee_sees_it(
        client: FlaskClient, trainer: User, imported: None) -> None:
    url = f"{BANK}/questions/promise-01/edit"
    page = client.get(source_url(url)).get_data(as_text=True)
    assert "编辑题目 promise-01" in page and 'name="base_version" type="hidden" value="1"' in page
    assert 'hx-post="/banks/preview"' in page and "input changed delay:500ms" in page
    text = editor_text(client, url)
    assert text.startswith("id: promise-01\nkind: single-choice\n")
    changed = text.replace("算违背承诺吗？", "算不算违背承诺？")
    response = client.post("/banks/preview", headers=HX, data={
        "bank_key": "after-sales-small", "qid": "promise-01", "definition": changed})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    trainee_part = body.split('id="preview-trainee"')[1].split('id="preview-key"')[0]
    assert "算不算违背承诺？" in trainee_part and SENTINEL not in trainee_part
    assert 'type="radio"' in trainee_part
    assert f"承诺以聊天记录为准 {SENTINEL}" in body.split('id="preview-key"')[1]
    assert "预览已更新，没有发现问题" in body


def test_the_preview_lists_problems_with_their_lines(client: FlaskClient, trainer: User,
                                                     imported: None) -> None:
    text = editor_text(client, f"{BANK}/questions/invoice-01/edit").replace("answer: false",
                                                                           "answer: maybe")
    line = text.split("\n").index("answer: maybe") + 1
    body = client.post("/banks/preview", headers=HX, data={
        "bank_key": "after-sales-small", "qid": "invoice-01", "definition": text}).get_data(as_text=True)
    assert f"第 {line} 行：判断题的 answer 应为 true（对）或 false（错）" in body
    assert "预览发现 1 个问题" in body and 'id="preview-trainee"' not in body
    # Without htmx (the "更新预览" button), the whole editor comes back with the preview.
    page = client.post("/banks/preview", data={
        "bank_key": "after-sales-small", "qid": "invoice-01", "definition": text}).get_data(as_text=True)
    assert "<html" in page and "编辑题目 invoice-01" in page and f"第 {line} 行" in page
    assert client.post("/banks/preview", data={}).status_code == 400


def test_saving_an_edit_makes_version_2(client: FlaskClient, trainer: User, session: Session,
                                        imported: None) -> None:
    url = f"{BANK}/questions/aov-01/edit"
    text = editor_text(client, url).replace("points: 2", "points: 3")
    response = client.post(url, data={"bank_key": "after-sales-small", "qid": "aov-01",
                                      "base_version": "1", "definition": text})
    assert response.status_code == 303
    assert response.headers["Location"] == f"{BANK}/questions/aov-01"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已保存题目 aov-01 第 2 版。" in page and 'id="version-2"' in page and "周培训" in page
    assert versions(session) == 5


def test_saving_with_htmx_redirects_and_problems_come_back_as_422(
        client: FlaskClient, trainer: User, session: Session, imported: None) -> None:
    url = f"{BANK}/questions/aov-01/edit"
    text = editor_text(client, url)
    data = {"bank_key": "after-sales-small", "qid": "aov-01", "base_version": "1"}
    for headers in ({}, HX):
        response = client.post(url, headers=headers,
                               data={**data, "definition": text.replace("value: 300", "value: abc")})
        body = response.get_data(as_text=True)
        assert response.status_code == 422 and "有 1 处问题，未保存" in body
        assert ("<html" in body) is (not headers)
        assert 'aria-invalid="true"' in body
    response = client.post(url, data={**data, "definition": text})
    assert response.status_code == 422 and "题目没有改动" in response.get_data(as_text=True)
    response = client.post(url, headers=HX, data={**data, "definition": text.replace("unit: 元", "unit: 元/单")})
    assert response.status_code == 200 and response.headers["HX-Redirect"] == f"{BANK}/questions/aov-01"
    # An editor opened on version 1 does not silently overwrite version 2.
    response = client.post(url, data={**data, "definition": text.replace("points: 2", "points: 5")})
    assert response.status_code == 422 and "第 2 版" in response.get_data(as_text=True)
    assert versions(session) == 5


def test_a_new_question_from_a_kind_template(client: FlaskClient, trainer: User,
                                             session: Session, imported: None) -> None:
    page = client.get(source_url(f"{BANK}/questions/new?kind=operation-task")).get_data(as_text=True)
    assert "新建题目" in page and '<option value="operation-task" selected>' in page
    text = editor_text(client, f"{BANK}/questions/new?kind=operation-task")
    assert text.startswith("id: operation-task-01\nkind: operation-task\n")
    assert 'id="preview-trainee"' in page and "备注原因" in page
    response = client.post(f"{BANK}/questions/new?kind=operation-task",
                           data={"bank_key": "after-sales-small", "qid": "", "definition": text})
    assert response.status_code == 303
    assert response.headers["Location"] == f"{BANK}/questions/operation-task-01"
    assert versions(session) == 5
    # An unknown kind falls back to single choice.
    assert editor_text(client, f"{BANK}/questions/new?kind=bogus").startswith("id: single-choice-01")
