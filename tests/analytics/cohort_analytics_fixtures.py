"""Data for the cohort analytics tests: a three-stage track, a bank and two stage exams over
it, and the week's clock (China time; the cohort starts on Monday 23 November 2026).

The world built from it (tests.factories.build_cohort_analytics_world) is described, with
every figure it must give, in tests/analytics/test_cohort_service.py.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

TRACK_KEY = "ana-track"
TRACK_TITLE = "分析测试路线"
START = date(2026, 11, 23)  # a Monday: working day 1; Friday the 27th is day 5
CHINA = timezone(timedelta(hours=8))
TZ = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """Day `day` from Monday the 23rd (1; Friday is 5) at hour:minute China time, in UTC."""
    return datetime.combine(START + timedelta(days=day - 1), time(hour, minute),
                            tzinfo=CHINA).astimezone(UTC)


READ_AT = at(5, 17, 30)  # when the tests read the analytics: Friday, 17:30

MODULES = {"m-a": "运费与时效", "m-b": "订单流程", "m-c": "退换货处理", "m-d": "接待实战"}


def _stage(key: str, title: str, day: int, duration: str, modules: list[str],
           assessment: str | None, chat_exam: str | None = None) -> dict[str, Any]:
    return {"key": key, "title": title, "summary": "", "kind": "modules", "planned_day": day,
            "planned_duration": duration, "modules": modules, "assessment": assessment,
            "chat_exam": chat_exam, "roles": ["all"], "checklist": []}


STAGES: list[dict[str, Any]] = [
    _stage("s1", "入门", 1, "半个工作日", ["m-a", "m-b"], "ana-basics"),
    _stage("s2", "售后", 2, "1-2 个工作日", ["m-c"], "ana-after"),
    # The chat tests' drill `one` (no stage of its own): its passes never complete s3.
    _stage("s3", "实战", 4, "第 4-5 个工作日", ["m-d"], None, chat_exam="one"),
]

BANK = """
key: ana-bank
title: 分析测试题库
questions:
  - id: freight
    kind: single-choice
    prompt: 顾客问包裹几天能到，你先做什么？
    points: 10
    tags: [stage:s1]
    choices:
      - {key: a, text: 先查物流再答复, correct: true}
      - {key: b, text: 直接说明天到}
  - id: essay
    kind: short-answer
    prompt: 顾客催发货，你怎么回复？
    tags: [stage:s1]
    reference_answer: 先致歉，再查询，告知发货时间。
    rubric:
      - {criterion: 先致歉, points: 4}
      - {criterion: 说明发货时间, points: 6}
  - id: refund
    kind: true-false
    prompt: 还没发货的订单，买家申请退款可以直接同意。
    points: 10
    tags: [stage:s2]
    answer: true
"""

_EXAM = """
key: {key}
title: {title}
track: ana-track
stage: {stage}
pass_mark: 60
time_limit_minutes: 30
attempts: 3
counts: highest
wait_minutes: 0
shuffle_questions: false
shuffle_options: false
review: {{when: after-submit, show: [score]}}
questions:
  fixed: [{questions}]
"""
BASICS = _EXAM.format(key="ana-basics", title="入门考核", stage="s1",
                      questions="ana-bank/freight, ana-bank/essay")
AFTER = _EXAM.format(key="ana-after", title="售后考核", stage="s2", questions="ana-bank/refund")

ESSAY = "非常抱歉让您久等了，我马上帮您查询，今天下午就能发出。"
RIGHT = "a"   # freight: the key
WRONG = "b"
# Rubric scores of the essay (criterion number -> points): 10, 8 and 4 of 10.
FULL = {"1": 4, "2": 6}
EIGHT = {"1": 4, "2": 4}
FOUR = {"1": 4, "2": 0}
