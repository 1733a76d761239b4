"""Admin pages through HTTP: users, cohorts, the trainee import and the audit log."""
from __future__ import annotations

import base64
import io
import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from portal.audit import services as audit
from portal.audit.models import AuditEvent
from portal.auth.models import Cohort, Role, User
from portal.auth.passwords import verify_password
from portal.db import utcnow
from portal.web.access import policy_of
from tests.factories import HX, PASSWORD, login, make_cohort, make_user

NEW_PASSWORD = "Temp-pass-2026"


@pytest.fixture
def admin(client: FlaskClient, session: Session) -> User:
    user = make_user(session, role=Role.ADMIN, display_name="管理员甲")
    session.commit()
    login(client, user)
    return user


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def is_fragment(response: TestResponse) -> bool:
    return "<html" not in text(response) and "HX-Request" in response.headers["Vary"]


# Reading back what the requests committed. Each helper ends its transaction, because the
# test session's transactions take SQLite's write lock and would block the next request.

def fresh(session: Session) -> None:
    session.rollback()
    session.expire_all()  # objects loaded before the request may be stale


def fetch(session: Session, model: type, **where: Any) -> Any:
    fresh(session)
    obj = session.scalars(sa.select(model).filter_by(**where)).one_or_none()
    session.commit()
    return obj


def count(session: Session, model: type) -> int:
    fresh(session)
    n = session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
    session.commit()
    return n


def audit_actions(session: Session) -> list[str]:
    fresh(session)
    found = list(session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))
    session.commit()
    return found


# --- access ------------------------------------------------------------------

def test_every_admin_view_is_declared_for_admins_only(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()
                 if rule.endpoint.startswith("admin.")}
    assert {"admin.user_new", "admin.user_edit", "admin.cohort_import"} <= endpoints
    for endpoint in endpoints:
        policy = policy_of(app, endpoint)
        assert policy is not None and policy.roles == {Role.ADMIN}, endpoint


@pytest.mark.parametrize("role", [Role.TRAINEE, Role.TRAINER, Role.SUPERVISOR])
@pytest.mark.parametrize("headers", [{}, HX])
def test_non_admins_get_403_everywhere(client: FlaskClient, session: Session, role: Role,
                                       headers: dict[str, str]) -> None:
    cohort = make_cohort(session)
    user = make_user(session, role=role, cohort=cohort if role is Role.TRAINEE else None)
    victim = make_user(session)
    session.commit()
    login(client, user)
    for path in ["/admin/users", "/admin/users/new", f"/admin/users/{victim.id}/edit",
                 "/admin/cohorts", "/admin/cohorts/new", f"/admin/cohorts/{cohort.id}",
                 f"/admin/cohorts/{cohort.id}/edit", f"/admin/cohorts/{cohort.id}/import",
                 "/admin/audit"]:
        assert client.get(path, headers=headers).status_code == 403, path
    for path in [f"/admin/users/{victim.id}/deactivate",
                 f"/admin/users/{victim.id}/password", f"/admin/cohorts/{cohort.id}/import"]:
        response = client.post(path, headers=headers,
                               data={"new_password": NEW_PASSWORD, "step": "confirm"})
        assert response.status_code == 403, path
    assert fetch(session, User, id=victim.id).active is True
    assert "user.deactivate" not in audit_actions(session)


def test_403_for_htmx_comes_back_as_an_alert(client: FlaskClient, session: Session) -> None:
    user = make_user(session, role=Role.TRAINER)
    session.commit()
    login(client, user)
    response = client.get("/admin/users", headers=HX)
    assert response.status_code == 403 and response.headers["HX-Retarget"] == "#alerts"
    assert "没有权限" in text(response)


# --- users -------------------------------------------------------------------

