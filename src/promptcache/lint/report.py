"""The result of a lint run: plain frozen data that every lint output format renders."""

from __future__ import annotations

from dataclasses import dataclass

from promptcache.engine.findings import Finding
from promptcache.report.model import ErrorRow, RuleInfo


@dataclass(frozen=True, slots=True)
class LintReport:
    """Everything ``promptcache lint`` found."""

    version: str
    """The promptcache version that wrote the report."""
    files_checked: int
    """Source files read and parsed."""
    findings: tuple[Finding, ...]
    """One per offending expression, at its file, line and column, in reading order; the
    ``path`` of each is the call or block it was found in, ``occurrences`` is 1."""
    errors: tuple[ErrorRow, ...]
    """Files that could not be read or parsed, at the line of the problem."""
    rules: tuple[RuleInfo, ...]
    """The catalogue rules lint reports under, as configured for the run."""
    suppressed_inline: int = 0
    """Findings silenced by a ``promptcache: ignore`` comment."""
