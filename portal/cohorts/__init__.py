"""The cohort dashboard and the exports for HR."""
