"""Accounts, roles, cohorts and signing in."""
