"""Test data of the form-based question editor: reading an editor page's form back as a
browser would submit it."""
from __future__ import annotations

import html
import re

DEMO_BANK = "/banks/after-sales-demo"
# One question of every kind in the docs' example bank.
QUESTION_OF_KIND = {
    "single-choice": "promise-express-01", "multiple-choice": "campaign-rules-01",
    "true-false": "invoice-amount-01", "fill-in": "return-window-01",
    "numeric": "invoice-split-01", "matching": "team-groups-01",
    "short-answer": "complaint-reply-01", "case": "refund-in-transit",
    "operation-task": "out-of-stock-note",
}

_FORM_RE = re.compile(r'<form id="question-form".*?</form>', re.DOTALL)
_INPUT_RE = re.compile(r"<input\b[^>]*>", re.DOTALL)
_TEXTAREA_RE = re.compile(r'<textarea\b[^>]*\bname="([^"]+)"[^>]*>(.*?)</textarea>', re.DOTALL)
_SELECT_RE = re.compile(r'<select\b[^>]*\bname="([^"]+)"[^>]*>(.*?)</select>', re.DOTALL)
_OPTION_RE = re.compile(r'<option value="([^"]*)"( selected)?', re.DOTALL)


def _attr(tag: str, name: str) -> str | None:
    found = re.search(rf'\b{name}="([^"]*)"', tag)
    return html.unescape(found[1]) if found else None


def form_fields(page: str) -> list[tuple[str, str]]:
    """The (name, value) pairs the editor's form submits as it stands (no button pressed)."""
    form = _FORM_RE.search(page)
    assert form is not None, "no question form on the page"
    body = form[0]
    fields: list[tuple[str, str]] = []
    for tag in _INPUT_RE.findall(body):
        name, kind = _attr(tag, "name"), _attr(tag, "type") or "text"
        if name is None or kind in ("submit", "button"):
            continue
        if kind in ("checkbox", "radio") and not re.search(r"\schecked\b", tag):
            continue
        fields.append((name, _attr(tag, "value") or ""))
    for name, text in _TEXTAREA_RE.findall(body):
        fields.append((html.unescape(name), html.unescape(text).removeprefix("\n")))
    for name, options in _SELECT_RE.findall(body):
        chosen = [v for v, selected in _OPTION_RE.findall(options) if selected]
        first = _OPTION_RE.findall(options)
        value = chosen[0] if chosen else (first[0][0] if first else "")
        fields.append((html.unescape(name), html.unescape(value)))
    return fields


def with_values(fields: list[tuple[str, str]], **changes: str) -> list[tuple[str, str]]:
    """The fields with some values replaced (names given with "." and "-" as "__" and "_")."""
    wanted = {k: v for k, v in changes.items()}
    result = []
    for name, value in fields:
        key = name.replace(".", "__").replace("-", "_")
        result.append((name, wanted.pop(key, value)))
    assert not wanted, f"no such fields: {sorted(wanted)}"
    return result