def test_user_list_filters_by_role_status_and_search(client: FlaskClient, session: Session,
                                                     admin: User) -> None:
    make_user(session, role=Role.TRAINER, employee_no="T-ACTIVE", display_name="在职组长")
    make_user(session, role=Role.TRAINER, employee_no="T-GONE", display_name="离职组长",
              active=False)
    make_user(session, role=Role.TRAINEE, employee_no="KF-ONE", display_name="新人一")
    session.commit()
    page = text(client.get("/admin/users"))
    assert "新建用户" in page and "T-GONE" in page and "KF-ONE" in page
    page = text(client.get("/admin/users?role=trainer&status=active"))
    assert "T-ACTIVE" in page and "T-GONE" not in page and "KF-ONE" not in page
    assert '<option value="trainer" selected>' in page
    page = text(client.get("/admin/users?status=inactive"))
    assert "T-GONE" in page and "T-ACTIVE" not in page
    response = client.get("/admin/users?q=新人&role=nonsense", headers=HX)
    assert response.status_code == 200 and is_fragment(response)
    assert 'id="results"' in text(response) and "KF-ONE" in text(response)
    assert "T-ACTIVE" not in text(response) and "共 1 名用户" in text(response)


def test_create_user_then_it_must_change_its_password(client: FlaskClient, session: Session,
                                                      admin: User) -> None:
    cohort = make_cohort(session, name="十二月一批")
    session.commit()
    page = text(client.get(f"/admin/users/new?role=trainee&cohort_id={cohort.id}"))
    assert f'<option selected value="{cohort.id}">十二月一批</option>' in page
    response = client.post("/admin/users/new", data={
        "employee_no": " KF100 ", "display_name": "王小明", "role": "trainee",
        "cohort_id": str(cohort.id), "hire_date": "2026-12-01", "password": NEW_PASSWORD})
    assert response.status_code == 303
    user = fetch(session, User, employee_no="KF100")
    assert response.headers["Location"] == f"/admin/users/{user.id}/edit"
    assert (user.display_name, user.role, user.cohort_id) == ("王小明", Role.TRAINEE, cohort.id)
    assert user.must_change_password is True
    assert "已创建用户 王小明（KF100）" in text(client.get(response.headers["Location"]))
    assert audit_actions(session)[-1] == "user.create"

    client.post("/logout")
    response = client.post("/login", data={"employee_no": "KF100", "password": NEW_PASSWORD})
    assert response.headers["Location"] == "/account/password"


def test_create_user_by_htmx_redirects_with_hx_redirect(client: FlaskClient, session: Session,
                                                        admin: User) -> None:
    response = client.post("/admin/users/new", headers=HX, data={
        "employee_no": "SUP-9", "display_name": "主管九", "role": "supervisor", "cohort_id": "",
        "password": NEW_PASSWORD})
    assert response.status_code == 200 and response.headers["HX-Redirect"].endswith("/edit")
    assert fetch(session, User, employee_no="SUP-9").role is Role.SUPERVISOR


def test_create_user_errors_show_on_the_fields_with_422(client: FlaskClient, session: Session,
                                                        admin: User) -> None:
    make_user(session, employee_no="KF200")
    session.commit()
    before = count(session, User)
    response = client.post("/admin/users/new", headers=HX, data={
        "employee_no": "客服1", "display_name": "", "role": "trainee", "password": "kf-short"})
    assert response.status_code == 422 and is_fragment(response)
    body = text(response)
    assert 'id="user-form"' in body and 'aria-invalid="true"' in body
    assert "工号须为 2-32 位字母" in body and "请填写姓名" in body and "密码至少 10 个字符" in body
    response = client.post("/admin/users/new", data={
        "employee_no": "KF200", "display_name": "重名", "role": "trainee", "password": NEW_PASSWORD})
    assert response.status_code == 422 and "<html" in text(response)
    assert "工号 KF200 已存在" in text(response)
    assert count(session, User) == before
    assert "user.create" not in audit_actions(session)


def test_edit_user(client: FlaskClient, session: Session, admin: User) -> None:
    cohort = make_cohort(session, name="一月批")
    user = make_user(session, role=Role.TRAINEE, display_name="旧名字")
    session.commit()
    page = text(client.get(f"/admin/users/{user.id}/edit"))
    assert 'value="旧名字"' in page and "重置密码" in page
    assert "data-confirm=" in page and "停用账号" in page
    response = client.post(f"/admin/users/{user.id}/edit", data={
        "display_name": "新名字", "role": "trainee", "cohort_id": str(cohort.id),
        "hire_date": "2026-11-30"})
    assert response.status_code == 303
    changed = fetch(session, User, id=user.id)
    assert (changed.display_name, changed.cohort_id, str(changed.hire_date)) == (
        "新名字", cohort.id, "2026-11-30")
    assert audit_actions(session)[-1] == "user.update"


