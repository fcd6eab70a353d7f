"""Inline suppression: ``# promptcache: ignore[PC101]`` (``//`` in TypeScript and JavaScript)
on the finding's line or the line before; ``ignore`` alone silences every code there."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

_DIRECTIVE = re.compile(r"promptcache:\s*ignore(?:\[([A-Za-z0-9_,\s-]*)\])?")
"""Read in a comment's text only (the parsers hand over comments), never in code."""

EVERY_CODE = "*"


def suppressions(comments: Iterable[tuple[int, str]]) -> Mapping[int, frozenset[str]]:
    """Line -> the codes silenced there, from (line, comment text) pairs: a comment covers
    its own line and the next."""
    silenced: dict[int, set[str]] = {}
    for line, text in comments:
        match = _DIRECTIVE.search(text)
        if match is None:
            continue
        codes = {code.strip().upper() for code in (match.group(1) or "").split(",")
                 if code.strip()} or {EVERY_CODE}
        for covered in (line, line + 1):
            silenced.setdefault(covered, set()).update(codes)
    return {line: frozenset(codes) for line, codes in silenced.items()}


def silenced(code: str, line: int, table: Mapping[int, frozenset[str]]) -> bool:
    """True when a comment silences ``code`` at ``line``."""
    codes = table.get(line, frozenset())
    return code in codes or EVERY_CODE in codes
