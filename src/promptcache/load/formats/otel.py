"""OpenTelemetry GenAI spans as OTLP/JSON, whatever the instrumentation's dialect.

The collector's file exporter and the SDKs' JSON exporters write one
``ExportTraceServiceRequest`` (``resourceSpans``) per line; an LLM call is one span whose
attributes describe the request in one of several dialects, each read by its own module:

- the current GenAI semantic conventions (:mod:`.otel_semconv`): OpenLLMetry 0.4x+, the
  official ``opentelemetry-instrumentation-openai-v2`` with the latest conventions (parts
  messages, :mod:`.otel_parts`; OpenLLMetry's flat messages, :mod:`.otel_flat_messages`;
  Responses calls, :mod:`.otel_responses_items`);
- OpenLLMetry's older flattened ``gen_ai.prompt.N.*`` (:mod:`.otel_openllmetry`);
- OpenInference's ``input.value`` / ``llm.input_messages.N.*`` (:mod:`.otel_openinference`);
- the Vercel AI SDK's ``ai.*`` (:mod:`.otel_vercel`);
- the official OpenAI instrumentation's log events (``resourceLogs``, :mod:`.otel_events`),
  joined to their span by span id.

The Anthropic SDK traces itself (scope ``com.anthropic.sdk.python``) beside an
instrumentation's span of the same request: such a span is never a second call; it fills the
usage the instrumentation's span lacks, and is a call of its own (without content) only when
no instrumentation span recorded that request.

Calls come in start-time order within a record (one exporter batch, one trace per line in
the samples); records are read one at a time. The session is ``session.id`` (or
``gen_ai.conversation.id``, the AI SDK's ``sessionId`` metadata) on the span or its nearest
ancestor, else the one an earlier record gave its trace, else the trace id.
Reference: https://opentelemetry.io/docs/specs/semconv/gen-ai/
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from promptcache.load.formats._otlp_kinds import is_log_export, is_trace_export
from promptcache.load.formats.base import (
    InputFormat,
    LoggedCall,
    Recognition,
    Skipped,
    not_recognized,
)
from promptcache.load.sources import LoadError, RawRecord

if TYPE_CHECKING:
    from promptcache.load.formats.otel_reader import AuditReader


class OpenTelemetryGenAI(InputFormat):
    """LLM call spans of any OpenTelemetry GenAI dialect, with their log events."""

    name = "otel"
    joins_files = True
    title = "OpenTelemetry GenAI spans (OTLP/JSON)"
    carries = (
        "request rebuilt from span attributes (GenAI conventions, OpenLLMetry, "
        "OpenInference, Vercel AI SDK, OpenAI log events), usage, time, session, user; "
        "tools, cached tokens, response_format or cache_control missing in some dialects"
    )
    priority = 60

    def __init__(self) -> None:
        # One reader for the audit's files: a collector may write traces and logs to
        # separate files, and a span's events must join it across them. Made when a file of
        # spans is read, so that telling another file's format never imports the dialects.
        self._audit: AuditReader | None = None

    def recognize(self, value: Any) -> Recognition:
        if not (is_trace_export(value) or is_log_export(value)):
            return not_recognized("OpenTelemetry: no 'resourceSpans' or 'resourceLogs' list")
        from promptcache.load.formats.otel_reader import recognition

        return recognition(value)

    def calls(
        self, records: Iterator[RawRecord | LoadError]
    ) -> Iterator[LoggedCall | LoadError | Skipped]:
        return self._reader().calls(records)

    def finish(self) -> Iterator[LoggedCall | LoadError | Skipped]:
        """Spans still waiting for their log events, events for their span, and provider
        SDK spans no instrumentation span claimed: each a call of its own."""
        return iter(()) if self._audit is None else self._audit.leftovers()

    def _reader(self) -> AuditReader:
        if self._audit is None:
            from promptcache.load.formats.otel_reader import AuditReader

            self._audit = AuditReader()
        return self._audit
