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
from typing import Any

from promptcache.load.formats import otlp
from promptcache.load.formats._langfuse_generation import Generation, Rebuilt, rebuild, usage
from promptcache.load.formats._times import iso_seconds
from promptcache.load.formats.base import (
    RECOGNIZED,
    InputFormat,
    LoggedCall,
    Recognition,
    not_recognized,
)
from promptcache.load.formats.embedded import json_text
from promptcache.load.sources import LoadError, RawRecord
from promptcache.model import Location

_PREFIX = "langfuse."
_SDK_SCOPE = "langfuse-sdk"
"""The instrumentation scope of the Langfuse SDK's own spans (``LANGFUSE_TRACER_NAME``)."""
_TYPE = "langfuse.observation.type"
_METADATA = "langfuse.observation.metadata."
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
        if otlp.is_trace_export(value):
            if any(_is_langfuse_span(span) for span in otlp.spans(value)):
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

    def calls(self, records: Iterator[RawRecord | LoadError]) -> Iterator[LoggedCall | LoadError]:
        for record in records:
            if isinstance(record, LoadError):
                yield record
            elif otlp.is_trace_export(record.value):
                yield from _span_calls(record.location, record.value)
            elif _is_page(record.value):
                yield from _page_calls(record.location, record.value["data"])
            elif _is_trace_detail(record.value):
                yield from _trace_calls(record.location, record.value)
            elif _is_observation(record.value):
                yield from _observation_calls(record.location, [("$", record.value)])
            else:
                yield LoadError(record.location, "$: " + self.recognize(record.value).reason)


def _is_langfuse_span(span: otlp.Span) -> bool:
    return any(key.startswith(_PREFIX) for key in span.attributes)


def _is_foreign_llm_span(span: otlp.Span) -> bool:
    """A span another instrumentation wrote (the Langfuse SDK exports GenAI spans and known
    LLM instrumentations' spans beside its own: ``langfuse/_client/span_filter.py``,
    ``is_default_export_span``): its call is in its own attributes, which the OpenTelemetry
    format reads, not this one."""
    if span.scope == _SDK_SCOPE or span.attributes.get(_TYPE) is not None:
        return False
    return (any(key.startswith(("gen_ai.", "llm.")) for key in span.attributes)
            or span.attributes.get("openinference.span.kind") == "LLM")


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
            and _first(value, "traceId", "trace_id") is not None
            and _first(value, "startTime", "start_time") is not None)


def _span_calls(location: Location, export: Mapping[str, Any]) -> Iterator[LoggedCall | LoadError]:
    spans = list(otlp.spans(export))
    generations = [span for span in spans if span.attributes.get(_TYPE) == "generation"]
    # The exporter writes spans as they end; calls are made in the order they start.
    generations.sort(key=lambda span: span.start_ns or 0)
    for span in generations:
        attributes = span.attributes
        metadata = {key.removeprefix(_METADATA): json_text(value, value)
                    for key, value in attributes.items() if key.startswith(_METADATA)}
        metadata.update(_mapping(json_text(attributes.get("langfuse.observation.metadata"))))
        generation = Generation(
            input=json_text(attributes.get("langfuse.observation.input"),
                            attributes.get("langfuse.observation.input")),
            input_path=f"{span.path}.attributes[langfuse.observation.input]",
            model=_text(attributes.get("langfuse.observation.model.name")),
            parameters=_mapping(json_text(attributes.get("langfuse.observation.model.parameters"))),
            metadata=metadata,
            usage_details=_mapping(json_text(attributes.get("langfuse.observation.usage_details"))),
            output=json_text(attributes.get("langfuse.observation.output")),
        )
        yield _call(location, generation, timestamp=span.start_seconds,
                    session=_text(attributes.get("session.id")) or span.trace_id or None,
                    user=_text(attributes.get("user.id")), call_id=span.span_id or None)
    foreign = [span for span in spans if _is_foreign_llm_span(span)]
    if foreign:
        scopes = ", ".join(sorted({span.scope or "no scope" for span in foreign}))
        yield LoadError(location, f"{foreign[0].path}: {len(foreign)} LLM span(s) of other "
                        f"instrumentations ({scopes}) are not Langfuse generations and are not "
                        "read by this format: audit the file with --input-format otel as well")


def _page_calls(location: Location, data: list[Any]) -> Iterator[LoggedCall | LoadError]:
    yield from _observation_calls(location, [(f"$.data[{n}]", item)
                                             for n, item in enumerate(data)])


def _trace_calls(location: Location, trace: Mapping[str, Any]) -> Iterator[LoggedCall | LoadError]:
    # Observations inside a trace do not repeat its session and user.
    context = {"sessionId": trace.get("sessionId"), "userId": trace.get("userId")}
    yield from _observation_calls(location, [
        (f"$.observations[{n}]", {**context, **{key: value for key, value in item.items()
                                                 if value is not None}})
        for n, item in enumerate(trace["observations"])])


def _observation_calls(location: Location,
                       rows: list[tuple[str, Any]]) -> Iterator[LoggedCall | LoadError]:
    generations = [(path, row) for path, row in rows
                   if str(row.get("type", "")).upper() == "GENERATION"]
    # The API pages newest first; calls are made in the order they start.
    generations.sort(key=lambda item: iso_seconds(_first(item[1], "startTime", "start_time")) or 0)
    for path, row in generations:
        raw_input = row.get("input")
        generation = Generation(
            input=json_text(raw_input, raw_input),
            input_path=f"{path}.input",
            model=_text(_first(row, "model", "provided_model_name", "providedModelName")),
            parameters=_mapping(json_text(_first(row, "modelParameters", "model_parameters"))),
            metadata=_mapping(json_text(row.get("metadata"))),
            # `usage` is the older API's name for the same flat counts.
            usage_details=_mapping(json_text(_first(row, "usageDetails", "usage_details",
                                                    "usage"))),
            output=json_text(row.get("output")),
        )
        yield _call(location, generation,
                    timestamp=iso_seconds(_first(row, "startTime", "start_time")),
                    session=_text(_first(row, "sessionId", "session_id"))
                    or _text(_first(row, "traceId", "trace_id")),
                    user=_text(_first(row, "userId", "user_id")), call_id=_text(row.get("id")))


def _call(location: Location, generation: Generation, *, timestamp: float | None,
          session: str | None, user: str | None, call_id: str | None) -> LoggedCall | LoadError:
    rebuilt = rebuild(generation)
    if not isinstance(rebuilt, Rebuilt):
        return LoadError(location, rebuilt)
    return LoggedCall(location=location, body=rebuilt.body, body_path=generation.input_path,
                      api=rebuilt.api, usage=usage(generation.usage_details),
                      timestamp=timestamp, session=session, user=user,
                      served_model=None if generation.model == rebuilt.body.get("model")
                      else generation.model, missing=rebuilt.missing, call_id=call_id)


def _first(row: Mapping[str, Any], *keys: str) -> Any:
    return next((row[key] for key in keys if row.get(key) not in (None, "")), None)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
