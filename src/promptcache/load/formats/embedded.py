"""JSON that logs keep inside strings: a span attribute, a HAR ``postData.text``."""

from __future__ import annotations

from typing import Any

import orjson


def json_text(value: Any, default: Any = None) -> Any:
    """``value`` decoded when it is a string holding JSON; ``default`` otherwise (not a
    string, not JSON). A value that is already decoded (a dict, a list) is returned as is,
    since some exporters write the object instead of its text."""
    if isinstance(value, dict | list):
        return value
    if not isinstance(value, str | bytes):
        return default
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return default
