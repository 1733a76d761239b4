"""Exam files with blueprints over the demo bank (tests/exams/exam_fixtures.BANK: six
questions of stage:basics, one of each kind single/multiple/true-false/fill-in/numeric/
operation-task)."""
from __future__ import annotations

# Three random questions of the stage may or may not hold the operation task.
LEFT_TO_CHANCE = """key: blueprint-exam
title: 蓝图考试
instructions: 共 3 题，含上机操作题。
questions:
  random:
    - count: 3
      tags: [stage:basics]
require:
  kinds:
    operation-task: 1
"""

# A pick of the task's own kind makes it certain.
PROVED = """key: blueprint-exam
title: 蓝图考试
instructions: 共 3 题，含上机操作题。
questions:
  random:
    - count: 1
      kinds: [operation-task]
    - count: 2
      tags: [stage:basics]
require:
  kinds:
    operation-task: 1
  tags:
    stage:basics: 3
"""

# No blueprint: the instructions promise an operation task that chance may leave out.
PROMISED_ONLY = """key: blueprint-exam
title: 蓝图考试
instructions: 共 3 题，含上机操作题。
questions:
  random:
    - count: 3
      tags: [stage:basics]
"""

ACKNOWLEDGED = PROMISED_ONLY + """acknowledged:
  - {warning: coverage, reason: 练习卷，操作题不保证每次都有}
"""

BAD_BLUEPRINT = """key: blueprint-exam
title: 蓝图考试
questions:
  random:
    - count: 1
      kinds: [operation]
require:
  kinds:
    essay: 1
  tags:
    发货承诺: 1
    stage:basics: 0
"""
