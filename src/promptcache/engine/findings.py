"""What rules report, and what the engine makes of it.

A rule yields :class:`Hit` objects: one piece of evidence at one request. The engine groups
hits that describe the same problem (same rule, same slot) into one :class:`Finding`, stamps
the rule's code, name and configured severity on it, and adds up what it puts at risk. A log
of 10,000 requests with a timestamp in the system prompt yields one finding with 9,999
occurrences, not 9,999 lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import total_ordering
from typing import TYPE_CHECKING

from promptcache.model import Location, Segment

if TYPE_CHECKING:
    from promptcache.divergence import Divergence
    from promptcache.tokens.counting import CountedRequest


@total_ordering
class Severity(Enum):
    """How much a finding matters; ``--fail-on`` compares against it."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        """0 for info, 1 for warning, 2 for error."""
        return _RANKS[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank


_RANKS = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


@dataclass(frozen=True, slots=True)
class Repair:
    """The rule's canonical fix, applied to one request, as segment edits.

    The savings stage applies it and replays the log: what the prompt would be if this
    finding were fixed. It is a model of the fix, not a patch for the user's code.
    """

    replace: tuple[tuple[int, Segment], ...] = ()
    """(segment index, the segment to put there)."""
    append: tuple[Segment, ...] = ()
    """Segments moved to the end of the prompt (before the reply priming)."""


@dataclass(frozen=True, slots=True)
class Hit:
    """One piece of evidence a rule found at one request."""

    location: Location
    """The request the evidence is in."""
    path: str
    """JSON path of the offending value in that record."""
    group: str
    """Hits with the same rule and group describe one problem and become one finding."""
    message: str
    """What is wrong, with the numbers that show it."""
    fix: str
    """What to change, as an instruction."""
    tokens_at_risk: int
    """Prompt tokens of this request that this problem keeps out of the cache."""
    snippet: str = ""
    """A short, trimmed excerpt of the evidence (already redacted and shortened)."""
    compared_with: Location | None = None
    """The earlier request the evidence was found against, for cross-request rules."""
    measure: int = 0
    """A rule-specific figure the engine keeps the range of (e.g. tokens short)."""
    repair: Repair | None = None
    """The canonical fix for this request, for the savings replay; None when there is none."""
    against: CountedRequest | None = None
    """The earlier request itself (``compared_with``), so the engine can explain the first
    divergence; not kept in the report."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem, as reported: the first hit plus what the others add up to."""

    code: str
    """The rule's code, e.g. ``PC101``."""
    name: str
    """The rule's name, e.g. ``dynamic-prefix``."""
    severity: Severity
    """As configured for the rule."""
    location: Location
    """The first request where the problem shows."""
    path: str
    """JSON path of the offending value in that request."""
    message: str
    """What is wrong."""
    fix: str
    """What to change."""
    snippet: str
    """Trimmed evidence."""
    tokens_at_risk: int
    """Prompt tokens kept out of the cache, summed over all occurrences."""
    occurrences: int
    """How many requests show this problem."""
    compared_with: Location | None
    """The earlier request the first hit was compared with, if any."""
    last_location: Location
    """The last request where the problem shows (equal to ``location`` when it shows once)."""
    divergence: Divergence | None = None
    """Where the first hit's prompt stopped sharing the compared request's prefix."""
    fingerprint: str = ""
    """Stable identity across runs (rule, what the problem is about, file), for baselines and
    code-scanning alerts; independent of line numbers and wording."""
    estimated_savings_usd: float | None = None
    """Input dollars fixing it would save on this log, from the replay; None if unpriced."""
    estimated_savings_tokens: int = 0
    """Prompt tokens fixing it would move into the cache on this log, from the replay."""
