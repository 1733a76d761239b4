"""Observation forms: the skills, service and attitude tables that staff fill in during the
onboarding week (format: docs/observation-format.md)."""
