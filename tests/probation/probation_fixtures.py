"""Data for the probation tests: a policy, evidence builders' inputs, broken policy files."""
from __future__ import annotations

from datetime import date

from portal.config import PROJECT_ROOT
from portal.probation.rules import AssessmentKind, FormStandard, Policy

POLICY_FILE = PROJECT_ROOT / "question_banks" / "probation" / "policy.yaml"
SCHEDULED = date(2026, 12, 23)
TODAY = date(2026, 12, 20)

POLICY = Policy(probation_days=30, extension_days=30, track_assessments=True, assessments=(),
                standards=(FormStandard("service", 3.0, 2, 3),), near_miss_margin=0.3,
                no_critical=True, critical_repeat=2)

EXAM = AssessmentKind.EXAM
CHAT = AssessmentKind.CHAT_EXAM

GOOD = POLICY_FILE.read_text(encoding="utf-8")

# (file text, the line the problem must name, a piece of the Chinese message)
BROKEN = [
    (GOOD.replace("probation_days: 30 ", "probation_days: 0 "), 4, "probation_days 应为 1 到 366"),
    (GOOD.replace("extension_days: 30 ", "extension_days: 三十 "), 5, "extension_days 应为"),
    (GOOD.replace("  track_stages: true ", "  track_stages: yes-please "), 8, "track_stages 应为 true 或 false"),
    (GOOD.replace("min_mean: 3, min_required: 2, min_items: 6}\n  - {form: service",
                  "min_mean: 6, min_required: 2, min_items: 6}\n  - {form: service"), 13,
     "min_mean 应为 1 到 5"),
    (GOOD.replace("{form: attitude,", "{form: service,"), 15, "观察表 service 的标准重复"),
    (GOOD.replace("  standard_missed: do_not_confirm", "  standard_missed: fire"), 26,
     "standard_missed 应为 extend"),
    (GOOD.replace("  assessment_failed: extend\n", "  assessment_failed: extend\n  typo_case: extend\n"),
     24, "未知字段 typo_case"),
    (GOOD.replace("critical_repeat: 2 ", "critical_repeat: 1 "), 19, "critical_repeat 应为 2 到 20"),
    (GOOD.replace("near_miss_margin: 0.3", "near_miss_margin: &m 0.3"), 16, "锚点"),
    (GOOD + "colour: red\n", 30, "未知字段 colour"),
]
