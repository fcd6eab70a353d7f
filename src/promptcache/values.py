"""Name the kind of a value that changes between requests: a timestamp, a UUID, a counter...

Only used to word findings; a rule fires on the evidence of change, never on the shape of a
string alone.
"""

from __future__ import annotations

import re

_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("UUID", re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                        r"[0-9a-fA-F]{12}")),
    ("timestamp", re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}")),
    ("timestamp", re.compile(r"\b1[5-9]\d{8}(?:\d{3})?\b")),
    ("date", re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}|"
                        r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{1,2}"
                        r"|\b\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)",
                        re.IGNORECASE)),
    ("time of day", re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?")),
    ("weekday", re.compile(r"\b(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\b", re.IGNORECASE)),
    ("email address", re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")),
    ("request id", re.compile(r"\b(?:req|run|trace|span|call|chatcmpl|msg|resp)[_-]"
                              r"[A-Za-z0-9]{6,}")),
    ("hex id", re.compile(r"\b[0-9a-f]{12,}\b")),
    ("random token", re.compile(r"\b(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])"
                                r"[A-Za-z0-9_-]{16,}\b")),
    ("number", re.compile(r"\d+")),
)


def classify(old: str, new: str) -> str:
    """A short noun for what changed between ``old`` and ``new`` (``value`` if unsure)."""
    for label, pattern in _KINDS:
        if pattern.search(old) and pattern.search(new):
            return label
    return "value"
