"""A small track of its own (three stages, five modules) for the progress tests.

The progress tests build their track from this rather than importing courses/, so that
they do not change meaning when the course content is edited.
"""
from __future__ import annotations

from datetime import date
from typing import Any

TRACK_KEY = "progress-test"
# Cohort start Monday 2026-11-23: s1 is planned that day, s2 on Tuesday 24th, s3 on Thursday 26th.
START = date(2026, 11, 23)
STAGES: list[dict[str, Any]] = [
    {"key": "s1", "title": "入门", "summary": "", "kind": "modules", "planned_day": 1,
     "planned_duration": "半天", "modules": ["m-a", "m-b"], "assessment": "x", "roles": ["all"],
     "checklist": []},
    {"key": "s2", "title": "操作", "summary": "", "kind": "modules", "planned_day": 2,
     "planned_duration": "1 天", "modules": ["m-c"], "assessment": "y", "roles": ["all"],
     "checklist": []},
    {"key": "s3", "title": "实践", "summary": "", "kind": "modules", "planned_day": 4,
     "planned_duration": "2 天", "modules": ["m-d", "m-e"], "assessment": "z", "roles": ["all"],
     "checklist": []},
]
MODULE_TITLES = {"m-a": "模块甲", "m-b": "模块乙", "m-c": "模块丙", "m-d": "模块丁", "m-e": "模块戊"}
