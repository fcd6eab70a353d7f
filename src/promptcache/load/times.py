"""When a record says it was logged: epoch seconds or milliseconds, or ISO 8601."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from promptcache.load.validator import json_type
from promptcache.redaction import redact_slice

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_timestamp(value: Any) -> float | str | None:
    """Seconds since the epoch, None when absent, or a message saying what is wrong."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        # Milliseconds are common in gateway logs; no real log predates 1973 in seconds.
        return float(value) / 1000 if value > 1e11 else float(value)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            # Redacted before the cut: a key cut in half is no longer recognizable.
            return f"not an ISO 8601 time: {redact_slice(value, 0, min(len(value), 40))!r}"
        if moment.tzinfo is None:
            # Logs often omit the zone; only differences between times matter here.
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    return f"expected a string or number, found {json_type(value)}"


def recorded_date(timestamp: float | None, meta_recorded: Any = None) -> str:
    """The ISO date a record was logged: from its ``timestamp``, else from ``meta.recorded``
    when that starts with a date ('' otherwise)."""
    if timestamp is not None:
        try:
            return datetime.fromtimestamp(timestamp, tz=UTC).date().isoformat()
        except (OverflowError, OSError, ValueError):
            return ""
    if isinstance(meta_recorded, str) and _ISO_DATE.match(meta_recorded):
        return meta_recorded[:10]
    return ""
