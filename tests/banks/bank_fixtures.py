"""A small bank for the bank-management tests; its keys and explanations carry a sentinel."""
from __future__ import annotations

SENTINEL = "KEY-SENTINEL-7731"

SMALL_BANK = f"""\
key: after-sales-small
title: 售后小题库
questions:
  - id: promise-01
    kind: single-choice
    prompt: 客服没有答应发韵达，店铺发了申通，算违背承诺吗？
    points: 2
    difficulty: easy
    tags: [stage:practice, topic:发货承诺, role:after-sales]
    choices:
      - text: 不算，承诺以聊天记录为准
        correct: true
        feedback: 正确 {SENTINEL}
      - text: 算
    explanation: 承诺以聊天记录为准 {SENTINEL}
  - id: invoice-01
    kind: true-false
    prompt: 买家多付的钱可以开进发票。
    points: 1
    difficulty: easy
    tags: [topic:发票, role:after-sales]
    answer: false
    explanation: 发票按订单金额如实开具 {SENTINEL}
  - id: aov-01
    kind: numeric
    prompt: 销售额３００００元、100 单，客单价是多少元？
    points: 2
    difficulty: hard
    tags: [stage:practice, topic:KPI]
    value: 300
    unit: 元
    explanation: 30000 ÷ 100 = 300 {SENTINEL}
  - id: groups-01
    kind: matching
    prompt: 把工作群和用途对应起来。
    points: 2
    difficulty: medium
    tags: [stage:team, topic:工作群]
    pairs:
      - {{left: 客服群, right: 排班通知}}
      - {{left: 物流群, right: 催件}}
    explanation: 通知发到对的群 {SENTINEL}
"""

EXAM = """\
key: small-exam
title: 售后小测
pass_mark: 60
time_limit_minutes: 10
attempts: 2
shuffle_questions: false
shuffle_options: false
questions:
  fixed: [after-sales-small/promise-01]
  random:
    - count: 1
      tags: [stage:practice]
      difficulty: {hard: 1}
"""


# A GIFT file with nested categories and titles: what the bank browser shows as paths.
CATEGORISED_GIFT = """\
$CATEGORY: $course$/top/售后/发货承诺

// [id:promise-yunda]
::没答应的快递::客服没答应发韵达，发了申通，算违背承诺吗？{F}

// [id:promise-48h]
承诺 48 小时内发货，第三天才发，算违背承诺吗？{T}

$CATEGORY: $course$/top/售后/发票

// [id:invoice-title]
::改抬头::开票后买家要改抬头，可以作废重开吗？{T}

$CATEGORY: $course$/top/售前

// [id:presale-deposit]
预售定金在尾款未付时可以退吗？{F}
"""
