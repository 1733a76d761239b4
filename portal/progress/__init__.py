"""Trainers' and supervisors' views of their cohorts' progress: the grid and the timeline."""
