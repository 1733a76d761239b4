"""Chat-scenario analytics for trainers and supervisors: the index of drills and scenarios,
one scenario's figures, and each of its tables as CSV."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, request
from flask.typing import ResponseReturnValue
from flask_babel import format_date, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.analytics import chat
from portal.analytics.chat import ChatWarning, Granularity, PeriodAgreement, TimeBand
from portal.analytics.stats import WarningCode
from portal.analytics.views import csv_download
from portal.auth.models import Role
from portal.chat.scenario import Timing
from portal.cohorts import exports
from portal.db import utcnow
from portal.web.access import roles
from portal.web.db import db_session
from portal.web.render import render

bp = Blueprint("analytics_chat", __name__, url_prefix="/analytics/chat",
               template_folder="templates", static_folder="static/analytics_chat",
               static_url_path="/static")

ROLES = (Role.TRAINER, Role.SUPERVISOR)

WARNING_LABELS = {
    WarningCode.TOO_FEW_ATTEMPTS: _l("样本太少（不足 10 次）：数字只说明这几次，不代表整体"),
    ChatWarning.TOO_FEW_REVIEWS: _l("复核太少（不足 10 对）：一致性只说明这几次复核，仅供参考"),
}


def _timezone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _cohort_arg() -> int | None:
    raw = request.args.get("cohort", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


def band_labels(timing: Timing) -> dict[TimeBand, str]:
    """Short names of the response-time bands, for the chart's axis."""
    return {TimeBand.GOOD: gettext("≤%(s)d 秒", s=timing.good),
            TimeBand.NORMAL: gettext("%(a)d–%(b)d 秒", a=timing.good, b=timing.normal),
            TimeBand.SLOW: gettext("%(a)d–%(b)d 秒", a=timing.normal, b=timing.poor),
            TimeBand.TOO_SLOW: gettext("≥%(s)d 秒", s=timing.poor),
            TimeBand.UNANSWERED: gettext("未回复")}


def band_descriptions(timing: Timing) -> dict[TimeBand, str]:
    """What each band means, in words (the data table and the CSV)."""
    return {TimeBand.GOOD: gettext("%(s)d 秒以内（及时，满分）", s=timing.good),
            TimeBand.NORMAL: gettext("超过 %(a)d 秒、不超过 %(b)d 秒（一般，得 60%%）",
                                     a=timing.good, b=timing.normal),
            TimeBand.SLOW: gettext("超过 %(a)d 秒、不到 %(b)d 秒（慢，得 30%%）",
                                   a=timing.normal, b=timing.poor),
            TimeBand.TOO_SLOW: gettext("%(s)d 秒及以上（怠慢，不得分）", s=timing.poor),
            TimeBand.UNANSWERED: gettext("买家这一轮没有得到回复（不得分）")}


def period_label(period: PeriodAgreement, granularity: Granularity) -> str:
    if granularity is Granularity.MONTH:
        return gettext("%(year)d 年 %(month)d 月", year=period.start.year,
                       month=period.start.month)
    return gettext("%(start)s 至 %(end)s", start=format_date(period.start, "medium"),
                   end=format_date(period.end, "medium"))


def warning_text(codes: Sequence[WarningCode | ChatWarning]) -> str:
    return "；".join(str(WARNING_LABELS[c]) for c in codes)


# --- the pages ----------------------------------------------------------------------------------


@bp.get("")
@roles(*ROLES)
def index() -> ResponseReturnValue:
    found = chat.chat_index(db_session(), actor=current_user, cohort_id=_cohort_arg())
    return render("analytics/chat_index.html", index=found)


def _analytics(scenario_key: str) -> chat.ScenarioAnalytics:
    return chat.scenario_analytics(db_session(), actor=current_user, scenario_key=scenario_key,
                                   cohort_id=_cohort_arg(), now=utcnow(), tz=_timezone())


@bp.get("/scenarios/<string(maxlength=64):scenario_key>")
@roles(*ROLES)
def scenario(scenario_key: str) -> ResponseReturnValue:
    page = _analytics(scenario_key)
    timing = page.response.timing
    return render("analytics/chat_scenario.html", page=page,
                  chart=chat.response_chart(page.response, band_labels(timing)),
                  band_labels=band_labels(timing), band_descriptions=band_descriptions(timing),
                  period_label=period_label, warning_labels=WARNING_LABELS,
                  csv_names=tuple(TABLES))


# --- the tables as CSV --------------------------------------------------------------------------

