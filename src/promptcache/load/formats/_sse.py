"""A streamed response (server-sent events) merged into the facts a log needs: the
response's id, its model and the usage, which providers send in pieces.

- OpenAI Chat Completions: ``chat.completion.chunk`` events; usage only in the last chunk,
  and only when the request asked for it (``stream_options.include_usage``).
- OpenAI Responses: the ``response.completed`` (or ``.incomplete``/``.failed``) event
  carries the whole response, usage included.
- Anthropic Messages: ``message_start`` carries the id, the model and the input side of the
  usage; each ``message_delta`` carries the running totals (output, and in newer API
  versions the input fields again), which replace the earlier values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

_FINAL_RESPONSE_EVENTS = frozenset({"response.completed", "response.incomplete",
                                    "response.failed"})


def is_event_stream(text: str) -> bool:
    """Whether ``text`` looks like server-sent events rather than one JSON document."""
    head = text.lstrip()[:6]
    return head.startswith(("data:", "event:", "id:", ":"))


def merged_stream(text: str) -> dict[str, Any] | None:
    """``{"id", "model", "usage"}`` (those found) from the events of ``text``; None when no
    event holds JSON."""
    merged: dict[str, Any] = {}
    usage: dict[str, Any] = {}
    found = False
    for line in text.splitlines():
        if not line.startswith("data:"):
            continue
        try:
            event = orjson.loads(line[5:].strip())
        except orjson.JSONDecodeError:  # "[DONE]", a comment, a line cut short
            continue
        if not isinstance(event, Mapping):
            continue
        found = True
        _take(event, merged, usage)
    if not found:
        return None
    if usage:
        merged["usage"] = usage
    return merged


def _take(event: Mapping[str, Any], merged: dict[str, Any], usage: dict[str, Any]) -> None:
    kind = event.get("type")
    if kind == "message_start":
        source: Any = event.get("message")
    elif kind in _FINAL_RESPONSE_EVENTS:
        source = event.get("response")
    else:  # a chat chunk, or an Anthropic message_delta (usage only)
        source = event
    if not isinstance(source, Mapping):
        return
    for key in ("id", "model"):
        if isinstance(source.get(key), str) and key not in merged:
            merged[key] = source[key]
    if isinstance(source.get("usage"), Mapping):
        # Later events hold running totals: their values replace the earlier ones, but a
        # null (a field the delta does not repeat) keeps what came before.
        usage.update((key, value) for key, value in source["usage"].items()
                     if value is not None)
