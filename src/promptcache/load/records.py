"""Turn a logged call into a normalized :class:`~promptcache.model.Request`.

A call comes from one of the input formats of :mod:`promptcache.load.formats`: its body is
validated against the JSON Schemas shipped in ``promptcache/schemas`` (a body that fails
becomes one :class:`~promptcache.load.sources.LoadError` naming the JSON path and the
problem) and rendered into segments by the API's normalizer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from promptcache.catalog import ModelFacts, facts_for
from promptcache.load.apis import api_of
from promptcache.load.calls import read_calls
from promptcache.load.formats._litellm_anthropic import Unreadable
from promptcache.load.formats.base import CHAT, MESSAGES, RESPONSES, LoggedCall, Skipped
from promptcache.load.formats.request import call_of
from promptcache.load.sources import LoadError, Position, RawRecord
from promptcache.load.validator import compiled, format_path
from promptcache.model import ObservedUsage, Request, Segment
from promptcache.normalize.anthropic_messages import messages_segments
from promptcache.normalize.chat_to_messages import (
    chat_sent_to_claude,
    gateway_segments,
    to_messages,
)
from promptcache.normalize.openai_chat import chat_segments
from promptcache.normalize.openai_responses import responses_segments
from promptcache.normalize.reuse import Intern, TurnMemory, serialized_tools
from promptcache.tokens.anthropic_framing import generation_of

# Request settings that change what the provider caches; rules compare them across requests.
_CACHE_RELEVANT_SETTINGS = ("tool_choice", "reasoning_effort", "parallel_tool_calls")
# Anthropic's: a changed tool_choice or thinking setting invalidates the cached messages
# ("Prompt caching", what invalidates the cache); the top-level cache_control is automatic
# caching, kept so rules can tell it from explicit breakpoints.
_MESSAGES_SETTINGS = ("tool_choice", "thinking", "cache_control")


@dataclass(frozen=True, slots=True)
class _Api:
    """What differs between the request APIs read here."""

    name: str
    schema: str
    segments: Callable[[Mapping[str, Any], str, ModelFacts], tuple[Segment, ...]]


_CHAT = _Api(CHAT, "chat_request.schema.json", chat_segments)
_RESPONSES = _Api(RESPONSES, "responses_request.schema.json", responses_segments)
_MESSAGES = _Api(MESSAGES, "messages_request.schema.json", messages_segments)
_APIS = {CHAT: _CHAT, RESPONSES: _RESPONSES, MESSAGES: _MESSAGES}


def read_requests(paths: Sequence[str], input_format: str | None = None,
                  on_position: Position | None = None,
                  intern: Intern | None = None) -> Iterator[Request | LoadError | Skipped]:
    """The requests of the logs at ``paths``, each file read in its format (see
    :func:`promptcache.load.calls.read_calls`), normalized: the pipeline's first stages."""
    return normalize_calls(read_calls(paths, input_format, on_position), intern)


def normalize_calls(calls: Iterable[LoggedCall | LoadError | Skipped],
                    intern: Intern | None = None) -> Iterator[Request | LoadError | Skipped]:
    """Normalize each call; pass load errors through so every record is accounted for.

    Each conversation's latest turn is remembered, so the history the next turn resends is
    neither validated nor rendered again (see :mod:`promptcache.normalize.reuse`); ``intern``
    (the counter's) makes the segments it keeps the counter's own objects."""
    turns = TurnMemory(intern=intern)
    for call in calls:
        yield call if isinstance(call, LoadError | Skipped) else normalize_call(call, turns)


def normalize_records(records: Iterable[RawRecord | LoadError],
                      intern: Intern | None = None) -> Iterator[Request | LoadError]:
    """:func:`normalize_calls` of records read as request bodies (promptcache's own format,
    which skips no call)."""
    turns = TurnMemory(intern=intern)
    for record in records:
        call = record if isinstance(record, LoadError) else call_of(record)
        yield call if isinstance(call, LoadError) else normalize_call(call, turns)


def normalize_record(record: RawRecord, turns: TurnMemory | None = None) -> Request | LoadError:
    """One record of request bodies into a :class:`Request`, or the reason it cannot be one."""
    call = call_of(record)
    return call if isinstance(call, LoadError) else normalize_call(call, turns)


def normalize_call(call: LoggedCall, turns: TurnMemory | None = None) -> Request | LoadError:
    """One call into a :class:`Request`, or the reason it cannot be one."""
    try:
        return _normalize_call(call, turns)
    except RecursionError:
        # orjson decodes 1024 levels, deeper than rendering can recurse: this record alone
        # is reported, and the run goes on.
        return LoadError(call.location, "$: nested too deeply to audit")


