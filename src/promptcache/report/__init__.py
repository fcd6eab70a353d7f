"""The audit report: one data model, and renderers that are pure functions of it."""
