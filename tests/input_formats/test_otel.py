"""The ``otel`` format on hand-written OTLP/JSON fixtures (``cases/otel``): one per dialect
the samples do not cover (OpenLLMetry's flattened prompts, the Vercel AI SDK, the official
OpenAI instrumentation's log events), the Anthropic SDK's own span alone, malformed records,
and records of other formats."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from promptcache.load.formats.base import LoggedCall, Skipped, Usage
from promptcache.load.formats.otel import OpenTelemetryGenAI
from promptcache.load.sources import LoadError
from tests.input_formats.helpers import read_calls

CASES = Path(__file__).parent / "cases" / "otel"
SYSTEM = "You are Pip, the helpdesk assistant of a small bakery. Answer in one sentence."
SCHEMA = {"type": "object", "properties": {"day": {"type": "string"}}, "required": ["day"]}
OPENAI_TOOL = {
    "type": "function",
    "function": {
        "name": "opening_hours",
        "description": "Opening hours of a day.",
        "parameters": SCHEMA,
    },
}
ANTHROPIC_TOOL = {
    "name": "opening_hours",
    "description": "Opening hours of a day.",
    "input_schema": SCHEMA,
}


def _tool_call(call_id: str, arguments: str) -> dict[str, Any]:
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": "opening_hours", "arguments": arguments},
    }


def _calls(name: str) -> list[LoggedCall | LoadError]:
    return read_calls(OpenTelemetryGenAI(), CASES / name)


def _only_calls(name: str) -> list[LoggedCall]:
    found = _calls(name)
    assert all(isinstance(call, LoggedCall) for call in found)
    return [call for call in found if isinstance(call, LoggedCall)]


def test_openllmetry_flattened_openai_prompts_rebuild_the_chat_body_in_start_order() -> None:
    first, second = _only_calls("openllmetry_openai.otlp.jsonl")
    assert first.body == {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": "Are you open on Sunday?"},
        ],
        "max_tokens": 200,
        "temperature": 0.5,
        "user": "u-42",
        "tools": [OPENAI_TOOL],
    }
    assert second.body["messages"][2:] == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [_tool_call("call_1", '{"day": "sunday"}')],
        },
        {"role": "tool", "content": "closed", "tool_call_id": "call_1"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "And this cake?"},
                {"type": "image_url", "image_url": {"url": "https://example.com/cake.png"}},
            ],
        },
    ]
    assert (first.timestamp, second.timestamp) == (1700000001.0, 1700000002.0)
    assert first.session == second.session == "legacy-sess"
    assert first.usage == Usage(input_tokens=61)
    assert first.served_model == "gpt-4o-mini-2024-07-18"
    assert first.body_path == "$.resourceSpans[0].scopeSpans[0].spans[1].attributes"


def test_openllmetry_flattened_anthropic_prompts_keep_logged_blocks_and_usage_with_cache() -> None:
    (call,) = _only_calls("openllmetry_anthropic.otlp.jsonl")
    assert call.api == "anthropic.messages"
    assert call.body == {
        "model": "claude-3-5-haiku-20241022",
        "system": SYSTEM,
        "messages": [
            {"role": "user", "content": "Do you bake rye bread?"},
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": "toolu_1",
                        "name": "opening_hours",
                        "input": {"day": "monday"},
                    }
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_1",
                        "content": "7-18",
                        "cache_control": {"type": "ephemeral"},
                    }
                ],
            },
        ],
        "max_tokens": 300,
        "tools": [ANTHROPIC_TOOL],
    }
    assert call.usage == Usage(input_tokens=1210, cache_read_tokens=1100, cache_write_tokens=100)
    assert call.missing == ()
    # No session attribute anywhere: the trace groups the calls.
    assert call.session == "4bf92f3577b34da6a3ce929d0e0e4736"


def test_vercel_ai_sdk_prompt_is_converted_as_the_openai_provider_sends_it() -> None:
    openai, _ = _only_calls("vercel_ai.otlp.jsonl")
    assert openai.api == "openai.chat"
    assert openai.body == {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": "Are you open on Sunday?"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [_tool_call("call_v1", '{"day":"sunday"}')],
            },
            {"role": "tool", "tool_call_id": "call_v1", "content": '{"open":false}'},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Pity. Look:"},
                    {
                        "type": "image_url",
                        "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="},
                    },
                ],
            },
        ],
        "max_tokens": 400,
        "temperature": 0.3,
        "tools": [OPENAI_TOOL],
        "tool_choice": "auto",
    }
    assert openai.usage == Usage(input_tokens=180, cache_read_tokens=128)
    assert openai.session == "vercel-sess"
    # The run's user, set on the outer span, is the call's end user.
    assert openai.user == "baker-1"
    assert openai.missing == ()


def test_vercel_ai_sdk_anthropic_call_merges_user_turns_and_adds_cache_reads_to_input() -> None:
    _, anthropic = _only_calls("vercel_ai.otlp.jsonl")
    assert anthropic.api == "anthropic.messages"
    assert anthropic.body["system"] == [{"type": "text", "text": SYSTEM}]
    assert anthropic.body["messages"][2] == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "call_v1", "content": '{"open":false}'},
            {"type": "text", "text": "Pity. Look:"},
            {
                "type": "image",
                "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
            },
        ],
    }
    assert anthropic.body["tools"] == [ANTHROPIC_TOOL]
    assert anthropic.body["tool_choice"] == {"type": "auto"}
    assert anthropic.usage == Usage(input_tokens=170, cache_read_tokens=150)
    assert anthropic.missing == (
        "cache_control breakpoints not logged (the usage shows cache reads or writes)",
    )


def test_openai_log_events_join_their_span_whichever_record_comes_first() -> None:
    first, second, alone = _only_calls("openai_v2_events.otlp.jsonl")
    assert first.body == {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": "Reply in JSON: open on Sunday?"},
        ],
        "max_tokens": 100,
    }
    assert first.location.line == 1
    assert first.missing == (
        "tool definitions never logged by opentelemetry.instrumentation.openai_v2",
        "cached tokens not logged",
        "response_format not logged (only its type, json_object)",
    )
    assert second.location.line == 4
    assert second.body["messages"] == [
        {"role": "user", "content": "Sunday?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [_tool_call("call_e", '{"day": "sunday"}')],
        },
        {"role": "tool", "content": "closed", "tool_call_id": "call_e"},
    ]
    assert second.usage == Usage(input_tokens=90)
    assert alone.call_id == "chatcmpl-ev-3"
    assert alone.missing[0] == "input messages not logged (no log events for this span)"


def test_anthropic_sdk_span_alone_is_one_call_without_content() -> None:
    (call,) = _only_calls("anthropic_sdk_only.otlp.jsonl")
    assert call.body == {"model": "claude-sonnet-4-20250514", "messages": [], "max_tokens": 512}
    assert call.missing == (
        "request content not logged (com.anthropic.sdk.python traces no content)",
    )
    assert call.usage == Usage(input_tokens=900, cache_read_tokens=800, cache_write_tokens=50)
    assert call.call_id == "msg_sdk_only"


def test_malformed_span_is_one_error_naming_the_attribute_and_the_rest_is_read() -> None:
    found = _calls("mixed.otlp.jsonl")
    assert [type(item).__name__ for item in found] == [
        "LoadError",
        "LoggedCall",
        "LoadError",
        "LoggedCall",
    ]
    bad, good, not_otlp, flattened = found
    assert isinstance(bad, LoadError)
    assert isinstance(not_otlp, LoadError)
    assert str(bad.location) == f"{CASES / 'mixed.otlp.jsonl'}:1"
    assert bad.message == (
        "$.resourceSpans[0].scopeSpans[0].spans[0].attributes[?(@.key=='gen_ai.input.messages')]"
        ".value: expected a JSON array (as a string), found text that is not JSON"
    )
    assert not_otlp.location.line == 2
    assert not_otlp.message == "$: not an OTLP/JSON export (no 'resourceSpans' or 'resourceLogs')"
    assert isinstance(good, LoggedCall)
    assert good.body["messages"] == [{"role": "user", "content": "Hello"}]
    assert good.session == "conv-7"
    assert isinstance(flattened, LoggedCall)
    assert flattened.location.line == 3


def test_openinference_without_input_value_is_rebuilt_and_partial_when_redacted() -> None:
    flattened = _calls("mixed.otlp.jsonl")[3]
    assert isinstance(flattened, LoggedCall)
    assert flattened.body == {
        "model": "gpt-4o",
        "temperature": 0,
        "messages": [
            {"role": "system", "content": SYSTEM},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "__REDACTED__"}},
                ],
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [_tool_call("call_o", '{"day":"monday"}')],
            },
            {"role": "tool", "content": "7-18", "tool_call_id": "call_o"},
        ],
    }
    assert flattened.missing == (
        "tool definitions not logged (the conversation calls tools)",
        "content redacted by OpenInference (__REDACTED__)",
    )
    assert flattened.user == "customer-9"
    assert flattened.usage == Usage(input_tokens=300, cache_read_tokens=256)


def _first_record(name: str) -> Any:
    return orjson.loads((CASES / name).read_bytes().splitlines()[0])


@pytest.mark.parametrize(
    "name",
    [
        "openllmetry_openai.otlp.jsonl",
        "openllmetry_anthropic.otlp.jsonl",
        "vercel_ai.otlp.jsonl",
        "openai_v2_events.otlp.jsonl",
        "anthropic_sdk_only.otlp.jsonl",
        "mixed.otlp.jsonl",
    ],
)
def test_recognizes_its_own_records(name: str) -> None:
    assert OpenTelemetryGenAI().recognize(_first_record(name)).matches


def test_recognizes_a_logs_export_of_genai_events() -> None:
    logs = orjson.loads((CASES / "openai_v2_events.otlp.jsonl").read_bytes().splitlines()[1])
    assert OpenTelemetryGenAI().recognize(logs).matches


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (
            {"model": "gpt-4o", "messages": []},
            "OpenTelemetry: no 'resourceSpans' or 'resourceLogs' list",
        ),
        (
            {"standard_logging_object": {"messages": []}},
            "OpenTelemetry: no 'resourceSpans' or 'resourceLogs' list",
        ),
        (
            {
                "resourceLogs": [
                    {"scopeLogs": [{"logRecords": [{"body": {"stringValue": "GET /"}}]}]}
                ]
            },
            "OpenTelemetry: an OTLP logs export without GenAI events",
        ),
    ],
)
def test_does_not_recognize_other_records_and_says_why(value: Any, reason: str) -> None:
    recognition = OpenTelemetryGenAI().recognize(value)
    assert (recognition.matches, recognition.reason) == (False, reason)


def test_does_not_recognize_spans_without_genai_attributes() -> None:
    recognition = OpenTelemetryGenAI().recognize(_first_record("no_genai.otlp.jsonl"))
    assert recognition.reason == "OpenTelemetry: no span carries GenAI request attributes"
    assert _calls("no_genai.otlp.jsonl") == []


def test_does_not_recognize_a_langfuse_generation_span() -> None:
    # Langfuse's own export is OTLP too, but its generations carry langfuse.observation.*:
    # the langfuse format reads them.
    attributes = [
        {"key": "langfuse.observation.type", "value": {"stringValue": "generation"}},
        {"key": "langfuse.observation.input", "value": {"stringValue": '{"messages": []}'}},
        {"key": "session.id", "value": {"stringValue": "s-1"}},
    ]
    export = {
        "resourceSpans": [
            {
                "scopeSpans": [
                    {
                        "scope": {"name": "langfuse-sdk"},
                        "spans": [{"traceId": "ab", "spanId": "cd", "attributes": attributes}],
                    }
                ]
            }
        ]
    }
    recognition = OpenTelemetryGenAI().recognize(export)
    assert (recognition.matches, recognition.reason) == (
        False,
        "OpenTelemetry: no span carries GenAI request attributes",
    )


def test_trace_split_over_records_is_one_call_with_the_root_session_and_sdk_cache_writes() -> None:
    (call,) = _only_calls("split_trace.otlp.jsonl")
    assert call.location.line == 2
    assert call.session == "split-sess"
    assert call.body == {
        "model": "claude-sonnet-4-20250514",
        "system": [{"type": "text", "text": SYSTEM}],
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Croissants today?"}]}],
        "max_tokens": 512,
    }
    # The instrumentation's span has no cache-write count; the SDK's own span of the same
    # response does.
    assert call.usage == Usage(input_tokens=900, cache_read_tokens=800, cache_write_tokens=50)


def test_openllmetry_flat_input_messages_and_text_system_instructions_are_rebuilt() -> None:
    anthropic, openai = _only_calls("openllmetry_flat_messages.otlp.jsonl")
    assert anthropic.body == {
        "model": "claude-3-5-haiku-20241022",
        "system": SYSTEM,
        "messages": [
            {"role": "user", "content": "Do you bake rye bread?"},
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Let me check."},
                    {
                        "type": "tool_use",
                        "id": "toolu_2",
                        "name": "opening_hours",
                        "input": {"day": "monday"},
                    },
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "toolu_2", "content": "7-18"}],
            },
        ],
        "max_tokens": 300,
        "tools": [ANTHROPIC_TOOL],
    }
    # Cache reads, and no breakpoint left in the body: the log dropped them.
    assert anthropic.missing == (
        "cache_control breakpoints not logged (the usage shows cache reads or writes)",
    )
    assert anthropic.usage == Usage(input_tokens=1300, cache_read_tokens=1200, cache_write_tokens=0)
    assert openai.body == {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": "Sunday?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [_tool_call("call_f", '{"day": "sunday"}')],
            },
            {"role": "tool", "content": "closed", "tool_call_id": "call_f"},
        ],
    }
    assert openai.missing == ("tool definitions not logged (the conversation calls tools)",)


def test_odd_attribute_values_are_read_without_failing() -> None:
    semconv, vercel, openinference = _only_calls("odd_values.otlp.jsonl")
    # A double that is not a number is left out; a part whose type is a list is kept as text.
    assert semconv.body == {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
    }
    assert semconv.missing == ("a '['text']' part logged without its content",)
    assert vercel.body == {"model": "gpt-4o", "messages": []}
    assert vercel.missing == ("input messages not logged",)
    assert openinference.body["messages"] == [{"role": "user", "content": '{"text": "Hi"}'}]


def test_vercel_ai_sdk_anthropic_breakpoints_from_provider_options_are_kept() -> None:
    anthropic, _ = _only_calls("vercel_ai_more.otlp.jsonl")
    ephemeral = {"type": "ephemeral"}
    assert anthropic.body["system"] == [
        {"type": "text", "text": SYSTEM, "cache_control": ephemeral}
    ]
    assert anthropic.body["messages"][0]["content"][1] == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/jpeg", "data": "R0lGOD=="},
    }
    assert anthropic.body["messages"][2] == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "c1", "content": "Tool execution denied."},
            {
                "type": "tool_result",
                "tool_use_id": "c2",
                "content": '{"error":"timeout"}',
                "is_error": True,
                "cache_control": ephemeral,
            },
        ],
    }
    assert anthropic.body["tools"] == [{**ANTHROPIC_TOOL, "cache_control": ephemeral}]
    assert anthropic.body["tool_choice"] == {"type": "any"}
    # v6 usage: inputTokens already include the cache; the body keeps its breakpoints.
    assert anthropic.usage == Usage(
        input_tokens=3000, cache_read_tokens=2800, cache_write_tokens=100
    )
    assert anthropic.missing == ()


def test_vercel_ai_sdk_v4_prompt_and_generate_object_without_its_schema() -> None:
    _, openai = _only_calls("vercel_ai_more.otlp.jsonl")
    assert openai.body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Cake?"},
                {"type": "image_url", "image_url": {"url": "https://example.com/cake.png"}},
            ],
        },
        {
            "role": "assistant",
            "content": "Checking.",
            "tool_calls": [_tool_call("c4", '{"day":"friday"}')],
        },
        {"role": "tool", "tool_call_id": "c4", "content": "8-16"},
    ]
    assert openai.body["max_tokens"] == 100
    assert openai.body["tools"] == [OPENAI_TOOL]
    assert openai.body["tool_choice"] == {"type": "function", "function": {"name": "opening_hours"}}
    assert openai.usage == Usage(input_tokens=55)
    assert openai.missing == ("response_format (the object schema) not logged",)


def test_responses_api_spans_rebuild_a_responses_body_with_input_items() -> None:
    official, traceloop = _only_calls("responses_api.otlp.jsonl")
    assert official.api == traceloop.api == "openai.responses"
    assert official.body == {
        "model": "gpt-4.1",
        "instructions": SYSTEM,
        "input": [{"role": "user", "content": "Open on Sunday?"}],
        "max_output_tokens": 300,
    }
    assert official.missing == (
        "text.format not logged (the output type is json)",
        "function call items never logged by opentelemetry.util.genai.handler",
        "tool definitions never logged by opentelemetry.util.genai.handler",
    )
    assert official.usage == Usage(input_tokens=1500, cache_read_tokens=1280)
    assert traceloop.body == {
        "model": "gpt-4.1",
        "input": [
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "Open on Sunday?"},
                    {"type": "input_image", "image_url": "https://example.com/door.jpg"},
                ],
            },
            {
                "type": "function_call",
                "call_id": "fc_1",
                "name": "opening_hours",
                "arguments": '{"day": "sunday"}',
            },
            {"type": "function_call_output", "call_id": "fc_1", "output": "closed"},
        ],
        "temperature": 0.0,
        "tools": [{"type": "function", **OPENAI_TOOL["function"]}],
    }
    assert traceloop.missing == ()


def test_framework_llm_spans_around_an_instrumented_call_are_not_second_calls() -> None:
    inner_openinference, inner_openllmetry, _ = _only_calls("framework_wrappers.otlp.jsonl")
    # LangChain's OpenInference span wraps the OpenAI instrumentation's span (same record):
    # the inner span, the body as sent, is the one call.
    assert inner_openinference.call_id == "chatcmpl-inner-1"
    assert inner_openinference.body == {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "Sunday?"}],
        "temperature": 0.1,
    }
    assert inner_openinference.session == "lc-sess"
    # OpenLLMetry's LangChain span ends after the call it wraps, in a later record.
    assert inner_openllmetry.call_id == "chatcmpl-inner-2"
    assert inner_openllmetry.location.line == 2


def test_framework_llm_span_alone_is_rebuilt_from_its_messages_not_its_input() -> None:
    *_, langchain_alone = _only_calls("framework_wrappers.otlp.jsonl")
    # input.value holds LangChain's serialized messages, and the invocation parameters
    # LangChain's names: only request fields are kept.
    assert langchain_alone.body == {
        "model": "gpt-4o",
        "temperature": 0.1,
        "messages": [{"role": "user", "content": "Sunday?"}],
    }
    assert langchain_alone.body_path == "$.resourceSpans[0].scopeSpans[0].spans[0].attributes"


def test_log_events_join_their_spans_across_files() -> None:
    found = read_calls(
        OpenTelemetryGenAI(), CASES / "split_logs.otlp.jsonl", CASES / "split_traces.otlp.jsonl"
    )
    assert [
        (call.location.file, call.call_id) for call in found if isinstance(call, LoggedCall)
    ] == [
        (str(CASES / "split_traces.otlp.jsonl"), "chatcmpl-ev-1"),
        (str(CASES / "split_traces.otlp.jsonl"), "chatcmpl-ev-2"),
    ]
    assert [len(call.body["messages"]) for call in found if isinstance(call, LoggedCall)] == [2, 3]


def test_a_content_less_span_of_the_same_response_neither_replaces_nor_doubles_the_call() -> None:
    (call,) = _only_calls("sdk_self_trace.otlp.jsonl")
    assert call.call_id == "chatcmpl-dup-1"
    assert call.body["messages"] == [{"role": "user", "content": "Hello"}]
    assert call.body_path == "$.resourceSpans[0].scopeSpans[1].spans[0].attributes"


def test_calls_to_providers_promptcache_does_not_read_are_errors_naming_the_provider() -> None:
    *errors, call = _calls("other_providers.otlp.jsonl")
    spans = "$.resourceSpans[0].scopeSpans"
    reads = "is not one promptcache reads (OpenAI, Azure OpenAI, Anthropic)"
    assert [error.message for error in errors if isinstance(error, LoadError)] == [
        f"{spans}[0].spans[0].attributes[?(@.key=='gen_ai.provider.name')].value: "
        f"provider 'gcp.gemini' {reads}",
        f"{spans}[1].spans[0].attributes[?(@.key=='llm.system')].value: "
        f"provider 'mistralai' {reads}",
        f"{spans}[2].spans[0].attributes[?(@.key=='ai.model.provider')].value: "
        f"provider 'google.generative-ai' {reads}",
    ]
    assert isinstance(call, LoggedCall)
    assert call.body["messages"] == [{"role": "user", "content": "Hello"}]


def test_tool_results_logged_as_content_blocks_stay_blocks() -> None:
    anthropic, openai = _only_calls("tool_result_blocks.otlp.jsonl")
    assert anthropic.body["messages"] == [
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_9",
                    "content": [
                        {"type": "text", "text": "7-18"},
                        {"type": "text", "text": "closed Sunday"},
                    ],
                }
            ],
        }
    ]
    assert openai.body["messages"] == [
        {"role": "tool", "tool_call_id": "call_9", "content": [{"type": "text", "text": "7-18"}]},
        # A decoded JSON result goes back to the text the SDK user sent.
        {"role": "tool", "tool_call_id": "call_10", "content": '{"open": false}'},
    ]


def test_openllmetry_event_mode_anthropic_call_is_rebuilt_from_its_events() -> None:
    (call,) = _only_calls("openllmetry_events.otlp.jsonl")
    assert call.api == "anthropic.messages"
    assert call.body == {
        "model": "claude-sonnet-4-20250514",
        "max_tokens": 200,
        "system": SYSTEM,
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Rye?", "cache_control": {"type": "ephemeral"}}
                ],
            },
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": "toolu_e",
                        "name": "opening_hours",
                        "input": {"day": "monday"},
                    }
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "toolu_e", "content": "7-18"}],
            },
        ],
    }
    # The events hold a breakpoint (so the cache activity is accounted for) and tool calls
    # (so the request had tools, which the span did not log).
    assert call.missing == ("tool definitions not logged (the conversation calls tools)",)
    assert call.usage == Usage(input_tokens=1500, cache_read_tokens=1400, cache_write_tokens=50)


def test_a_field_no_attribute_gave_is_left_out_of_the_body_not_null() -> None:
    (call,) = _only_calls("no_model.otlp.jsonl")
    assert call.body == {"messages": [{"role": "user", "content": "Hi"}]}


FAILED = "failed before the provider answered (span status ERROR, no token count)"


def test_a_call_span_that_failed_before_any_answer_is_skipped_not_counted() -> None:
    found = _calls("failed_calls.otlp.jsonl")
    assert [type(call).__name__ for call in found] == ["LoggedCall"] + ["Skipped"] * 3
    assert [call.reason for call in found if isinstance(call, Skipped)] == [FAILED] * 3
    assert [str(call.location) for call in found] == [
        f"{CASES / 'failed_calls.otlp.jsonl'}:{line}" for line in (1, 1, 2, 3)
    ]


def test_openllmetry_json_mode_is_the_json_object_response_format_not_a_schema() -> None:
    call = _calls("failed_calls.otlp.jsonl")[0]
    assert isinstance(call, LoggedCall)
    assert call.body["response_format"] == {"type": "json_object"}
    assert call.missing == ()


def test_openllmetry_responses_call_gives_back_its_instructions_string_input_and_stream() -> None:
    streamed, with_tools = _only_calls("openllmetry_responses.otlp.jsonl")
    assert streamed.body == {
        "model": "gpt-4o",
        "instructions": SYSTEM,
        "input": "Open on Sunday?",
        "stream": True,
    }
    assert with_tools.body == {
        "model": "gpt-4o",
        "instructions": SYSTEM,
        "input": [
            {"role": "user", "content": "Open on Sunday?"},
            {
                "type": "function_call",
                "call_id": "call_9",
                "name": "opening_hours",
                "arguments": '{"day": "sunday"}',
            },
            {"type": "function_call_output", "call_id": "call_9", "output": "closed"},
        ],
    }
    assert streamed.missing == ()
    assert with_tools.missing == ("tool definitions not logged (the conversation calls tools)",)
