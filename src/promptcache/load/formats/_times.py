"""Times as the tracing tools write them, read as seconds since the epoch."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def iso_seconds(value: Any) -> float | None:
    """An ISO 8601 time (``2026-12-04T14:58:38.758688+00:00``, ``...Z``, or Langfuse's export
    ``2024-05-29 13:46:19.963000``, which names no zone and is UTC) as epoch seconds; None
    when ``value`` is not such a time."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
