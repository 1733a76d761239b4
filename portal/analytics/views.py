"""Item analysis for trainers and supervisors: the index of what can be analysed, an exam's
statistics with its questions, one question's options, and their CSV exports."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from portal.analytics import exams as analysis
from portal.analytics import templating as words
from portal.analytics.cohorts import unopened_modules_for_question
from portal.auth.models import Role
from portal.cohorts import exports
from portal.cohorts.charts import histogram
from portal.cohorts.rules import content_disposition, export_filename
from portal.db import utcnow
from portal.exams.grading import exams_overview
from portal.exams.templating import kind_label
from portal.web.access import roles
from portal.web.db import db_session
from portal.web.render import render

bp = Blueprint("analytics", __name__, template_folder="templates", url_prefix="/analytics",
               static_folder="static", static_url_path="/static")

STAFF = (Role.TRAINER, Role.SUPERVISOR)


@bp.get("")
@roles(*STAFF)
def index() -> ResponseReturnValue:
    return render("analytics/index.html", exams=exams_overview(db_session(), actor=current_user))


def _choices() -> tuple[analysis.Counting, int | None]:
    raw = request.args.get("counting", analysis.Counting.FIRST.value)
    try:
        counting = analysis.Counting(raw)
    except ValueError:
        abort(404)
    cohort = request.args.get("cohort", "")
    if cohort and not (cohort.isascii() and cohort.isdigit() and len(cohort) < 10):
        abort(404)
    return counting, int(cohort) if cohort else None


def _report(exam_key: str) -> analysis.ExamReport:
    counting, cohort_id = _choices()
    return analysis.exam_report(db_session(), actor=current_user, exam_key=exam_key,
                                counting=counting, cohort_id=cohort_id)


@bp.get("/exams/<exam_key>")
@roles(*STAFF)
def exam(exam_key: str) -> ResponseReturnValue:
    report = _report(exam_key)
    return render("analytics/exam.html", report=report, chart=histogram(report.exam.distribution),
                  block="report")


@bp.get("/exams/<exam_key>/items/<int:version_id>")
@roles(*STAFF)
def item(exam_key: str, version_id: int) -> ResponseReturnValue:
    report = _report(exam_key)
    row = report.item(version_id)
    cohorts = [report.cohort_id] if report.cohort_id else [c.id for c in report.cohorts]
    gaps = unopened_modules_for_question(db_session(), question_id=row.question_id,
                                         cohort_ids=cohorts) if report.staged else None
    return render("analytics/item.html", report=report, row=row, gaps=gaps,
                  may_edit=current_user.role is Role.TRAINER)


def csv_download(headers: Sequence[str], rows: Sequence[Sequence[exports.Value]], *,
                 name: str, label: str, fallback: str, on: date | None = None) -> Response:
    """A table of the analysis as a CSV download named after `name`, `label` and today's
    date where the portal is, or `on` (with an ASCII `fallback` name for old clients), never
    kept by a proxy. The analytics pages' downloads all go through here."""
    on = on or utcnow().astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()
    response = Response(exports.to_csv(headers=headers, rows=rows), mimetype=exports.CSV_TYPE)
    response.headers["Content-Disposition"] = content_disposition(
        export_filename(name, on, "csv", label=label), fallback=f"{fallback}-{on}.csv")
    response.headers["Cache-Control"] = "no-store"
    return response


def _flag_words(row: analysis.ItemRow) -> str:
    return _("；").join(words.flag_title(f) + (f"（{row.option(f.option_id).letter}）"
                                              if row.option(f.option_id) else "")
                       for f in row.flags)


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


@bp.get("/exams/<exam_key>/items.csv")
@roles(*STAFF)
def items_csv(exam_key: str) -> ResponseReturnValue:
    report = _report(exam_key)
    headers = [_("题库"), _("题号"), _("版本"), _("题型"), _("作答数"), _("得分率"),
               _("校正题总相关"), _("相关 95% 区间下限"), _("相关 95% 区间上限"),
               _("高低分组区分度"), _("每组人数"), _("提示")]
    rows = [[row.bank_title, row.qid, row.number, kind_label(row.kind), row.stats.n,
             _r(row.stats.facility), _r(row.stats.corrected_r),
             _r(row.stats.r_ci[0]) if row.stats.r_ci else None,
             _r(row.stats.r_ci[1]) if row.stats.r_ci else None,
             _r(row.stats.discrimination_index), row.stats.group_n, _flag_words(row)]
            for row in report.items]
    return csv_download(headers, rows, name=report.title, label=_("题目分析"),
                        fallback=f"exam-{report.exam_key}-items")


@bp.get("/exams/<exam_key>/items/<int:version_id>/options.csv")
@roles(*STAFF)
def options_csv(exam_key: str, version_id: int) -> ResponseReturnValue:
    report = _report(exam_key)
    row = report.item(version_id)
    if row.distractors is None:
        abort(404)
    headers = [_("选项"), _("内容"), _("正确答案"), _("选择人数"), _("选择比例"),
               _("高分组选择比例"), _("低分组选择比例"), _("与其余题目成绩的相关")]
    body = []
    for option in row.distractors.options:
        label = row.option(option.option_id)
        body.append([_(label.letter) if label else option.option_id, label.text if label else "",
                     _("是") if option.is_key else _("否"), option.chosen, _r(option.share),
                     _r(option.upper_share), _r(option.lower_share), _r(option.r_rest)])
    return csv_download(headers, body, name=f"{report.title}-{row.qid}", label=_("选项分析"),
                        fallback=f"exam-{report.exam_key}-options-{row.version_id}")


@bp.get("/exams/<exam_key>/distribution.csv")
@roles(*STAFF)
def distribution_csv(exam_key: str) -> ResponseReturnValue:
    report = _report(exam_key)
    headers = [_("分数段"), _("作答次数"), _("整段达到及格线")]
    rows = [[_("%(low)d–%(high)d 分", low=band.low, high=band.high), band.count,
             _("是") if band.passing else _("否")]
            for band in report.exam.distribution.bands]
    return csv_download(headers, rows, name=report.title, label=_("得分分布"),
                        fallback=f"exam-{report.exam_key}-distribution")
