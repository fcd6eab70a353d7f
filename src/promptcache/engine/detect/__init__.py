"""Detectors shared by several rules: evidence found once, reported by the rule for its kind."""
