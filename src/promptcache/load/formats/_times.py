"""Times as logs write them, as seconds since the epoch."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def epoch_seconds(value: Any) -> float | None:
    """An ISO 8601 time (``Z``, an offset, or none: read as UTC; a space instead of ``T``,
    as ClickHouse writes) or a number of seconds or milliseconds; None when it is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        # Milliseconds are common in gateway logs; no log predates 1973 in seconds.
        return float(value) / 1000 if value > 1e11 else float(value)
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
