"""What every OpenTelemetry GenAI dialect module shares: the call it rebuilds from one span,
the problem it raises when a span it should read is malformed, and readers of attributes.

Each ``otel_<dialect>`` module has ``claims(span) -> bool`` (whether the span is an LLM call
written in its dialect) and ``rebuild(span) -> SpanCall``; :mod:`.otel` tries them in order
and turns the result into a :class:`~promptcache.load.formats.base.LoggedCall`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from promptcache.load.formats.base import LoggedCall, Usage
from promptcache.load.formats.embedded import json_text
from promptcache.load.formats.otlp import Span
from promptcache.load.sources import RawRecord


@dataclass(frozen=True, slots=True)
class SpanCall:
    """One call as a dialect rebuilt it from a span's attributes."""

    body: dict[str, Any]
    """The request body, rebuilt in the provider's own shape."""
    api: str
    """:data:`~promptcache.load.formats.base.CHAT`, ``RESPONSES`` or ``MESSAGES``."""
    body_key: str | None = None
    """The attribute holding the whole body (OpenInference's ``input.value``), when one
    does; None when the body is put together from several attributes."""
    usage: Usage | None = None
    missing: tuple[str, ...] = ()
    """What the span lacks that the provider counted (see ``LoggedCall.missing``)."""
    call_id: str | None = None
    """The provider's response id, shared with the provider SDK's own span."""
    served_model: str | None = None
    user: str | None = None
    """The end user named outside the body (OpenInference's ``user.id``)."""


class Dialect(Protocol):
    """What a dialect module provides (each ``otel_<dialect>`` module is one)."""

    def claims(self, span: Span) -> bool:
        """Whether ``span`` is an LLM call written in this dialect."""
        ...

    def rebuild(self, span: Span) -> SpanCall:
        """The call the span describes; :class:`SpanProblem` when an attribute it needs is
        malformed."""
        ...


class SpanProblem(Exception):
    """A span of the dialect whose attribute cannot be read: ``key`` names the attribute."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


def attribute_path(span: Span, key: str) -> str:
    """The JSON path of one attribute's value in the record, for messages."""
    return f"{span.path}.attributes[?(@.key=='{key}')].value"


def json_attribute(attributes: Mapping[str, Any], key: str, expected: type) -> Any:
    """A JSON-encoded attribute, decoded; None when absent; SpanProblem when it is not JSON
    of the ``expected`` type (list or dict)."""
    raw = attributes.get(key)
    if raw is None:
        return None
    value = json_text(raw)
    if not isinstance(value, expected):
        what = "a JSON array" if expected is list else "a JSON object"
        raise SpanProblem(key, f"expected {what} (as a string), found {_describe(raw)}")
    return value


def int_attribute(attributes: Mapping[str, Any], *keys: str) -> int | None:
    """The first of ``keys`` holding an integer (OTLP int64 already decoded)."""
    for key in keys:
        value = attributes.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
    return None


def str_attribute(attributes: Mapping[str, Any], *keys: str) -> str | None:
    """The first of ``keys`` holding a non-empty string."""
    for key in keys:
        value = attributes.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def indexed(attributes: Mapping[str, Any], prefix: str) -> list[dict[str, Any]]:
    """Flattened list attributes (``prefix.0.role``, ``prefix.0.content``, ``prefix.1...``)
    as a list of dicts keyed by the rest of the name (``role``, ``tool_calls.0.id``), in
    index order; a gap in the indexes is kept as an empty dict so positions stay true."""
    pattern = re.compile(re.escape(prefix) + r"\.(\d+)\.(.+)")
    found: dict[int, dict[str, Any]] = {}
    for key, value in attributes.items():
        match = pattern.fullmatch(key)
        if match:
            found.setdefault(int(match.group(1)), {})[match.group(2)] = value
    if not found:
        return []
    return [found.get(index, {}) for index in range(max(found) + 1)]


def usage_including_cache(
    prompt: int | None, cache_read: int | None, cache_write: int | None
) -> Usage | None:
    """Usage whose prompt count should already include cache reads and writes (the GenAI
    conventions say so); a count smaller than its own cache parts cannot include them (an
    instrumentation that copied Anthropic's ``input_tokens``), so they are added."""
    if prompt is None:
        return None
    read = cache_read or 0
    if prompt < read + (cache_write or 0):
        prompt += read + (cache_write or 0)
    return Usage(input_tokens=prompt, cache_read_tokens=read, cache_write_tokens=cache_write)


def is_anthropic(attributes: Mapping[str, Any], *keys: str) -> bool:
    """Whether the provider the first of ``keys`` names is Anthropic (Messages API); False
    for OpenAI and Azure OpenAI, or when none is named. Any other provider's API is not one
    promptcache reads: :class:`SpanProblem`, rather than a body counted in the wrong shape."""
    for key in keys:
        value = attributes.get(key)
        if not isinstance(value, str) or not value:
            continue
        name = value.lower()
        if name.startswith("anthropic"):
            return True
        if name.startswith(("openai", "azure", "az.ai.openai")):
            return False
        raise SpanProblem(
            key,
            f"provider '{value}' is not one promptcache reads (OpenAI, Azure OpenAI, Anthropic)",
        )
    return False


def breakpoints_missing(
    body: Mapping[str, Any], cache_read: int | None, cache_write: int | None
) -> tuple[str, ...]:
    """For an Anthropic call: Anthropic reads and writes its cache only at ``cache_control``
    breakpoints, so cache activity in the usage of a body that holds none proves the log
    dropped them, and the call is partial."""
    if (cache_read or cache_write) and not _holds_key(body, "cache_control"):
        return ("cache_control breakpoints not logged (the usage shows cache reads or writes)",)
    return ()


def _holds_key(value: Any, key: str) -> bool:
    if isinstance(value, Mapping):
        return key in value or any(_holds_key(item, key) for item in value.values())
    if isinstance(value, list):
        return any(_holds_key(item, key) for item in value)
    return False


def dumps_like_python(value: Any) -> str:
    """JSON text the way Python SDKs write tool-call arguments (``json.dumps`` defaults), so a
    rebuilt body matches the bytes the provider received when the log decoded them."""
    return json.dumps(value)


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return "text that is not JSON" if json_text(value) is None else "other JSON"
    return type(value).__name__


def logged_call(record: RawRecord, span: Span, rebuilt: SpanCall, session: str) -> LoggedCall:
    """The call a span (and its dialect's reading of it) describes."""
    body_path = (
        f"{attribute_path(span, rebuilt.body_key)}.stringValue"
        if rebuilt.body_key
        else f"{span.path}.attributes"
    )
    # A field the span did not name (a model no attribute gave) is left out, not sent as
    # null, unless the log kept the body whole (OpenInference's input.value).
    body = (
        rebuilt.body
        if rebuilt.body_key
        else {key: value for key, value in rebuilt.body.items() if value is not None}
    )
    return LoggedCall(
        location=record.location,
        body=body,
        body_path=body_path,
        api=rebuilt.api,
        usage=rebuilt.usage,
        timestamp=span.start_seconds,
        session=session,
        user=rebuilt.user,
        served_model=rebuilt.served_model,
        missing=rebuilt.missing,
        call_id=rebuilt.call_id or f"{span.trace_id}/{span.span_id}",
        relocations=(("$.timestamp", f"{span.path}.startTimeUnixNano"),),
    )
