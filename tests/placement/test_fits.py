"""Fit per role from evidence and policy, and exam area scores: pure, no database."""
from __future__ import annotations

import pytest

from portal.exams.areas import Area, ScoredQuestion, area_scores
from portal.placement.fits import (
    Evidence,
    Missing,
    RolePolicy,
    Source,
    Weight,
    observation_percent,
    role_fit,
)
from portal.placement.rules import PlacementRole

PRE = PlacementRole.PRE_SALES
POLICY = RolePolicy(PRE, (Weight(Source.EXAM, "pre-sales", 3), Weight(Source.CHAT, "general", 1),
                          Weight(Source.OBSERVATION, "service/product_intro", 1)))
AREAS = {"role:pre-sales": "pre-sales", "role:after-sales": "after-sales", "role:all": "general"}


def test_the_fit_is_the_weighted_mean_of_all_evidence() -> None:
    evidence = Evidence(exams={"pre-sales": 80}, chat={"general": 60},
                        observations={"service/product_intro": 4})  # 4 of 5 -> 75
    fit = role_fit(POLICY, evidence, missing=Missing.REWEIGH)
    assert fit.fit == round((3 * 80 + 60 + 75) / 5, 2) and not fit.missing
    assert [(p.source, p.value) for p in fit.parts] == [
        (Source.EXAM, 80), (Source.CHAT, 60), (Source.OBSERVATION, 75)]


def test_partial_evidence_is_reweighed_over_what_is_there_and_listed_as_missing() -> None:
    fit = role_fit(POLICY, Evidence(exams={"pre-sales": 90}), missing=Missing.REWEIGH)
    assert fit.fit == 90 and fit.solver_fit == 90
    assert [(w.source, w.key) for w in fit.missing] == [
        (Source.CHAT, "general"), (Source.OBSERVATION, "service/product_intro")]


def test_with_exclude_partial_evidence_closes_the_role() -> None:
    fit = role_fit(POLICY, Evidence(exams={"pre-sales": 90}), missing=Missing.EXCLUDE)
    assert fit.excluded and fit.fit is None and fit.solver_fit is None
    full = Evidence(exams={"pre-sales": 90}, chat={"general": 90},
                    observations={"service/product_intro": 5})
    assert role_fit(POLICY, full, missing=Missing.EXCLUDE).fit == 92.0  # (270 + 90 + 100) / 5


def test_no_evidence_is_no_fit_never_an_invented_score() -> None:
    fit = role_fit(POLICY, Evidence(), missing=Missing.REWEIGH)
    assert fit.fit is None and len(fit.missing) == 3 and not fit.parts
    assert fit.solver_fit == 0.0  # the solver ranks any evidence above none


def test_a_weight_of_zero_leaves_its_evidence_out_entirely() -> None:
    policy = RolePolicy(PRE, (Weight(Source.EXAM, "pre-sales", 1),
                              Weight(Source.CHAT, "general", 0)))
    fit = role_fit(policy, Evidence(exams={"pre-sales": 50}, chat={"general": 100}),
                   missing=Missing.EXCLUDE)
    assert fit.fit == 50 and not fit.missing and len(fit.parts) == 1
    assert role_fit(policy, Evidence(exams={"pre-sales": 50}), missing=Missing.EXCLUDE).fit == 50


@pytest.mark.parametrize(("score", "percent"), [(1, 0), (2, 25), (3, 50), (5, 100)])
def test_observation_scores_map_onto_zero_to_a_hundred(score: int, percent: float) -> None:
    assert observation_percent(score) == percent


def test_area_scores_count_the_questions_carrying_an_areas_tag() -> None:
    questions = [ScoredQuestion(("role:pre-sales",), 10, 10),
                 ScoredQuestion(("role:pre-sales", "stage:x"), 0, 10),
                 ScoredQuestion(("role:after-sales",), 5, 10),
                 ScoredQuestion(("role:all", "role:pre-sales"), 20, 20),  # counts in both
                 ScoredQuestion(("stage:x",), 0, 50)]  # feeds no area
    assert area_scores(AREAS, questions) == {Area.PRE_SALES: 75.0, Area.AFTER_SALES: 50.0,
                                             Area.GENERAL: 100.0}


def test_area_scores_leave_out_areas_no_question_feeds_and_ungraded_points_count_zero() -> None:
    assert area_scores(AREAS, []) == {}
    assert area_scores({}, [ScoredQuestion(("role:pre-sales",), 10, 10)]) == {}
    assert area_scores(AREAS, [ScoredQuestion(("role:after-sales",), None, 10)]) == {
        Area.AFTER_SALES: 0.0}
    assert area_scores(AREAS, [ScoredQuestion(("role:all",), 0, 0)]) == {}
