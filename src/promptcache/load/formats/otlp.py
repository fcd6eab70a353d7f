"""Spans out of OTLP/JSON, the encoding OpenTelemetry's file exporter and SDK write.

One record is an ``ExportTraceServiceRequest``: ``resourceSpans[] -> scopeSpans[] ->
spans[]``, each span's ``attributes`` a list of ``{"key", "value": {"stringValue" |
"intValue" | "doubleValue" | "boolValue" | "arrayValue" | "kvlistValue" | "bytesValue"}}``
(int64 values as strings, as the OTLP/JSON mapping says). Formats built on spans
(OpenTelemetry GenAI dialects, Langfuse) read them through :func:`spans`, which turns the
attributes into a plain dict and keeps each span's JSON path for messages.
Reference: https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from promptcache.load.formats._fields import mapping_of
from promptcache.load.formats._otlp_kinds import is_trace_export as is_trace_export


@dataclass(frozen=True, slots=True)
class Span:
    """One span, its attributes decoded."""

    path: str
    """Its JSON path in the record (``$.resourceSpans[0].scopeSpans[1].spans[2]``)."""
    trace_id: str
    span_id: str
    parent_id: str
    name: str
    scope: str
    """The instrumentation scope's name (``openinference.instrumentation.openai``)."""
    start_ns: int | None
    end_ns: int | None
    attributes: Mapping[str, Any]
    """Attribute values as Python values: str, int, float, bool, lists, dicts."""
    resource: Mapping[str, Any]
    """The resource's attributes (``service.name``...)."""
    failed: bool = False
    """Whether its status is ERROR (``status.code`` 2): the call raised (a refusal, a
    rate limit, a dropped connection)."""

    @property
    def start_seconds(self) -> float | None:
        """The start as seconds since the epoch."""
        return None if self.start_ns is None else self.start_ns / 1e9


def spans(export: Mapping[str, Any]) -> Iterator[Span]:
    """Every span of an export, in the order written; malformed parts are skipped (the
    format reading them reports what it then lacks)."""
    for r, resource_spans in enumerate(_list(export.get("resourceSpans"))):
        if not isinstance(resource_spans, Mapping):
            continue
        resource = attributes(mapping_of(resource_spans.get("resource")).get("attributes"))
        for s, scope_spans in enumerate(_list(resource_spans.get("scopeSpans"))):
            if not isinstance(scope_spans, Mapping):
                continue
            scope = str(mapping_of(scope_spans.get("scope")).get("name") or "")
            for n, span in enumerate(_list(scope_spans.get("spans"))):
                if not isinstance(span, Mapping):
                    continue
                yield Span(
                    path=f"$.resourceSpans[{r}].scopeSpans[{s}].spans[{n}]",
                    trace_id=str(span.get("traceId") or ""),
                    span_id=str(span.get("spanId") or ""),
                    parent_id=str(span.get("parentSpanId") or ""),
                    name=str(span.get("name") or ""),
                    scope=scope,
                    start_ns=_int(span.get("startTimeUnixNano")),
                    end_ns=_int(span.get("endTimeUnixNano")),
                    attributes=attributes(span.get("attributes")),
                    resource=resource,
                    failed=mapping_of(span.get("status")).get("code") in (2, "STATUS_CODE_ERROR"),
                )


def attributes(items: Any) -> dict[str, Any]:
    """An OTLP key/value list as a dict (later keys win, as the SDKs do)."""
    found: dict[str, Any] = {}
    for item in _list(items):
        if isinstance(item, Mapping) and isinstance(item.get("key"), str):
            found[item["key"]] = any_value(item.get("value"))
    return found


def any_value(value: Any) -> Any:
    """An OTLP ``AnyValue`` as a Python value (None when empty or malformed)."""
    if not isinstance(value, Mapping):
        return None
    if "stringValue" in value:
        return value["stringValue"]
    if "intValue" in value:
        return _int(value["intValue"])
    if "doubleValue" in value:
        return _float(value["doubleValue"])
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "arrayValue" in value:
        return [any_value(item) for item in _list(mapping_of(value["arrayValue"]).get("values"))]
    if "kvlistValue" in value:
        return attributes(mapping_of(value["kvlistValue"]).get("values"))
    if "bytesValue" in value:
        return value["bytesValue"]
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    return None


def _float(value: Any) -> float | None:
    # The JSON mapping writes NaN and infinities as strings; any other text is malformed.
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
