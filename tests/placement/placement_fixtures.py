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
