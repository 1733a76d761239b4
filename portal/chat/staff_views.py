"""The trainers' side of chat exams: the review queue, a replay with reviewers' scores,
agreement per drill, the scenario player and the matcher tester."""
from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, flash, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape

from portal.auth.models import Role
from portal.chat import player, tester
from portal.chat.agreement import KappaBand
from portal.chat.engine import RouteKind
from portal.chat.models import ReviewReason
from portal.chat.scenario import Ending, Item, Polarity, Ref
from portal.chat.scoring import CheckOutcome
from portal.chat.services import review
from portal.chat.services import scripts as scripts_service
from portal.chat.tester import HitFate
from portal.chat.views import now as server_now  # CHAT_CLOCK in tests
from portal.config import PROJECT_ROOT
from portal.messages import N_
from portal.web.access import roles
from portal.web.db import db_session
from portal.web.errors import translate
from portal.web.render import redirect_after_post, render, wants_fragment

bp = Blueprint("chat_staff", __name__, url_prefix="/chat/staff", template_folder="templates",
               static_folder="static/chat_staff", static_url_path="/static")

STAFF = (Role.TRAINER, Role.SUPERVISOR, Role.ADMIN)
DRILL_KEY_MAX = 64

KAPPA_LABELS = {
    KappaBand.POOR: _l("低于随机水平"),
    KappaBand.SLIGHT: _l("极低"),
    KappaBand.FAIR: _l("一般"),
    KappaBand.MODERATE: _l("中等"),
    KappaBand.SUBSTANTIAL: _l("较高"),
    KappaBand.ALMOST_PERFECT: _l("几乎完全一致"),
}


@bp.app_template_global()
def chat_item_label(item: Item | str) -> str:
    """A table-2 item's Chinese name in the reader's language."""
    try:
        return gettext(Item(item).label)
    except ValueError:
        return gettext("未知评分项")


@bp.app_template_global()
def chat_ending_label(ending: Ending | str) -> str:
    try:
        return gettext(Ending(ending).label)
    except ValueError:
        return gettext("会话已结束")


@bp.app_template_global()
def chat_reason_label(reason: ReviewReason | str) -> str:
    return gettext(review.reason_label(reason))


@bp.app_template_global()
def kappa_label(band: KappaBand | None) -> str:
    return str(KAPPA_LABELS[band]) if band is not None else gettext("无法计算")


# --- the review queue ---------------------------------------------------------------------


@bp.get("/reviews")
@roles(*STAFF)
def review_queue() -> ResponseReturnValue:
    drill_key = request.args.get("drill", "")[:DRILL_KEY_MAX]
    pending = request.args.get("pending") == "1"
    queue = review.review_queue(db_session(), actor=current_user, drill_key=drill_key,
                                pending_only=pending)
    return render("chat/staff/queue.html", queue=queue, may_review=review.may_review(
        current_user), block="queue")


# --- one attempt: replay and reviewers' scores -------------------------------------------


@bp.get("/reviews/<int:attempt_id>")
@roles(*STAFF)
def review_attempt(attempt_id: int) -> ResponseReturnValue:
    replay = review.attempt_replay(db_session(), actor=current_user, attempt_id=attempt_id)
    return render("chat/staff/review.html", replay=replay, reasons=list(ReviewReason),
                  errors={}, entered={})


@bp.post("/reviews/<int:attempt_id>/items/<item>")
@roles(Role.TRAINER, Role.SUPERVISOR)
def review_item_save(attempt_id: int, item: str) -> ResponseReturnValue:
    session = db_session()
    entry = review.ReviewInput(item=item, points=request.form.get("points", "")[:20],
                               reason=request.form.get("reason", "")[:32],
                               comment=request.form.get("comment", "")[
                                   : review.MAX_COMMENT_CHARS + 1])
    try:
        saved = review.record_review(session, actor=current_user, attempt_id=attempt_id,
                                     entry=entry, now=server_now())
    except review.ReviewInvalid as exc:
        session.rollback()  # nothing of a refused score stays
        return _item_row(attempt_id, item, error=translate(exc.message), entered=request.form,
                         status=422)
    message = gettext("已保存你对「%(item)s」的复核：%(points)s 分。",
                      item=chat_item_label(saved.item), points=f"{saved.points:g}")
    if wants_fragment():
        return _item_row(attempt_id, item, saved_message=message)
    flash(message, "success")
    return redirect_after_post(url_for("chat_staff.review_attempt", attempt_id=attempt_id)
                               + f"#item-{saved.item.value}")