def test_admin_cannot_demote_or_deactivate_themselves(client: FlaskClient, session: Session,
                                                      admin: User) -> None:
    page = text(client.get(f"/admin/users/{admin.id}/edit"))
    assert "你不能停用自己的账号" in page and "data-confirm=" not in page
    response = client.post(f"/admin/users/{admin.id}/edit", headers=HX, data={
        "display_name": "管理员甲", "role": "trainer", "cohort_id": ""})
    assert response.status_code == 422 and is_fragment(response)
    assert "不能取消自己的管理员角色" in text(response)
    response = client.post(f"/admin/users/{admin.id}/deactivate")
    assert response.status_code == 422 and "不能停用自己的账号" in text(response)
    response = client.post(f"/admin/users/{admin.id}/deactivate", headers=HX)
    assert response.status_code == 422 and response.headers["HX-Retarget"] == "#alerts"
    me = fetch(session, User, id=admin.id)
    assert me.active and me.role is Role.ADMIN
    assert audit_actions(session) == []


def test_deactivate_and_reactivate(client: FlaskClient, session: Session, admin: User) -> None:
    user = make_user(session, display_name="要走的人")
    session.commit()
    response = client.post(f"/admin/users/{user.id}/deactivate")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/users/{user.id}/edit"
    assert fetch(session, User, id=user.id).active is False
    page = text(client.get(response.headers["Location"]))
    assert "已停用 要走的人 的账号" in page and "恢复账号" in page
    assert client.post("/login", data={"employee_no": user.employee_no,
                                       "password": PASSWORD}).status_code == 422
    response = client.post(f"/admin/users/{user.id}/reactivate", headers=HX)
    assert response.status_code == 200 and response.headers["HX-Redirect"].endswith("/edit")
    assert fetch(session, User, id=user.id).active is True
    assert audit_actions(session) == ["user.deactivate", "user.reactivate"]


def test_reset_password(client: FlaskClient, session: Session, admin: User) -> None:
    user = make_user(session)
    session.commit()
    response = client.post(f"/admin/users/{user.id}/password", headers=HX,
                           data={"new_password": "short"})
    assert response.status_code == 422 and is_fragment(response)
    assert 'id="password-form"' in text(response) and "密码至少 10 个字符" in text(response)
    response = client.post(f"/admin/users/{user.id}/password",
                           data={"new_password": f"x-{user.employee_no}-x"})
    assert response.status_code == 422 and "密码不能包含工号" in text(response)
    response = client.post(f"/admin/users/{user.id}/password", data={"new_password": NEW_PASSWORD})
    assert response.status_code == 303
    changed = fetch(session, User, id=user.id)
    assert changed.must_change_password and verify_password(changed.password_hash, NEW_PASSWORD)
    assert audit_actions(session) == ["user.reset_password"]
    assert NEW_PASSWORD not in text(client.get(response.headers["Location"]))


def test_unknown_user_is_404(client: FlaskClient, admin: User) -> None:
    assert client.get("/admin/users/9999/edit").status_code == 404
    assert client.post("/admin/users/9999/deactivate").status_code == 404


# --- cohorts -----------------------------------------------------------------

def test_create_cohort_with_staff_chosen_from_active_trainers_and_supervisors(
        client: FlaskClient, session: Session, admin: User) -> None:
    trainer = make_user(session, role=Role.TRAINER, display_name="周组长")
    supervisor = make_user(session, role=Role.SUPERVISOR, display_name="陈主管")
    make_user(session, role=Role.TRAINER, display_name="已离职组长", active=False)
    make_user(session, role=Role.TRAINEE, display_name="某新人")
    session.commit()
    page = text(client.get("/admin/cohorts/new"))
    assert "周组长" in page and "陈主管" in page
    assert "已离职组长" not in page and "某新人" not in page
    assert 'type="checkbox"' in page and "<legend" in page
    assert "新客服入职培训（一周三阶段）" in page and "双11大促临时客服速成" in page
    response = client.post("/admin/cohorts/new", data={
        "name": "双11临时一批", "start_date": "2026-11-01", "track_key": "double11",
        "staff_ids": [str(trainer.id), str(supervisor.id)]})
    assert response.status_code == 303
    cohort = fetch(session, Cohort, name="双11临时一批")
    assert response.headers["Location"] == f"/admin/cohorts/{cohort.id}"
    assert cohort.track_key == "double11"
    fresh(session)
    assert {u.id for u in session.get(Cohort, cohort.id).staff} == {trainer.id, supervisor.id}
    session.commit()
    page = text(client.get(response.headers["Location"]))
    assert "已保存批次“双11临时一批”" in page and "周组长" in page and "双11大促临时客服速成" in page
    assert audit_actions(session) == ["cohort.create"]


