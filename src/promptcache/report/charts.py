"""The report's chart section: the per-request figures the HTML report draws, bucketed and
bounded so a log of millions of requests adds a few kilobytes to the report.

Plain frozen data, filled by :class:`promptcache.report.chart_tally.ChartTally` during the
audit and written to the JSON report (``charts``), so a saved report can be drawn again
without the log.
"""

from __future__ import annotations

from dataclasses import dataclass

TIME_AXIS = "time"
"""Buckets are spans of seconds since the epoch: every request says when it was sent."""
REQUEST_AXIS = "request"
"""Buckets are runs of requests in input order: some request does not say when it was sent."""


@dataclass(frozen=True, slots=True)
class TimeBucket:
    """The requests of one span of the log."""

    start: float
    """Where the span starts on the axis: seconds since the epoch, or a request number
    (0-based, input order)."""
    requests: int
    """Requests in the span."""
    prompt_tokens: int
    """Their prompt tokens."""
    predicted_cached_tokens: int
    """Of those, predicted to come from the cache."""
    observed_requests: int
    """Requests in the span whose log carries the provider's usage."""
    observed_prompt_tokens: int
    """Their prompt tokens as the provider reported them."""
    observed_cached_tokens: int
    """Their cached tokens as the provider reported them."""


@dataclass(frozen=True, slots=True)
class FindingMark:
    """Where on the axis a finding first showed: the request it was found on."""

    code: str
    """The rule, e.g. ``PC101``."""
    file: str
    """The finding's location (as in the findings list), which names it."""
    line: int
    """Its line."""
    at: float
    """On the axis (as :attr:`TimeBucket.start`)."""


@dataclass(frozen=True, slots=True)
class WaterfallBar:
    """One request of a session: its prompt split as the cache model predicts."""

    file: str
    """The request's log file."""
    line: int
    """Its line."""
    prompt_tokens: int
    """Its prompt tokens."""
    cached_tokens: int
    """Predicted read from the cache."""
    written_tokens: int
    """Predicted written to the cache (explicit caches, Anthropic's); 0 elsewhere."""
    observed_cached_tokens: int | None
    """Cached tokens the provider reported; None when the log has no usage."""


@dataclass(frozen=True, slots=True)
class WaterfallSession:
    """A session drawn as a waterfall: its requests in the order the cache saw them."""

    session: str
    """The session's label (as in the sessions list)."""
    requests: int
    """All its requests."""
    first_request: int
    """The session's request number (0-based) of the first bar: bars are kept from when the
    session became one of the most expensive, up to :data:`WATERFALL_REQUESTS` of them."""
    uncached_tokens: int
    """Its prompt tokens not predicted from the cache: what ranks sessions."""
    bars: tuple[WaterfallBar, ...]
    """The requests drawn."""


@dataclass(frozen=True, slots=True)
class ModelTotals:
    """Tokens and dollars of one model's requests."""

    model: str
    """The model as the requests name it."""
    requests: int
    """Its requests."""
    prompt_tokens: int
    """Their prompt tokens."""
    predicted_cached_tokens: int
    """Predicted from the cache, over all its requests."""
    observed_requests: int
    """Requests whose log carries usage."""
    observed_predicted_cached_tokens: int
    """Predicted cached tokens over those requests only (to set against the observed)."""
    observed_cached_tokens: int
    """Cached tokens the provider reported over those requests."""
    cost_usd: float | None
    """Input cost; None when the model is unpriced."""


@dataclass(frozen=True, slots=True)
class Charts:
    """Everything the HTML report draws beyond the summary, sessions and findings."""

    axis: str
    """:data:`TIME_AXIS` or :data:`REQUEST_AXIS`."""
    bucket_width: float
    """Each bucket's span on the axis (seconds, or requests)."""
    first_time: float | None
    """The earliest request's time (seconds since the epoch); None on the request axis."""
    last_time: float | None
    """The latest request's time; None on the request axis."""
    buckets: tuple[TimeBucket, ...]
    """Spans of ``bucket_width``, in axis order, at most :data:`MAX_BUCKETS` from the first to
    the last; empty spans left out (:func:`even_spans` puts them back as gaps)."""
    marks: tuple[FindingMark, ...]
    """Where each finding first showed, in the order they showed."""
    waterfall: tuple[WaterfallSession, ...]
    """The sessions with the most uncached prompt tokens, at most
    :data:`WATERFALL_SESSIONS`, most first."""
    sessions_left_out: int
    """Sessions not drawn as a waterfall (they are all in the sessions list)."""
    models: tuple[ModelTotals, ...]
    """One row per model, most prompt tokens first."""


def even_spans(starts: list[float], width: float) -> list[int]:
    """Where each bucket (by its start) sits among the even spans from the first bucket to the
    last: the empty spans between buckets are gaps a chart must show, not skip."""
    if not starts:
        return []
    return [round((start - starts[0]) / width) for start in starts]


MAX_BUCKETS = 60
"""Points on the hit-rate chart: enough to see where the cache stops hitting, few enough to
read, and a bound on the report's size however long the log."""
WATERFALL_SESSIONS = 6
"""Sessions drawn as waterfalls: the ones that cost most, each a chart of its own."""
WATERFALL_REQUESTS = 60
"""Bars per waterfall: a long agent session is shown by its first 60 requests."""
