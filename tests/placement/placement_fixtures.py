"""Test data for placement: the issue's example cohort and small random cohorts."""
from __future__ import annotations

from hypothesis import strategies as st

from portal.placement.rules import Cohort, PlacementRole, TraineeFit

PRE, AFTER = PlacementRole.PRE_SALES, PlacementRole.AFTER_SALES

# The example, grown to five trainees so that a preference goes unmet.
EXAMPLE_YAML = """\
capacities: {pre-sales: 3, after-sales: 2}   # a role's maximum; every trainee is placed
preference_bonus: 5                          # added to the fit of the preferred role
trainees:
  - {id: T01, preference: pre-sales, fit: {pre-sales: 82.5, after-sales: 74}}
  - {id: T02, preference: pre-sales, fit: {pre-sales: 70, after-sales: 90}}
  - {id: T03, preference: after-sales, fit: {pre-sales: 60, after-sales: 61}}
  - {id: T04, preference: after-sales, fit: {pre-sales: 88, after-sales: 60}}
  - {id: T05, fit: {pre-sales: 75}}
"""

# A few values only, so that equal totals (ties) are common; halves test the exact sums.
FITS = st.sampled_from([0, 0.5, 1, 1.5, 2, 80, 80.25])


@st.composite
def cohorts(draw: st.DrawFn, max_trainees: int = 6) -> Cohort:
    roles = draw(st.permutations([PRE, AFTER]))
    capacities = {r: draw(st.integers(0, 4)) for r in roles}
    trainees = []
    for number in range(draw(st.integers(1, max_trainees))):
        fit = {r: draw(FITS) for r in roles if draw(st.integers(0, 5)) > 0}
        preference = draw(st.sampled_from([None, PRE, AFTER]))
        trainees.append(TraineeFit(trainee_id=f"T{number:02d}", fit=fit, preference=preference))
    return Cohort(capacities=capacities, trainees=tuple(trainees),
                  preference_bonus=draw(st.sampled_from([0, 0.5, 5])))


# --- the database side -----------------------------------------------------------------------

# Two questions per area (10 points each) so that area scores are easy to check by hand.
AREA_BANK = """
key: placement-bank
title: 定岗测试题库
questions:
  - {id: pre1, kind: true-false, prompt: 催付宜在截单前提醒。, points: 10, difficulty: easy, tags: ["role:pre-sales"], answer: true}
  - {id: pre2, kind: true-false, prompt: 推荐前要先查实际库存。, points: 10, difficulty: easy, tags: ["role:pre-sales"], answer: true}
  - {id: after1, kind: true-false, prompt: 退款后要确认已同步到发货系统。, points: 10, difficulty: easy, tags: ["role:after-sales"], answer: true}
  - {id: after2, kind: true-false, prompt: 处理纠纷时先给方案再查原因。, points: 10, difficulty: easy, tags: ["role:after-sales"], answer: false}
  - {id: all1, kind: true-false, prompt: 响应时间 100 秒以上算差。, points: 20, difficulty: easy, tags: ["role:all"], answer: true}
"""

AREA_EXAM = """
key: placement-exam
title: 定岗测试考试
pass_mark: 60
time_limit_minutes: 30
attempts: 3
counts: {counts}
wait_minutes: 0
shuffle_questions: false
shuffle_options: false
review: {{when: after-submit, show: [score]}}
areas:
  role:pre-sales: pre-sales
  role:after-sales: after-sales
  role:all: general
questions:
  fixed: [placement-bank/pre1, placement-bank/pre2, placement-bank/after1, placement-bank/after2, placement-bank/all1]
"""

# Answers by position (the exam's fixed order): all right, and pre-sales half wrong.
ALL_RIGHT = {1: True, 2: True, 3: True, 4: False, 5: True}
PRE_HALF = {1: False, 2: True, 3: True, 4: False, 5: False}

# A policy small enough to check fits by hand.
POLICY_YAML = """\
preference_bonus: 5
missing: {missing}
roles:
  pre-sales:
    exams: {{pre-sales: 3, general: 1}}
    observations: {{service/product_intro: 1}}
  after-sales:
    exams: {{after-sales: 3, general: 1}}
    observations: {{service/after_sales: 1}}
"""
