"""The shared OpenTelemetry samples, read by the ``otel`` format: every LLM span is one call,
in the order the requests were made, its body the one the provider received (or that body
less what the dialect does not log, said in ``missing``), its usage in promptcache's one
meaning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from promptcache.load.formats.base import LoggedCall, Usage
from promptcache.load.formats.otel import OpenTelemetryGenAI
from promptcache.load.sources import LoadError
from tests.conftest import shared_format_sample
from tests.input_formats.helpers import read_calls, truth_lines

SESSIONS = (
    ["sess_1418b6d1b0f6d6c5"] * 5 + ["sess_63148fae514f0bb0"] * 5 + ["sess_b461f2cefe54c845"] * 4
)
CACHED_SPANS_FROM_IMAGE_TURN = (2, 3, 4)


def _sample(folder: str) -> tuple[list[LoggedCall], list[dict[str, Any]]]:
    log = shared_format_sample(folder, "traces.otlp.jsonl")
    calls = read_calls(OpenTelemetryGenAI(), log)
    assert not [call for call in calls if isinstance(call, LoadError)]
    return [call for call in calls if isinstance(call, LoggedCall)], truth_lines(
        Path(log).with_name("traces.truth.jsonl")
    )


def _openai_usage(usage: dict[str, Any]) -> Usage:
    return Usage(
        input_tokens=usage["prompt_tokens"],
        cache_read_tokens=usage["prompt_tokens_details"]["cached_tokens"],
    )


def _anthropic_usage(usage: dict[str, Any]) -> Usage:
    read, write = usage["cache_read_input_tokens"], usage["cache_creation_input_tokens"]
    return Usage(
        input_tokens=usage["input_tokens"] + read + write,
        cache_read_tokens=read,
        cache_write_tokens=write,
    )


def _without(value: Any, *keys: str) -> Any:
    if isinstance(value, dict):
        return {key: _without(item, *keys) for key, item in value.items() if key not in keys}
    if isinstance(value, list):
        return [_without(item, *keys) for item in value]
    return value


def test_openinference_openai_sample_gives_every_body_as_sent_with_usage_and_sessions() -> None:
    calls, truth = _sample("otel_openinference_openai")
    assert [call.body for call in calls] == [line["request"] for line in truth]
    assert [call.usage for call in calls] == [_openai_usage(line["usage"]) for line in truth]
    assert [call.session for call in calls] == SESSIONS
    assert [call.api for call in calls] == ["openai.chat"] * 14
    assert all(call.missing == () for call in calls)
    assert calls[0].timestamp == 1796396283.6252778
    assert calls[0].body_path.endswith(
        "spans[0].attributes[?(@.key=='input.value')].value.stringValue"
    )


def test_openinference_anthropic_sample_counts_each_request_once_despite_the_sdk_spans() -> None:
    calls, truth = _sample("otel_openinference_anthropic")
    assert [call.body for call in calls] == [line["request"] for line in truth]
    assert [call.usage for call in calls] == [_anthropic_usage(line["usage"]) for line in truth]
    assert [call.api for call in calls] == ["anthropic.messages"] * 14
    assert [call.session for call in calls] == SESSIONS
    assert all(call.missing == () for call in calls)


def test_traceloop_openai_sample_rebuilds_bodies_and_says_what_the_spans_dropped() -> None:
    calls, truth = _sample("otel_traceloop_openai")
    complete = [index for index, call in enumerate(calls) if not call.missing]
    assert complete == [0, 1, 5, 6, 7, 8, 10, 11, 12, 13]
    assert [calls[index].body for index in complete] == [
        truth[index]["request"] for index in complete
    ]
    for index in CACHED_SPANS_FROM_IMAGE_TURN:
        assert calls[index].missing == ("input messages not logged",)
        assert calls[index].body == {**truth[index]["request"], "messages": []}
    assert calls[9].missing == ("response_format name and strict flag not logged",)
    assert (
        calls[9].body["response_format"]["json_schema"]["schema"]
        == (truth[9]["request"]["response_format"]["json_schema"]["schema"])
    )
    assert [call.usage for call in calls] == [_openai_usage(line["usage"]) for line in truth]
    assert [call.session for call in calls] == SESSIONS
    assert calls[0].timestamp == 1796396295.6233072


def test_traceloop_anthropic_sample_rebuilds_bodies_less_breakpoints_and_metadata() -> None:
    calls, truth = _sample("otel_traceloop_anthropic")
    assert [call.body for call in calls] == [
        _without(line["request"], "cache_control", "metadata") for line in truth
    ]
    assert {call.missing for call in calls} == {
        ("cache_control breakpoints not logged (the usage shows cache reads or writes)",)
    }
    assert [call.usage for call in calls] == [_anthropic_usage(line["usage"]) for line in truth]
    assert [call.session for call in calls] == SESSIONS


def test_openai_v2_latest_sample_is_partial_without_tools_and_cached_tokens() -> None:
    calls, truth = _sample("otel_openai_v2_latest")
    expected = [_without(line["request"], "tools", "user", "response_format") for line in truth]
    for index in CACHED_SPANS_FROM_IMAGE_TURN:
        expected[index]["messages"][5] = {"role": "user", "content": ""}
    assert [call.body for call in calls] == expected
    assert calls[0].missing == (
        "tool definitions not logged (the conversation calls tools)",
        "cached tokens not logged",
    )
    assert calls[2].missing == (
        "content of a message not logged",
        "tool definitions not logged (the conversation calls tools)",
        "cached tokens not logged",
    )
    assert "response_format not logged (the output type is json)" in calls[9].missing
    assert [call.usage for call in calls] == [
        Usage(input_tokens=line["usage"]["prompt_tokens"]) for line in truth
    ]
    assert [call.session for call in calls] == SESSIONS
