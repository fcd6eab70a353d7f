"""Durations as people write them: ``90s``, ``10m``, ``1h``, ``1h30m``, or bare seconds."""

from __future__ import annotations

import math
import re

_DURATION = re.compile(
    r"(?:(?P<h>\d+(?:\.\d+)?)h)?(?:(?P<m>\d+(?:\.\d+)?)m)?(?:(?P<s>\d+(?:\.\d+)?)s)?")
_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0}


class DurationError(ValueError):
    """Not a usable duration; the message says what is wrong, on one line."""


def parse_duration(value: str | float) -> float:
    """Seconds in ``value``: a number of seconds (``600``, ``1.5``) or hours, minutes and
    seconds in that order (``1h30m``, ``10m``, ``90s``). Zero, negatives, NaN and infinity
    are refused: a cache lifetime must be a positive, finite time (every expiry comparison
    with NaN is false, so NaN would silently mean "never expires")."""
    if isinstance(value, bool):  # a TOML `true` is an int to Python, not a duration
        raise DurationError(f"expected a duration such as 600, 90s, 10m or 1h30m, "
                            f"found {str(value).lower()}")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        seconds = _from_text(value.strip().lower(), value)
    if math.isnan(seconds) or math.isinf(seconds):
        raise DurationError(f"{_shown(value)} is not a finite duration")
    if seconds <= 0:
        raise DurationError(f"{_shown(value)} is not a positive duration")
    return seconds


def _from_text(text: str, original: str) -> float:
    try:
        return float(text)  # bare seconds, and "nan"/"inf"/"-5", refused by the caller
    except ValueError:
        pass
    found = _DURATION.fullmatch(text)
    if not text or found is None or not any(found.groupdict().values()):
        raise DurationError(f"{original!r} is not a duration (write 600, 90s, 10m, 1h or "
                            "1h30m)")
    return sum(float(amount) * _SECONDS[unit]
               for unit, amount in found.groupdict().items() if amount is not None)


def _shown(value: str | float) -> str:
    return repr(value) if isinstance(value, str) else f"{value:g}"
