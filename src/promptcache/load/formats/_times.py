"""Times as logs write them, as seconds since the epoch, read by
:func:`promptcache.load.times.parse_timestamp` (the request format's own reading), with
None for a value that is no time."""

from __future__ import annotations

from typing import Any

from promptcache.load.times import parse_timestamp


def epoch_seconds(value: Any) -> float | None:
    """An ISO 8601 time (``Z``, an offset, or none: read as UTC; a space instead of ``T``,
    as ClickHouse and Langfuse's export write) or a number of seconds or milliseconds; None
    when it is neither."""
    seconds = parse_timestamp(value.strip() if isinstance(value, str) else value)
    return seconds if isinstance(seconds, float) else None


def iso_seconds(value: Any) -> float | None:
    """An ISO 8601 time only (``2026-12-04T14:58:38.758688+00:00``, ``...Z``, or Langfuse's
    export ``2024-05-29 13:46:19.963000``, which names no zone and is UTC) as epoch seconds;
    None when ``value`` is not such a time (a number included)."""
    return epoch_seconds(value) if isinstance(value, str) else None
