"""Recognize the envelope around a request body, validate it, and normalize it.

Envelopes understood:

- a bare Chat Completions request body (``{"model", "messages", ...}``);
- a request/response pair (``{"request": {...}, "response": {...}, "timestamp", "meta"}``),
  whose ``response.usage`` is kept as the observed ground truth;
- an OpenAI Batch API input line (``{"custom_id", "method", "url", "body"}``).

Validation uses the JSON Schemas shipped in ``promptcache/schemas``; a record that fails
becomes one :class:`~promptcache.load.sources.LoadError` naming the JSON path and the problem.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from promptcache.catalog import facts_for
from promptcache.load.sources import LoadError, RawRecord
from promptcache.model import Location, ObservedUsage, Request
from promptcache.normalize.openai_chat import chat_segments

CHAT_API = "openai.chat"

# Request settings that change what the provider caches; rules compare them across requests.
_CACHE_RELEVANT_SETTINGS = ("tool_choice", "reasoning_effort", "parallel_tool_calls")


@cache
def _validator(name: str, definition: str | None = None) -> jsonschema.protocols.Validator:
    schema = json.loads(files("promptcache").joinpath("schemas", name).read_text("utf-8"))
    if definition is not None:
        schema = {**schema["$defs"][definition], "$defs": schema["$defs"]}
    validator_class = jsonschema.validators.validator_for(schema)
    validator: jsonschema.protocols.Validator = validator_class(schema)
    return validator


def normalize_records(records: Iterable[RawRecord | LoadError]) -> Iterator[Request | LoadError]:
    """Normalize each record; pass load errors through so every record is accounted for."""
    for record in records:
        if isinstance(record, LoadError):
            yield record
        else:
            yield normalize_record(record)


def normalize_record(record: RawRecord) -> Request | LoadError:
    """One record into a :class:`Request`, or the reason it cannot be one."""
    value, location = record.value, record.location
    if not isinstance(value, dict):
        return LoadError(location, f"$: expected a JSON object, found {_json_type(value)}")
    if "request" in value:
        return _from_pair(value, location)
    if "custom_id" in value or ("body" in value and "url" in value):
        return _from_batch(value, location)
    if "messages" in value:
        return _from_body(value, "$", location, observed=None, timestamp=None, session=None)
    return LoadError(location, _unrecognized(value))


def _unrecognized(value: Mapping[str, Any]) -> str:
    if "input" in value or "instructions" in value:
        return "$: an OpenAI Responses API request; this version reads Chat Completions only"
    if "system" in value and "max_tokens" in value:
        return "$: looks like an Anthropic Messages request; this version reads OpenAI only"
    keys = ", ".join(sorted(value)[:5]) or "none"
    return f"$: not a request: expected 'messages', 'request' or 'body' (keys: {keys})"


def _from_pair(value: Mapping[str, Any], location: Location) -> Request | LoadError:
    problem = _first_error("envelope.schema.json", "pair", value, "$")
    if problem:
        return LoadError(location, problem)
    body = value["request"]
    if "messages" not in body:
        return LoadError(location, "$.request: " + _unrecognized(body).removeprefix("$: "))
    response = value.get("response") or {}
    meta = value.get("meta") or {}
    timestamp = _parse_timestamp(value.get("timestamp"))
    if isinstance(timestamp, str):
        return LoadError(location, f"$.timestamp: {timestamp}")
    session = meta.get("session") or meta.get("session_id") or meta.get("conversation_id")
    return _from_body(body, "$.request", location, observed=_observed(response.get("usage")),
                      timestamp=timestamp, session=str(session) if session else None)


def _from_batch(value: Mapping[str, Any], location: Location) -> Request | LoadError:
    problem = _first_error("envelope.schema.json", "batch", value, "$")
    if problem:
        return LoadError(location, problem)
    url = str(value.get("url", "/v1/chat/completions"))
    if not url.rstrip("/").endswith("chat/completions"):
        return LoadError(location, f"$.url: batch line for {url}; this version reads "
                                   "/v1/chat/completions only")
    return _from_body(value["body"], "$.body", location, observed=None, timestamp=None,
                      session=None)


def _from_body(body: Mapping[str, Any], base_path: str, location: Location, *,
               observed: ObservedUsage | None, timestamp: float | None,
               session: str | None) -> Request | LoadError:
    problem = _first_error("chat_request.schema.json", None, body, base_path)
    if problem:
        return LoadError(location, problem)
    model = str(body.get("model") or "")
    facts = facts_for(model)
    settings = {
        name: json.dumps(body[name], sort_keys=True)
        for name in _CACHE_RELEVANT_SETTINGS if body.get(name) is not None
    }
    return Request(
        location=location,
        api=CHAT_API,
        model=model,
        segments=chat_segments(body, base_path, facts),
        timestamp=timestamp,
        cache_key=_optional_str(body.get("prompt_cache_key")),
        user=_optional_str(body.get("user") or body.get("safety_identifier")),
        session=session,
        observed=observed,
        settings=settings,
    )


def _first_error(schema: str, definition: str | None, value: Any, base_path: str) -> str | None:
    error = best_match(_validator(schema, definition).iter_errors(value))
    if error is None:
        return None
    return f"{_json_path(base_path, error)}: {_describe(error)}"


def _json_path(base_path: str, error: ValidationError) -> str:
    path = base_path
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _describe(error: ValidationError) -> str:
    if error.validator == "type":
        expected = error.validator_value
        wanted = " or ".join(expected) if isinstance(expected, list) else str(expected)
        return f"expected {wanted}, found {_json_type(error.instance)}"
    if error.validator == "required" and isinstance(error.validator_value, list):
        present = error.instance if isinstance(error.instance, dict) else {}
        missing = [name for name in error.validator_value if name not in present]
        if missing:
            return f"missing required field {missing[0]!r}"
    if error.validator == "anyOf" and error.context:
        return f"expected {_alternatives(error)}, found {_json_type(error.instance)}"
    if error.validator == "minimum":
        return f"must be at least {error.validator_value}, found {error.instance!r}"
    return str(error.message)[:200]


def _alternatives(error: ValidationError) -> str:
    kinds = [str(sub.validator_value) for sub in error.context or () if sub.validator == "type"]
    return " or ".join(dict.fromkeys(kinds)) or "another shape"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _observed(usage: Any) -> ObservedUsage | None:
    if not isinstance(usage, Mapping) or not isinstance(usage.get("prompt_tokens"), int):
        return None
    details = usage.get("prompt_tokens_details") or {}
    cached = details.get("cached_tokens") if isinstance(details, Mapping) else None
    return ObservedUsage(prompt_tokens=usage["prompt_tokens"],
                         cached_tokens=cached if isinstance(cached, int) else 0)


def _parse_timestamp(value: Any) -> float | str | None:
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
            return f"not an ISO 8601 time: {value[:40]!r}"
        if moment.tzinfo is None:
            # Logs often omit the zone; only differences between times matter here.
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    return f"expected a string or number, found {_json_type(value)}"


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
