"""How :mod:`.langfuse` reads generations into calls: kept apart so that telling a file's
format never imports the rebuilding of Langfuse's generations."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from promptcache.load.formats import otlp
from promptcache.load.formats._failed_calls import FAILED, failure
from promptcache.load.formats._fields import mapping_of, text_of
from promptcache.load.formats._langfuse_generation import Generation, Rebuilt, rebuild, usage
from promptcache.load.formats._times import iso_seconds
from promptcache.load.formats.base import LoggedCall, Skipped
from promptcache.load.formats.embedded import json_text
from promptcache.load.formats.langfuse import first
from promptcache.load.sources import LoadError
from promptcache.model import Location

_TYPE = "langfuse.observation.type"
_METADATA = "langfuse.observation.metadata."
_SDK_SCOPE = "langfuse-sdk"
"""The instrumentation scope of the Langfuse SDK's own spans (``LANGFUSE_TRACER_NAME``)."""


def span_calls(location: Location,
               export: Mapping[str, Any]) -> Iterator[LoggedCall | LoadError | Skipped]:
    spans = list(otlp.spans(export))
    generations = [span for span in spans if span.attributes.get(_TYPE) == "generation"]
    # The exporter writes spans as they end; calls are made in the order they start.
    generations.sort(key=lambda span: span.start_ns or 0)
    for span in generations:
        attributes = span.attributes
        metadata = {key.removeprefix(_METADATA): json_text(value, value)
                    for key, value in attributes.items() if key.startswith(_METADATA)}
        metadata.update(mapping_of(json_text(attributes.get("langfuse.observation.metadata"))))
        generation = Generation(
            input=json_text(attributes.get("langfuse.observation.input"),
                            attributes.get("langfuse.observation.input")),
            input_path=f"{span.path}.attributes[langfuse.observation.input]",
            model=text_of(attributes.get("langfuse.observation.model.name")),
            parameters=mapping_of(json_text(attributes.get("langfuse.observation.model.parameters"))),
            metadata=metadata,
            usage_details=mapping_of(json_text(attributes.get("langfuse.observation.usage_details"))),
            output=json_text(attributes.get("langfuse.observation.output")),
        )
        yield _call(location, generation, timestamp=span.start_seconds,
                    timestamp_path=f"{span.path}.startTimeUnixNano",
                    session=text_of(attributes.get("session.id")) or span.trace_id or None,
                    user=text_of(attributes.get("user.id")), call_id=span.span_id or None,
                    error=_error(attributes.get("langfuse.observation.level"),
                                 attributes.get("langfuse.observation.status_message")))
    foreign = [span for span in spans if _is_foreign_llm_span(span)]
    if foreign:
        scopes = ", ".join(sorted({span.scope or "no scope" for span in foreign}))
        yield LoadError(location, f"{foreign[0].path}: {len(foreign)} LLM span(s) of other "
                        f"instrumentations ({scopes}) are not Langfuse generations and are not "
                        "read by this format: audit the file with --input-format otel as well")


def page_calls(location: Location,
               data: list[Any]) -> Iterator[LoggedCall | LoadError | Skipped]:
    yield from observation_calls(location, [(f"$.data[{n}]", item)
                                             for n, item in enumerate(data)])


def trace_calls(location: Location,
                trace: Mapping[str, Any]) -> Iterator[LoggedCall | LoadError | Skipped]:
    # Observations inside a trace do not repeat its session and user.
    context = {"sessionId": trace.get("sessionId"), "userId": trace.get("userId")}
    yield from observation_calls(location, [
        (f"$.observations[{n}]", {**context, **{key: value for key, value in item.items()
                                                 if value is not None}})
        for n, item in enumerate(trace["observations"])])


def observation_calls(location: Location,
                       rows: list[tuple[str, Any]]) -> Iterator[LoggedCall | LoadError | Skipped]:
    generations = [(path, row) for path, row in rows
                   if str(row.get("type", "")).upper() == "GENERATION"]
    # The API pages newest first; calls are made in the order they start.
    generations.sort(key=lambda item: iso_seconds(first(item[1], "startTime", "start_time")) or 0)
    for path, row in generations:
        raw_input = row.get("input")
        generation = Generation(
            input=json_text(raw_input, raw_input),
            input_path=f"{path}.input",
            model=text_of(first(row, "model", "provided_model_name", "providedModelName")),
            parameters=mapping_of(json_text(first(row, "modelParameters", "model_parameters"))),
            metadata=mapping_of(json_text(row.get("metadata"))),
            # `usage` is the older API's name for the same flat counts.
            usage_details=mapping_of(json_text(first(row, "usageDetails", "usage_details",
                                                    "usage"))),
            output=json_text(row.get("output")),
        )
        yield _call(location, generation,
                    timestamp=iso_seconds(first(row, "startTime", "start_time")),
                    timestamp_path=f"{path}.{'startTime' if 'startTime' in row else 'start_time'}",
                    session=text_of(first(row, "sessionId", "session_id"))
                    or text_of(first(row, "traceId", "trace_id")),
                    user=text_of(first(row, "userId", "user_id")), call_id=text_of(row.get("id")),
                    error=_error(row.get("level"),
                                 first(row, "statusMessage", "status_message")))


def _call(location: Location, generation: Generation, *, timestamp: float | None,
          timestamp_path: str, session: str | None, user: str | None, call_id: str | None,
          error: str | None) -> LoggedCall | LoadError | Skipped:
    counts = usage(generation.usage_details)
    if error and counts is None:
        return Skipped(location, error)
    rebuilt = rebuild(generation)
    if not isinstance(rebuilt, Rebuilt):
        return LoadError(location, rebuilt)
    return LoggedCall(location=location, body=rebuilt.body, body_path=generation.input_path,
                      api=rebuilt.api, usage=counts,
                      timestamp=timestamp, session=session, user=user,
                      served_model=None if generation.model == rebuilt.body.get("model")
                      else generation.model, missing=rebuilt.missing, call_id=call_id,
                      relocations=(("$.timestamp", timestamp_path),))


def _error(level: Any, status_message: Any) -> str | None:
    """Why a generation the integration ended as an error (level ``ERROR``, the exception's
    text as status message: ``langfuse/openai.py``) is skipped; ``None`` for any other."""
    if str(level).upper() != "ERROR":
        return None
    return failure(status_message) or FAILED


def _is_foreign_llm_span(span: otlp.Span) -> bool:
    """A span another instrumentation wrote (the Langfuse SDK exports GenAI spans and known
    LLM instrumentations' spans beside its own: ``langfuse/_client/span_filter.py``,
    ``is_default_export_span``): its call is in its own attributes, which the OpenTelemetry
    format reads, not this one."""
    if span.scope == _SDK_SCOPE or span.attributes.get(_TYPE) is not None:
        return False
    return (any(key.startswith(("gen_ai.", "llm.")) for key in span.attributes)
            or span.attributes.get("openinference.span.kind") == "LLM")

