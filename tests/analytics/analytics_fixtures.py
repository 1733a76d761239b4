"""The data of the item analysis's exam world (`tests.factories.build_exam_world`): the
demo bank's exam (six auto-graded questions, ten points each), ten trainees of one cohort
with known answers (T1-T5 below, and T8-T12 answering as T1-T5: ten first attempts, the
fewest on which a flag is acted on; duplicating the rows changes no facility or
correlation), a sixth whose attempt waits for a trainer, a seventh still writing, and a
trainer of another cohort.

Points by trainee (positions: 1 single, 2 multiple, 3 true/false, 4 fill-in, 5 numeric,
6 operation task):

    T1  10 10 10 10 10 10   (all right)
    T2  10 10 10  0  0  0
    T3  10  0 10  0  0  0
    T4   0  0 10  0  0  0
    T5   0  0 10  0  0  0   (and a second attempt, all right)

Everyone answers the true/false question right: it is flagged too easy.
"""
from __future__ import annotations

from typing import Any

from tests.exams.exam_fixtures import ANSWERS_RIGHT

WRONG_REST = {4: ["蓝"], 5: "1", 6: {"reason": "", "staff_id": ""}}
ANSWERS: list[dict[int, Any]] = [
    ANSWERS_RIGHT,
    {1: "a", 2: ["a", "b"], 3: True, **WRONG_REST},
    {1: "a", 2: ["a"], 3: True, **WRONG_REST},
    {1: "b", 2: ["c"], 3: True, **WRONG_REST},
    {1: "b", 2: ["c"], 3: True, **WRONG_REST},
]
