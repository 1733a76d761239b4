"""Trainers' question banks: import with a dry run, the bank browser, exports, the editor."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, flash, g, make_response, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from portal.auth.models import Role
from portal.banks import rules, services
from portal.banks.errors import (
    NothingChanged,
    PlanChanged,
    QuestionInvalid,
    UploadRefused,
    VersionChanged,
)
from portal.banks.forms import (
    AcknowledgeForm,
    QuestionForm,
    UploadForm,
    carried_fields,
    read_carried,
)
from portal.content.loader import Problem
from portal.content.rendering import render_markdown
from portal.db import utcnow
from portal.exams import categories, kinds
from portal.exams.kinds import editor
from portal.exams.lint import LintWarning
from portal.web.access import roles
from portal.web.db import db_session
from portal.web.errors import translate
from portal.web.render import is_htmx, redirect_after_post, render

bp = Blueprint("banks", __name__, url_prefix="/banks", template_folder="templates",
               static_folder="static", static_url_path="/static/banks")

IMPORT_TEMPLATE = "banks/import.html"
EDIT_TEMPLATE = "banks/question_edit.html"
DIFFICULTY_LABELS = {"easy": _l("容易"), "medium": _l("中等"), "hard": _l("较难")}
FORMAT_LABELS = {
    rules.FileFormat.YAML: "YAML",
    rules.FileFormat.BANK: _l("题库（YAML）"),
    rules.FileFormat.EXAM: _l("考试定义（YAML）"),
    rules.FileFormat.GIFT: "GIFT",
    rules.FileFormat.MOODLE_XML: "Moodle XML",
}


@bp.context_processor
def _banks_context() -> dict[str, Any]:
    return {"difficulty_label": difficulty_label, "tag_fields": editor.TagFields.of,
            "role_tag_label": role_tag_label, "tag_chip": tag_chip,
            "format_label": format_label, "describe_problem": describe_problem,
            "all_kinds": list(kinds.KINDS), "Change": rules.Change,
            "category_label": categories.label, "category_value": category_value}


ROLE_TAG_LABELS = {"all": _l("全部岗位"), "pre-sales": _l("售前"), "after-sales": _l("售后")}
TAG_PREFIX_LABELS = {"stage": _l("阶段"), "role": _l("岗位"), "topic": _l("主题")}


def role_tag_label(role: str) -> str:
    return str(ROLE_TAG_LABELS.get(role, role))


def tag_chip(tag: str) -> str:
    """A tag as a person reads it: 阶段：基础知识, 岗位：售前, 主题：发票."""
    chip = rules.tag_chip(tag, dict(_stage_titles()))
    if chip.prefix is None:
        return tag
    value = role_tag_label(chip.value) if chip.prefix == "role" else chip.value
    return gettext("%(what)s：%(value)s", what=TAG_PREFIX_LABELS[chip.prefix], value=value)


def _stage_titles() -> list[tuple[str, str]]:
    """The stages' titles, read once per request."""
    if "stage_titles" not in g:
        g.stage_titles = services.stage_choices(db_session())
    return g.stage_titles  # type: ignore[no-any-return]


def category_value(levels: Any) -> str:
    """A category path as the category filter's value in the address."""
    return categories.join_path(levels, contexts=False)


def difficulty_label(name: str) -> str:
    return str(DIFFICULTY_LABELS.get(name, name))


def format_label(fmt: rules.FileFormat | None) -> str:
    return str(FORMAT_LABELS[fmt]) if fmt is not None else gettext("不支持的类型")


def describe_problem(problem: Problem | services.QuestionProblem) -> str:
    """“第 12 行：……” (the file is named by the list the problem is shown in)."""
    text = translate(problem.message)
    if problem.line is not None:
        return gettext("第 %(line)d 行：%(problem)s", line=problem.line, problem=text)
    return text


@dataclass(frozen=True)
class ShownWarning:
    """A lint warning as a trainer reads it: its label and why, in their language."""

    code: str  # the form value of an acknowledgement; never shown
    label: str
    why: str
    acknowledged: str | None  # the trainer's reason
    path: str = ""  # the file, for an upload
    line: int | None = None

    @classmethod
    def of(cls, warning: LintWarning) -> ShownWarning:
        return cls(warning.code.value, gettext(warning.label), translate(warning.why),
                   warning.acknowledged, warning.path, warning.line)