def test_cohort_form_errors(client: FlaskClient, session: Session, admin: User) -> None:
    make_cohort(session, name="已有批次")
    session.commit()
    response = client.post("/admin/cohorts/new", headers=HX, data={
        "name": "已有批次", "start_date": "2026-11-01", "track_key": "new-hire"})
    assert response.status_code == 422 and is_fragment(response)
    assert 'id="cohort-form"' in text(response) and "批次名称 已有批次 已存在" in text(response)
    response = client.post("/admin/cohorts/new", data={
        "name": "", "start_date": "", "track_key": "no-such-track"})
    assert response.status_code == 422
    assert "请填写批次名称" in text(response) and "请填写开始日期" in text(response)
    assert count(session, Cohort) == 1 and audit_actions(session) == []


def test_edit_cohort_and_its_page(client: FlaskClient, session: Session, admin: User) -> None:
    trainer = make_user(session, role=Role.TRAINER, display_name="原组长")
    other = make_user(session, role=Role.SUPERVISOR, display_name="新主管")
    cohort = make_cohort(session, name="旧名", staff=[trainer])
    make_user(session, cohort=cohort, display_name="批次里的新人")
    session.commit()
    page = text(client.get(f"/admin/cohorts/{cohort.id}/edit"))
    assert 'value="旧名"' in page and "checked" in page
    response = client.post(f"/admin/cohorts/{cohort.id}/edit", headers=HX, data={
        "name": "新名", "start_date": "2026-12-07", "track_key": "new-hire",
        "staff_ids": [str(other.id)]})
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == f"/admin/cohorts/{cohort.id}"
    page = text(client.get(f"/admin/cohorts/{cohort.id}"))
    assert "新名" in page and "新主管" in page and "原组长" not in page
    assert "批次里的新人" in page and "导入新客服名单" in page
    assert audit_actions(session) == ["cohort.update"]
    assert "新名" in text(client.get("/admin/cohorts"))
    assert client.get("/admin/cohorts/9999").status_code == 404


# --- trainee import ----------------------------------------------------------

GOOD_LIST = "工号,姓名,入职日期,初始密码\nKF001,张三,2026-11-23,\nKF002,李四,,Strong-pass-42\n"
BAD_LIST = ("工号,姓名,入职日期,初始密码\n"
            "KF001,张三,2026-11-23,\n"
            "KF001,李四,2026-13-01,short\n"
            "KF-OLD,,,\n")


def upload(client: FlaskClient, cohort: Cohort, raw: bytes, *, name: str = "名单.csv",
           headers: dict[str, str] | None = None) -> TestResponse:
    return client.post(f"/admin/cohorts/{cohort.id}/import", headers=headers or {},
                       data={"step": "preview", "file": (io.BytesIO(raw), name)})


def confirm(client: FlaskClient, cohort: Cohort, content: str, *,
            headers: dict[str, str] | None = None) -> TestResponse:
    return client.post(f"/admin/cohorts/{cohort.id}/import", headers=headers or {},
                       data={"step": "confirm", "content": content})


def carried(response: TestResponse) -> str:
    match = re.search(r'name="content" type="hidden" value="([^"]+)"', text(response))
    assert match, "no confirmation form"
    return match.group(1)


def test_import_page_explains_the_format(client: FlaskClient, session: Session,
                                         admin: User) -> None:
    cohort = make_cohort(session)
    session.commit()
    page = text(client.get(f"/admin/cohorts/{cohort.id}/import"))
    assert 'type="file"' in page and "初始密码" in page and "employee_no" in page
    assert client.get("/admin/cohorts/9999/import").status_code == 404


