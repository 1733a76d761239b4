"""A small bank and exam for attempt tests; every secret carries a sentinel string."""
from __future__ import annotations

SENTINEL = "SECRET-KEY-SENTINEL"

BANK = f"""
key: demo-bank
title: 测试题库
questions:
  - id: single
    kind: single-choice
    prompt: 客单价怎么算？
    points: 10
    difficulty: easy
    tags: [stage:basics]
    explanation: 销售额除以订单数 {SENTINEL}
    choices:
      - {{key: a, text: 销售额除以订单数, correct: true, feedback: 对 {SENTINEL}}}
      - {{key: b, text: 订单数除以销售额}}
      - {{key: c, text: 销售额除以访客数}}
  - id: multi
    kind: multiple-choice
    prompt: 哪些是信息安全要求？
    points: 10
    difficulty: medium
    tags: [stage:basics]
    explanation: 一人一号、不共享密码 {SENTINEL}
    scoring: all-or-nothing
    choices:
      - {{key: a, text: 一人一号, correct: true}}
      - {{key: b, text: 不共享密码, correct: true}}
      - {{key: c, text: 把客户信息发到公共群}}
  - id: tf
    kind: true-false
    prompt: 响应时间 100 秒以上算差。
    points: 10
    difficulty: easy
    tags: [stage:basics]
    answer: true
    explanation: 100 秒以上为差 {SENTINEL}
  - id: fill
    kind: fill-in
    prompt: 订单备注用小什么旗？
    points: 10
    difficulty: medium
    tags: [stage:basics]
    answers: [红, 红色, {SENTINEL}]
    explanation: 小红旗 {SENTINEL}
  - id: num
    kind: numeric
    prompt: 销售额 30000 元、100 单，客单价多少元？
    points: 10
    difficulty: hard
    tags: [stage:basics]
    value: 300
    tolerance: 0
    unit: 元
    explanation: 30000 ÷ 100 = 300 {SENTINEL}
  - id: task
    kind: operation-task
    prompt: 买家改了地址，写订单备注。
    difficulty: medium
    tags: [stage:basics]
    explanation: 备注要有事由、工号、时间 {SENTINEL}
    form:
      - name: reason
        label: 变动事由
        type: text
        check: {{rule: contains-all, values: [地址, {SENTINEL}]}}
        points: 5
      - name: staff_id
        label: 工号
        type: text
        check: {{rule: regex, pattern: "KF\\\\d{{4}}"}}
        points: 5
"""

EXAM = """
key: demo-exam
title: 测试考试
pass_mark: 60
time_limit_minutes: 30
attempts: 2
counts: highest
wait_minutes: 0
shuffle_questions: false
shuffle_options: false
review: {when: after-submit, show: [score, responses, correct, explanations]}
questions:
  fixed: [demo-bank/single, demo-bank/multi, demo-bank/tf, demo-bank/fill, demo-bank/num, demo-bank/task]
"""

ANSWERS_RIGHT = {1: "a", 2: ["a", "b"], 3: True, 4: ["红"], 5: "300",
                 6: {"reason": f"地址变更 {SENTINEL}", "staff_id": "KF0123"}}
