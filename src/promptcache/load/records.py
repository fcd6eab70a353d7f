"""Recognize the envelope around a request body, validate it, and normalize it.

Envelopes understood:

- a bare Chat Completions request body (``{"model", "messages", ...}``) or Responses API
  request body (``{"model", "input", "instructions", ...}``, no ``messages``);
- a request/response pair (``{"request": {...}, "response": {...}, "timestamp", "meta"}``),
  whose ``response.usage`` is kept as the observed ground truth;
- an OpenAI Batch API input line (``{"custom_id", "method", "url", "body"}``) for
  ``/v1/chat/completions`` or ``/v1/responses``.

Any of them may carry promptcache's own ``"promptcache": {"ignore": [...]}`` (a bare body at
its top level, an envelope at its top level or in ``meta``): rules the record silences for
itself, kept on the request and never counted as prompt tokens.

Validation uses the JSON Schemas shipped in ``promptcache/schemas``; a record that fails
becomes one :class:`~promptcache.load.sources.LoadError` naming the JSON path and the problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from promptcache.catalog import ModelFacts, facts_for
from promptcache.load.sources import LoadError, RawRecord
from promptcache.load.validator import compiled, format_path, json_type
from promptcache.model import Location, ObservedUsage, Request, Segment
from promptcache.normalize.openai_chat import chat_segments
from promptcache.normalize.openai_responses import responses_segments
from promptcache.normalize.reuse import Intern, TurnMemory, serialized_tools
from promptcache.redaction import redact_slice

CHAT_API = "openai.chat"
RESPONSES_API = "openai.responses"

# Request settings that change what the provider caches; rules compare them across requests.
_CACHE_RELEVANT_SETTINGS = ("tool_choice", "reasoning_effort", "parallel_tool_calls")


@dataclass(frozen=True, slots=True)
class _Api:
    """What differs between the request APIs read here."""

    name: str
    schema: str
    segments: Callable[[Mapping[str, Any], str, ModelFacts], tuple[Segment, ...]]
    usage_total: str
    """The usage field holding the prompt's token count."""
    usage_details: str
    """The usage object holding ``cached_tokens``."""


_CHAT = _Api(CHAT_API, "chat_request.schema.json", chat_segments, "prompt_tokens",
             "prompt_tokens_details")
_RESPONSES = _Api(RESPONSES_API, "responses_request.schema.json", responses_segments,
                  "input_tokens", "input_tokens_details")


def _looks_anthropic(body: Mapping[str, Any]) -> bool:
    """An Anthropic Messages body: a top-level ``system`` (Chat Completions has none), a
    ``claude`` model, or ``cache_control`` breakpoints."""
    model = body.get("model")
    if "system" in body or (isinstance(model, str) and "claude" in model.lower()):
        return True
    messages = body.get("messages")
    return isinstance(messages, list) and any(
        isinstance(message, dict) and isinstance(message.get("content"), list)
        and any(isinstance(part, dict) and "cache_control" in part
                for part in message["content"])
        for message in messages)


def _api_of(body: Mapping[str, Any]) -> _Api | None:
    """The API a request body is written for, from its fields; None when it is neither."""
    if "messages" in body:
        return None if _looks_anthropic(body) else _CHAT
    if "input" in body or "instructions" in body or _stored_prompt(body.get("prompt")):
        return _RESPONSES
    return None


def _stored_prompt(prompt: object) -> bool:
    """A Responses ``prompt`` reference (``{"id": "pmpt_...", "variables": ...}``): a valid
    body with neither ``input`` nor ``model``, both stored server-side (dd-trace-js
    ``openai_responses_post_*`` records). A string is the legacy Completions ``prompt``."""
    return isinstance(prompt, Mapping) and isinstance(prompt.get("id"), str)


def normalize_records(records: Iterable[RawRecord | LoadError],
                      intern: Intern | None = None) -> Iterator[Request | LoadError]:
    """Normalize each record; pass load errors through so every record is accounted for.

    Each conversation's latest turn is remembered, so the history the next turn resends is
    neither validated nor rendered again (see :mod:`promptcache.normalize.reuse`); ``intern``
    (the counter's) makes the segments it keeps the counter's own objects."""
    turns = TurnMemory(intern=intern)
    for record in records:
        if isinstance(record, LoadError):
            yield record
        else:
            yield normalize_record(record, turns)