def test_import_preview_then_confirm_creates_everyone(client: FlaskClient, session: Session,
                                                      admin: User) -> None:
    cohort = make_cohort(session, name="十一月批")
    session.commit()
    response = upload(client, cohort, GOOD_LIST.encode("gbk"))
    assert response.status_code == 200
    body = text(response)
    assert "GBK" in body and "第 2 行" in body and "第 3 行" in body and "张三" in body
    assert "确认导入 2 名新客服" in body and "Strong-pass-42" not in body
    assert count(session, User) == 1 and audit_actions(session) == []  # nothing written yet

    response = confirm(client, cohort, carried(response))
    assert response.status_code == 200
    body = text(response)
    assert "已导入 2 名新客服" in body and "只显示这一次" in body
    shown = re.findall(r'<code class="secret">([^<]+)</code>', body)
    assert len(shown) == 1  # KF002's password came from the file
    kf001 = fetch(session, User, employee_no="KF001")
    assert kf001.cohort_id == cohort.id and kf001.must_change_password
    assert verify_password(kf001.password_hash, shown[0])
    assert audit_actions(session) == ["user.create", "user.create", "cohort.import"]

    client.post("/logout")
    response = client.post("/login", data={"employee_no": "KF001", "password": shown[0]})
    assert response.headers["Location"] == "/account/password"


def test_import_over_htmx_swaps_only_the_import_area(client: FlaskClient, session: Session,
                                                     admin: User) -> None:
    cohort = make_cohort(session)
    session.commit()
    response = upload(client, cohort, GOOD_LIST.encode("utf-8-sig"), headers=HX)
    assert response.status_code == 200 and is_fragment(response)
    assert 'id="import-area"' in text(response) and 'hx-post=' in text(response)
    response = confirm(client, cohort, carried(response), headers=HX)
    assert response.status_code == 200 and is_fragment(response)
    assert "已导入 2 名新客服" in text(response)
    assert count(session, User) == 3


@pytest.mark.parametrize("headers", [{}, HX])
def test_a_bad_list_shows_every_row_and_error_and_writes_nothing(
        client: FlaskClient, session: Session, admin: User, headers: dict[str, str]) -> None:
    cohort = make_cohort(session)
    make_user(session, employee_no="KF-OLD")
    session.commit()
    before = count(session, User)
    response = upload(client, cohort, BAD_LIST.encode("gbk"), headers=headers)
    assert response.status_code == 422
    assert is_fragment(response) == bool(headers)
    body = text(response)
    for row in (2, 3, 4):
        assert f"第 {row} 行" in body
    assert body.count('class="row--error"') == 3
    assert "工号：与第 3 行重复" in body and "工号：与第 2 行重复" in body
    assert "入职日期：“2026-13-01”不是有效日期" in body
    assert "初始密码：密码至少 10 个字符" in body
    assert "工号：系统中已有此工号的用户" in body and "姓名：请填写姓名" in body
    assert "确认导入" not in body
    assert count(session, User) == before and audit_actions(session) == []


def test_file_level_problems_are_shown_and_nothing_is_written(
        client: FlaskClient, session: Session, admin: User) -> None:
    cohort = make_cohort(session)
    session.commit()
    too_many = "工号,姓名\n" + "".join(f"KF{i:04d},新客服{i}\n" for i in range(501))
    cases = [
        (too_many.encode(), "一次最多导入 500 行"),
        (b"PK\x03\x04 not really a workbook", "这是 Excel 工作簿"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "不是文本格式"),
        (b"x" * (600 * 1024), "文件太大"),
        ("编号,名字\nKF1,张三\n".encode(), "无法识别的列名“编号”"),
    ]
    for raw, words in cases:
        response = upload(client, cohort, raw)
        assert response.status_code == 422, words
        assert words in text(response) and "确认导入" not in text(response)
    assert count(session, User) == 1 and audit_actions(session) == []


def test_upload_needs_a_csv_file(client: FlaskClient, session: Session, admin: User) -> None:
    cohort = make_cohort(session)
    session.commit()
    response = upload(client, cohort, b"PK\x03\x04", name="名单.xlsx", headers=HX)
    assert response.status_code == 422 and is_fragment(response)
    assert "请上传 CSV 文件" in text(response) and 'aria-invalid="true"' in text(response)
    response = client.post(f"/admin/cohorts/{cohort.id}/import", data={"step": "preview"})
    assert response.status_code == 422 and "请选择要上传的 CSV 文件" in text(response)


