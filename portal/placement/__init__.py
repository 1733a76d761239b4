"""Placement: the optimal assignment of a cohort's new hires to roles, and staffing plans.

Pure parts only so far: `rules.py` (typed cohorts, placements, explanations and the Double-11
staffing formula), `solver.py` (the optimal assignment), `files.py` (reading a cohort file)
and `flask placement …` (`cli.py`). See docs/placement.md.
"""
