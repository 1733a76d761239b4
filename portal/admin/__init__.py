"""Administration: accounts, cohorts, bulk imports and the audit log."""
