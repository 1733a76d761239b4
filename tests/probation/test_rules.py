"""The recommendation, table by table: each row is a trainee's evidence and what must come out."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from portal.probation import rules
from portal.probation.rules import (
    AssessmentEvidence,
    AttemptEvidence,
    EvidenceKind,
    Finding,
    FormEvidence,
    ItemEvidence,
    Outcome,
)
from tests.probation import probation_fixtures as fx


def _form(*scores: int | None, required: int = 2) -> FormEvidence:
    items = tuple(ItemEvidence(key=f"i{n}", title=f"项{n}", required=n < required,
                               entry_id=100 + n if s is not None else None, score=s)
                  for n, s in enumerate(scores))
    return FormEvidence(key="service", title="服务质量观察表", items=items)


def _exam(*attempts: tuple[float, bool | None], passed: bool | None = None,
          available: bool = True) -> AssessmentEvidence:
    found = tuple(AttemptEvidence(id=10 + n, number=n + 1, score=s, passed=p)
                  for n, (s, p) in enumerate(attempts))
    return AssessmentEvidence(fx.EXAM, "basics", "基础知识考核",
                              passed=any(a.passed for a in found) if passed is None else passed,
                              attempts=found, available=available)


def _chat(*violations: tuple[str, ...], passed: bool = True) -> AssessmentEvidence:
    found = tuple(AttemptEvidence(id=50 + n, number=n + 1, score=80.0, passed=not v,
                                  violations=v) for n, v in enumerate(violations))
    return AssessmentEvidence(fx.CHAT, "drill", "售前接待模拟", passed=passed, attempts=found)


PASSED = _exam((85.0, True))
GOOD_FORM = _form(4, 4, 3, 3)

CASES = [
    # (name, assessments, form, extended, outcome, failures)
    ("everything met", (PASSED, _chat(())), GOOD_FORM, False, Outcome.CONFIRM, []),
    ("exam never taken", (_exam(),), GOOD_FORM, False, Outcome.EXTEND,
     [Finding.ASSESSMENT_MISSING]),
    ("exam still being graded", (_exam((0.0, None)),), GOOD_FORM, False, Outcome.EXTEND,
     [Finding.ASSESSMENT_MISSING]),
    ("exam not open yet", (_exam(available=False),), GOOD_FORM, False, Outcome.EXTEND,
     [Finding.ASSESSMENT_MISSING]),
    ("exam failed twice", (_exam((40.0, False), (55.0, False)),), GOOD_FORM, False,
     Outcome.EXTEND, [Finding.ASSESSMENT_FAILED]),
    ("failed then passed", (_exam((40.0, False), (75.0, True)),), GOOD_FORM, False,
     Outcome.CONFIRM, []),
    ("one critical violation", (PASSED, _chat(("引导平台外交易",), ())), GOOD_FORM, False,
     Outcome.EXTEND, [Finding.CRITICAL_VIOLATION]),
    ("critical violation repeated", (PASSED, _chat(("答应抬高价格",), ("粗鲁",), passed=False)),
     GOOD_FORM, False, Outcome.DO_NOT_CONFIRM,
     [Finding.ASSESSMENT_FAILED, Finding.CRITICAL_REPEATED]),
    ("too few items scored", (PASSED,), _form(4, 4, None, None), False, Outcome.EXTEND,
     [Finding.OBSERVATION_MISSING]),
    ("a required item not scored", (PASSED,), _form(None, 4, 4, 4), False, Outcome.EXTEND,
     [Finding.OBSERVATION_MISSING]),
    ("mean exactly at the standard", (PASSED,), _form(3, 3, 3, 3), False, Outcome.CONFIRM, []),
    ("mean short by the margin: near miss", (PASSED,), _form(3, 3, 3, 3, 3, 3, 3, 3, 3, 2),
     False, Outcome.EXTEND, [Finding.STANDARD_NEAR_MISS]),
    ("mean far short", (PASSED,), _form(2, 2, 2, 3), False, Outcome.DO_NOT_CONFIRM,
     [Finding.STANDARD_MISSED]),
    ("a required item below the minimum", (PASSED,), _form(1, 5, 5, 5), False,
     Outcome.DO_NOT_CONFIRM, [Finding.STANDARD_MISSED]),
    ("an optional item low is fine", (PASSED,), _form(4, 4, 1, 4), False, Outcome.CONFIRM, []),
    ("near miss after an extension", (PASSED,), _form(3, 3, 3, 3, 3, 3, 3, 3, 3, 2), True,
     Outcome.DO_NOT_CONFIRM, [Finding.STANDARD_NEAR_MISS, Finding.MISSED_AFTER_EXTENSION]),
    ("met after an extension", (PASSED,), GOOD_FORM, True, Outcome.CONFIRM, []),
]


@pytest.mark.parametrize(("assessments", "form", "extended", "outcome", "failures"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_recommendation(assessments: tuple[AssessmentEvidence, ...], form: FormEvidence,
                        extended: bool, outcome: Outcome, failures: list[Finding]) -> None:
    evidence = rules.Evidence(scheduled=fx.SCHEDULED, assessments=assessments,
                              forms={"service": form}, extended=extended)
    found = rules.recommend(fx.POLICY, evidence, fx.TODAY)
    assert found.outcome is outcome
    assert [r.finding for r in found.failures] == failures
    # Every reason says something in Chinese; the passes are listed too.
    assert all(str(r.message) for r in found.reasons)
    assert len(found.reasons) > len(found.failures) or not assessments


def test_dates_confirm_on_schedule_extend_from_the_later_of_schedule_and_today() -> None:
    base = rules.Evidence(scheduled=fx.SCHEDULED, assessments=(PASSED,),
                          forms={"service": GOOD_FORM})
    assert rules.recommend(fx.POLICY, base, fx.TODAY).date == fx.SCHEDULED
    short = replace(base, assessments=(_exam(),))
    assert rules.recommend(fx.POLICY, short, fx.TODAY).date == fx.SCHEDULED + timedelta(days=30)
    late = fx.SCHEDULED + timedelta(days=10)
    assert rules.recommend(fx.POLICY, short, late).date == late + timedelta(days=30)
    worse = replace(base, forms={"service": _form(1, 1, 1, 1)})
    assert rules.recommend(fx.POLICY, worse, fx.TODAY).date == fx.TODAY


def test_reasons_link_their_evidence_attempts_and_entries() -> None:
    evidence = rules.Evidence(
        scheduled=fx.SCHEDULED, forms={"service": _form(1, 5, 5, 5)},
        assessments=(_exam((40.0, False), (55.0, False)), _chat(("引导平台外交易",), ())))
    found = {r.finding: r for r in rules.recommend(fx.POLICY, evidence, fx.TODAY).reasons}
    failed = found[Finding.ASSESSMENT_FAILED].evidence
    assert [(e.kind, e.id, e.number, e.score) for e in failed] == [
        (EvidenceKind.EXAM_ATTEMPT, 10, 1, 40.0), (EvidenceKind.EXAM_ATTEMPT, 11, 2, 55.0)]
    critical = found[Finding.CRITICAL_VIOLATION].evidence
    assert [(e.kind, e.id) for e in critical] == [(EvidenceKind.CHAT_ATTEMPT, 50)]
    low = found[Finding.STANDARD_MISSED].evidence
    assert [(e.kind, e.id, e.form_key, e.item, e.score) for e in low] == [
        (EvidenceKind.OBSERVATION_ENTRY, 100, "service", "i0", 1)]
    assert "项0 1" in str(found[Finding.STANDARD_MISSED].message)


def test_the_policy_decides_what_a_failure_leads_to() -> None:
    strict = replace(fx.POLICY, outcomes={**fx.POLICY.outcomes,
                                          Finding.ASSESSMENT_FAILED: Outcome.DO_NOT_CONFIRM})
    evidence = rules.Evidence(scheduled=fx.SCHEDULED, assessments=(_exam((40.0, False)),),
                              forms={"service": GOOD_FORM})
    assert rules.recommend(fx.POLICY, evidence, fx.TODAY).outcome is Outcome.EXTEND
    assert rules.recommend(strict, evidence, fx.TODAY).outcome is Outcome.DO_NOT_CONFIRM
    lenient = replace(fx.POLICY, no_critical=False)
    chat = replace(evidence, assessments=(PASSED, _chat(("粗鲁",), ("粗鲁",))))
    assert rules.recommend(lenient, chat, fx.TODAY).outcome is Outcome.CONFIRM


def test_a_form_not_imported_is_missing_evidence() -> None:
    evidence = rules.Evidence(scheduled=fx.SCHEDULED, assessments=(PASSED,), forms={})
    found = rules.recommend(fx.POLICY, evidence, fx.TODAY)
    assert found.outcome is Outcome.EXTEND
    assert [r.finding for r in found.failures] == [Finding.OBSERVATION_MISSING]


def test_a_pinned_recommendation_reads_back_the_same() -> None:
    evidence = rules.Evidence(scheduled=fx.SCHEDULED, forms={"service": _form(1, 5, 5, 5)},
                              assessments=(_exam((40.0, False)), _chat(("粗鲁",))))
    found = rules.recommend(fx.POLICY, evidence, fx.TODAY)
    assert rules.Recommendation.from_data(found.to_data()) == found


def test_outcome_labels_are_chinese() -> None:
    assert [o.label for o in Outcome] == ["按期转正", "延长考察期", "不予转正"]


def test_scheduled_date_from_hire_date_cohort_start_or_extension() -> None:
    start = fx.SCHEDULED - timedelta(days=30)
    assert rules.scheduled_date(hire_date=start, cohort_start=None, policy=fx.POLICY,
                                extended_to=None) == fx.SCHEDULED
    assert rules.scheduled_date(hire_date=None, cohort_start=start, policy=fx.POLICY,
                                extended_to=None) == fx.SCHEDULED
    assert rules.scheduled_date(hire_date=start, cohort_start=start, policy=fx.POLICY,
                                extended_to=fx.TODAY) == fx.TODAY
    assert rules.scheduled_date(hire_date=None, cohort_start=None, policy=fx.POLICY,
                                extended_to=None) is None


def test_a_track_not_published_is_missing_evidence() -> None:
    evidence = rules.Evidence(scheduled=fx.SCHEDULED, assessments=(),
                              forms={"service": GOOD_FORM}, track_missing=True)
    found = rules.recommend(fx.POLICY, evidence, fx.TODAY)
    assert found.outcome is Outcome.EXTEND
    assert [r.finding for r in found.failures] == [Finding.ASSESSMENT_MISSING]
    assert "培训路线尚未发布" in str(found.failures[0].message)