Table = tuple[str, list[str], list[list[exports.Value]]]  # file label, headers, rows


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _percent(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def _versions_table(page: chat.ScenarioAnalytics) -> Table:
    headers = [gettext("版本"), gettext("标题"), gettext("导入时间"), gettext("当前版本"),
               gettext("接待次数"), gettext("平均得分率（百分比）")]
    rows: list[list[exports.Value]] = [
        [v.number, v.title, v.created_at.astimezone(_timezone()).strftime("%Y-%m-%d %H:%M"),
         gettext("是") if v.current else gettext("否"), v.customers, _round(v.mean_percent)]
        for v in page.versions]
    return gettext("版本"), headers, rows


def _items_table(page: chat.ScenarioAnalytics) -> Table:
    headers = [gettext("评分项"), gettext("满分"), gettext("平均得分"), gettext("平均得分率（百分比）"),
               gettext("接待次数"), gettext("其中按复核分计"), gettext("提示")]
    rows: list[list[exports.Value]] = [
        [gettext(r.item.label), r.max_points, _round(r.mean_points, 2), _round(r.mean_percent),
         r.n, r.reviewed, warning_text(r.warnings)] for r in page.items]
    return gettext("评分项得分"), headers, rows


def _checks_table(page: chat.ScenarioAnalytics) -> Table:
    headers = [gettext("评分项"), gettext("评分点"), gettext("失分次数"), gettext("其中未做到"),
               gettext("其中被扣分"), gettext("评分次数"), gettext("失分比例（百分比）"), gettext("提示")]
    rows: list[list[exports.Value]] = [
        [gettext(r.item.label), r.tip or gettext("（这个评分点没有说明）"), r.failed, r.missed,
         r.deducted, r.evaluated,
         _percent(r.share), warning_text(r.warnings)] for r in page.checks.rows]
    return gettext("最常失分的评分点"), headers, rows


def _response_table(page: chat.ScenarioAnalytics) -> Table:
    described = band_descriptions(page.response.timing)
    headers = [gettext("响应时间"), gettext("轮次"), gettext("占全部轮次（百分比）")]
    rows: list[list[exports.Value]] = [[described[b.band], b.count, _percent(b.share)]
                                       for b in page.response.bands]
    return gettext("响应时间"), headers, rows


def _violations_table(page: chat.ScenarioAnalytics) -> Table:
    headers = [gettext("严重违规"), gettext("出现次数"), gettext("因此未通过的考试"),
               gettext("占已结束考试（百分比）")]
    rows: list[list[exports.Value]] = [
        [gettext(r.violation.label), r.customers, r.attempts, _percent(r.share)]
        for r in page.violations.rows]
    return gettext("严重违规"), headers, rows


def _agreement_table(page: chat.ScenarioAnalytics) -> Table:
    table = page.agreement
    headers = [gettext("时间段"), gettext("评分对数"), gettext("一致"), gettext("一致比例（百分比）"),
               gettext("科恩 κ"), gettext("二次加权 κ"), gettext("提示")]
    rows: list[list[exports.Value]] = []
    if table.granularity is not None and table.total is not None:
        for period in (*table.periods, table.total):
            label = (gettext("合计") if period is table.total
                     else period_label(period, table.granularity))
            note = (warning_text(period.warnings) if period.pairs
                    else gettext("这段时间没有复核"))
            rows.append([label, period.pairs, period.agreed, _percent(period.rate),
                         _round(period.kappa, 3), _round(period.weighted_kappa, 3), note])
    return gettext("系统与复核评分一致性"), headers, rows


TABLES: dict[str, Callable[[chat.ScenarioAnalytics], Table]] = {
    "versions": _versions_table,
    "items": _items_table,
    "checks": _checks_table,
    "response-times": _response_table,
    "violations": _violations_table,
    "agreement": _agreement_table,
}


@bp.get("/scenarios/<string(maxlength=64):scenario_key>/<string(maxlength=32):table>.csv")
@roles(*ROLES)
def scenario_csv(scenario_key: str, table: str) -> ResponseReturnValue:
    build = TABLES.get(table)
    if build is None:
        abort(404)
    page = _analytics(scenario_key)
    label, headers, rows = build(page)
    name = page.title if page.scope.cohort is None else f"{page.title}-{page.scope.cohort.name}"
    return csv_download(headers, rows, name=name, label=label,
                        fallback=f"chat-{page.key}-{table}")
