"""Placement: the optimal assignment of a cohort's new hires to roles, and staffing plans.

Pure parts: `rules.py` (typed cohorts, placements, explanations and the Double-11 staffing
formula), `solver.py` (the optimal assignment), `fits.py` (fit per role from evidence and
policy), `policy.py` and `files.py` (the policy and cohort files). In the database:
`models.py` and `services.py` (preferences, plans, proposals, changes, the confirmation);
pages in `views.py`; `flask placement …` in `cli.py`. See docs/placement.md.
"""
