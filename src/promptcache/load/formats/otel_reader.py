"""How :mod:`.otel` reads spans and log events: every dialect, the joins across records.

Kept apart from the format's module so that telling a file's format (which imports every
format module) imports none of this unless the file holds OTLP/JSON.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from promptcache.load.formats import (
    otel_events,
    otel_openinference,
    otel_openllmetry,
    otel_semconv,
    otel_vercel,
)
from promptcache.load.formats.base import (
    MESSAGES,
    RECOGNIZED,
    LoggedCall,
    Recognition,
    Skipped,
    Usage,
    not_recognized,
)
from promptcache.load.formats.otel_span import (
    Dialect,
    SpanCall,
    SpanProblem,
    attribute_path,
    int_attribute,
    logged_call,
    str_attribute,
    usage_including_cache,
)
from promptcache.load.formats.otlp import Span, is_trace_export, spans
from promptcache.load.sources import LoadError, RawRecord

DIALECTS: tuple[Dialect, ...] = (otel_openinference, otel_vercel, otel_openllmetry, otel_semconv)
"""Tried in this order: the Vercel AI SDK also writes ``gen_ai.request.model`` and OpenLLMetry's
old spans ``gen_ai.system``, so the dialects with their own markers go before the conventions."""
PROVIDER_SDK_SCOPES = frozenset({"com.anthropic.sdk.python"})
"""Provider SDKs that trace their own requests, without content."""
_SESSION_KEYS = ("session.id", "gen_ai.conversation.id", "ai.telemetry.metadata.sessionId")
_USER_KEYS = ("user.id", "enduser.id", "ai.telemetry.metadata.userId")
"""The end user, when the span or its run names one outside the body."""
EMBEDDING = "no prompt to cache (an embedding call)"
"""Why an embedding span is skipped: a call to the provider, but no prompt it caches."""
FAILED = "failed before the provider answered (span status ERROR, no token count)"
"""Why a call span that raised before any answer (a 429, a refused request, a dropped
connection) is skipped: the provider processed no prompt, and the retry that usually
follows is a call of its own."""


def recognition(value: Mapping[str, Any]) -> Recognition:
    """Whether an OTLP/JSON export (of traces or logs) holds an LLM call."""
    if otel_events.is_log_export(value):
        if otel_events.has_events(value):
            return RECOGNIZED
        return not_recognized("OpenTelemetry: an OTLP logs export without GenAI events")
    if any(
        _dialect(span) is not None or span.scope in PROVIDER_SDK_SCOPES or _is_embedding(span)
        for span in spans(value)
    ):
        return RECOGNIZED
    return not_recognized("OpenTelemetry: no span carries GenAI request attributes")


def _dialect(span: Span) -> Dialect | None:
    if span.scope in PROVIDER_SDK_SCOPES:
        return None
    return next((dialect for dialect in DIALECTS if dialect.claims(span)), None)


@dataclass(frozen=True, slots=True)
class _Pending:
    record: RawRecord
    span: Span
    session: str


class AuditReader:
    """One audit's reading. A record (one batch of an exporter) is read whole, but a trace
    may span several records and files; what links them is kept small: the session found for
    each trace, the ids of the calls read and of their parents (a wrapper span, which ends
    after the call it wraps, comes in the same record or a later one), the spans and log
    events waiting for each other, and the provider SDK's spans no instrumentation span has
    claimed yet (a call of their own only if none does by the end of the audit)."""

    def __init__(self) -> None:
        self.joiner = otel_events.EventJoiner()
        self._trace_sessions: dict[str, str] = {}
        self._read_ids: set[str] = set()
        self._sdk_pending: dict[str, _Pending] = {}
        self._call_parents: set[str] = set()

    def calls(
        self, records: Iterator[RawRecord | LoadError]
    ) -> Iterator[LoggedCall | LoadError | Skipped]:
        """The calls of one file's records, errors in place."""
        for record in records:
            if isinstance(record, LoadError):
                yield record
            elif otel_events.is_log_export(record.value):
                yield from self.joiner.add_events(record)
            elif is_trace_export(record.value):
                yield from self.record_calls(record)
            else:
                yield LoadError(
                    record.location,
                    "$: not an OTLP/JSON export (no 'resourceSpans' or 'resourceLogs')",
                )

    def record_calls(self, record: RawRecord) -> Iterator[LoggedCall | LoadError | Skipped]:
        """The calls of one record's spans, in start-time order."""
        every = list(spans(record.value))
        by_id = {span.span_id: span for span in every}
        for sdk in every:
            if sdk.scope in PROVIDER_SDK_SCOPES and not self._read_ids & _sdk_keys(sdk):
                self._sdk_pending[sdk.span_id] = _Pending(record, sdk, self._session(sdk, by_id))
        calls = [span for span in every if otel_events.awaits_events(span) or _dialect(span)]
        inner = [span for span in calls if _carries_request(span)]
        wrappers = _ancestors(inner, by_id) | self._call_parents
        self._call_parents |= {span.parent_id for span in inner if span.parent_id}
        found: list[tuple[Span, LoggedCall | LoadError | Skipped]] = [
            (span, Skipped(record.location, EMBEDDING)) for span in every if _is_embedding(span)
        ]
        # Spans holding the request go first: of two spans of one response, the one with
        # the content is the call, whatever their order in the record.
        for span in sorted(calls, key=lambda span: not _carries_request(span)):
            if span.span_id in wrappers:
                continue
            session = self._session(span, by_id)
            dialect = _dialect(span)
            if otel_events.awaits_events(span) or dialect is None:
                found.extend((span, call) for call in self.joiner.add_span(record, span, session))
            elif call := self._call(
                record, span, dialect, session, _inherited(span, by_id, _USER_KEYS)
            ):
                found.append((span, call))
        found.sort(key=lambda pair: pair[0].start_ns or 0)
        for _, call in found:
            yield call

    def leftovers(self) -> Iterator[LoggedCall | LoadError | Skipped]:
        """Provider SDK spans no instrumentation span recorded, then unjoined events."""
        for pending in self._sdk_pending.values():
            if _failed_unanswered(pending.span, _sdk_usage(pending.span)):
                yield Skipped(pending.record.location, FAILED)
                continue
            yield logged_call(
                pending.record, pending.span, _sdk_only_call(pending.span), pending.session
            )
        self._sdk_pending.clear()
        yield from self.joiner.leftovers()

    def _call(
        self, record: RawRecord, span: Span, dialect: Dialect, session: str, user: str | None
    ) -> LoggedCall | LoadError | Skipped | None:
        """The call of one span; None when a span already read recorded the same response
        (a content-less span of a call whose content another span holds)."""
        try:
            rebuilt: SpanCall = dialect.rebuild(span)
        except SpanProblem as problem:
            return LoadError(
                record.location, f"{attribute_path(span, problem.key)}: {problem.problem}"
            )
        if rebuilt.call_id and rebuilt.call_id in self._read_ids:
            return None
        if _failed_unanswered(span, rebuilt.usage):
            self._claim_failed_sdk_span(span)
            return Skipped(record.location, FAILED)
        keys = {key for key in (span.span_id, rebuilt.call_id) if key}
        self._read_ids |= keys
        sdk = next(
            (
                pending.span
                for pending in self._sdk_pending.values()
                if _sdk_keys(pending.span) & keys
            ),
            None,
        )
        if sdk is not None:
            del self._sdk_pending[sdk.span_id]
            rebuilt = replace(rebuilt, usage=_fill_usage(rebuilt.usage, sdk))
        if rebuilt.user is None and user is not None:
            rebuilt = replace(rebuilt, user=user)
        return logged_call(record, span, rebuilt, session)

    def _claim_failed_sdk_span(self, span: Span) -> None:
        """The provider SDK's own span of a failed call (its child under OpenInference,
        its sibling under OpenLLMetry; failed too, with no response id to match) is the
        same call, not one of its own."""
        for key, pending in list(self._sdk_pending.items()):
            sdk = pending.span
            if sdk.failed and sdk.parent_id in (span.span_id, span.parent_id):
                del self._sdk_pending[key]
                return

    def _session(self, span: Span, by_id: Mapping[str, Span]) -> str:
        """The span's own session, else the nearest ancestor's in the record, else the one
        found earlier for its trace, else the trace."""
        session = _inherited(span, by_id, _SESSION_KEYS)
        if session is None:
            return self._trace_sessions.get(span.trace_id, span.trace_id)
        self._trace_sessions[span.trace_id] = session
        return session


