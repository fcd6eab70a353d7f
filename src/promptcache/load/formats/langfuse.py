"""Langfuse: generations as its SDK sends them (OpenTelemetry spans) and as it exports them.

Langfuse (https://langfuse.com) records each LLM call as a *generation* observation. Two
shapes reach promptcache:

* **OTLP/JSON spans** (SDK v3 and later, which send OpenTelemetry to ``/api/public/otel``):
  a generation is a span with ``langfuse.observation.type = generation``; its pieces are
  attributes ``langfuse.observation.input`` / ``.model.name`` / ``.model.parameters`` /
  ``.usage_details`` (JSON text) and ``langfuse.observation.metadata.<key>``; the trace's
  ``session.id`` and ``user.id`` are copied onto every span (``langfuse/_client/
  attributes.py``, ``LangfuseOtelSpanAttributes``, langfuse-python 5.2.0).
* **Exported observations**: ``GET /api/public/observations`` (and ``/api/public/v2/
  observations``) pages ``{"data": [...], "meta": {...}}`` or their rows one per line,
  camelCase (``traceId``, ``startTime``, ``model``, ``modelParameters``, ``usageDetails``;
  ``langfuse/api/commons/types/observation_v2.py``); and the blob-storage export's rows,
  snake_case (``trace_id``, ``start_time``, ``provided_model_name``, ``model_parameters``
  as JSON text, ``usage_details``, ``input`` as JSON text; https://langfuse.com/docs/
  api-and-data-platform/features/blob-storage-export-fields).

How the body is rebuilt from a generation's pieces, and what Langfuse loses on the way, is
:mod:`promptcache.load.formats._langfuse_generation`. These spans are also OpenTelemetry
spans: this format goes before the generic one (priority 50) and claims only spans that carry
``langfuse.*`` attributes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from promptcache.load.formats._otlp_kinds import is_trace_export
from promptcache.load.formats.base import (
    RECOGNIZED,
    InputFormat,
    LoggedCall,
    Recognition,
    Skipped,
    not_recognized,
)
from promptcache.load.sources import LoadError, RawRecord

if TYPE_CHECKING:
    from promptcache.load.formats.otlp import Span

_PREFIX = "langfuse."
_OBSERVATION_TYPES = frozenset({"SPAN", "GENERATION", "EVENT", "AGENT", "TOOL", "CHAIN",
                                "RETRIEVER", "EVALUATOR", "EMBEDDING", "GUARDRAIL"})
"""Langfuse's observation types, as its API and exports spell them."""


class Langfuse(InputFormat):
    """Langfuse generations: OTLP spans from its SDK, API pages and blob-storage exports."""

    name = "langfuse"
    title = "Langfuse generations (SDK spans, API, blob-storage export)"
    carries = ("messages and tools as the OpenAI integration keeps them, model parameters, "
               "usage, session and user; lacks the request's own model name (the "
               "response's), `user`, `tool_choice`, and image sizes (media references)")
    priority = 50

    def recognize(self, value: Any) -> Recognition:
        if is_trace_export(value):
            from promptcache.load.formats.otlp import spans

            if any(_is_langfuse_span(span) for span in spans(value)):
                return RECOGNIZED
            return not_recognized("Langfuse: an OTLP export with no span carrying "
                                  "'langfuse.*' attributes")
        if _is_page(value) or _is_observation(value) or _is_trace_detail(value):
            return RECOGNIZED
        if _is_trace(value):
            return not_recognized("Langfuse: a trace without its observations (an export's "
                                  "trace row, or a trace list, which names observations by "
                                  "id); its calls are in the observations export, or in "
                                  "GET /api/public/traces/{id}")
        return not_recognized("Langfuse: neither an OTLP export with 'langfuse.*' span "
                              "attributes nor an observation ('id', 'traceId', 'type', "
                              "'startTime')")

    def calls(self, records: Iterator[RawRecord | LoadError],
              ) -> Iterator[LoggedCall | LoadError | Skipped]:
        # Imported here: telling a file's format needs only the checks below.
        from promptcache.load.formats._langfuse_reading import (
            observation_calls,
            page_calls,
            span_calls,
            trace_calls,
        )

        for record in records:
            if isinstance(record, LoadError):
                yield record
            elif is_trace_export(record.value):
                yield from span_calls(record.location, record.value)
            elif _is_page(record.value):
                yield from page_calls(record.location, record.value["data"])
            elif _is_trace_detail(record.value):
                yield from trace_calls(record.location, record.value)
            elif _is_observation(record.value):
                yield from observation_calls(record.location, [("$", record.value)])
            else:
                yield LoadError(record.location, "$: " + self.recognize(record.value).reason)


def _is_langfuse_span(span: Span) -> bool:
    return any(key.startswith(_PREFIX) for key in span.attributes)


def _is_trace(value: Any) -> bool:
    """A trace: its own time, and the session/user keys observations lack."""
    items = value.get("data") if isinstance(value, Mapping) else None
    if isinstance(items, list) and items:
        value = items[0]  # a page of traces
    return (isinstance(value, Mapping) and "timestamp" in value
            and any(key in value for key in ("sessionId", "session_id", "userId", "user_id")))


def _is_trace_detail(value: Any) -> bool:
    """``GET /api/public/traces/{id}``: a trace with its observations in full."""
    observations = value.get("observations") if isinstance(value, Mapping) else None
    return (_is_trace(value) and isinstance(observations, list) and bool(observations)
            and all(_is_observation(item) for item in observations))


def _is_page(value: Any) -> bool:
    data = value.get("data") if isinstance(value, Mapping) else None
    return (isinstance(data, list) and isinstance(value.get("meta"), Mapping)
            and all(_is_observation(item) for item in data))


def _is_observation(value: Any) -> bool:
    return (isinstance(value, Mapping) and isinstance(value.get("id"), str)
            and str(value.get("type", "")).upper() in _OBSERVATION_TYPES
            and first(value, "traceId", "trace_id") is not None
            and first(value, "startTime", "start_time") is not None)


def first(row: Mapping[str, Any], *keys: str) -> Any:
    """The first of ``keys`` whose value is neither missing, null nor ''."""
    return next((row[key] for key in keys if row.get(key) not in (None, "")), None)