def test_confirm_checks_the_list_again_and_creates_nobody_if_any_row_fails(
        client: FlaskClient, session: Session, admin: User) -> None:
    cohort = make_cohort(session)
    session.commit()
    content = carried(upload(client, cohort, GOOD_LIST.encode()))
    make_user(session, employee_no="KF002")  # created by someone else since the preview
    session.commit()
    before = count(session, User)
    response = confirm(client, cohort, content)
    assert response.status_code == 422
    assert "没有导入任何人" in text(response) and "系统中已有此工号的用户" in text(response)
    assert fetch(session, User, employee_no="KF001") is None  # the good row was not created
    assert count(session, User) == before and audit_actions(session) == []


def test_confirm_does_not_trust_the_browser(client: FlaskClient, session: Session,
                                            admin: User) -> None:
    cohort = make_cohort(session)
    session.commit()
    tampered = base64.b64encode("工号,姓名\nKF001,\n".encode()).decode()
    response = confirm(client, cohort, tampered, headers=HX)
    assert response.status_code == 422 and is_fragment(response)
    assert "请填写姓名" in text(response)
    for garbage in ["not base64 at all!", "", base64.b64encode(b"\xff\xfe\xfa").decode()]:
        response = confirm(client, cohort, garbage)
        assert response.status_code == 422 and "请重新上传文件" in text(response)
    assert count(session, User) == 1 and audit_actions(session) == []


# --- audit log ---------------------------------------------------------------

def test_audit_log_filter_and_paging(client: FlaskClient, session: Session, admin: User) -> None:
    trainee = make_user(session, display_name="被重置的人")
    session.commit()
    for _ in range(3):
        client.post(f"/admin/users/{trainee.id}/password", data={"new_password": NEW_PASSWORD})
    client.post(f"/admin/users/{trainee.id}/deactivate")
    page = text(client.get("/admin/audit"))
    assert "共 4 条记录" in page and "重置密码" in page and "停用账号" in page
    assert '<option value="user.deactivate">' in page and "管理员甲" in page
    response = client.get("/admin/audit?action=user.deactivate", headers=HX)
    assert response.status_code == 200 and is_fragment(response)
    assert "共 1 条记录" in text(response) and "user.reset_password" not in text(response)


def test_the_audit_log_reads_in_chinese(client: FlaskClient, session: Session,
                                        admin: User) -> None:
    trainee = make_user(session, display_name="改过角色的人")
    session.commit()
    audit.record(session, actor_id=admin.id, action="user.update", target_type="user",
                 target_id=trainee.id, details={"changes": {"role": ["trainee", "trainer"],
                                                            "display_name": ["甲", "乙"]}},
                 now=utcnow())
    audit.record(session, actor_id=admin.id, action="response.grade", target_type="response",
                 target_id=7, details={"attempt": 3, "points": 8.5, "passed": True,
                                       "attempt_score": None}, now=utcnow())
    audit.record(session, actor_id=None, action="exams.import", target_type="question_bank",
                 target_id=None, details={"new": ["a", "b"], "changed": [], "removed": 0},
                 now=utcnow())
    session.commit()
    page = text(client.get("/admin/audit"))
    body = page.split("<tbody>", 1)[1]
    for shown in ("角色：新客服 → 培训组长", "姓名：甲 → 乙", "一道题的作答 7", "作答编号：3",
                  "得分：8.5", "是否通过：是", "作答总成绩：无", "新增：2 项", "修改：0 项", "题库"):
        assert shown in body, shown
    for internal in ("{", "question_bank", "response.grade", "user.update"):
        assert internal not in body, internal


def test_audit_log_pages_by_50(client: FlaskClient, session: Session, admin: User) -> None:
    for i in range(60):
        audit.record(session, actor_id=admin.id, action="user.update", target_type="user",
                     target_id=admin.id, details={"n": i}, now=utcnow())
    session.commit()
    page = text(client.get("/admin/audit"))
    assert "第 1 / 2 页" in page and 'rel="next"' in page and 'rel="prev"' not in page
    assert page.count("<tr>") == 51  # the header row and 50 events
    response = client.get("/admin/audit?page=2", headers=HX)
    assert is_fragment(response) and text(response).count("<tr>") == 11
    assert 'rel="prev"' in text(response) and '{"n": 0}' not in text(response)
    assert client.get("/admin/audit?page=abc").status_code == 200