_REQUEST_KEYS = ("gen_ai.input.messages", "input.value", "ai.prompt.messages")
_REQUEST_PREFIXES = ("gen_ai.prompt.", "llm.input_messages.")


def _is_embedding(span: Span) -> bool:
    """An embedding call's span (OpenInference's EMBEDDING kind, the conventions'
    ``embeddings`` operation): logged like a call, but with no prompt to cache."""
    attributes = span.attributes
    return (
        attributes.get("openinference.span.kind") == "EMBEDDING"
        or attributes.get("gen_ai.operation.name") == "embeddings"
    )


def _failed_unanswered(span: Span, usage: Usage | None) -> bool:
    """Whether a call span raised before the provider answered: its status is ERROR and no
    token count was recorded (a call that failed while streaming its answer has one)."""
    return span.failed and usage is None


def _carries_request(span: Span) -> bool:
    """Whether a call span holds its request's content (or has it in log events): only such
    a span makes the call spans above it wrappers, so a content-less span below an
    instrumentation's never takes its place."""
    attributes = span.attributes
    return (
        otel_events.awaits_events(span)
        or any(key in attributes for key in _REQUEST_KEYS)
        or any(key.startswith(_REQUEST_PREFIXES) for key in attributes)
    )


def _ancestors(calls: list[Span], by_id: Mapping[str, Span]) -> set[str]:
    """The span ids of every ancestor of a call in the record. A call span with a call span
    below it is a framework's wrapper (LangChain's LLM span around the instrumented SDK's):
    the inner span is the request as sent, the wrapper is not a second one."""
    found: set[str] = set()
    for span in calls:
        parent = by_id.get(span.parent_id)
        while parent is not None and parent.span_id not in found:
            found.add(parent.span_id)
            parent = by_id.get(parent.parent_id)
    return found


