"""Reading a log's loosely typed fields: what every format needs of a value it cannot trust
(a gateway may write null, a number as text, a float for a count)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SESSION_KEYS = ("session_id", "thread_id", "conversation_id")
"""Metadata keys tracing tools group a conversation's calls by (LangSmith's threads,
Braintrust's wrappers)."""


def mapping_of(value: Any) -> Mapping[str, Any]:
    """``value`` if it is an object, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def text_of(value: Any) -> str | None:
    """``value`` if it is a non-empty string."""
    return value if isinstance(value, str) and value else None


def count(value: Any) -> int | None:
    """A token count: a non-negative int (not a bool), else None."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def session_of(metadata: Mapping[str, Any]) -> str | None:
    """The first of :data:`SESSION_KEYS` the metadata sets, as text."""
    return next((str(metadata[key]) for key in SESSION_KEYS if metadata.get(key)), None)
