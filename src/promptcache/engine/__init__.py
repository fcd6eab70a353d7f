"""The rule engine: the rule API, findings and their evidence, and the detectors rules share."""
