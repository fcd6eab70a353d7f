"""Envelopes, validation messages and the fields a request keeps."""

from __future__ import annotations

from typing import Any

import pytest

from promptcache.load.records import normalize_record
from promptcache.load.sources import LoadError, RawRecord
from promptcache.model import Location, Request

BODY = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hello"}]}


def _normalize(value: Any) -> Request | LoadError:
    return normalize_record(RawRecord(Location("log.jsonl", 7), value))


def test_bare_body() -> None:
    request = _normalize(BODY)
    assert isinstance(request, Request)
    assert request.model == "gpt-4o"
    assert request.observed is None
    assert request.segments[-2].path == "$.messages[0].content"


def test_pair_keeps_usage_timestamp_and_session() -> None:
    record = {
        "timestamp": "2025-03-01T10:00:00Z",
        "request": {**BODY, "prompt_cache_key": "tenant-7", "user": "u1"},
        "response": {"usage": {"prompt_tokens": 8, "prompt_tokens_details": {"cached_tokens": 0}}},
        "meta": {"session": "s-1"},
    }
    request = _normalize(record)
    assert isinstance(request, Request)
    assert request.timestamp == 1740823200.0
    assert request.session == "s-1"
    assert request.cache_key == "tenant-7"
    assert request.user == "u1"
    assert request.observed is not None
    assert (request.observed.prompt_tokens, request.observed.cached_tokens) == (8, 0)
    assert request.segments[-2].path == "$.request.messages[0].content"


def test_batch_line() -> None:
    record = {"custom_id": "r1", "method": "POST", "url": "/v1/chat/completions", "body": BODY}
    request = _normalize(record)
    assert isinstance(request, Request)
    assert request.segments[-2].path == "$.body.messages[0].content"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param([1, 2], "$: expected a JSON object, found array", id="not-an-object"),
        pytest.param({"messages": "hi"}, "$.messages: expected array, found string",
                     id="messages-not-array"),
        pytest.param({"messages": [{"content": "hi"}]},
                     "$.messages[0]: missing required field 'role'", id="missing-role"),
        pytest.param({"messages": [{"role": "user", "content": 5}]},
                     "$.messages[0].content: expected string or null or array, found number",
                     id="content-number"),
        pytest.param({"request": {**BODY, "tools": [{"type": "function", "function": {}}]}},
                     "$.request.tools[0].function: missing required field 'name'",
                     id="tool-without-name"),
        pytest.param({"request": BODY, "timestamp": "yesterday"},
                     "$.timestamp: not an ISO 8601 time: 'yesterday'", id="bad-timestamp"),
        pytest.param({"request": BODY, "response": {"usage": {"prompt_tokens": -1}}},
                     "$.response.usage.prompt_tokens: must be at least 0, found -1",
                     id="negative-usage"),
        pytest.param({"input": "hi", "model": "gpt-4o"}, "Responses API", id="responses-api"),
        pytest.param({"custom_id": "x", "url": "/v1/embeddings", "body": {"input": "x"}},
                     "$.url: batch line for /v1/embeddings", id="batch-embeddings"),
        pytest.param({"hello": 1}, "$: not a request", id="unrelated-object"),
    ],
)
def test_invalid_records_say_where_and_what(value: Any, message: str) -> None:
    result = _normalize(value)
    assert isinstance(result, LoadError)
    assert result.location == Location("log.jsonl", 7)
    assert message in result.message


def test_unknown_fields_and_models_are_tolerated() -> None:
    request = _normalize({**BODY, "model": "acme-9000", "frobnicate": True,
                          "messages": [{"role": "user", "content": "hi", "extra": 1}]})
    assert isinstance(request, Request)
    assert request.model == "acme-9000"