def shown_warnings(warnings: Iterable[LintWarning]) -> list[ShownWarning]:
    return [ShownWarning.of(w) for w in warnings]


# --- the bank list and one bank ----------------------------------------------------------


@bp.get("")
@roles(Role.TRAINER)
def index() -> ResponseReturnValue:
    return render("banks/index.html", banks=services.bank_overview(db_session()))


@bp.get("/<bank_key>")
@roles(Role.TRAINER)
def bank_show(bank_key: str) -> ResponseReturnValue:
    filters = rules.QuestionFilter.from_args(request.args)
    session = db_session()
    listing = services.bank_listing(session, bank_key=bank_key, filters=filters)
    warned = {qid: shown_warnings(found) for qid, found
              in services.bank_warnings(session, bank_key=bank_key).items()}
    return render("banks/bank.html", listing=listing, filters=filters, bank=listing.bank,
                  warned=warned, block="questions")


@bp.get("/<bank_key>/questions/<qid>")
@roles(Role.TRAINER)
def question_show(bank_key: str, qid: str) -> ResponseReturnValue:
    number = request.args.get("version", type=int)
    session = db_session()
    detail = services.question_detail(session, bank_key=bank_key, qid=qid, number=number)
    current = detail.version.id == detail.current.id
    warnings = shown_warnings(services.question_warnings(session, bank_key=bank_key, qid=qid)
                              if current and not detail.question.retired else [])
    return render("banks/question.html", detail=detail, bank=detail.bank, warnings=warnings,
                  question=detail.version.definition,
                  public=kinds.public_view(detail.version.definition),
                  source=services.question_yaml(detail.version.definition))


# --- help pages -------------------------------------------------------------------------
# Chinese help for trainers, next to the pages that need it (the developer docs in docs/ are
# English); Markdown rendered and sanitised as modules are.

HELP_DIR = Path(__file__).resolve().parent / "help"
HELP_PAGES = ("question-bank-format", "exam-format", "gift-and-moodle")


@bp.get("/help/<page>")
@roles(Role.TRAINER)
def help_page(page: str) -> ResponseReturnValue:
    if page not in HELP_PAGES:
        abort(404)
    text = (HELP_DIR / f"{page}.md").read_text(encoding="utf-8")
    title = text.split("\n", 1)[0].lstrip("# ").strip()
    rendered = render_markdown(text.split("\n", 1)[1])
    return render("banks/help.html", title=title, body=Markup(rendered.html), pages=[
                      (key, _help_title(key)) for key in HELP_PAGES], page=page)


def _help_title(page: str) -> str:
    with (HELP_DIR / f"{page}.md").open(encoding="utf-8") as f:
        return f.readline().lstrip("# ").strip()


# --- export ------------------------------------------------------------------------------


def _download(text: str, filename: str, mimetype: str) -> ResponseReturnValue:
    response = make_response(text)
    response.mimetype = mimetype
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Exports hold answer keys: never kept in a shared cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<bank_key>/export.yaml")
@roles(Role.TRAINER)
def export_yaml(bank_key: str) -> ResponseReturnValue:
    text = services.export_yaml(db_session(), bank_key=bank_key)
    return _download(text, f"{bank_key}.yaml", "application/yaml")


@bp.get("/<bank_key>/export.gift")
@roles(Role.TRAINER)
def export_gift(bank_key: str) -> ResponseReturnValue:
    result = services.export_gift(db_session(), bank_key=bank_key)
    notes = [translate(n.message) for n in result.notices]
    heading = gettext("注意：有 %(n)d 处无法用 GIFT 完整表达（未导出的题目或丢失的信息）：",
                      n=len(notes))
    text = rules.gift_with_notes(result.text, notes, heading=heading)
    # .txt: the extension Moodle's GIFT import expects (and this portal reads as GIFT).
    return _download(text, f"{bank_key}-gift.txt", "text/plain")