def _normalize_call(call: LoggedCall, turns: TurnMemory | None) -> Request | LoadError:
    body, base_path = call.body, call.body_path
    name = call.api or api_of(body)
    if chat_sent_to_claude(body, _served(body, call.served_model), name):
        # A chat body sent to Claude through an OpenAI-compatible gateway: Claude reads the
        # gateway's Messages translation of it.
        name, turns = CHAT, None
    api = _APIS.get(name or "")
    if api is None:
        return LoadError(call.location, f"{base_path}: not a Chat Completions, Responses or "
                                        "Anthropic Messages request body")
    match, tools, tools_valid = None, None, False
    if turns is not None and api is _CHAT:
        match = turns.match(base_path, body.get("model"), body.get("messages"))
        tools = serialized_tools(body.get("tools"))
        tools_valid = turns.tools_valid(tools)
    problem = _first_error_of_new(api.schema, body, base_path, match.equal if match else 0,
                                  tools_valid)
    if problem:
        return LoadError(call.location, problem)
    if turns is not None and tools is not None and not tools_valid:
        turns.remember_valid_tools(tools)
    model = str(body.get("model") or "")
    facts = facts_for(model)
    deployment = ""
    served_model = call.served_model
    if not facts.known and isinstance(served_model, str) and facts_for(served_model).known:
        # An Azure deployment (or a gateway alias) names the model in the request; the
        # response (or the record's metadata) names the model that served it.
        deployment, model, facts = model, served_model, facts_for(served_model)
        body = {**body, "model": served_model}
    missing = call.missing
    if api is _CHAT and facts.provider == "anthropic":
        try:
            translation = to_messages(body, base_path)
        except Unreadable as problem:
            return LoadError(call.location, str(problem))
        api, body, missing = _MESSAGES, translation.body, (*missing, *translation.missing)
        segments = gateway_segments(messages_segments(body, "$", facts), translation,
                                    generation_of(model).per_message)
    else:
        segments = (chat_segments(body, base_path, facts, turns, match, tools)
                    if match is not None else api.segments(body, base_path, facts))
    usage = call.usage
    return Request(
        location=call.location,
        api=api.name,
        model=model,
        segments=segments,
        timestamp=call.timestamp,
        cache_key=_optional_str(body.get("prompt_cache_key")),
        user=_optional_str(body.get("user") or body.get("safety_identifier")
                           or _metadata_user(body) or call.user),
        session=call.session,
        observed=(None if usage is None
                  else ObservedUsage(usage.input_tokens, usage.cache_read_tokens,
                                     usage.cache_write_tokens, usage.cache_write_1h_tokens)),
        settings=_messages_settings(body) if api is _MESSAGES else _settings(body),
        inline_ignore=call.inline_ignore,
        deployment=deployment,
        recorded=call.recorded,
        partial=missing,
        body_path=base_path,
        relocations=call.relocations,
    )


def _served(body: Mapping[str, Any], served_model: object) -> str:
    """The model a call ran on: the body's, or the served one when the body's is an alias."""
    model = str(body.get("model") or "")
    if not facts_for(model).known and isinstance(served_model, str):
        return served_model
    return model


def _settings(body: Mapping[str, Any]) -> dict[str, str]:
    """Cache-relevant settings as JSON text; Responses' ``reasoning.effort`` is kept under
    Chat Completions' name, ``reasoning_effort``."""
    values = {name: body.get(name) for name in _CACHE_RELEVANT_SETTINGS}
    reasoning = body.get("reasoning")
    if values["reasoning_effort"] is None and isinstance(reasoning, Mapping):
        values["reasoning_effort"] = reasoning.get("effort")
    return {name: json.dumps(value, sort_keys=True) for name, value in values.items()
            if value is not None}


def _messages_settings(body: Mapping[str, Any]) -> dict[str, str]:
    """Anthropic's cache-relevant settings as JSON text."""
    return {name: json.dumps(body[name], sort_keys=True) for name in _MESSAGES_SETTINGS
            if body.get(name) is not None}


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


def _metadata_user(body: Mapping[str, Any]) -> Any:
    """Anthropic's end-user field, ``metadata.user_id``."""
    metadata = body.get("metadata")
    return metadata.get("user_id") if isinstance(metadata, Mapping) else None


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
