"""The authoring pages over HTTP: access, the editor and its preview, saving, history."""
from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.audit.models import AuditEvent
from portal.auth.models import Role, User
from portal.authoring import services
from portal.config import PROJECT_ROOT
from portal.content.loader import load_content
from portal.courses import services as courses
from portal.courses.models import ModuleVersion
from tests.factories import HX, login, make_user

BASE = "/authoring/tracks/new-hire/modules/company-culture"


@pytest.fixture
def imported(session: Session, now: datetime) -> None:
    courses.import_content(session, content=load_content(PROJECT_ROOT / "courses"),
                           actor_id=None, now=now)
    session.commit()


@pytest.fixture
def trainer(client: FlaskClient, session: Session, imported: None) -> User:
    user = make_user(session, role=Role.TRAINER, display_name="周培训")
    session.commit()
    login(client, user)
    return user


def form_data(session: Session, **changes: object) -> dict[str, object]:
    target = services.get_editable_module(session, track_key="new-hire",
                                          module_key="company-culture")
    v = target.version
    data: dict[str, object] = {
        "track_key": "new-hire", "module_key": "company-culture",
        "base_version": str(v.number), "title": v.title, "summary": v.summary,
        "minutes": str(v.minutes), "tags": "、".join(v.tags), "roles": list(v.roles),
        "body": v.body_markdown.replace("\n", "\r\n"), "note": "",
    }
    data.update(changes)
    return data


def versions(session: Session) -> int:
    session.rollback()  # a fresh read: the app committed in its own session
    return session.scalar(sa.select(sa.func.count()).select_from(ModuleVersion)) or 0


@pytest.mark.parametrize("role", [Role.TRAINEE, Role.SUPERVISOR, Role.ADMIN])
def test_only_trainers_author(client: FlaskClient, session: Session, imported: None,
                              role: Role) -> None:
    user = make_user(session, role=role)
    session.commit()
    login(client, user)
    assert client.get("/authoring/modules").status_code == 403
    assert client.get(f"{BASE}/edit").status_code == 403
    assert client.post(f"{BASE}/edit", data=form_data(session, note="x")).status_code == 403
    assert client.post("/authoring/preview", data=form_data(session)).status_code == 403
    assert client.get(f"{BASE}/history").status_code == 403
    assert client.post(f"{BASE}/versions/1").status_code == 403
    assert "课程编辑" not in client.get("/tracks/new-hire/modules/company-culture").get_data(
        as_text=True)
    assert versions(session) == 26 - 2  # 24 modules, untouched (2 track versions aside)


def test_module_list_shows_every_track_in_stage_order_with_edit_links(
        client: FlaskClient, trainer: User) -> None:
    page = client.get("/authoring/modules").get_data(as_text=True)
    assert 'aria-current="page">课程编辑</a>' in page
    assert "新客服入职培训" in page and "双11" in page
    assert page.index("公司介绍与企业文化") < page.index("店铺与平台概览") < page.index("考核指标及计算")
    assert f'href="{BASE}/edit"' in page and f'href="{BASE}/history"' in page
    assert "第 1 版" in page and "文件导入" in page


def test_editor_shows_the_current_version_and_its_preview(client: FlaskClient,
                                                          trainer: User) -> None:
    response = client.get(f"{BASE}/edit")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="公司介绍与企业文化"' in page and "## 欢迎加入悦选" in page
    assert 'hx-post="/authoring/preview"' in page and 'hx-target="#preview"' in page
    assert 'hx-trigger="input changed delay:500ms' in page and 'hx-swap="innerHTML"' in page
    assert '<h2 id="欢迎加入悦选">欢迎加入悦选</h2>' in page  # the rendered preview
    assert "!!! tip" in page and "order-workflow.md" in page  # the cheat sheet
    assert 'name="base_version" type="hidden" value="1"' in page


def test_preview_is_a_fragment_for_htmx_and_the_editor_page_otherwise(
        client: FlaskClient, session: Session, trainer: User) -> None:
    data = form_data(session, body="## 新小节\r\n\r\n| 指标 | 标准 |\r\n| --- | --- |\r\n| 响应 | 30 秒 |\r\n")
    fragment = client.post("/authoring/preview", data=data, headers=HX)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body
    assert '<h2 id="新小节">新小节</h2>' in body and "<table>" in body
    assert 'id="preview-status" hx-swap-oob="innerHTML"' in body and "没有发现问题" in body
    assert "HX-Request" in fragment.headers["Vary"]
    full = client.post("/authoring/preview", data=data)
    page = full.get_data(as_text=True)
    assert full.status_code == 200 and "<html" in page and 'id="module-form"' in page
    assert '<h2 id="新小节">新小节</h2>' in page and "hx-swap-oob" not in page


def test_preview_shows_problems_with_body_lines(client: FlaskClient, session: Session,
                                                trainer: User) -> None:
    data = form_data(session, minutes="", body="## 小节\r\n\r\n见[旧模块](old-module.md)\r\n")
    body = client.post("/authoring/preview", data=data, headers=HX).get_data(as_text=True)
    assert "发现 2 个问题" in body
    assert "正文第 3 行：链接 old-module.md 指向的模块不存在" in body
    assert "预计阅读分钟数：minutes 应为 1 到 600 之间的整数" in body