# What a trainer types into the form for a new question of each kind (besides the kind,
# which the page carries), and what the saved definition then holds.
NEW_QUESTION_FORMS: dict[str, dict[str, str]] = {
    "single-choice": {
        "q.prompt": "买家要求发顺丰，店铺默认中通，客服应该怎么答？", "q.points": "2",
        "q.tags-stage": "basics", "q.tags-role": "after-sales", "q.tags-topics": "发货承诺、快递",
        "q.choices-rows": "4", "q.choices-1-text": "先确认能否改发，再答复", "q.choices-correct": "1",
        "q.choices-2-text": "直接答应", "q.choices-2-credit": "25", "q.choices-3-text": "不理会",
        "q.explanation": "不能随口承诺。"},
    "multiple-choice": {
        "q.prompt": "哪些属于满减活动的要点？", "q.points": "3", "q.scoring": "proportional",
        "q.choices-rows": "3", "q.choices-1-text": "满多少减多少", "q.choices-1-correct": "1",
        "q.choices-2-text": "可与店铺券叠加", "q.choices-2-correct": "1", "q.choices-3-text": "包邮"},
    "true-false": {"q.prompt": "发票可以随意改抬头。", "q.points": "1", "q.answer": "false",
                   "q.feedback_incorrect": "抬头须与买家提供的一致。"},
    "fill-in": {"q.prompt": "签收后 [[1]] 天内可以申请 [[2]]。", "q.points": "2",
                "q.blanks-rows": "2", "q.blanks-1-answers-rows": "2",
                "q.blanks-1-answers-1-text": "七", "q.blanks-1-answers-2-text": "7",
                "q.blanks-2-answers-rows": "2", "q.blanks-2-answers-1-text": "七天无理由退货",
                "q.blanks-2-answers-2-text": "退货", "q.blanks-2-answers-2-credit": "50"},
    "numeric": {"q.prompt": "满 300 减 40，买 320 元实付多少？", "q.points": "2",
                "q.answers-rows": "1", "q.answers-1-value": "280", "q.answers-1-tolerance": "0.5",
                "q.unit": "元"},
    "matching": {"q.prompt": "把群和用途配对。", "q.points": "2", "q.scoring": "all-or-nothing",
                 "q.pairs-rows": "3", "q.pairs-1-left": "客服群", "q.pairs-1-right": "排班通知",
                 "q.pairs-2-left": "物流群", "q.pairs-2-right": "跟进异常件",
                 "q.distractors": "发广告\n闲聊"},
    "short-answer": {"q.prompt": "买家投诉物流慢，你怎么回复？", "q.rubric-rows": "2",
                     "q.rubric-1-criterion": "先致歉", "q.rubric-1-points": "2",
                     "q.rubric-2-criterion": "查询并告知物流", "q.rubric-2-points": "3",
                     "q.rubric-2-guidance": "要有时间", "q.reference_answer": "抱歉让您久等……"},
    "case": {"q.scenario": "买家：快递三天没动了。", "q.questions-rows": "2",
             "q.questions-1-kind": "true-false", "q.questions-1.id": "q1",
             "q.questions-1.prompt": "应先查物流。", "q.questions-1.points": "2",
             "q.questions-1.answer": "true",
             "q.questions-2-kind": "short-answer", "q.questions-2.id": "q2",
             "q.questions-2.prompt": "写出回复。", "q.questions-2.rubric-rows": "1",
             "q.questions-2.rubric-1-criterion": "致歉并说明", "q.questions-2.rubric-1-points": "4"},
    "operation-task": {"q.prompt": "按缺货情况写订单备注。", "q.form-rows": "3",
                       "q.form-1-label": "备注原因", "q.form-1-type": "text",
                       "q.form-1-rule": "contains-all", "q.form-1-values": "缺货\n换款",
                       "q.form-1-points": "2",
                       "q.form-2-label": "处理方式", "q.form-2-type": "select",
                       "q.form-2-options": "同意退款\n联系买家核实", "q.form-2-rule": "exact",
                       "q.form-2-value": "联系买家核实", "q.form-2-points": "1",
                       "q.form-3-label": "其他说明", "q.form-3-type": "text"},
}

# A part of each saved definition that shows the form was read as the trainer meant it.
SAVED: dict[str, dict[str, object]] = {
    "single-choice": {"tags": ["stage:basics", "topic:发货承诺", "topic:快递", "role:after-sales"],
                      "choices": [{"key": "a", "text": "先确认能否改发，再答复", "correct": True},
                                  {"key": "b", "text": "直接答应", "correct": False, "credit": 25},
                                  {"key": "c", "text": "不理会", "correct": False}]},
    "multiple-choice": {"scoring": "proportional"},
    "true-false": {"answer": False, "feedback_incorrect": "抬头须与买家提供的一致。"},
    "fill-in": {"blanks": [{"answers": [{"text": "七", "credit": 100}, {"text": "7", "credit": 100}]},
                           {"answers": [{"text": "七天无理由退货", "credit": 100},
                                        {"text": "退货", "credit": 50}]}]},
    "numeric": {"answers": [{"value": 280, "tolerance": 0.5, "credit": 100}], "unit": "元"},
    "matching": {"scoring": "all-or-nothing", "distractors": ["发广告", "闲聊"]},
    "short-answer": {"points": 5},
    "case": {"points": 6},
    "operation-task": {"points": 3},
}