def _item_row(attempt_id: int, item: str, *, error: str | None = None,
              entered: object = None, saved_message: str | None = None,
              status: int = 200) -> ResponseReturnValue:
    """The review page, or for htmx one item's row, after a save or a refused one."""
    replay = review.attempt_replay(db_session(), actor=current_user, attempt_id=attempt_id)
    row = next((r for r in replay.items if r.engine.item.value == item), None)
    errors = {item: error} if error else {}
    if row is None or not wants_fragment():
        return render("chat/staff/review.html", replay=replay, reasons=list(ReviewReason),
                      errors=errors, entered={item: entered} if entered else {},
                      status=status)
    return render("chat/staff/review.html", block="item_row", replay=replay, row=row,
                  reasons=list(ReviewReason), errors=errors,
                  entered={item: entered} if entered else {}, saved_message=saved_message,
                  status=status)


# --- agreement ------------------------------------------------------------------------------


@bp.get("/agreement")
@roles(*STAFF)
def review_agreement() -> ResponseReturnValue:
    drills = review.drill_agreement(db_session(), actor=current_user)
    return render("chat/staff/agreement.html", drills=drills)


# --- scenarios: where they come from ---------------------------------------------------------


def _chat_folder() -> Path:
    """The chats folder the player and the tester read (CHAT_FOLDER overrides it in tests)."""
    return Path(current_app.config.get("CHAT_FOLDER") or PROJECT_ROOT / "question_banks" / "chats")


# --- the matcher tester ----------------------------------------------------------------------

SHARED = "shared"
FORM_LABELS = {"phrases": _l("词组"), "regex": _l("正则表达式"), "examples": _l("相似例句")}
POLARITY_LABELS = {Polarity.AFFIRMED: _l("只算肯定的说法"), Polarity.NEGATED: _l("只算否定的说法"),
                   Polarity.ANY: _l("肯定否定都算")}
FATE_LABELS = {
    HitFate.COUNTS: _l("计入"),
    HitFate.NEGATED: _l("所在分句有否定词，被反转为否定，不计入"),
    HitFate.AFFIRMED: _l("所在分句没有否定，不是否定说法，不计入"),
    HitFate.EXCLUDED: _l("所在分句命中排除规则，不计入"),
}


@dataclass(frozen=True)
class MatcherGroup:
    label: str
    options: list[tuple[str, str]]  # (form value, matcher name)


def summary_words() -> tester.SummaryWords:
    """The words joining a matcher's summary, in the reader's language."""
    return tester.SummaryWords(more=gettext("等 %(n)d 种说法"), similar=gettext("与%(examples)s相近"),
                               regex=gettext("符合规则式%(pattern)s"), all_of=gettext(" 且 "),
                               any_of=gettext(" 或 "), not_=gettext("不含 %(inner)s"))


def _options(ref: str, names: list[str], registry: Any) -> list[tuple[str, str]]:
    """(form value, what the trainer reads): the matcher's phrases, not its YAML key."""
    words = summary_words()
    return [(f"{ref}|{name}", tester.summary(Ref(name), registry, words) or name)
            for name in names]


