"""Probation (转正): the policy, the recommendation with its evidence, and the append-only trail of proposals and decisions (maker-checker)."""