def test_preview_never_contains_scripts(client: FlaskClient, session: Session,
                                        trainer: User) -> None:
    data = form_data(session, body=(
        "## 测试\r\n\r\n<script>alert(1)</script>\r\n\r\n<img src=x onerror=alert(1)>\r\n\r\n"
        "[x](javascript:alert(1))\r\n\r\n<div hx-get=\"/admin/users\" hx-trigger=\"load\">x</div>\r\n"))
    for headers in (HX, {}):
        body = client.post("/authoring/preview", data=data, headers=headers).get_data(as_text=True)
        preview = body[body.index('class="prose"'):]
        assert "<script>alert" not in preview and "onerror" not in preview
        assert "javascript:" not in preview and 'hx-get="/admin' not in preview
    # The typed text itself is shown escaped in the textarea, never as markup.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_preview_needs_a_known_module(client: FlaskClient, trainer: User) -> None:
    assert client.post("/authoring/preview", data={"body": "x"}, headers=HX).status_code == 400
    response = client.post("/authoring/preview", headers=HX,
                           data={"track_key": "new-hire", "module_key": "ghost", "body": "x"})
    assert response.status_code == 404 and response.headers["HX-Retarget"] == "#alerts"


def test_invalid_save_is_422_with_the_problems_and_writes_nothing(
        client: FlaskClient, session: Session, trainer: User) -> None:
    before = versions(session)
    data = form_data(session, title="", body="## 小节\r\n\r\n见[旧模块](old-module.md)\r\n",
                     note="")
    response = client.post(f"{BASE}/edit", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "有 3 处问题，未保存" in page
    assert '<a href="#title">标题</a>：缺少字段 title' in page
    assert "第 3 行：链接 old-module.md 指向的模块不存在（见[旧模块](old-module.md)）" in page
    assert '<a href="#note">改动说明</a>：请写明这次改了什么' in page
    assert 'aria-invalid="true"' in page and "见[旧模块](old-module.md)" in page  # text kept
    assert versions(session) == before
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "module.publish")) == 0
    fragment = client.post(f"{BASE}/edit", data=data, headers=HX)
    assert fragment.status_code == 422 and "<html" not in fragment.get_data(as_text=True)


def test_saving_without_changes_is_refused_politely(client: FlaskClient, session: Session,
                                                    trainer: User) -> None:
    before = versions(session)
    response = client.post(f"{BASE}/edit", data=form_data(session, note="什么也没改"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "没有改动" in page and "alert--info" in page
    assert versions(session) == before


def test_a_save_publishes_and_the_history_shows_the_note_and_the_diff(
        client: FlaskClient, session: Session, trainer: User) -> None:
    data = form_data(session, note="补充了退货时效的说明")
    data["body"] = str(data["body"]) + "\r\n## 新增小节\r\n\r\n七天无理由退货从签收次日算起。\r\n"
    response = client.post(f"{BASE}/edit", data=data)
    assert response.status_code == 303 and response.headers["Location"] == f"{BASE}/history"
    history = client.get(f"{BASE}/history").get_data(as_text=True)
    assert "已发布“公司介绍与企业文化”第 2 版" in history
    assert "第 2 版" in history and "当前版本" in history and "周培训" in history
    assert "补充了退货时效的说明" in history and "文件导入" in history
    assert "新增 4 行，删除 0 行" in history
    assert ('<span aria-hidden="true">+</span><span class="visually-hidden">新增</span>'
            in history)
    assert "<code>七天无理由退货从签收次日算起。</code>" in history
    # The published page shows the new text to everyone.
    assert "七天无理由退货从签收次日算起" in client.get(
        "/tracks/new-hire/modules/company-culture").get_data(as_text=True)


def test_an_htmx_save_redirects_with_hx_redirect(client: FlaskClient, session: Session,
                                                 trainer: User) -> None:
    response = client.post(f"{BASE}/edit", headers=HX,
                           data=form_data(session, title="公司与文化", note="改标题"))
    assert response.status_code == 200 and response.headers["HX-Redirect"] == f"{BASE}/history"


def test_a_stale_editor_must_confirm_before_overwriting(client: FlaskClient, session: Session,
                                                        trainer: User) -> None:
    stale = form_data(session, title="我的标题", note="改标题")
    client.post(f"{BASE}/edit", data=form_data(session, summary="别人的摘要", note="改摘要"))
    response = client.post(f"{BASE}/edit", data=stale)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "发布了第 2 版" in page
    assert 'name="base_version" type="hidden" value="2"' in page
    stale["base_version"] = "2"
    assert client.post(f"{BASE}/edit", data=stale).status_code == 303


def test_old_versions_can_be_viewed_and_restored(client: FlaskClient, session: Session,
                                                 trainer: User) -> None:
    client.post(f"{BASE}/edit", data=form_data(session, body="## 只剩一节\r\n\r\n误删。\r\n",
                                               note="误操作"))
    old = client.get(f"{BASE}/versions/1").get_data(as_text=True)
    assert "这是第 1 版" in old and '<h2 id="欢迎加入悦选">欢迎加入悦选</h2>' in old
    assert "恢复到第 1 版" in old
    assert client.get(f"{BASE}/versions/9").status_code == 404
    response = client.post(f"{BASE}/versions/1")
    assert response.status_code == 303 and response.headers["Location"] == f"{BASE}/history"
    history = client.get(f"{BASE}/history").get_data(as_text=True)
    assert "已恢复到第 1 版（发布为第 3 版）" in history and "恢复到第 1 版" in history
    again = client.post(f"{BASE}/versions/3", follow_redirects=True).get_data(as_text=True)
    assert "就是当前版本，没有改动" in again
    assert versions(session) == 26 - 2 + 2
