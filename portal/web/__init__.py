"""HTTP glue shared by every domain: rendering, access control, errors, security headers."""