# --- import ------------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
@roles(Role.TRAINER)
def bank_import() -> ResponseReturnValue:
    """Step 1 (check): upload files, see the dry run. Step 2 (confirm): import all of it.

    The checked files travel in the report's form (base64), and every step reads and
    checks them again on the server; confirming imports only if the result is still
    exactly the one the trainer saw.
    """
    upload = UploadForm()
    if request.method == "GET":
        return _import_page(upload)
    step = request.form.get("step", "check")
    if step == "check":
        if not upload.validate_on_submit():
            return _import_page(upload, status=400, error=gettext(
                "页面已过期或表单无效，请刷新页面后重试。"))
        files = upload.uploads()
    else:
        carried = read_carried(request.form)
        if carried is None:
            return _import_page(upload, status=422, error=gettext(
                "要确认的文件内容丢失或已损坏，没有导入任何内容。请重新上传文件。"))
        files = carried
    session = db_session()
    if step == "confirm":
        try:
            check = services.confirm_upload(session, files=files,
                                            expected_digest=request.form.get("digest", ""),
                                            actor_id=current_user.id, now=utcnow())
        except (UploadRefused, PlanChanged) as exc:
            return _import_page(upload, exc.check, files, status=exc.status,
                                error=translate(exc.message))
        report = check.report
        assert report is not None
        flash(_imported_message(report), "success")
        keys = [f.bank_key for f in check.files if f.bank_key]
        target = (url_for("banks.bank_show", bank_key=keys[0]) if len(keys) == 1
                  else url_for("banks.index"))
        return redirect_after_post(target)
    check = services.check_upload(session, files=files)
    return _import_page(upload, check, files, status=200 if check.ok else 422)


