"""GenAI log events, joined to their span.

``opentelemetry-instrumentation-openai-v2`` (without the latest-conventions opt-in), and
OpenLLMetry with ``use_legacy_attributes=False``, record the prompt not on the call's span
but as OpenTelemetry events, exported as OTLP logs (``resourceLogs -> scopeLogs ->
logRecords``), one per message: ``gen_ai.system.message``, ``gen_ai.user.message``,
``gen_ai.assistant.message``, ``gen_ai.tool.message`` (``body``: ``{"content"}``; an OpenAI
assistant's ``{"tool_calls": [...]}`` without its content; a tool's ``{"content", "id"}``;
Anthropic content as its blocks) and ``gen_ai.choice`` (the output, ignored). The event's
name is the record's ``eventName`` (or its ``event.name`` attribute, older SDKs); ``traceId``
and ``spanId`` name the span, which carries the parameters and usage.
A span and its events may come in either order, in separate records (a collector file
interleaves traces and logs) or separate files (one per pipeline): whichever comes first
waits, unmatched, for the other; once the audit's files are read, a span without events is a
call without messages, events without a span a call without usage.
References: open-telemetry/opentelemetry-python-contrib@instrumentation-genai/
opentelemetry-instrumentation-openai-v2/src/opentelemetry/instrumentation/openai_v2/utils.py
(``message_to_event``, ``extract_tool_calls``); traceloop/openllmetry@packages/
opentelemetry-instrumentation-openai/opentelemetry/instrumentation/openai/shared/
event_emitter.py; https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding

What it does not record: tool definitions, ``user``, cached tokens (the official
instrumentation), the ``response_format`` beyond its type
(``gen_ai.openai.request.response_format``); tool-call arguments lose their newlines; an
assistant message with tool calls loses its text; OpenLLMetry's tool events lose their call id.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from promptcache.load.formats import otel_semconv
from promptcache.load.formats._otlp_kinds import is_log_export as is_log_export
from promptcache.load.formats.base import CHAT, MESSAGES, LoggedCall
from promptcache.load.formats.otel_span import (
    SpanCall,
    SpanProblem,
    attribute_path,
    breakpoints_missing,
    logged_call,
)
from promptcache.load.formats.otlp import Span, any_value, attributes
from promptcache.load.sources import LoadError, RawRecord

EVENT_WRITERS = ("opentelemetry.instrumentation.openai", "opentelemetry.instrumentation.anthropic")
"""Instrumentation scopes that may put the messages in events instead of on the span: the
official OpenAI one by default, OpenLLMetry's with ``use_legacy_attributes=False``."""
_CONTENT_KEYS = ("gen_ai.input.messages", "gen_ai.output.messages")
_CONTENT_PREFIXES = ("gen_ai.prompt.", "gen_ai.completion.")
_MESSAGE_EVENTS = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
    "gen_ai.developer.message": "developer",
}
_NOT_LOGGED = "input messages not logged"
_BREAKPOINTS = "cache_control breakpoints not logged"


@dataclass(frozen=True, slots=True)
class Event:
    """One message event of a span."""

    record: RawRecord
    path: str
    span_id: str
    trace_id: str
    time_ns: int
    role: str
    body: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class _Waiting:
    record: RawRecord
    span: Span
    session: str


def has_events(value: Any) -> bool:
    """Whether a logs export holds a GenAI message event."""
    return any(True for _ in _log_records(value) if _event_name(_[1]) in _MESSAGE_EVENTS)


def awaits_events(span: Span) -> bool:
    """A call span of an instrumentation that writes events, with neither input nor output
    content on it: its messages went to events (or were not recorded at all)."""
    attributes = span.attributes
    return (
        span.scope.startswith(EVENT_WRITERS)
        and "gen_ai.request.model" in attributes
        and attributes.get("gen_ai.operation.name", "chat") == "chat"
        and not any(key in attributes for key in _CONTENT_KEYS)
        and not any(key.startswith(_CONTENT_PREFIXES) for key in attributes)
    )


class EventJoiner:
    """Spans and events of one file, each waiting for the other while unmatched."""

    def __init__(self) -> None:
        self._events: dict[str, list[Event]] = {}
        self._spans: dict[str, _Waiting] = {}

    def add_span(
        self, record: RawRecord, span: Span, session: str
    ) -> Iterator[LoggedCall | LoadError]:
        """The call of ``span`` when its events came already; else it waits."""
        events = self._events.pop(span.span_id, None)
        if events is None:
            self._spans[span.span_id] = _Waiting(record, span, session)
            return
        yield _joined(_Waiting(record, span, session), events)

    def add_events(self, record: RawRecord) -> Iterator[LoggedCall | LoadError]:
        """The calls whose spans were waiting for this record's events."""
        arrived: dict[str, list[Event]] = {}
        for path, log in _log_records(record.value):
            event = _event(record, path, log)
            if event is not None:
                arrived.setdefault(event.span_id, []).append(event)
        for span_id, events in arrived.items():
            waiting = self._spans.pop(span_id, None)
            if waiting is None:
                self._events.setdefault(span_id, []).extend(events)
            else:
                yield _joined(waiting, events)

    def leftovers(self) -> Iterator[LoggedCall | LoadError]:
        """Spans no event joined (calls without messages), events no span joined (calls
        without usage)."""
        for waiting in self._spans.values():
            yield _joined(waiting, [])
        for events in self._events.values():
            yield _events_only(events)
        self._spans.clear()
        self._events.clear()


