"""Authoring services: drafts checked by the loader's rules, publishing, history, restoring."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.audit.models import AuditEvent
from portal.auth.models import Role, User
from portal.authoring import services
from portal.authoring.errors import DraftInvalid, NothingChanged, VersionChanged
from portal.config import PROJECT_ROOT
from portal.content.loader import load_content
from portal.courses import services as courses
from portal.courses.models import Module, ModuleProgress, ModuleVersion
from tests.factories import make_cohort, make_user

TRACK, MODULE = "new-hire", "company-culture"


@pytest.fixture
def imported(session: Session, now: datetime) -> None:
    courses.import_content(session, content=load_content(PROJECT_ROOT / "courses"),
                           actor_id=None, now=now)
    session.flush()


@pytest.fixture
def trainer(session: Session, imported: None) -> User:
    return make_user(session, role=Role.TRAINER, display_name="周培训")


def current_draft(session: Session) -> services.ModuleDraft:
    target = services.get_editable_module(session, track_key=TRACK, module_key=MODULE)
    return services.ModuleDraft.of_version(target.version)


def version_count(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(ModuleVersion)) or 0


def publish(session: Session, trainer: User, draft: services.ModuleDraft, now: datetime,
            note: str = "补充了一段说明", base: int | None = None) -> ModuleVersion:
    return services.publish_draft(session, track_key=TRACK, module_key=MODULE, draft=draft,
                                  note=note, base_number=base, actor_id=trainer.id, now=now)


# --- checking drafts -----------------------------------------------------------------

def test_a_broken_module_link_is_reported_with_its_body_line(session: Session,
                                                             imported: None) -> None:
    draft = replace(current_draft(session),
                    body="## 小节\n\n见[不存在的模块](no-such-module.md)。\n\n见[订单](order-workflow.md)\n")
    target = services.get_editable_module(session, track_key=TRACK, module_key=MODULE)
    checked = services.check_draft(draft, track_key=TRACK, module_key=MODULE,
                                   module_keys=target.module_keys)
    assert [(p.field, p.line) for p in checked.problems] == [("body", 3)]
    problem = checked.problems[0]
    assert "no-such-module.md" in str(problem.message) and "指向的模块不存在" in str(problem.message)
    assert problem.excerpt == "见[不存在的模块](no-such-module.md)。"


def test_body_lines_count_from_what_the_trainer_typed(session: Session, imported: None) -> None:
    draft = replace(current_draft(session), body="\r\n\r\n## 小节\r\n[x](ghost.md)\r\n")
    checked = services.check_draft(draft, track_key=TRACK, module_key=MODULE,
                                   module_keys={"company-culture"})
    assert [(p.field, p.line) for p in checked.problems] == [("body", 4)]


def test_front_matter_rules_are_the_loaders_and_name_their_field() -> None:
    draft = services.ModuleDraft.from_input(title=" ", summary="", minutes="0", tags="",
                                            roles=[], body="   \n")
    checked = services.check_draft(draft, track_key=TRACK, module_key=MODULE, module_keys=set())
    by_field = {p.field: str(p.message) for p in checked.problems}
    assert by_field["title"] == "缺少字段 title"
    assert by_field["summary"] == "缺少字段 summary"
    assert by_field["minutes"].startswith("minutes 应为 1 到 600 之间的整数")
    assert by_field["roles"].startswith("roles 只能是")
    assert by_field["body"] == "模块正文为空"


def test_the_draft_file_is_what_content_export_writes(session: Session, imported: None) -> None:
    text = services.module_file_text(current_draft(session))
    assert text.startswith("---\ntitle: 公司介绍与企业文化\n")
    assert "\n---\n\n## 欢迎加入悦选\n" in text


def test_preview_renders_like_publishing_and_never_keeps_scripts(session: Session,
                                                                 imported: None) -> None:
    draft = replace(current_draft(session), body=(
        "## 小节\n\n<script>window.x=1</script>\n\n<img src=x onerror=alert(1)>\n\n"
        "| 指标 | 标准 |\n| --- | --- |\n| 响应 | 30 秒 |\n\n"
        '!!! tip "小贴士"\n    先核对订单。\n\n- [x] 已完成\n\n[订单](order-workflow.md#下单)\n'))
    preview = services.preview_draft(session, track_key=TRACK, module_key=MODULE, draft=draft)
    html = preview.html.lower()
    assert "<script" not in html and "onerror" not in html
    assert "<table>" in html and 'class="admonition tip"' in html and "task-box--done" in html
    assert 'href="/tracks/new-hire/modules/order-workflow#下单"' in preview.html
    assert preview.problems == []


# --- publishing ----------------------------------------------------------------------

def test_publishing_creates_the_next_version_by_the_trainer_with_an_audited_note(
        session: Session, trainer: User, now: datetime) -> None:
    draft = current_draft(session)
    edited = replace(draft, body=draft.body + "\n## 新的一节\n\n补充内容。\n", minutes=25,
                     tags=["企业文化", "新标签"])
    later = now + timedelta(hours=1)
    version = publish(session, trainer, edited, later, note="新增一节，阅读时间改为 25 分钟")
    assert version.number == 2 and version.created_by_id == trainer.id
    assert version.created_at == later and version.minutes == 25
    assert "补充内容" in version.body_html and version.tags == ["企业文化", "新标签"]
    module = session.scalars(sa.select(Module).where(Module.key == MODULE)).one()
    assert module.current_version_id == version.id
    event = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "module.publish")).one()
    assert event.actor_id == trainer.id and event.target_id == str(module.id)
    assert event.details == {"track": TRACK, "module": MODULE, "version": 2,
                             "note": "新增一节，阅读时间改为 25 分钟"}


def test_an_invalid_draft_or_a_missing_note_writes_nothing(session: Session, trainer: User,
                                                           now: datetime) -> None:
    before = version_count(session)
    bad = replace(current_draft(session), body="## 小节\n\n[x](ghost.md)\n")
    with pytest.raises(DraftInvalid) as exc:
        publish(session, trainer, bad, now, note="  ")
    assert {(p.field, p.line) for p in exc.value.problems} == {("body", 3), ("note", None)}
    assert version_count(session) == before
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "module.publish")) == 0


def test_saving_without_a_change_is_refused(session: Session, trainer: User,
                                            now: datetime) -> None:
    before = version_count(session)
    draft = current_draft(session)
    # CRLF line endings and blank lines around the body are not a change.
    same = replace(draft, body="\r\n" + draft.body.replace("\n", "\r\n") + "\r\n")
    with pytest.raises(NothingChanged) as exc:
        publish(session, trainer, same, now)
    assert str(exc.value.message).startswith("没有改动")
    assert version_count(session) == before


def test_a_newer_version_published_meanwhile_is_not_overwritten_silently(
        session: Session, trainer: User, now: datetime) -> None:
    other = make_user(session, role=Role.TRAINER, display_name="另一位组长")
    draft = current_draft(session)
    services.publish_draft(session, track_key=TRACK, module_key=MODULE,
                           draft=replace(draft, summary="别人改的摘要"), note="改摘要",
                           base_number=1, actor_id=other.id, now=now)
    with pytest.raises(VersionChanged) as exc:
        publish(session, trainer, replace(draft, title="我的新标题"), now, base=1)
    assert exc.value.current_number == 2 and "另一位组长" in str(exc.value.message)
    # Confirmed against version 2, it goes through.
    assert publish(session, trainer, replace(draft, title="我的新标题"), now, base=2).number == 3


def test_trainees_keep_their_progress_across_a_new_version(session: Session, trainer: User,
                                                           now: datetime) -> None:
    trainee = make_user(session, cohort=make_cohort(session))
    courses.set_module_done(session, user=trainee, track_key=TRACK, module_key=MODULE,
                            done=True, now=now)
    courses.record_reading(session, user=trainee, track_key=TRACK, module_key=MODULE,
                           seconds=90, anchor="使命", now=now)
    draft = current_draft(session)
    publish(session, trainer, replace(draft, body=draft.body + "\n补一句。\n"), now)
    progress = session.scalars(sa.select(ModuleProgress).where(
        ModuleProgress.user_id == trainee.id)).one()
    assert progress.completed_at == now and progress.seconds_spent == 90
    assert progress.last_anchor == "使命"
    page = courses.open_module(session, user=trainee, track_key=TRACK, module_key=MODULE, now=now)
    assert page.version.number == 2 and page.progress is not None
    assert page.progress.completed_at == now


# --- history and restoring -------------------------------------------------------------

def test_history_lists_versions_newest_first_with_notes_authors_and_diffs(
        session: Session, trainer: User, now: datetime) -> None:
    draft = current_draft(session)
    first_line = draft.body.split("\n")[0]
    publish(session, trainer, replace(draft, body=draft.body.replace(first_line, "## 欢迎你"),
                                      title="公司与文化"), now, note="改了开头的标题")
    history = services.module_history(session, track_key=TRACK, module_key=MODULE)
    newest, first = history.entries
    assert (newest.version.number, newest.author, newest.note) == (2, trainer, "改了开头的标题")
    assert newest.is_current and newest.changed_fields == ["title"]
    assert (newest.added, newest.removed) == (1, 1)
    assert [(d.kind, d.text) for d in newest.diff or [] if d.kind != "same"][:2] == [
        ("removed", first_line), ("added", "## 欢迎你")]
    assert first.version.number == 1 and first.author is None and first.diff is None


def test_restoring_publishes_a_copy_of_the_old_version_as_the_newest(
        session: Session, trainer: User, now: datetime) -> None:
    draft = current_draft(session)
    publish(session, trainer, replace(draft, body="## 只剩一节\n\n误删了大部分内容。\n"), now,
            note="误操作")
    restored = services.restore_version(session, track_key=TRACK, module_key=MODULE, number=1,
                                        actor_id=trainer.id, now=now)
    assert restored.number == 3 and restored.body_markdown == draft.body
    assert restored.created_by_id == trainer.id
    entry = services.module_history(session, track_key=TRACK, module_key=MODULE).entries[0]
    assert entry.restored_from == 1 and entry.note == "恢复到第 1 版"
    with pytest.raises(NothingChanged):  # version 1 is now the current text again
        services.restore_version(session, track_key=TRACK, module_key=MODULE, number=1,
                                 actor_id=trainer.id, now=now)
    with pytest.raises(NothingChanged):
        services.restore_version(session, track_key=TRACK, module_key=MODULE, number=3,
                                 actor_id=trainer.id, now=now)


def test_overview_lists_modules_in_stage_order_with_their_last_change(
        session: Session, trainer: User, now: datetime) -> None:
    draft = current_draft(session)
    publish(session, trainer, replace(draft, summary="新的摘要"), now)
    tracks = {t.track.key: t for t in services.module_overview(session)}
    assert set(tracks) == {"new-hire", "double11"}
    rows = tracks["new-hire"].rows
    assert [r.module.key for r in rows[:6]] == ["company-culture", "shops-and-platforms",
                                                "department-structure", "hands-on-basics",
                                                "observation-forms", "role-responsibilities"]
    assert rows[0].stage_title == "基础知识" and rows[0].version.number == 2
    assert rows[0].author == trainer and rows[1].author is None
