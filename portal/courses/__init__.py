"""Onboarding tracks, their stages and modules, and each trainee's progress."""
