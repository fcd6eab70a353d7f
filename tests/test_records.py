"""Envelopes, validation messages and the fields a request keeps."""

from __future__ import annotations

from typing import Any

import pytest

from promptcache.load.formats.openai_batch import OpenAIBatch
from promptcache.load.records import normalize_call, normalize_record
from promptcache.load.sources import LoadError, RawRecord
from promptcache.model import Location, Request

BODY = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hello"}]}


def _normalize(value: Any) -> Request | LoadError:
    """One record read as its format reads it: a Batch line by ``openai_batch``, anything
    else as request bodies."""
    record = RawRecord(Location("log.jsonl", 7), value)
    if isinstance(value, dict) and "custom_id" in value:
        [call] = OpenAIBatch().calls(iter([record]))
        return call if isinstance(call, LoadError) else normalize_call(call)
    return normalize_record(record)


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
        pytest.param({"input": 5, "model": "gpt-4o"},
                     "$.input: expected string or array, found number",
                     id="responses-input-number"),
        pytest.param({"request": {"input": "hi", "tools": [{"type": "function"}]}},
                     "$.request.tools[0]: missing required field 'name'",
                     id="responses-tool-without-name"),
        pytest.param({"custom_id": "x", "url": "/v1/responses",
                      "body": {"input": [{"type": "function_call", "arguments": {}}]}},
                     "$.body.input[0].arguments: expected string, found object",
                     id="responses-batch-arguments-object"),
        pytest.param({"request": {"input": "hi"}, "response": {"usage": {"input_tokens": -1}}},
                     "$.response.usage.input_tokens: must be at least 0, found -1",
                     id="responses-negative-usage"),
        pytest.param({"custom_id": "x", "url": "/v1/embeddings", "body": {"input": "x"}},
                     "$.url: a batch line for /v1/embeddings", id="batch-embeddings"),
        pytest.param({"hello": 1}, "$: not a request", id="unrelated-object"),
        pytest.param({"model": "claude-sonnet-4-5", "max_tokens": 10, "system": "x",
                      "messages": [{"role": "user", "content": 5}]},
                     "$.messages[0].content: expected string or array, found number",
                     id="anthropic"),
        pytest.param({"request": {"model": "claude-3-5-haiku", "max_tokens": 10,
                                  "messages": [{"role": "tool", "content": "hi"}]}},
                     # a tool message makes it a chat body sent to Claude (a gateway's)
                     "$.request.messages[0].tool_call_id: a tool message without a "
                     "tool_call_id", id="anthropic-pair"),
    ],
)
def test_invalid_records_say_where_and_what(value: Any, message: str) -> None:
    result = _normalize(value)
    assert isinstance(result, LoadError)
    assert result.location == Location("log.jsonl", 7)
    assert message in result.message


RESPONSES_BODY = {"model": "gpt-4o", "instructions": "Be brief.",
                  "input": [{"role": "user", "content": "Hello"}]}


def test_responses_bare_body() -> None:
    request = _normalize(RESPONSES_BODY)
    assert isinstance(request, Request)
    assert (request.api, request.model, request.observed) == ("openai.responses", "gpt-4o", None)
    assert [s.path for s in request.segments if s.text] == ["$.instructions",
                                                             "$.input[0].content"]


def test_responses_instructions_alone_and_string_input() -> None:
    only = _normalize({"model": "gpt-5", "instructions": "Say hi."})
    assert isinstance(only, Request)
    assert only.api == "openai.responses"
    text = _normalize({"model": "gpt-5", "input": "Hello"})
    assert isinstance(text, Request)
    assert text.segments[1].path == "$.input"


def test_responses_pair_keeps_input_usage_key_user_and_settings() -> None:
    record = {
        "request": {**RESPONSES_BODY, "model": "gpt-5", "prompt_cache_key": "tenant-7",
                    "safety_identifier": "u2", "tool_choice": "auto",
                    "parallel_tool_calls": False, "reasoning": {"effort": "low"}},
        "response": {"usage": {"input_tokens": 1300,
                               "input_tokens_details": {"cached_tokens": 1152},
                               "prompt_tokens": 1}},
    }
    request = _normalize(record)
    assert isinstance(request, Request)
    assert request.api == "openai.responses"
    assert request.observed is not None
    assert (request.observed.prompt_tokens, request.observed.cached_tokens) == (1300, 1152)
    assert (request.cache_key, request.user) == ("tenant-7", "u2")
    assert request.settings == {"tool_choice": '"auto"', "reasoning_effort": '"low"',
                                "parallel_tool_calls": "false"}
    assert request.segments[-2].path == "$.request.input[0].content"


def test_chat_pair_ignores_responses_usage_fields() -> None:
    request = _normalize({"request": BODY, "response": {"usage": {"input_tokens": 8}}})
    assert isinstance(request, Request)
    assert request.observed is None


def test_responses_batch_line() -> None:
    record = {"custom_id": "r1", "method": "POST", "url": "/v1/responses",
              "body": RESPONSES_BODY}
    request = _normalize(record)
    assert isinstance(request, Request)
    assert request.api == "openai.responses"
    assert request.segments[-2].path == "$.body.input[0].content"


def test_unknown_fields_and_models_are_tolerated() -> None:
    request = _normalize({**BODY, "model": "acme-9000", "frobnicate": True,
                          "messages": [{"role": "user", "content": "hi", "extra": 1}]})
    assert isinstance(request, Request)
    assert request.model == "acme-9000"