def _inherited(span: Span, by_id: Mapping[str, Span], keys: tuple[str, ...]) -> str | None:
    """The first of ``keys`` set on the span, else on its nearest ancestor in the record
    (instrumentations put the session and user on the root span of an agent run)."""
    seen: set[str] = set()
    current: Span | None = span
    while current is not None and current.span_id not in seen:
        seen.add(current.span_id)
        value = str_attribute(current.attributes, *keys)
        if value is not None:
            return value
        current = by_id.get(current.parent_id)
    return None


def _sdk_keys(sdk: Span) -> set[str]:
    """What ties a provider SDK's span to the instrumentation's span of the same request:
    the response id (siblings, OpenLLMetry) or its parent (OpenInference wraps the SDK)."""
    response = sdk.attributes.get("gen_ai.response.id")
    return {key for key in (sdk.parent_id, response) if isinstance(key, str) and key}


def _sdk_usage(sdk: Span) -> Usage | None:
    attributes = sdk.attributes
    return usage_including_cache(
        int_attribute(attributes, "gen_ai.usage.input_tokens"),
        int_attribute(attributes, "gen_ai.usage.cache_read.input_tokens"),
        int_attribute(attributes, "gen_ai.usage.cache_write.input_tokens"),
    )


def _fill_usage(usage: Usage | None, sdk: Span) -> Usage | None:
    """The instrumentation's usage, with what only the SDK's span recorded filled in."""
    own = _sdk_usage(sdk)
    if usage is None or own is None:
        return usage or own
    if usage.cache_write_tokens is None and own.cache_write_tokens is not None:
        return replace(usage, cache_write_tokens=own.cache_write_tokens)
    return usage


def _sdk_only_call(sdk: Span) -> SpanCall:
    attributes = sdk.attributes
    body: dict[str, Any] = {"model": attributes.get("gen_ai.request.model"), "messages": []}
    if attributes.get("gen_ai.request.max_tokens") is not None:
        body["max_tokens"] = attributes["gen_ai.request.max_tokens"]
    return SpanCall(
        body=body,
        api=MESSAGES,
        usage=_sdk_usage(sdk),
        missing=(f"request content not logged ({sdk.scope} traces no content)",),
        call_id=attributes.get("gen_ai.response.id"),
        served_model=attributes.get("gen_ai.response.model"),
    )
