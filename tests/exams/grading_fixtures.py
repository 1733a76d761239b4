"""A bank with a short answer and a case, two exams over it and a track whose first stage one
of them assesses: what the grading tests (services, views, browser) are built from."""
from __future__ import annotations

from typing import Any

TRACK_KEY = "grading-track"

BANK = """
key: grading-bank
title: 评分测试题库
questions:
  - id: choice
    kind: single-choice
    prompt: 顾客要求改收货地址，第一步做什么？
    points: 10
    tags: [stage:s1]
    explanation: 先看订单是否已发货。
    choices:
      - {key: a, text: 先核对订单状态, correct: true}
      - {key: b, text: 直接修改地址}
  - id: essay
    kind: short-answer
    prompt: 顾客投诉物流太慢，你怎么回复？
    tags: [stage:s1]
    explanation: 致歉、查询、给出时间。
    reference_answer: 先致歉，再查询物流，告诉顾客预计送达时间。
    rubric:
      - {criterion: 先安抚并致歉, points: 4, guidance: 有明确的致歉即可得分}
      - {criterion: 查询并说明物流, points: 6}
  - id: case
    kind: case
    tags: [stage:s1]
    scenario: 顾客说包裹里少了一件商品。
    questions:
      - id: q1
        kind: true-false
        prompt: 应先核实仓库的发货记录。
        points: 4
        answer: true
      - id: q2
        kind: short-answer
        prompt: 写出你的处理步骤。
        rubric:
          - {criterion: 核实发货记录, points: 3}
          - {criterion: 补发或退款, points: 3}
"""

EXAM = """
key: grading-exam
title: 评分测试考试
pass_mark: 60
time_limit_minutes: 30
attempts: 2
counts: highest
wait_minutes: 0
shuffle_questions: false
shuffle_options: false
review: {when: after-submit, show: [score, responses, correct, explanations]}
questions:
  fixed: [grading-bank/choice, grading-bank/essay, grading-bank/case]
"""

STAGED_EXAM = EXAM.replace("key: grading-exam", "key: grading-staged").replace(
    "title: 评分测试考试", f"title: 入门阶段考核\ntrack: {TRACK_KEY}\nstage: s1")

STAGES: list[dict[str, Any]] = [
    {"key": key, "title": title, "summary": "", "kind": "modules", "planned_day": day,
     "planned_duration": "半天", "modules": [], "assessment": assessment, "roles": ["all"],
     "checklist": []}
    for key, title, day, assessment in (("s1", "入门", 1, "grading-staged"),
                                        ("s2", "操作", 2, None))]

# Choice right, an essay and a case part for a trainer, the case's true/false right.
ANSWERS: dict[int, Any] = {1: "a", 2: "先向顾客道歉，然后查询物流并告知预计时间。",
                           3: {"q1": True, "q2": "先核实发货记录，再给顾客补发。"}}
FULL_ESSAY = {"1": 4, "2": 6}
FULL_CASE = {"q2": {"1": 3, "2": 3}}
