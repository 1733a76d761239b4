"""A track of its own for the trainee's journey: stage 1 passes by a written exam (two
attempts, a wait between them), stage 2 is marked by a trainer, stage 3 is a checklist."""
from __future__ import annotations

from typing import Any

TRACK_KEY = "journey"
EXAM_KEY = "journey-basics"
STAGES: list[dict[str, Any]] = [
    {"key": "basics", "title": "基础入门", "summary": "", "kind": "modules", "planned_day": 1,
     "planned_duration": "半天", "modules": ["j-intro", "j-rules"], "assessment": EXAM_KEY,
     "roles": ["all"], "checklist": []},
    {"key": "handling", "title": "接待实操", "summary": "", "kind": "modules", "planned_day": 2,
     "planned_duration": "1 天", "modules": ["j-handling"], "roles": ["all"], "checklist": []},
    {"key": "team", "title": "融入团队", "summary": "", "kind": "team-integration",
     "planned_day": 3, "planned_duration": "半天", "modules": [], "roles": ["all"],
     "checklist": [{"key": "cs-group", "title": "客服群", "purpose": "接收通知",
                    "rules": "通知发到对的群"}]},
]
MODULE_TITLES = {"j-intro": "认识店铺", "j-rules": "平台规则", "j-handling": "接待流程"}
# The demo bank's auto-graded questions (tests/exams/exam_fixtures.BANK), staged on basics.
EXAM = f"""
key: {EXAM_KEY}
title: 基础入门考核
track: {TRACK_KEY}
stage: basics
pass_mark: 60
time_limit_minutes: 30
time_warning_minutes: 5
attempts: 2
counts: highest
wait_minutes: 30
shuffle_questions: false
shuffle_options: true
review: {{when: after-submit, show: [score, responses, correct, explanations]}}
questions:
  fixed: [demo-bank/single, demo-bank/multi, demo-bank/tf, demo-bank/fill, demo-bank/num, demo-bank/task]
"""