def normalize_record(record: RawRecord, turns: TurnMemory | None = None) -> Request | LoadError:
    """One record into a :class:`Request`, or the reason it cannot be one."""
    try:
        return _normalize_record(record, turns)
    except RecursionError:
        # orjson decodes 1024 levels, deeper than rendering can recurse: this record alone
        # is reported, and the run goes on.
        return LoadError(record.location, "$: nested too deeply to audit")


def _normalize_record(record: RawRecord, turns: TurnMemory | None) -> Request | LoadError:
    value, location = record.value, record.location
    if not isinstance(value, dict):
        return LoadError(location, f"$: expected a JSON object, found {json_type(value)}")
    if "request" in value:
        return _from_pair(value, location, turns)
    if "custom_id" in value or ("body" in value and "url" in value):
        return _from_batch(value, location, turns)
    api = _api_of(value)
    if api is not None:
        return _from_body(value, "$", location, api=api, observed=None, timestamp=None,
                          session=None, turns=turns, inline_ignore=_inline_ignore(value))
    return LoadError(location, _unrecognized(value))


def _unrecognized(value: Mapping[str, Any]) -> str:
    if "messages" in value and _looks_anthropic(value):
        return ("$: an Anthropic Messages request; this version reads OpenAI Chat Completions "
                "and Responses requests only")
    keys = ", ".join(sorted(value)[:5]) or "none"
    return ("$: not a request: expected 'messages' (Chat Completions), 'input' or a stored "
            f"'prompt' (Responses), 'request' or 'body' (keys: {keys})")


def _from_pair(value: Mapping[str, Any], location: Location,
               turns: TurnMemory | None) -> Request | LoadError:
    problem = _first_error("envelope.schema.json", "pair", value, "$")
    if problem:
        return LoadError(location, problem)
    body = value["request"]
    api = _api_of(body)
    if api is None:
        return LoadError(location, "$.request: " + _unrecognized(body).removeprefix("$: "))
    response = value.get("response") or {}
    meta = value.get("meta") or {}
    timestamp = _parse_timestamp(value.get("timestamp"))
    if isinstance(timestamp, str):
        return LoadError(location, f"$.timestamp: {timestamp}")
    session = meta.get("session") or meta.get("session_id") or meta.get("conversation_id")
    return _from_body(body, "$.request", location, api=api,
                      observed=_observed(response.get("usage"), api),
                      timestamp=timestamp, session=str(session) if session else None,
                      turns=turns, inline_ignore=_inline_ignore(value, meta),
                      served_model=response.get("model") or meta.get("model"),
                      recorded=_recorded(timestamp, meta.get("recorded")))


def _from_batch(value: Mapping[str, Any], location: Location,
                turns: TurnMemory | None) -> Request | LoadError:
    problem = _first_error("envelope.schema.json", "batch", value, "$")
    if problem:
        return LoadError(location, problem)
    url = str(value.get("url", "/v1/chat/completions")).rstrip("/")
    if url.endswith("chat/completions"):
        api = _CHAT
    elif url.endswith("/responses"):
        api = _RESPONSES
    else:
        return LoadError(location, f"$.url: batch line for {url}; this version reads "
                                   "/v1/chat/completions and /v1/responses only")
    return _from_body(value["body"], "$.body", location, api=api, observed=None,
                      timestamp=None, session=None, turns=turns,
                      inline_ignore=_inline_ignore(value, value.get("meta")))


