"""The official OpenAI instrumentation's log events, joined to their span.

``opentelemetry-instrumentation-openai-v2`` (without the latest-conventions opt-in) records
the prompt not on its ``chat <model>`` span but as OpenTelemetry events, exported as OTLP
logs (``resourceLogs -> scopeLogs -> logRecords``), one per message: ``gen_ai.system.message``,
``gen_ai.user.message``, ``gen_ai.assistant.message``, ``gen_ai.tool.message`` (``body``:
``{"content"}``; an assistant's ``{"tool_calls": [...]}`` without its content; a tool's
``{"content", "id"}``) and ``gen_ai.choice`` (the output, ignored). The event's name is the
record's ``eventName`` (or its ``event.name`` attribute, older SDKs); ``traceId`` and
``spanId`` name the span, which carries the parameters and usage.
A span and its events may come in either order, in separate records (a collector file
interleaves traces and logs) or separate files (one per pipeline): whichever comes first
waits, unmatched, for the other; once the audit's files are read, a span without events is a
call without messages, events without a span a call without usage.
References: open-telemetry/opentelemetry-python-contrib@instrumentation-genai/
opentelemetry-instrumentation-openai-v2/src/opentelemetry/instrumentation/openai_v2/utils.py
(``message_to_event``, ``extract_tool_calls``); https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding

What it does not record: tool definitions, ``user``, cached tokens, the ``response_format``
beyond its type (``gen_ai.openai.request.response_format``); tool-call arguments lose their
newlines; an assistant message with tool calls loses its text.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from promptcache.load.formats import otel_semconv
from promptcache.load.formats.base import CHAT, LoggedCall
from promptcache.load.formats.otel_span import SpanProblem, attribute_path, logged_call
from promptcache.load.formats.otlp import Span, any_value, attributes
from promptcache.load.sources import LoadError, RawRecord

SCOPE = "opentelemetry.instrumentation.openai_v2"
_MESSAGE_EVENTS = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
    "gen_ai.developer.message": "developer",
}
_NOT_LOGGED = "input messages not logged"


@dataclass(frozen=True, slots=True)
class Event:
    """One message event of a span."""

    record: RawRecord
    path: str
    span_id: str
    trace_id: str
    time_ns: int
    message: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Waiting:
    record: RawRecord
    span: Span
    session: str


def is_log_export(value: Any) -> bool:
    """An OTLP/JSON logs export (a dict with a ``resourceLogs`` list)."""
    return isinstance(value, Mapping) and isinstance(value.get("resourceLogs"), list)


def has_events(value: Any) -> bool:
    """Whether a logs export holds a GenAI message event."""
    return any(True for _ in _log_records(value) if _event_name(_[1]) in _MESSAGE_EVENTS)


def awaits_events(span: Span) -> bool:
    """A chat span of the official instrumentation whose messages went to events."""
    return (
        span.scope.startswith(SCOPE)
        and "gen_ai.input.messages" not in span.attributes
        and span.attributes.get("gen_ai.operation.name") == "chat"
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
        missing.remove(_NOT_LOGGED)
        ordered = sorted(events, key=lambda event: event.time_ns)
        rebuilt = replace(
            rebuilt, body={**rebuilt.body, "messages": [event.message for event in ordered]}
        )
    else:
        missing[missing.index(_NOT_LOGGED)] = f"{_NOT_LOGGED} (no log events for this span)"
    response_format = waiting.span.attributes.get("gen_ai.openai.request.response_format")
    if response_format is not None:
        missing.append(f"response_format not logged (only its type, {response_format})")
    return logged_call(
        waiting.record, waiting.span, replace(rebuilt, missing=tuple(missing)), waiting.session
    )


def _events_only(events: list[Event]) -> LoggedCall:
    ordered = sorted(events, key=lambda event: event.time_ns)
    first = ordered[0]
    return LoggedCall(
        location=first.record.location,
        body={"messages": [event.message for event in ordered]},
        body_path=first.path,
        api=CHAT,
        timestamp=first.time_ns / 1e9 if first.time_ns else None,
        session=first.trace_id or None,
        missing=(
            "model, parameters and usage not logged (no span for these events)",
            f"tool definitions never logged by {SCOPE}",
        ),
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
    body = body if isinstance(body, Mapping) else {}
    message: dict[str, Any] = {"role": role, "content": body.get("content")}
    if role == "assistant" and body.get("tool_calls"):
        message["tool_calls"] = [
            _tool_call(call) for call in body["tool_calls"] if isinstance(call, Mapping)
        ]
    if role == "tool":
        message["tool_call_id"] = body.get("id")
    time = log.get("timeUnixNano") or log.get("observedTimeUnixNano") or 0
    return Event(
        record=record,
        path=f"{path}.body",
        span_id=str(log.get("spanId") or ""),
        trace_id=str(log.get("traceId") or ""),
        time_ns=int(time) if str(time).isdigit() else 0,
        message=message,
    )


def _tool_call(call: Mapping[str, Any]) -> dict[str, Any]:
    function = call.get("function")
    if not isinstance(function, Mapping):
        function = {}
    return {
        "id": call.get("id"),
        "type": call.get("type") or "function",
        "function": {"name": function.get("name"), "arguments": function.get("arguments") or ""},
    }
