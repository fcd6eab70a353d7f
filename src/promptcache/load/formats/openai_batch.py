"""OpenAI Batch API files: the input JSONL the user uploads, joined to the output JSONL.

Input line (the request input object)::

    {"custom_id": "request-1", "method": "POST", "url": "/v1/chat/completions",
     "body": {"model": "gpt-4o", "messages": [...]}}

Output line, in any order (the request output object; the error file has the same shape)::

    {"id": "batch_req_...", "custom_id": "request-1",
     "response": {"status_code": 200, "request_id": "...", "body": {<chat.completion>}},
     "error": null}

``body`` is sent as is, so it is the request exactly as the provider received it. The
output gives each call its usage (``prompt_tokens`` / ``input_tokens``, which include the
cached ``cached_tokens``: already :class:`~promptcache.load.formats.base.Usage`'s meaning),
the model that served it and the response's ``created`` time, the nearest a batch comes to
when a request ran. A request that failed (``error`` set, or a ``response`` whose
``status_code`` is not 200) is audited without usage, and its output line says why.

Sources: the request input and output objects of OpenAI's API reference
(https://platform.openai.com/docs/api-reference/batch/request-input and
``/request-output``; the OpenAPI spec's ``BatchRequestInput`` / ``BatchRequestOutput``,
openai/openai-openapi@openapi.yaml) and the Batch guide
(https://platform.openai.com/docs/guides/batch).
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
    CHAT,
    RECOGNIZED,
    RESPONSES,
    Recognition,
    Usage,
    not_recognized,
)
from promptcache.load.validator import json_type
from promptcache.model import Location

_ENDPOINTS = {"/v1/chat/completions": CHAT, "/v1/responses": RESPONSES}
"""The batch endpoints whose requests promptcache counts (a batch may also run
``/v1/embeddings``, ``/v1/completions`` or ``/v1/moderations``)."""


class OpenAIBatch(BatchFormat):
    """OpenAI Batch API input and output files, joined by ``custom_id``."""

    name: ClassVar[str] = "openai_batch"
    title: ClassVar[str] = "OpenAI Batch API input and output files"
    carries: ClassVar[str] = (
        "input: each request body as sent; output: usage with cached tokens and the serving "
        "model, joined by custom_id; no send time (the response's creation time stands in), "
        "no session")
    requests_file: ClassVar[str] = "the batch's input file"

    def recognize(self, value: Any) -> Recognition:
        if not isinstance(value, Mapping):
            return not_recognized(f"OpenAI Batch: a JSON {json_type(value)}, not an object")
        if "custom_id" not in value:
            return not_recognized("OpenAI Batch: no 'custom_id'")
        if "body" in value or self.is_result(value):
            return RECOGNIZED
        return not_recognized("OpenAI Batch: a 'custom_id' with neither 'body' (an input "
                              "line) nor 'response' and 'error' (an output line)")

    def is_result(self, value: Mapping[str, Any]) -> bool:
        return "body" not in value and ("response" in value or "error" in value)

    def requests_named(self, value: Mapping[str, Any]) -> str | None:
        # Not in the output format; the Batch object's field, which some download scripts
        # copy into each line they save.
        named = value.get("input_file_id")
        return named if isinstance(named, str) and named else None

    def outcome(self, value: Mapping[str, Any], location: Location) -> Outcome:
        error = value.get("error")
        if isinstance(error, Mapping):
            return Outcome(location, None, failure=f"$.error: the batch reports "
                                                   f"{_error_text(error)}")
        response = object_field(value, "response")
        status = response.get("status_code")
        answer = response.get("body")
        error = answer.get("error") if isinstance(answer, Mapping) else None
        if not (isinstance(status, int) and 200 <= status < 300) or isinstance(error, Mapping):
            detail = f": {_error_text(error)}" if isinstance(error, Mapping) else ""
            return Outcome(location, None, failure=f"$.response: the request failed with status "
                                                   f"{status}{detail}")
        body = object_field(response, "body", "$.response")
        model, call_id = body.get("model"), body.get("id")
        created = body.get("created", body.get("created_at"))
        return Outcome(
            location, _usage(object_field(body, "usage", "$.response.body")),
            served_model=model if isinstance(model, str) else None,
            call_id=call_id if isinstance(call_id, str) else None,
            timestamp=float(created) if count(created) is not None else None)

    def requests(self, value: Mapping[str, Any]) -> Iterator[BatchRequest | BatchProblem]:
        try:
            custom_id = string_field(value, "custom_id")
            body = object_field(value, "body")
            yield BatchRequest(custom_id, body, "$.body", _api(value.get("url"), body))
        except BatchProblem as problem:
            yield problem


def _api(url: Any, body: Mapping[str, Any]) -> str:
    """The API a line is for, from its ``url`` (a path, as the format has it, or a full URL)."""
    if url is None:  # not in the format, but lines written by hand often leave it out
        return CHAT if "messages" in body else RESPONSES
    if not isinstance(url, str):
        raise BatchProblem(f"$.url: expected a string, found {json_type(url)}")
    path = url.split("?", 1)[0].rstrip("/")
    for endpoint, api in _ENDPOINTS.items():
        if path.endswith(endpoint.removeprefix("/v1")):
            return api
    raise BatchProblem(f"$.url: a batch line for {url}; promptcache reads "
                       f"{' and '.join(_ENDPOINTS)} requests")


def _usage(usage: Mapping[str, Any]) -> Usage:
    """Chat Completions (``prompt_tokens``) or Responses (``input_tokens``) usage; both
    include the cached tokens, as :class:`Usage` does."""
    for total, details in (("prompt_tokens", "prompt_tokens_details"),
                           ("input_tokens", "input_tokens_details")):
        if total in usage:
            tokens = count(usage[total])
            if tokens is None:
                raise BatchProblem(f"$.response.body.usage.{total}: expected a non-negative "
                                   f"integer, found {json_type(usage[total])}")
            breakdown = usage.get(details)
            cached = count(breakdown.get("cached_tokens")) if isinstance(breakdown, Mapping) else 0
            return Usage(input_tokens=tokens, cache_read_tokens=cached or 0)
    raise BatchProblem("$.response.body.usage: no 'prompt_tokens' or 'input_tokens'")


def _error_text(error: Mapping[str, Any]) -> str:
    return error_line(error.get("code") or error.get("type"), error.get("message"))