def _from_body(body: Mapping[str, Any], base_path: str, location: Location, *, api: _Api,
               observed: ObservedUsage | None, timestamp: float | None,
               session: str | None, turns: TurnMemory | None,
               inline_ignore: tuple[str, ...], served_model: object = None,
               recorded: str = "") -> Request | LoadError:
    match, tools, tools_valid = None, None, False
    if turns is not None and api is _CHAT:
        match = turns.match(base_path, body.get("model"), body.get("messages"))
        tools = serialized_tools(body.get("tools"))
        tools_valid = turns.tools_valid(tools)
    problem = _first_error_of_new(api.schema, body, base_path, match.equal if match else 0,
                                  tools_valid)
    if problem:
        return LoadError(location, problem)
    if turns is not None and tools is not None and not tools_valid:
        turns.remember_valid_tools(tools)
    model = str(body.get("model") or "")
    facts = facts_for(model)
    deployment = ""
    if not facts.known and isinstance(served_model, str) and facts_for(served_model).known:
        # An Azure deployment (or a gateway alias) names the model in the request; the
        # response (or the record's metadata) names the model that served it.
        deployment, model, facts = model, served_model, facts_for(served_model)
        body = {**body, "model": served_model}
    segments = (chat_segments(body, base_path, facts, turns, match, tools)
                if match is not None else api.segments(body, base_path, facts))
    return Request(
        location=location,
        api=api.name,
        model=model,
        segments=segments,
        timestamp=timestamp,
        cache_key=_optional_str(body.get("prompt_cache_key")),
        user=_optional_str(body.get("user") or body.get("safety_identifier")),
        session=session,
        observed=observed,
        settings=_settings(body),
        inline_ignore=inline_ignore,
        deployment=deployment,
        recorded=recorded,
    )


def _inline_ignore(*holders: Any) -> tuple[str, ...]:
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


def _settings(body: Mapping[str, Any]) -> dict[str, str]:
    """Cache-relevant settings as JSON text; Responses' ``reasoning.effort`` is kept under
    Chat Completions' name, ``reasoning_effort``."""
    values = {name: body.get(name) for name in _CACHE_RELEVANT_SETTINGS}
    reasoning = body.get("reasoning")
    if values["reasoning_effort"] is None and isinstance(reasoning, Mapping):
        values["reasoning_effort"] = reasoning.get("effort")
    return {name: json.dumps(value, sort_keys=True) for name, value in values.items()
            if value is not None}


def _first_error_of_new(schema: str, body: Mapping[str, Any], base_path: str,
                       known_valid: int, tools_valid: bool) -> str | None:
    """:func:`_first_error` of a request body whose first ``known_valid`` messages (and, when
    ``tools_valid``, its tools) are equal to ones that passed before: only the rest is checked
    (messages and tools are checked each on its own, so this finds the same first problem)."""
    if not known_valid and not tools_valid:
        return _first_error(schema, None, body, base_path)
    rest = dict(body)
    if known_valid:
        rest["messages"] = body["messages"][known_valid:]
    if tools_valid:
        rest["tools"] = None
    problem = compiled(schema, None)(rest)
    if problem is None:
        return None
    path = problem.path
    if len(path) > 1 and path[0] == "messages" and isinstance(path[1], int):
        path = ("messages", path[1] + known_valid, *path[2:])
    return f"{format_path(base_path, path)}: {problem.message}"


def _first_error(schema: str, definition: str | None, value: Any, base_path: str) -> str | None:
    problem = compiled(schema, definition)(value)
    if problem is None:
        return None
    return f"{format_path(base_path, problem.path)}: {problem.message}"


def _observed(usage: Any, api: _Api) -> ObservedUsage | None:
    if not isinstance(usage, Mapping) or not isinstance(usage.get(api.usage_total), int):
        return None
    details = usage.get(api.usage_details) or {}
    cached = details.get("cached_tokens") if isinstance(details, Mapping) else None
    return ObservedUsage(prompt_tokens=usage[api.usage_total],
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
            # Redacted before the cut: a key cut in half is no longer recognizable.
            return f"not an ISO 8601 time: {redact_slice(value, 0, min(len(value), 40))!r}"
        if moment.tzinfo is None:
            # Logs often omit the zone; only differences between times matter here.
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    return f"expected a string or number, found {json_type(value)}"


def _recorded(timestamp: float | None, meta_recorded: Any) -> str:
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


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
