"""promptcache's own input: request bodies, bare or in a request/response pair.

- a bare request body: Chat Completions (``{"model", "messages", ...}``), Responses
  (``{"model", "input" | "instructions" | "prompt", ...}``) or Anthropic Messages;
- a request/response pair (``{"request": {...}, "response": {...}, "timestamp", "meta"}``),
  as logging middleware and :mod:`promptcache.capture` write it: ``response.usage`` is the
  provider's usage, ``meta.session`` (or ``session_id``, ``conversation_id``) the session.

OpenAI Batch input lines are :mod:`promptcache.load.formats.openai_batch`'s.

Any of them may carry ``"promptcache": {"ignore": [...]}`` (a bare body at its top level, an
envelope at its top level or in ``meta``): rules the record silences for itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from promptcache.load.apis import api_of, usage_of
from promptcache.load.formats.base import (
    RECOGNIZED,
    InputFormat,
    LoggedCall,
    Recognition,
    Usage,
    not_recognized,
)
from promptcache.load.sources import LoadError, RawRecord
from promptcache.load.times import parse_timestamp, recorded_date
from promptcache.load.validator import compiled, format_path, json_type
from promptcache.model import Location

_REQUEST_KEYS = frozenset({"model", "messages", "input", "instructions", "prompt", "request"})
"""Keys that make an object an attempt at a request body or one of its envelopes."""


class RequestBodies(InputFormat):
    """Request bodies, bare or in promptcache's request/response pair."""

    name = "request"
    title = "Request bodies, bare or in request/response pairs"
    carries = ("the exact request body; pairs add the response's usage, a timestamp and a "
               "session")
    priority = 1000
    """Tried last: any object with a ``model`` or ``messages`` is taken for a body (so that a
    broken one gets the schema's precise message), and a gateway's record has both."""

    def recognize(self, value: Any) -> Recognition:
        if not isinstance(value, Mapping):
            return not_recognized(f"a JSON {json_type(value)}, not an object")
        if _REQUEST_KEYS.intersection(value):
            # A body with a broken field (``"model": 3``) is still this format's: its
            # problem is reported from the schema, precisely.
            return RECOGNIZED
        return not_recognized(_unrecognized(value).removeprefix("$: "))

    def calls(self, records: Iterator[RawRecord | LoadError]) -> Iterator[LoggedCall | LoadError]:
        for record in records:
            yield record if isinstance(record, LoadError) else call_of(record)


def call_of(record: RawRecord) -> LoggedCall | LoadError:
    """The call one record holds, or why it holds none."""
    value, location = record.value, record.location
    if not isinstance(value, dict):
        return LoadError(location, f"$: expected a JSON object, found {json_type(value)}")
    if "request" in value:
        return _from_pair(value, location)
    if api_of(value) is not None:
        return LoggedCall(location, value, inline_ignore=inline_ignore(value))
    return LoadError(location, _unrecognized(value))


def _unrecognized(value: Mapping[str, Any]) -> str:
    keys = ", ".join(sorted(value)[:5]) or "none"
    return ("$: not a request: expected 'messages' (Chat Completions, Anthropic Messages), "
            f"'input' or a stored 'prompt' (Responses), or 'request' (keys: {keys})")


def _from_pair(value: Mapping[str, Any], location: Location) -> LoggedCall | LoadError:
    problem = _first_error("pair", value)
    if problem:
        return LoadError(location, problem)
    body = value["request"]
    api = api_of(body)
    if api is None:
        return LoadError(location, "$.request: " + _unrecognized(body).removeprefix("$: "))
    response = value.get("response") or {}
    meta = value.get("meta") or {}
    timestamp = parse_timestamp(value.get("timestamp"))
    if isinstance(timestamp, str):
        return LoadError(location, f"$.timestamp: {timestamp}")
    session = meta.get("session") or meta.get("session_id") or meta.get("conversation_id")
    served = response.get("model") or meta.get("model")
    return LoggedCall(
        location, body, "$.request", api=api, usage=usage(response.get("usage"), api),
        timestamp=timestamp, session=str(session) if session else None,
        served_model=served if isinstance(served, str) else None,
        inline_ignore=inline_ignore(value, meta),
        recorded=recorded_date(timestamp, meta.get("recorded")))


def usage(block: Any, api: str) -> Usage | None:
    """A response's ``usage`` block in :class:`Usage`'s meaning (None when it has none)."""
    counts = usage_of(block, api)
    return None if counts is None else Usage(*counts)


def inline_ignore(*holders: Any) -> tuple[str, ...]:
    """The rules a record silences for itself: the ``ignore`` list of a ``promptcache`` object
    in any of ``holders`` (a bare body; an envelope and its ``meta``). The key is promptcache's
    own, never sent to the API, so no segment is made of it. Anything but a list of strings
    is kept as its JSON text, for the rule engine to warn about as naming no rule."""
    found: list[str] = []
    for holder in holders:
        if not isinstance(holder, Mapping) or "promptcache" not in holder:
            continue
        own = holder["promptcache"]
        entries = own.get("ignore") if isinstance(own, Mapping) else own
        if isinstance(entries, list):
            found.extend(entry if isinstance(entry, str) else json.dumps(entry)
                         for entry in entries)
        else:
            found.append(json.dumps(entries))
    return tuple(found)


def _first_error(definition: str, value: Any) -> str | None:
    problem = compiled("envelope.schema.json", definition)(value)
    if problem is None:
        return None
    return f"{format_path('$', problem.path)}: {problem.message}"