def _matcher_groups(scripts: scripts_service.Scripts) -> list[MatcherGroup]:
    groups = [MatcherGroup(gettext("共用匹配规则（matchers.yaml）"),
                           _options(SHARED, sorted(scripts.folder.matchers),
                                    scripts.folder.matchers))]
    for choice in scripts.choices:
        if choice.source is scripts_service.ScriptSource.IMPORTED and not choice.current:
            continue
        script = scripts_service.load_script(db_session(), folder=_chat_folder(), ref=choice.ref,
                                             scripts=scripts)
        own = scripts_service.scenario_own_matchers(script.scenario, shared=script.shared)
        if own:
            groups.append(MatcherGroup(_script_label(choice),
                                       _options(choice.ref, sorted(own), script.scenario.matchers)))
    return [g for g in groups if g.options]


def _script_label(choice: scripts_service.ScriptChoice) -> str:
    if choice.source is scripts_service.ScriptSource.FOLDER:
        return gettext("%(title)s（题库文件夹）", title=choice.title)
    if choice.current:
        return gettext("%(title)s（已导入第 %(n)d 版，使用中）", title=choice.title,
                       n=choice.version_number or 0)
    return gettext("%(title)s（已导入第 %(n)d 版）", title=choice.title, n=choice.version_number or 0)


@bp.get("/matchers")
@roles(Role.TRAINER)
def script_matcher() -> ResponseReturnValue:
    session = db_session()
    scripts = scripts_service.script_choices(session, folder=_chat_folder())
    chosen = request.args.get("matcher", "")[: scripts_service.MAX_REF_CHARS + 70]
    sample = request.args.get("sample", "")
    report = None
    report_summary = ""
    error = None
    if chosen or sample:
        ref, _, name = chosen.rpartition("|")
        if len(sample) > tester.MAX_SAMPLE_CHARS:
            error = gettext("示例回复最多 %(n)d 个字", n=tester.MAX_SAMPLE_CHARS)
        elif not sample.strip():
            error = gettext("请输入一句示例回复")
        elif ref == SHARED and name in scripts.folder.matchers:
            report = tester.explain(name, Ref(name), sample, scripts.folder.matchers)
            report_summary = tester.summary(Ref(name), scripts.folder.matchers, summary_words())
        elif ref and ref != SHARED:
            script = scripts_service.load_script(session, folder=_chat_folder(), ref=ref,
                                                 scripts=scripts)
            if name in script.scenario.matchers:
                report = tester.explain(name, Ref(name), sample, script.scenario.matchers)
                report_summary = tester.summary(Ref(name), script.scenario.matchers,
                                                summary_words())
        if report is None and error is None:
            error = gettext("找不到这个匹配规则，请从列表中重新选择")
    return render("chat/staff/matchers.html", groups=_matcher_groups(scripts),
                  problems=scripts.problems, chosen=chosen, sample=sample, report=report,
                  report_summary=report_summary, error=error, form_labels=FORM_LABELS, polarity_labels=POLARITY_LABELS,
                  fate_labels=FATE_LABELS, status=422 if error else 200, block="report")


# --- the scenario player -----------------------------------------------------------------------

ENDING_LABELS = {ending: ending.label for ending in Ending}
OUTCOME_LABELS = {
    CheckOutcome.AWARDED: _l("得分"),
    CheckOutcome.MISSED: _l("未得分"),
    CheckOutcome.DEDUCTED: _l("扣分"),
    CheckOutcome.AVOIDED: _l("未扣分"),
}
ROUTE_KIND_LABELS = {RouteKind.ROUTE: _l("路线"), RouteKind.FALLBACK: _l("兜底路线")}


class PlayerAction(StrEnum):
    REPLY = "reply"
    WAIT = "wait"  # let the play's clock catch up with the server's (a refresh)
    SKIP = "skip"  # 跳过等待: jump to the customer's next message


def _float(raw: str | None) -> float:
    try:
        return float((raw or "")[:20])
    except ValueError:
        return math.nan


def _played_replies(form: Any) -> list[player.PlayedReply]:
    times = form.getlist("reply_at")[: player.MAX_REPLIES + 1]
    texts = form.getlist("reply_text")[: player.MAX_REPLIES + 1]
    if len(times) != len(texts):
        raise player.PlayerInvalid(N_("试玩记录不完整，请重新开始试玩"))
    return [player.PlayedReply(at=_float(at), text=text[: player.MAX_REPLY_CHARS + 1])
            for at, text in zip(times, texts, strict=True)]


