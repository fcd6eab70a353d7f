"""Anthropic Message Batches: the requests sent, joined to the results JSONL.

Requests, as sent to ``POST /v1/messages/batches``: the body ``{"requests": [{"custom_id",
"params": {<Messages body>}}, ...]}`` kept as one JSON document, or its ``requests`` kept
one per line::

    {"custom_id": "ticket-1", "params": {"model": "claude-sonnet-4-5", "max_tokens": 800,
                                         "system": [...], "messages": [...]}}

Results, from ``GET /v1/messages/batches/{id}/results`` (the SDK's
``client.messages.batches.results(id)``), one line per request in any order::

    {"custom_id": "ticket-1", "result": {"type": "succeeded", "message": {"id": "msg_...",
     "model": "...", "content": [...], "usage": {"input_tokens": 21,
     "cache_creation_input_tokens": 0, "cache_read_input_tokens": 2048, ...}}}}
    {"custom_id": "ticket-2", "result": {"type": "errored", "error": {"type": "error",
     "error": {"type": "invalid_request_error", "message": "..."}}}}
    {"custom_id": "ticket-3", "result": {"type": "expired"}}        (or "canceled")

``params`` is the Messages body the batch ran, exactly. Anthropic's ``input_tokens`` counts
only the tokens after the last cache breakpoint: :class:`~promptcache.load.formats.base.Usage`
adds ``cache_read_input_tokens`` and ``cache_creation_input_tokens`` back. Results carry no
time. A request that errored, expired or was canceled is audited without usage, and its
result line says why.

Sources: Anthropic's API reference, "Create a Message Batch" and "Retrieve Message Batch
results" (https://docs.anthropic.com/en/api/creating-message-batches,
https://docs.anthropic.com/en/api/retrieving-message-batch-results), the batch processing
guide (https://docs.anthropic.com/en/docs/build-with-claude/batch-processing), and the SDK's
types, anthropics/anthropic-sdk-python@src/anthropic/types/messages/
(``batch_create_params.py``, ``message_batch_individual_response.py``,
``message_batch_succeeded_result.py``, ``message_batch_errored_result.py``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from promptcache.load.formats._batches import (
    BatchFormat,
    BatchProblem,
    BatchRequest,
    Outcome,
    error_line,
    object_field,
    string_field,
)
from promptcache.load.formats._fields import count
from promptcache.load.formats.base import (
    MESSAGES,
    RECOGNIZED,
    Recognition,
    Usage,
    not_recognized,
)
from promptcache.load.validator import json_type
from promptcache.model import Location

_CACHE_READ = "cache_read_input_tokens"
_CACHE_WRITE = "cache_creation_input_tokens"


class AnthropicBatch(BatchFormat):
    """Anthropic Message Batches requests and results, joined by ``custom_id``."""

    name: ClassVar[str] = "anthropic_batch"
    title: ClassVar[str] = "Anthropic Message Batches requests and results"
    carries: ClassVar[str] = (
        "requests: each Messages body as sent; results: usage with cache reads and writes "
        "and the serving model, joined by custom_id; no time, no session")
    requests_file: ClassVar[str] = ("the batch's requests file (the body sent to "
                                    "/v1/messages/batches)")

    def recognize(self, value: Any) -> Recognition:
        if not isinstance(value, Mapping):
            return not_recognized(f"Anthropic batch: a JSON {json_type(value)}, not an object")
        if isinstance(value.get("requests"), list):
            first = next(iter(value["requests"]), None)
            if isinstance(first, Mapping) and "params" in first:
                return RECOGNIZED
            return not_recognized("Anthropic batch: 'requests' holds no {'custom_id', "
                                  "'params'} object")
        if "custom_id" not in value:
            return not_recognized("Anthropic batch: no 'custom_id'")
        if "params" in value or self.is_result(value):
            return RECOGNIZED
        return not_recognized("Anthropic batch: a 'custom_id' with neither 'params' (a "
                              "request) nor 'result' (a result line)")

    def is_result(self, value: Mapping[str, Any]) -> bool:
        return "result" in value and "params" not in value

    def outcome(self, value: Mapping[str, Any], location: Location) -> Outcome:
        result = object_field(value, "result")
        kind = result.get("type")
        if kind == "succeeded":
            message = object_field(result, "message", "$.result")
            model, call_id = message.get("model"), message.get("id")
            return Outcome(location, _usage(object_field(message, "usage", "$.result.message")),
                           served_model=model if isinstance(model, str) else None,
                           call_id=call_id if isinstance(call_id, str) else None)
        if kind == "errored":
            return Outcome(location, None, failure=f"$.result.error: the request errored: "
                                                   f"{_error_text(result.get('error'))}")
        if kind in ("canceled", "expired"):
            return Outcome(location, None, failure=f"$.result.type: the batch {kind} the "
                                                   "request before it ran")
        raise BatchProblem(f"$.result.type: expected 'succeeded', 'errored', 'canceled' or "
                           f"'expired', found {kind!r}" if isinstance(kind, str) else
                           f"$.result.type: expected a string, found {json_type(kind)}")

    def requests(self, value: Mapping[str, Any]) -> Iterator[BatchRequest | BatchProblem]:
        if "custom_id" in value or not isinstance(value.get("requests"), list):
            yield _request(value, "$")
            return
        for index, item in enumerate(value["requests"]):
            path = f"$.requests[{index}]"
            if isinstance(item, Mapping):
                yield _request(item, path)
            else:
                yield BatchProblem(f"{path}: expected an object, found {json_type(item)}")


def _request(value: Mapping[str, Any], path: str) -> BatchRequest | BatchProblem:
    try:
        return BatchRequest(string_field(value, "custom_id", path),
                            object_field(value, "params", path), f"{path}.params", MESSAGES)
    except BatchProblem as problem:
        return problem


def _usage(usage: Mapping[str, Any]) -> Usage:
    """Anthropic's usage in :class:`Usage`'s meaning: its ``input_tokens`` leaves out the
    cache reads and writes, which are prompt tokens too."""
    uncached = count(usage.get("input_tokens"))
    if uncached is None:
        found = usage.get("input_tokens")
        raise BatchProblem("$.result.message.usage.input_tokens: " + (
            f"expected a non-negative integer, found {json_type(found)}"
            if "input_tokens" in usage else "missing"))
    read = count(usage.get(_CACHE_READ)) or 0
    written = count(usage.get(_CACHE_WRITE))
    return Usage(input_tokens=uncached + read + (written or 0), cache_read_tokens=read,
                 cache_write_tokens=written)


def _error_text(error: Any) -> str:
    """The error of an Anthropic error response: ``{"type": "error", "error": {"type",
    "message"}}``."""
    inner = error.get("error") if isinstance(error, Mapping) else None
    if not isinstance(inner, Mapping):
        return "no details"
    return error_line(inner.get("type"), inner.get("message"))
