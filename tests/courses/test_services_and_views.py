"""Importing content, gating, progress and manual stage completion; through services and HTTP."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.auth.models import Role
from portal.config import PROJECT_ROOT
from portal.content.loader import load_content
from portal.courses import services
from portal.courses.errors import ContentInvalid, StageLocked
from portal.courses.models import Module, ModuleProgress, ModuleVersion, StageCompletion
from portal.courses.rules import AssessmentSource
from portal.errors import Forbidden
from tests.factories import HX, login, make_cohort, make_user


@pytest.fixture
def imported(session: Session, now: datetime) -> None:
    services.import_content(session, content=load_content(PROJECT_ROOT / "courses"),
                            actor_id=None, now=now)
    session.commit()


def test_reimporting_unchanged_content_changes_nothing(session: Session, now: datetime,
                                                       imported: None) -> None:
    count = session.scalar(sa.select(sa.func.count()).select_from(ModuleVersion))
    report = services.import_content(session, content=load_content(PROJECT_ROOT / "courses"),
                                     actor_id=None, now=now)
    assert not report.touched and len(report.unchanged) == 26
    assert session.scalar(sa.select(sa.func.count()).select_from(ModuleVersion)) == count


def test_changed_module_gets_a_new_version_and_progress_is_kept(
        session: Session, now: datetime, tmp_path: Path, imported: None) -> None:
    import shutil

    cohort = make_cohort(session)
    trainee = make_user(session, cohort=cohort)
    services.set_module_done(session, user=trainee, track_key="new-hire",
                             module_key="company-culture", done=True, now=now)
    copy = tmp_path / "courses"
    shutil.copytree(PROJECT_ROOT / "courses", copy)
    path = copy / "new-hire" / "company-culture.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n补充一段新内容。\n", encoding="utf-8")
    report = services.import_content(session, content=load_content(copy), actor_id=None, now=now)
    assert report.changed == ["module:new-hire/company-culture"]
    module = session.scalars(sa.select(Module).where(Module.key == "company-culture")).one()
    assert module.current_version.number == 2 and "补充一段新内容" in module.current_version.body_html
    progress = session.scalars(sa.select(ModuleProgress).where(
        ModuleProgress.user_id == trainee.id)).one()
    assert progress.completed_at == now


def test_invalid_content_imports_nothing(session: Session, now: datetime, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "courses"
    shutil.copytree(PROJECT_ROOT / "courses", copy)
    (copy / "double11" / "team-morale.md").write_text("no front matter", encoding="utf-8")
    with pytest.raises(ContentInvalid):
        services.import_content(session, content=load_content(copy), actor_id=None, now=now)
    assert session.scalar(sa.select(sa.func.count()).select_from(Module)) == 0


def test_locked_stage_cannot_be_read_by_a_trainee(session: Session, now: datetime,
                                                  imported: None) -> None:
    trainee = make_user(session, cohort=make_cohort(session))
    services.open_module(session, user=trainee, track_key="new-hire",
                         module_key="company-culture", now=now)
    with pytest.raises(StageLocked) as exc:
        services.open_module(session, user=trainee, track_key="new-hire",
                             module_key="kpi-basics", now=now)
    assert "基础知识" in str(exc.value.message)


def test_manual_completion_needs_a_reason_and_the_right_cohort(session: Session, now: datetime,
                                                               imported: None) -> None:
    trainer = make_user(session, role=Role.TRAINER)
    other_trainer = make_user(session, role=Role.TRAINER)
    cohort = make_cohort(session, staff=[trainer])
    trainee = make_user(session, cohort=cohort)
    with pytest.raises(ContentInvalid):
        services.complete_stage_manually(session, actor=trainer, trainee_id=trainee.id,
                                         track_key="new-hire", stage_key="basics", reason=" ",
                                         now=now)
    with pytest.raises(Forbidden):
        services.complete_stage_manually(session, actor=other_trainer, trainee_id=trainee.id,
                                         track_key="new-hire", stage_key="basics",
                                         reason="笔试已线下完成", now=now)
    done = services.complete_stage_manually(session, actor=trainer, trainee_id=trainee.id,
                                            track_key="new-hire", stage_key="basics",
                                            reason="笔试已线下完成，满分", now=now)
    assert done.source == "manual" and done.by_user_id == trainer.id
    services.open_module(session, user=trainee, track_key="new-hire", module_key="kpi-basics",
                         now=now)


def test_trainee_home_shows_stages_and_locks(client: FlaskClient, session: Session,
                                             imported: None) -> None:
    trainee = make_user(session, cohort=make_cohort(session))
    session.commit()
    login(client, trainee)
    page = client.get("/").get_data(as_text=True)
    assert "基础知识" in page and "实际解决能力" in page
    assert "完成并通过“基础知识”的考核后解锁" in page
    assert "公司介绍与企业文化" in page
    assert client.get("/tracks/new-hire/modules/kpi-basics").status_code == 403


def test_module_page_and_mark_done_with_and_without_htmx(client: FlaskClient, session: Session,
                                                         imported: None) -> None:
    trainee = make_user(session, cohort=make_cohort(session))
    session.commit()
    login(client, trainee)
    page = client.get("/tracks/new-hire/modules/company-culture")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "<h1>公司介绍与企业文化</h1>" in text
    assert "标记为已读完" in text and 'rel="next"' in text
    fragment = client.post("/tracks/new-hire/modules/company-culture/done", headers=HX,
                           data={"done": "1"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body and "已读完" in body
    assert "取消完成标记" in body
    plain = client.post("/tracks/new-hire/modules/company-culture/done", data={"done": "0"})
    assert plain.status_code == 303
    assert client.post("/tracks/new-hire/modules/company-culture/reading",
                       data={"seconds": "45", "anchor": "使命"}).status_code == 204
    session.expire_all()
    progress = session.scalars(sa.select(ModuleProgress)).one()
    assert progress.completed_at is None and progress.seconds_spent == 45
    assert progress.last_anchor == "使命"


def test_trainer_marks_stage_complete_and_next_stage_opens(client: FlaskClient, session: Session,
                                                           imported: None) -> None:
    trainer = make_user(session, role=Role.TRAINER)
    cohort = make_cohort(session, staff=[trainer])
    trainee = make_user(session, cohort=cohort)
    session.commit()
    login(client, trainer)
    page = client.get(f"/trainees/{trainee.id}/track").get_data(as_text=True)
    assert "标记考核通过" in page
    bad = client.post(f"/trainees/{trainee.id}/stages/basics/complete", headers=HX,
                      data={"reason": ""})
    assert bad.status_code == 422 and "请填写原因" in bad.get_data(as_text=True)
    ok = client.post(f"/trainees/{trainee.id}/stages/basics/complete",
                     data={"reason": "线下笔试 100 分"})
    assert ok.status_code == 303
    session.expire_all()
    assert session.scalars(sa.select(StageCompletion)).one().reason == "线下笔试 100 分"
    client.post("/logout")
    login(client, trainee)
    assert client.get("/tracks/new-hire/modules/kpi-basics").status_code == 200


def test_trainer_of_another_cohort_is_refused(client: FlaskClient, session: Session,
                                              imported: None) -> None:
    trainer = make_user(session, role=Role.TRAINER)
    trainee = make_user(session, cohort=make_cohort(session))
    session.commit()
    login(client, trainer)
    assert client.get(f"/trainees/{trainee.id}/track").status_code == 403
    assert client.post(f"/trainees/{trainee.id}/stages/basics/complete",
                       data={"reason": "x"}).status_code == 403


def test_reimporting_files_does_not_undo_a_browser_edit(session: Session, now: datetime,
                                                        imported: None) -> None:
    module = session.scalars(sa.select(Module).where(Module.key == "company-culture")).one()
    edited = services.publish_module_version(
        session, module=module, track_key="new-hire", title="浏览器里改过的标题", summary="",
        minutes=10, tags=[], roles=["all"], body_markdown="## 新内容\n\n改过了。\n",
        source_hash="edited-in-browser", actor_id=None, now=now)
    report = services.import_content(session, content=load_content(PROJECT_ROOT / "courses"),
                                     actor_id=None, now=now)
    assert "module:new-hire/company-culture" in report.unchanged
    assert module.current_version is edited


def test_a_stage_whose_exam_is_online_is_passed_only_by_the_exam(
        client: FlaskClient, session: Session, now: datetime, imported: None) -> None:
    from portal.courses.errors import ChecklistIncomplete
    from portal.exams import services as exams
    from portal.exams.files import load_folder

    trainer = make_user(session, role=Role.TRAINER)
    trainee = make_user(session, cohort=make_cohort(session, staff=[trainer]))
    shipped = load_folder(PROJECT_ROOT / "question_banks")
    basics = [e for e in shipped.exams if e.key == "new-hire-basics"]
    exams.apply_import(session, banks=shipped.banks, exams=basics, actor_id=None, now=now)
    session.commit()
    # The stage's definition names the exam, and the exam is online: no marking by hand.
    with pytest.raises(ChecklistIncomplete) as refused:
        services.complete_stage_manually(session, actor=trainer, trainee_id=trainee.id,
                                         track_key="new-hire", stage_key="basics",
                                         reason="线下笔试", now=now)
    assert "该阶段已有在线考试" in str(refused.value.message)
    login(client, trainer)
    page = client.get(f"/trainees/{trainee.id}/track").get_data(as_text=True)
    assert page.count("标记考核通过") == 0 and "在线考试" in page
    client.post("/logout")
    login(client, trainee)
    home = client.get("/").get_data(as_text=True)
    assert 'href="/exams/new-hire-basics"' in home and "参加考试" in home
    # A later stage whose exam is not imported yet is still marked by hand.
    session.rollback()  # a fresh transaction after the app's writes
    services.record_assessment_passed(session, user_id=trainee.id, track_key="new-hire",
                                      stage_key="basics", source=AssessmentSource.EXAM,
                                      reference="基础知识考试 #1: 95", now=now)
    done = services.complete_stage_manually(session, actor=trainer, trainee_id=trainee.id,
                                            track_key="new-hire", stage_key="operations",
                                            reason="线下实操通过", now=now)
    assert done.source == "manual"