def _import_page(upload: UploadForm, check: services.UploadCheck | None = None,
                 files: list[services.UploadedFile] | None = None, *, status: int = 200,
                 error: str | None = None) -> ResponseReturnValue:
    files = files or []
    lint = check.lint if check is not None else None
    return render(IMPORT_TEMPLATE, upload=upload, check=check, error=error, status=status,
                  lint_warnings=shown_warnings(lint.open) if lint else [],
                  lint_acknowledged=len(lint.acknowledged) if lint else 0,
                  carried=carried_fields(files) if check is not None and check.files else [],
                  uploads=files, block="import_area",
                  max_files=services.MAX_UPLOAD_FILES,
                  max_mb=services.MAX_UPLOAD_BYTES // (1024 * 1024))


def _imported_message(report: Any) -> str:
    if not report.touched:
        return gettext("导入完成：内容与题库中的完全一致，没有任何改动。")
    return gettext("导入完成：新增 %(new)d 项，修改 %(changed)d 项，停用 %(removed)d 道题。",
                   new=report.count(rules.Change.NEW), changed=report.count(rules.Change.CHANGED),
                   removed=report.count(rules.Change.REMOVED))


# --- the editor --------------------------------------------------------------------------
# Two faces of one editor page: the form (each kind's fields, the default) and the YAML
# source ("高级：编辑源文件"). A request that carries the source (`definition`) is the source
# editor's; the form's fields are all named `q.…` (see portal/exams/kinds/editor.py).

# Generic validation messages name a file's field; on a form the field is where they stand.
FORM_MESSAGES = {
    "缺少字段 %(name)s": _l("请填写这一项"),
    "%(name)s 应为文本": _l("应为文字"),
    "%(name)s 应为 %(low)s 到 %(high)s 之间的数": _l("应为 %(low)s 到 %(high)s 之间的数"),
    "%(name)s 应为大于 %(low)s、不超过 %(high)s 的数": _l("应为大于 %(low)s、不超过 %(high)s 的数"),
    "%(name)s 太长（最多 %(limit)d 个字符）": _l("太长了（最多 %(limit)d 个字符）"),
    "%(name)s 不能为空": _l("不能为空"),
    "判断题的 answer 应为 true（对）或 false（错）": _l("请选择“对”或“错”"),
    "单选题应恰好有一个正确选项（correct: true）": _l("请把恰好一个选项标为正确答案"),
    "多选题至少要有一个正确选项（correct: true）": _l("请至少把一个选项标为正确答案"),
    "正确选项得满分，不需要 credit": _l("正确选项得满分，不需要填写部分得分"),
    "错误选项的 credit 应小于 100（满分请用 correct: true）": _l("错误选项的部分得分应小于 100（满分请标为正确答案）"),
    "max_chars 应为整数": _l("应为整数"),
}


def _source_mode() -> bool:
    if request.method == "POST":
        return "definition" in request.form
    return request.args.get("mode") == "source"


def form_problem_text(problem: services.QuestionProblem) -> str:
    """A problem as the form shows it next to its field."""
    wording = FORM_MESSAGES.get(problem.message.text)
    if wording is None:
        return translate(problem.message)
    return str(wording) % dict(problem.message.params) if problem.message.params else str(wording)


@dataclass(frozen=True)
class FormProblem:
    text: str
    anchor: str  # the HTML id of its field ("" for the question as a whole)


def _form_problems(problems: list[services.QuestionProblem], inp: editor.EditorInput | None
                   ) -> tuple[dict[str, list[str]], list[FormProblem]]:
    """Problems by the form field they are about, and as the summary lists them."""
    by_field: dict[str, list[str]] = {}
    listed: list[FormProblem] = []
    for problem in problems:
        name = inp.where(problem.line) if inp is not None else editor.WHOLE
        text = form_problem_text(problem)
        by_field.setdefault(name, []).append(text)
        listed.append(FormProblem(text, editor.field_id(name) if name != editor.WHOLE else ""))
    return by_field, listed


@bp.route("/<bank_key>/questions/<qid>/edit", methods=["GET", "POST"])
@roles(Role.TRAINER)
def question_edit(bank_key: str, qid: str) -> ResponseReturnValue:
    session = db_session()
    bank, question = services.get_question(session, bank_key=bank_key, qid=qid)
    form = QuestionForm()
    assert question.current_version is not None
    if not _source_mode():
        return _form_editor(bank, question, form, question.current_version.definition)
    if request.method == "GET":
        form.definition.data = services.question_yaml(question.current_version.definition)
        form.base_version.data = str(question.current_version.number)
    form.bank_key.data, form.qid.data = bank_key, qid
    return _edit_or_save(bank, question, form)


@bp.route("/<bank_key>/questions/new", methods=["GET", "POST"])
@roles(Role.TRAINER)
def question_new(bank_key: str) -> ResponseReturnValue:
    session = db_session()
    bank = services.get_bank(session, bank_key)
    form = QuestionForm()
    kind = request.args.get("kind", "")
    kind = kind if kind in rules.QUESTION_TEMPLATES else "single-choice"
    if not _source_mode():
        return _form_editor(bank, None, form, None, kind=kind)
    if request.method == "GET":
        form.definition.data = services.new_question_text(session, bank_key=bank_key, kind=kind)
    form.bank_key.data, form.qid.data = bank_key, ""
    return _edit_or_save(bank, None, form, kind=kind)


def _form_editor(bank: Any, question: Any, form: QuestionForm,
                 definition: kinds.QuestionDef | None, *, kind: str | None = None
                 ) -> ResponseReturnValue:
    """The form editor: shown (GET), a row added, or saved (POST)."""
    session = db_session()
    original_qid = question.qid if question is not None else None
    form.bank_key.data, form.qid.data = bank.key, original_qid or ""
    if request.method == "GET":
        if definition is not None:
            data = definition.to_data()
            form.base_version.data = str(question.current_version.number)
        else:
            assert kind is not None
            data = {"id": services.new_question_id(session, bank_key=bank.key, kind=kind),
                    "kind": kind, "difficulty": "medium", "points": 2}
            return _editor(bank, question, form,
                           services.CheckedQuestion(text="", raw=data, definition=None,
                                                    problems=[]),
                           mode="form", data=data, kind=kind)
        checked = services.check_question_data(session, bank_key=bank.key,
                                               original_qid=original_qid, raw=data)
        return _editor(bank, question, form, checked, mode="form", data=data,
                       kind=data["kind"])
    if not form.validate_on_submit():
        abort(400)
    kind_name = (question.current_version.definition.kind if question is not None
                 else kind or "single-choice")
    data, inp = editor.read_question(request.form, kind=kind_name)
    checked = services.check_question_data(session, bank_key=bank.key,
                                           original_qid=original_qid, raw=editor.pruned(data))
    adding = request.form.get("add", "")
    if adding:  # a row asked for: the form again, nothing saved
        return _editor(bank, question, form, checked, mode="form", data=data, inp=inp,
                       adding=adding, kind=kind_name, block="editor")
    try:
        saved = services.save_checked(session, bank_key=bank.key, original_qid=original_qid,
                                      checked=checked, base_number=form.base_number(),
                                      actor_id=current_user.id, now=utcnow())
    except QuestionInvalid as exc:
        return _editor(bank, question, form, checked, mode="form", data=data, inp=inp,
                       problems=exc.problems, status=422, error=translate(exc.message),
                       kind=kind_name)
    except NothingChanged as exc:
        return _editor(bank, question, form, checked, mode="form", data=data, inp=inp,
                       status=422, notice=translate(exc.message), kind=kind_name)
    except VersionChanged as exc:
        form.base_version.data = str(exc.current_number)
        return _editor(bank, question, form, checked, mode="form", data=data, inp=inp,
                       status=422, error=translate(exc.message), kind=kind_name)
    version = saved.current_version
    assert version is not None
    flash(gettext("已保存题目 %(id)s 第 %(n)d 版。", id=saved.qid, n=version.number), "success")
    return redirect_after_post(url_for("banks.question_show", bank_key=bank.key, qid=saved.qid))


def _edit_or_save(bank: Any, question: Any, form: QuestionForm, *,
                  kind: str | None = None) -> ResponseReturnValue:
    session = db_session()
    original_qid = question.qid if question is not None else None
    text = form.definition.data or ""
    if request.method == "GET":
        checked = services.check_question(session, bank_key=bank.key, original_qid=original_qid,
                                          text=text)
        return _editor(bank, question, form, checked, kind=kind)
    if not form.validate_on_submit():
        abort(400)
    try:
        saved = services.save_question(session, bank_key=bank.key, original_qid=original_qid,
                                       text=text, base_number=form.base_number(),
                                       actor_id=current_user.id, now=utcnow())
    except QuestionInvalid as exc:
        checked = services.check_question(session, bank_key=bank.key,
                                          original_qid=original_qid, text=text)
        return _editor(bank, question, form, checked, problems=exc.problems, status=422,
                       error=translate(exc.message), kind=kind)
    except NothingChanged as exc:
        checked = services.check_question(session, bank_key=bank.key,
                                          original_qid=original_qid, text=text)
        return _editor(bank, question, form, checked, status=422, notice=translate(exc.message),
                       kind=kind)
    except VersionChanged as exc:
        # The next save is deliberate: it overwrites the version the trainer was told about.
        form.base_version.data = str(exc.current_number)
        checked = services.check_question(session, bank_key=bank.key,
                                          original_qid=original_qid, text=text)
        return _editor(bank, question, form, checked, status=422, error=translate(exc.message),
                       kind=kind)
    version = saved.current_version
    assert version is not None
    flash(gettext("已保存题目 %(id)s 第 %(n)d 版。", id=saved.qid, n=version.number), "success")
    return redirect_after_post(url_for("banks.question_show", bank_key=bank.key, qid=saved.qid))


@bp.post("/<bank_key>/questions/<qid>/acknowledge")
@roles(Role.TRAINER)
def question_acknowledge(bank_key: str, qid: str) -> ResponseReturnValue:
    """Accept one warning on the saved question with a reason: saved as its new version.
    htmx gets the editor back (fragment); a plain form is sent back to the editor page."""
    session = db_session()
    bank, question = services.get_question(session, bank_key=bank_key, qid=qid)
    ack = AcknowledgeForm()
    if not ack.validate_on_submit():
        abort(400)
    try:
        saved = services.acknowledge_warning(
            session, bank_key=bank_key, qid=qid, warning=ack.warning.data or "",
            reason=ack.reason.data or "", base_number=ack.base_number(),
            actor_id=current_user.id, now=utcnow())
    except (QuestionInvalid, VersionChanged, NothingChanged) as exc:
        form = _question_form(bank_key, question)
        checked = services.check_question(session, bank_key=bank_key, original_qid=qid,
                                          text=form.definition.data or "")
        return _editor(bank, question, form, checked, status=422, error=translate(exc.message),
                       failed_ack=ack.warning.data)
    version = saved.current_version
    assert version is not None
    done = gettext("已确认这条提醒，题目保存为第 %(n)d 版。", n=version.number)
    if not is_htmx():
        flash(done, "success")
        return redirect_after_post(url_for("banks.question_edit", bank_key=bank_key, qid=qid))
    form = _question_form(bank_key, saved)
    checked = services.check_question(session, bank_key=bank_key, original_qid=qid,
                                      text=form.definition.data or "")
    return _editor(bank, saved, form, checked, notice=done)


def _question_form(bank_key: str, question: Any) -> QuestionForm:
    """The editor's form on the question's current version."""
    form = QuestionForm(formdata=None)
    form.definition.data = services.question_yaml(question.current_version.definition)
    form.base_version.data = str(question.current_version.number)
    form.bank_key.data, form.qid.data = bank_key, question.qid
    return form


@bp.post("/preview")
@roles(Role.TRAINER)
def preview() -> ResponseReturnValue:
    """The editor's live preview; without htmx, the editor page with the preview filled in."""
    form = QuestionForm()
    bank_key = form.bank_key.data or ""
    if not bank_key:
        abort(400)
    session = db_session()
    bank = services.get_bank(session, bank_key)
    question = None
    if form.qid.data:
        _, question = services.get_question(session, bank_key=bank_key, qid=form.qid.data)
    if not _source_mode():
        kind_name = (question.current_version.definition.kind if question is not None
                     else request.form.get("q.kind", ""))
        if kind_name not in kinds.KINDS:
            abort(400)
        data, inp = editor.read_question(request.form, kind=kind_name)
        checked = services.check_question_data(session, bank_key=bank_key,
                                               original_qid=form.qid.data or None,
                                               raw=editor.pruned(data))
        return _editor(bank, question, form, checked, mode="form", data=data, inp=inp,
                       kind=kind_name, block="preview")
    checked = services.check_question(session, bank_key=bank_key,
                                      original_qid=form.qid.data or None,
                                      text=form.definition.data or "")
    return _editor(bank, question, form, checked, block="preview")


def _editor(bank: Any, question: Any, form: QuestionForm, checked: services.CheckedQuestion, *,
            problems: list[services.QuestionProblem] | None = None, status: int = 200,
            error: str | None = None, notice: str | None = None, kind: str | None = None,
            block: str = "editor", failed_ack: str | None = None, mode: str = "source",
            data: dict[str, Any] | None = None, inp: editor.EditorInput | None = None,
            adding: str = "") -> ResponseReturnValue:
    # Problems found only when saving (in the whole bank, or exams that would break) come
    # on top of the ones the preview shows for the question itself.
    shown = list(checked.problems)
    shown += [p for p in (problems or []) if p not in shown]
    field_errors: dict[str, list[str]] = {}
    listed: list[FormProblem] = []
    if mode == "form":
        field_errors, listed = _form_problems(shown, inp)
        # Lines are the form's field numbers: the preview lists the problems without them.
        shown = [services.QuestionProblem(None, p.message) for p in shown]
    elif status == 422 and shown:
        form.definition.errors = [describe_problem(p) for p in shown]
    session = db_session()
    # What the edited text would be warned about (live), and the saved version's warnings,
    # which a trainer may acknowledge.
    live = shown_warnings(w for w in services.edited_warnings(session, bank_key=bank.key,
                                                              checked=checked)
                          if w.acknowledged is None)
    saved = (shown_warnings(services.question_warnings(session, bank_key=bank.key,
                                                       qid=question.qid))
             if question is not None and not question.retired else [])
    save_url = (url_for("banks.question_edit", bank_key=bank.key, qid=question.qid)
                if question is not None
                else url_for("banks.question_new", bank_key=bank.key, kind=kind))
    view = editor.EditorView(errors=field_errors if status == 422 else {}, adding=adding,
                             action=save_url)
    return render(EDIT_TEMPLATE, bank=bank, question=question, form=form, checked=checked,
                  live_warnings=live, saved_warnings=saved, failed_ack=failed_ack,
                  problems=shown, error=error, notice=notice, status=status, block=block,
                  kind=kind or (checked.definition.kind if checked.definition else None),
                  templates=list(rules.QUESTION_TEMPLATES), mode=mode, data=data or {},
                  ed=view, form_problems=listed if status == 422 else [],
                  stage_choices=_stage_titles() if mode == "form" else [],
                  form_problem_text=form_problem_text)
