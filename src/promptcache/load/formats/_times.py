"""Times as logs write them, as seconds since the epoch."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def epoch_seconds(value: Any) -> float | None:
    """An ISO 8601 time (``Z``, an offset, or none: read as UTC; a space instead of ``T``,
    as ClickHouse and Langfuse's export write) or a number of seconds or milliseconds; None
    when it is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        # Milliseconds are common in gateway logs; no log predates 1973 in seconds.
        return float(value) / 1000 if value > 1e11 else float(value)
    return iso_seconds(value)


def iso_seconds(value: Any) -> float | None:
    """An ISO 8601 time only (``2026-12-04T14:58:38.758688+00:00``, ``...Z``, or Langfuse's
    export ``2024-05-29 13:46:19.963000``, which names no zone and is UTC) as epoch seconds;
    None when ``value`` is not such a time (a number included)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