def _joined(waiting: _Waiting, events: list[Event]) -> LoggedCall | LoadError:
    try:
        rebuilt = otel_semconv.rebuild(waiting.span)
    except SpanProblem as problem:
        return LoadError(
            waiting.record.location,
            f"{attribute_path(waiting.span, problem.key)}: {problem.problem}",
        )
    missing = list(rebuilt.missing)
    if events:
        ordered = sorted(events, key=lambda event: event.time_ns)
        if rebuilt.api == MESSAGES:
            rebuilt = replace(rebuilt, body={**rebuilt.body, **_anthropic_prompt(ordered)})
        else:
            messages = [_openai_message(event) for event in ordered]
            rebuilt = replace(rebuilt, body={**rebuilt.body, "messages": messages})
        missing = _missing_with_events(rebuilt, ordered)
    else:
        missing[missing.index(_NOT_LOGGED)] = f"{_NOT_LOGGED} (no log events for this span)"
    response_format = waiting.span.attributes.get("gen_ai.openai.request.response_format")
    if response_format is not None:
        missing.append(f"response_format not logged (only its type, {response_format})")
    return logged_call(
        waiting.record, waiting.span, replace(rebuilt, missing=tuple(missing)), waiting.session
    )


def _missing_with_events(rebuilt: SpanCall, events: list[Event]) -> list[str]:
    """What the span alone lacked, judged again with the messages its events gave: the
    messages are there now, tool calls among them show the request had tools, and
    breakpoints in them account for the cache's activity."""
    missing = [
        entry
        for entry in rebuilt.missing
        if entry != _NOT_LOGGED and not entry.startswith(_BREAKPOINTS)
    ]
    if (
        "tools" not in rebuilt.body
        and not any(entry.startswith("tool definitions") for entry in missing)
        and any(_calls_tools(event) for event in events)
    ):
        missing.append("tool definitions not logged (the conversation calls tools)")
    if rebuilt.api == MESSAGES and rebuilt.usage is not None:
        usage = rebuilt.usage
        missing.extend(
            breakpoints_missing(rebuilt.body, usage.cache_read_tokens, usage.cache_write_tokens)
        )
    return missing


def _calls_tools(event: Event) -> bool:
    content = event.body.get("content")
    blocks = content if isinstance(content, list) else []
    return (
        event.role == "tool"
        or bool(event.body.get("tool_calls"))
        or any(
            isinstance(block, Mapping) and block.get("type") in ("tool_use", "tool_result")
            for block in blocks
        )
    )


def _events_only(events: list[Event]) -> LoggedCall:
    ordered = sorted(events, key=lambda event: event.time_ns)
    first = ordered[0]
    return LoggedCall(
        location=first.record.location,
        body={"messages": [_openai_message(event) for event in ordered]},
        body_path=first.path,
        api=CHAT,
        timestamp=first.time_ns / 1e9 if first.time_ns else None,
        session=first.trace_id or None,
        missing=("model, parameters, tools and usage not logged (no span for these events)",),
        call_id=f"{first.trace_id}/{first.span_id}",
    )


def _log_records(value: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if not is_log_export(value):
        return
    for r, resource_logs in enumerate(value["resourceLogs"]):
        scopes = resource_logs.get("scopeLogs") if isinstance(resource_logs, Mapping) else None
        for s, scope_logs in enumerate(scopes if isinstance(scopes, list) else []):
            logs = scope_logs.get("logRecords") if isinstance(scope_logs, Mapping) else None
            for n, log in enumerate(logs if isinstance(logs, list) else []):
                if isinstance(log, Mapping):
                    yield f"$.resourceLogs[{r}].scopeLogs[{s}].logRecords[{n}]", log


def _event_name(log: Mapping[str, Any]) -> str:
    name = log.get("eventName") or attributes(log.get("attributes")).get("event.name")
    return str(name or "")


def _event(record: RawRecord, path: str, log: Mapping[str, Any]) -> Event | None:
    role = _MESSAGE_EVENTS.get(_event_name(log))
    if role is None:
        return None
    body = any_value(log.get("body"))
    time = log.get("timeUnixNano") or log.get("observedTimeUnixNano") or 0
    return Event(
        record=record,
        path=f"{path}.body",
        span_id=str(log.get("spanId") or ""),
        trace_id=str(log.get("traceId") or ""),
        time_ns=int(time) if str(time).isdigit() else 0,
        role=role,
        body=body if isinstance(body, Mapping) else {},
    )


def _openai_message(event: Event) -> dict[str, Any]:
    """The Chat Completions message an event logged."""
    message: dict[str, Any] = {"role": event.role, "content": event.body.get("content")}
    calls = event.body.get("tool_calls")
    if event.role == "assistant" and isinstance(calls, list) and calls:
        message["tool_calls"] = [_tool_call(call) for call in calls if isinstance(call, Mapping)]
    if event.role == "tool":
        message["tool_call_id"] = event.body.get("id")
    return message


def _anthropic_prompt(events: list[Event]) -> dict[str, Any]:
    """``system`` and ``messages`` of an Anthropic call from its events: the content as
    logged (text or blocks), a tool event's blocks in a user turn."""
    system = [event.body.get("content") for event in events if event.role == "system"]
    messages = [
        {
            "role": "assistant" if event.role == "assistant" else "user",
            "content": event.body.get("content"),
        }
        for event in events
        if event.role != "system"
    ]
    if not system:
        return {"messages": messages}
    if len(system) == 1:
        return {"system": system[0], "messages": messages}
    blocks = [
        block
        for content in system
        for block in (content if isinstance(content, list) else [{"type": "text", "text": content}])
    ]
    return {"system": blocks, "messages": messages}


def _tool_call(call: Mapping[str, Any]) -> dict[str, Any]:
    function = call.get("function")
    if not isinstance(function, Mapping):
        function = {}
    return {
        "id": call.get("id"),
        "type": call.get("type") or "function",
        "function": {"name": function.get("name"), "arguments": function.get("arguments") or ""},
    }