def _player_page(script: scripts_service.Script | None, scripts: scripts_service.Scripts, *,
                 replies: list[player.PlayedReply], clock: float, status: int = 200,
                 error: str | None = None, draft: str = "") -> ResponseReturnValue:
    played = (player.play(script.scenario, script.rules, replies, clock=clock)
              if script is not None else None)
    return render("chat/staff/player.html", scripts=scripts, script=script, play=played,
                  replies=replies, rendered_at=f"{server_now().timestamp():.3f}", error=error,
                  draft=draft, script_label=_script_label, ending_labels=ENDING_LABELS,
                  outcome_labels=OUTCOME_LABELS, route_labels=ROUTE_KIND_LABELS,
                  state_label=player.state_label, status=status, block="player")


@bp.get("/player")
@roles(Role.TRAINER)
def script_player() -> ResponseReturnValue:
    session = db_session()
    scripts = scripts_service.script_choices(session, folder=_chat_folder())
    ref = request.args.get("script", "")
    script = (scripts_service.load_script(session, folder=_chat_folder(), ref=ref,
                                          scripts=scripts) if ref else None)
    return _player_page(script, scripts, replies=[], clock=0.0)


@bp.post("/player")
@roles(Role.TRAINER)
def script_player_play() -> ResponseReturnValue:
    session = db_session()
    scripts = scripts_service.script_choices(session, folder=_chat_folder())
    script = scripts_service.load_script(session, folder=_chat_folder(),
                                         ref=request.form.get("script", ""), scripts=scripts)
    try:
        action = PlayerAction(request.form.get("action", PlayerAction.WAIT))
    except ValueError:
        action = PlayerAction.WAIT
    try:
        replies = _played_replies(request.form)
        clock = _float(request.form.get("clock"))
        player.check_replies(replies, clock=clock)
    except player.PlayerInvalid as exc:
        return _player_page(script, scripts, replies=[], clock=0.0, status=422,
                            error=translate(exc.message))
    clock = player.advance_clock(clock, rendered_at=_float(request.form.get("rendered_at")),
                                 now=server_now().timestamp())
    draft = request.form.get("text", "")[: player.MAX_REPLY_CHARS + 1]
    try:
        if action is PlayerAction.SKIP:
            current = player.play(script.scenario, script.rules, replies, clock=clock)
            if current.next_at is not None:
                clock = max(clock, current.next_at)
        elif action is PlayerAction.REPLY:
            candidate = [*replies, player.PlayedReply(at=clock, text=draft.strip())]
            if not draft.strip():
                raise player.PlayerInvalid(N_("请先输入回复"))
            player.play(script.scenario, script.rules, candidate, clock=clock)
            replies, draft = candidate, ""
    except player.PlayerInvalid as exc:
        return _player_page(script, scripts, replies=replies, clock=clock, status=422,
                            error=translate(exc.message), draft=draft)
    return _player_page(script, scripts, replies=replies, clock=clock, draft=draft)


@bp.app_template_global()
def chat_highlight(text: str, hits: Any) -> Markup:
    """`text` with the spans of `hits` (evidence in the original text) marked."""
    spans = sorted((h.start, h.end) for h in hits or () if 0 <= h.start < h.end <= len(text))
    out, pos = [], 0
    for start, end in spans:
        start = max(start, pos)
        if start >= end:
            continue
        out.append(escape(text[pos:start]))
        out.append(Markup('<mark class="chat-hit">%s</mark>') % text[start:end])
        pos = end
    out.append(escape(text[pos:]))
    return Markup("").join(out)


@bp.app_template_filter("clock")
def clock_filter(seconds: float | None) -> str:
    """Seconds on the play's clock as m:ss."""
    if seconds is None:
        return "—"
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"
