"""LiteLLM: the standard logging payload (shared sample and own cases) and proxy spend logs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import orjson
import pytest

from promptcache.cli.main import main
from promptcache.load.calls import tell_format
from promptcache.load.formats import all_formats, format_named
from promptcache.load.formats._responses import REFUSED
from promptcache.load.formats.base import CHAT, MESSAGES, RESPONSES, LoggedCall, Skipped, Usage
from promptcache.load.formats.litellm import LOGGED_TWICE, LiteLLM
from promptcache.load.sources import LoadError
from tests.conftest import shared_format_sample

from .helpers import as_received, body_count, read_calls, truth_lines

CASES = Path(__file__).parent / "cases" / "litellm"
FORECAST_TOOL = {"type": "function", "function": {
    "name": "get_forecast", "description": "Weather forecast for a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"], "additionalProperties": False}}}
ANTHROPIC_FORECAST_TOOL = {
    "name": "get_forecast",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}},
                     "required": ["city"], "additionalProperties": False},
    "type": "custom", "description": "Weather forecast for a city."}


def _read(*paths: Path) -> list[LoggedCall | LoadError | Skipped]:
    """The calls of ``paths`` as their providers received them: a completion() call to Claude,
    which the reader keeps in the chat form LiteLLM logged, as LiteLLM's Anthropic body."""
    return [as_received(found) for found in read_calls(LiteLLM(), *paths)]


def _calls(name: str, as_logged: bool = False) -> list[LoggedCall | LoadError]:
    """The calls and errors of a case file (the calls skipped on purpose: see _skipped), as
    received, or ``as_logged`` (as the reader gives them)."""
    found = read_calls(LiteLLM(), CASES / name) if as_logged else _read(CASES / name)
    return [item for item in found if not isinstance(item, Skipped)]


def _skipped(name: str) -> list[tuple[int, str]]:
    return [(item.location.line, item.reason) for item in _read(CASES / name)
            if isinstance(item, Skipped)]


def _call(found: LoggedCall | LoadError) -> LoggedCall:
    assert isinstance(found, LoggedCall), found
    return found


def _as_logged(value: Any) -> Any:
    """A truth body as LiteLLM's log keeps it: base64 payloads over 64 characters replaced by
    LiteLLM's placeholder naming their decoded size."""
    if isinstance(value, str):
        data_url = re.fullmatch(r"(data:[^;]+;base64,)([A-Za-z0-9+/=]{65,})", value)
        if data_url:
            return f"{data_url[1]}[base64_data truncated: {len(data_url[2]) * 3 // 4}B]"
        if re.fullmatch(r"[A-Za-z0-9+/=]{65,}", value):
            return f"[base64_data truncated: {len(value) * 3 // 4}B]"
        return value
    if isinstance(value, dict):
        return {key: _as_logged(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_logged(item) for item in value]
    return value


# --- the shared sample, written by litellm 1.110.2 ---------------------------------------

def _sample() -> tuple[list[LoggedCall | LoadError], list[dict[str, Any]]]:
    log = shared_format_sample("litellm", "standard_logging_payload.jsonl")
    truth = truth_lines(shared_format_sample("litellm", "standard_logging_payload.truth.jsonl"))
    return _read(log), truth


def test_sample_bodies_equal_the_requests_the_providers_received() -> None:
    calls, truth = _sample()
    assert len(calls) == len(truth) == 28
    for call, line in zip(calls, truth, strict=True):
        call = _call(call)
        assert call.api == (MESSAGES if line["provider"] == "anthropic" else CHAT)
        if call.missing:
            # Only the image data is lost: LiteLLM logs a size placeholder for it.
            assert all("image data replaced by a placeholder" in what for what in call.missing)
            assert call.body != line["request"]
            assert call.body == _as_logged(line["request"])
        else:
            assert call.body == line["request"]


def test_sample_anthropic_rows_carry_litellms_translation() -> None:
    calls, truth = _sample()
    json_row = _call(calls[23])
    assert json_row.body == truth[23]["request"]
    names = [tool["name"] for tool in json_row.body["tools"]]
    assert names[:2] == ["json_tool_call", "lookup_order"]
    assert json_row.body["tool_choice"] == {"name": "json_tool_call", "type": "tool"}
    assert json_row.body["system"][1]["cache_control"] == {"type": "ephemeral"}


def test_sample_partial_calls_are_the_rows_with_an_image() -> None:
    calls, _ = _sample()
    partial = [number for number, call in enumerate(calls) if _call(call).missing]
    assert partial == [2, 3, 4, 16, 17, 18]
    assert _call(calls[2]).missing == ("image data replaced by a placeholder in LiteLLM's log",)


def test_sample_usage_counts_cache_reads_and_writes_inside_input_tokens() -> None:
    calls, truth = _sample()
    for call, line in zip(calls, truth, strict=True):
        usage = line["usage"]
        if line["provider"] == "anthropic":
            expected = Usage(
                input_tokens=usage["input_tokens"] + usage["cache_read_input_tokens"]
                + usage["cache_creation_input_tokens"],
                cache_read_tokens=usage["cache_read_input_tokens"],
                cache_write_tokens=usage["cache_creation_input_tokens"])
        else:
            expected = Usage(input_tokens=usage["prompt_tokens"],
                             cache_read_tokens=usage["prompt_tokens_details"]["cached_tokens"])
        assert _call(call).usage == expected
    assert _call(calls[14]).usage == Usage(2066, 0, 2062)


def test_sample_times_sessions_and_ids() -> None:
    calls, _ = _sample()
    first = _call(calls[0])
    assert first.timestamp == 1796396276.249095
    assert first.call_id == "chatcmpl-2A6dBCA4bSUTeA8m9WMGhN"
    assert first.served_model == "gpt-4o-2024-08-06"
    sessions = [_call(call).session for call in calls]
    assert sessions[:5] == ["sess_1418b6d1b0f6d6c5"] * 5
    assert len(set(sessions)) == 3
    stamps = [_call(call).timestamp or 0.0 for call in calls]
    assert stamps == sorted(stamps)


# --- own cases: the standard logging payload ----------------------------------------------

def test_openai_body_is_messages_and_request_parameters_without_litellms_own() -> None:
    call = _call(_calls("payload_openai.jsonl")[0])
    assert call.body == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "system", "content": "You plan trips."},
                     {"role": "user", "content": "Weather in Lyon?"}],
        "temperature": 0.3, "max_tokens": 300, "user": "traveller-12",
        "tools": [FORECAST_TOOL], "tool_choice": "auto"}  # no "thinking": LiteLLM's own
    assert call.body_path == "$"
    assert (call.session, call.user, call.scope) == ("trip-planner-7", "traveller-12", "88c1f0e2")
    assert call.usage == Usage(input_tokens=121, cache_read_tokens=64)
    assert (call.timestamp, call.call_id) == (1767225601.5, "resp-1")


def test_callback_kwargs_are_read_at_their_standard_logging_object() -> None:
    call = _call(_calls("payload_openai.jsonl")[1])
    assert call.body_path == "$.standard_logging_object"
    assert call.body["messages"][2] == {"role": "assistant", "tool_calls": [
        {"id": "call_a1", "type": "function",
         "function": {"name": "get_forecast", "arguments": '{"city": "Lyon"}'}}]}
    assert call.body["response_format"] == {"type": "json_object"}


def test_truncated_content_makes_the_call_partial_naming_the_path() -> None:
    call = _call(_calls("payload_openai.jsonl")[2])
    assert call.missing == ("content truncated by LiteLLM",)


def test_a_malformed_record_is_one_error_with_line_and_path_and_the_rest_is_read() -> None:
    found = _calls("payload_openai.jsonl")
    errors = [item for item in found if isinstance(item, LoadError)]
    assert [(error.location.line, error.message) for error in errors] == [
        (4, "$.model_parameters: not an object")]
    assert len(found) == 5  # six records: one error, one cache hit that is no call


def test_a_record_litellms_cache_answered_is_not_a_call() -> None:
    ids = [item.call_id for item in _calls("payload_openai.jsonl") if isinstance(item, LoggedCall)]
    assert ids == ["resp-1", "resp-2", "resp-3", "resp-6"]


def test_a_logged_image_placeholder_makes_the_call_partial() -> None:
    call = _call(_calls("payload_openai.jsonl")[-1])
    assert call.missing == ("image data replaced by a placeholder in LiteLLM's log",)


def test_anthropic_body_is_rebuilt_as_litellm_translates_it() -> None:
    call = _call(_calls("payload_anthropic.jsonl")[0])
    ephemeral = {"type": "ephemeral"}
    assert call.api == MESSAGES
    assert call.missing == ()
    assert call.body == {
        "model": "claude-3-5-haiku-20241022",
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "Weather in Lyon and a picture?",
                 "cache_control": ephemeral}]},
            {"role": "assistant", "content": [
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "call_b_2", "name": "get_forecast", "input": {}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "call_b_2",
                 "content": [{"type": "text", "text": "sunny", "cache_control": ephemeral}]},
                {"type": "image", "source": {"type": "url", "url": "https://example.com/lyon.png"}}]},
            {"role": "assistant", "content": [{"type": "text", "text": "Here it is."}]}],
        "temperature": 0.1, "max_tokens": 200, "stop_sequences": ["END"],
        # no metadata: LiteLLM does not send an e-mail address as user_id
        "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
        "tools": [ANTHROPIC_FORECAST_TOOL],
        "system": [{"type": "text", "text": "You plan trips.", "cache_control": ephemeral}]}
    assert call.usage == Usage(input_tokens=900, cache_read_tokens=700, cache_write_tokens=150)


def test_anthropic_response_format_is_the_forced_json_tool_before_the_callers_tools() -> None:
    call = _call(_calls("payload_anthropic.jsonl")[1])
    assert call.body["tool_choice"] == {"name": "json_tool_call", "type": "tool"}
    assert call.body["tools"] == [
        {"name": "json_tool_call", "input_schema": {
            "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
        ANTHROPIC_FORECAST_TOOL]
    assert call.body["metadata"] == {"user_id": "traveller-12"}
    assert call.body["system"] == [{"type": "text", "text": "You plan trips."}]


def test_anthropic_json_object_without_a_schema_sends_no_tool() -> None:
    call = _call(_calls("payload_anthropic.jsonl")[4])
    assert call.body == {
        "model": "claude-3-5-haiku-20241022",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Plan as JSON."}]}],
        "max_tokens": 100}
    assert call.missing == ()


def test_anthropic_response_format_with_thinking_is_an_unforced_described_tool() -> None:
    call = _call(_calls("payload_anthropic.jsonl")[5])
    assert "tool_choice" not in call.body
    assert call.body["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    assert call.body["tools"] == [{
        "name": "json_tool_call",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
        "description": "When you are ready to answer, call this tool with your final answer "
                       "as its input. Do not reply in plain text."}]


def test_anthropic_tool_choice_given_replaces_the_one_forcing_the_json_tool() -> None:
    call = _call(_calls("payload_anthropic.jsonl")[6])
    assert call.body["tool_choice"] == {"type": "tool", "name": "get_forecast"}
    assert [tool["name"] for tool in call.body["tools"]] == ["json_tool_call", "get_forecast"]


def test_anthropic_response_format_sent_as_output_format_is_partial_not_guessed() -> None:
    call = _call(_calls("payload_anthropic.jsonl")[2])
    assert "tools" not in call.body
    assert call.missing == ("the output_format LiteLLM sends for response_format (not rebuilt)",)


def test_anthropic_empty_text_becomes_litellms_placeholder_unless_the_turn_has_tool_calls(
) -> None:
    call = _call(_calls("payload_anthropic.jsonl")[7])
    placeholder = {"type": "text",
                   "text": "[System: Empty message content sanitised to satisfy protocol]"}
    assert call.missing == ()
    assert call.body["messages"] == [
        {"role": "user", "content": [placeholder]},
        {"role": "assistant", "content": [placeholder]},
        {"role": "user", "content": [placeholder, {"type": "text", "text": "Lyon?"}]},
        {"role": "assistant", "content": [
            {"type": "tool_use", "id": "call_d4", "name": "get_forecast",
             "input": {"city": "Lyon"}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "call_d4", "content": "rain"}]}]


def test_anthropic_tool_calls_without_tools_get_litellms_dummy_tool() -> None:
    call = _call(_calls("payload_anthropic.jsonl")[8])
    assert call.body["tools"] == [{
        "name": "dummy_tool", "input_schema": {"type": "object", "properties": {}},
        "type": "custom", "description": "This is a dummy tool call"}]
    assert call.missing == ()


def test_anthropic_tool_call_arguments_that_are_not_json_are_an_error_at_their_path() -> None:
    found = _calls("payload_anthropic.jsonl")[3]
    assert isinstance(found, LoadError)
    assert (found.location.line, found.message) == (
        4, "$.messages[1].tool_calls[0].function.arguments: the arguments are not JSON")


def test_calls_without_a_prompt_are_skipped_and_an_unknown_call_type_is_an_error() -> None:
    found = _calls("payload_other_calls.jsonl")
    assert [item.call_id for item in found if isinstance(item, LoggedCall)] == [
        "other-2", "other-3", "other-4", "other-6", "other-7"]  # other-1, an embedding, is none
    assert _skipped("payload_other_calls.jsonl") == [
        (1, "no prompt to cache (an embedding, image or audio call)")]
    errors = [(item.location.line, item.message) for item in found if isinstance(item, LoadError)]
    assert errors == [(5, "$.call_type: call type 'atext_completion' is not one promptcache reads")]


def test_redacted_messages_make_the_call_partial() -> None:
    call = _call(_calls("payload_other_calls.jsonl")[0])
    assert call.missing == ("the messages (LiteLLM's turn_off_message_logging redacted them)",)


def test_a_provider_litellm_translates_for_is_read_as_openai_and_partial() -> None:
    call = _call(_calls("payload_other_calls.jsonl", as_logged=True)[1])
    assert call.api == CHAT
    assert call.missing == ("the request LiteLLM translated for bedrock (read as logged)",)


def test_a_responses_call_is_the_responses_body() -> None:
    call = _call(_calls("payload_other_calls.jsonl")[2])
    assert call.api == RESPONSES
    assert call.body == {"model": "gpt-4.1",
                         "input": [{"role": "user", "content": "Summarise the trip"}],
                         "instructions": "Be brief.", "max_output_tokens": 90}


def test_a_messages_call_gets_its_logged_string_system_prompt_back_in_system() -> None:
    call = _call(_calls("payload_other_calls.jsonl")[4])
    assert call.api == MESSAGES
    assert call.body == {
        "model": "claude-3-5-haiku-20241022",
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": "Lyon?", "cache_control": {"type": "ephemeral"}}]}],
        "max_tokens": 64, "stream": True, "system": "You plan trips."}
    assert call.missing == ()


def test_a_messages_call_without_a_logged_system_prompt_says_it_may_lack_one() -> None:
    call = _call(_calls("payload_other_calls.jsonl")[5])
    assert "system" not in call.body
    assert call.missing == (
        "the system prompt (LiteLLM logs a /v1/messages system only when it is a string)",)


# --- own cases: proxy spend-log rows ------------------------------------------------------

def test_spend_row_with_a_stored_prompt_rebuilds_the_providers_body() -> None:
    call = _call(_calls("spend_logs.jsonl")[0])
    assert call.body == {
        "model": "gpt-4o-mini",  # the deployment's model, not the proxy alias "planner"
        "messages": [{"role": "system", "content": "You plan trips."},
                     {"role": "user", "content": "Weather in Lyon?"}],
        "tools": [FORECAST_TOOL], "temperature": 0.3}  # no metadata, session or fallbacks
    assert call.body_path == "$.proxy_server_request"
    assert call.timestamp == 1767605401.25  # 2026-01-05T09:30:01.25Z
    assert (call.session, call.user, call.scope, call.call_id) == (
        "trip-planner-7", "traveller-12", "5e3a9d0c7b", "chatcmpl-spend-1")
    assert call.usage == Usage(input_tokens=500, cache_read_tokens=384)


def test_spend_row_without_a_stored_prompt_is_a_partial_call_that_keeps_its_usage() -> None:
    call = _call(_calls("spend_logs.jsonl")[1])
    assert call.body == {"model": "gpt-4o-mini", "messages": []}
    assert call.missing == ("the prompt (the proxy stores request bodies only with "
                            "store_prompts_in_spend_logs: true)",)
    assert call.usage == Usage(input_tokens=500, cache_read_tokens=384)


def test_spend_row_for_anthropic_is_translated_and_keeps_cache_writes() -> None:
    call = _call(_calls("spend_logs.jsonl")[2])
    assert call.api == MESSAGES
    assert call.body == {
        "model": "claude-3-5-haiku-20241022",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Weather in Lyon?"}]}],
        "max_tokens": 64, "system": [{"type": "text", "text": "You plan trips."}]}
    assert call.usage == Usage(input_tokens=500, cache_read_tokens=256, cache_write_tokens=128)


def test_spend_row_truncated_for_the_database_is_partial_naming_the_path() -> None:
    call = _call(_calls("spend_logs.jsonl")[3])
    assert call.missing == (
        "content truncated by LiteLLM",)


def test_spend_row_of_a_messages_call_keeps_the_anthropic_body_without_litellms_keys() -> None:
    call = _call(_calls("spend_logs.jsonl")[5])
    assert call.api == MESSAGES
    assert call.body == {
        "model": "claude-3-5-haiku-20241022",
        "messages": [{"role": "user", "content": "Weather in Lyon?"}], "max_tokens": 64,
        "system": [{"type": "text", "text": "You plan trips.",
                    "cache_control": {"type": "ephemeral"}}]}
    assert call.missing == ()
    assert call.timestamp == 1767605408.25  # a database time without a zone is UTC


def test_spend_row_of_a_messages_call_litellm_sent_elsewhere_is_partial() -> None:
    call = _call(_calls("spend_logs.jsonl")[6])
    assert call.missing == ("the request LiteLLM translated for openai (read as logged)",)


def test_spend_rows_of_cache_hits_and_embeddings_are_skipped_and_a_bad_time_is_an_error(
        ) -> None:
    found = _calls("spend_logs.jsonl")
    assert [item.call_id for item in found if isinstance(item, LoggedCall)] == [
        "chatcmpl-spend-1", "chatcmpl-spend-2", "chatcmpl-spend-3", "chatcmpl-spend-4",
        "msg-spend-8", "msg-spend-9"]
    errors = [(item.location.line, item.message) for item in found if isinstance(item, LoadError)]
    assert errors == [(6, "$.startTime: not a date-time")]
    assert _skipped("spend_logs.jsonl") == [
        (5, "answered by LiteLLM's cache"),
        (7, "no prompt to cache (an embedding, image or audio call)")]


# --- recognition and discovery -----------------------------------------------------------

@pytest.mark.parametrize("case", ["payload_openai.jsonl", "payload_anthropic.jsonl",
                                  "payload_other_calls.jsonl", "spend_logs.jsonl"])
def test_recognizes_its_own_records(case: str) -> None:
    first = orjson.loads((CASES / case).read_bytes().splitlines()[0])
    assert LiteLLM().recognize(first).matches


@pytest.mark.parametrize("record", [
    {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
    {"resourceSpans": []},
    {"log": {"version": "1.2", "entries": []}},
    {"custom_id": "r1", "method": "POST", "url": "/v1/chat/completions", "body": {}},
    [1, 2],
], ids=["bare body", "otlp export", "har", "batch input", "not an object"])
def test_does_not_recognize_other_records_and_says_why(record: Any) -> None:
    recognition = LiteLLM().recognize(record)
    assert not recognition.matches
    assert recognition.reason.startswith("LiteLLM: no standard_logging_object fields")


def test_is_found_by_name_among_the_formats() -> None:
    assert format_named("litellm") is LiteLLM
    assert LiteLLM in all_formats()


# --- a log made by litellm 1.110.2 with our own content (generate/litellm.py) -------------

GENERATED = CASES / "generated"
INSTRUCTIONS_MISSING = ("the instructions (LiteLLM does not log them for a Responses call it "
                        "sent to a chat provider)")


def _generated() -> tuple[list[LoggedCall | LoadError], list[dict[str, Any]]]:
    """The generated log's calls, and the bodies sent that reached a prompt (not the two 429s,
    not the embedding)."""
    return (_calls("generated/standard_logging_payload.jsonl"),
            [line for line in truth_lines(GENERATED / "standard_logging_payload.truth.jsonl")
             if line["usage"] is not None and not line["path"].endswith("/embeddings")])


def _what_the_log_keeps(call: LoggedCall, sent: dict[str, Any]) -> dict[str, Any]:
    """A body sent as the log can keep it: the image data as LiteLLM's placeholder; for a
    Responses call LiteLLM sent to Anthropic no system prompt (the instructions are not
    logged) and no max_tokens LiteLLM chose; a Responses string input as the one user
    message LiteLLM logs it as (the same prompt tokens); no prompt_cache_key (LiteLLM does
    not log it; no prompt token)."""
    kept = {key: value for key, value in _as_logged(sent).items() if key != "prompt_cache_key"}
    if INSTRUCTIONS_MISSING in call.missing:
        kept = {key: value for key, value in kept.items() if key != "system"}
        if "max_tokens" not in call.body:
            del kept["max_tokens"]
    if isinstance(kept.get("input"), str):
        kept["input"] = [{"role": "user", "content": kept["input"]}]
    return kept


def test_generated_log_every_request_sent_is_one_call_or_skipped_with_why() -> None:
    log = GENERATED / "standard_logging_payload.jsonl"
    assert tell_format(str(log)) == "litellm"
    assert [(item.location.line, item.reason) for item in _read(log)
            if isinstance(item, Skipped)] == [
        (7, REFUSED),  # the 429
        (14, LOGGED_TWICE),  # the streaming responses() call ran both success callbacks
        (20, "no prompt to cache (an embedding, image or audio call)"),
        (27, REFUSED),  # the 429
        (39, REFUSED)]  # an image URL LiteLLM would not fetch: nothing was sent
    calls, truth = _generated()
    assert len(truth) == 36
    assert [type(call) for call in calls] == [LoggedCall] * len(truth)
    assert [_call(call).api for call in calls] == [
        {"/v1/chat/completions": CHAT, "/v1/responses": RESPONSES,
         "/v1/messages": MESSAGES}[line["path"]] for line in truth]


NOT_REBUILT = {
    34: ("a system message after the first turn (placed by LiteLLM per model)",
         "an image LiteLLM downloaded from an http:// URL and sent as base64"),
    35: ("the thinking budget LiteLLM derives from reasoning_effort",)}
"""The generated calls whose body the log cannot give, and what they lack."""


def test_generated_log_bodies_equal_the_bodies_sent_or_say_what_the_log_lacks() -> None:
    calls, truth = _generated()
    partial = {number: _call(call).missing for number, call in enumerate(calls)
               if _call(call).missing}
    image = ("image data replaced by a placeholder in LiteLLM's log",)
    assert partial == {4: image, 21: image, 26: image, 27: (INSTRUCTIONS_MISSING,),
                       28: (INSTRUCTIONS_MISSING,), 29: (INSTRUCTIONS_MISSING,),
                       30: (INSTRUCTIONS_MISSING,), **NOT_REBUILT}
    for number, (call, line) in enumerate(zip(calls, truth, strict=True)):
        if number not in NOT_REBUILT:
            assert _call(call).body == _what_the_log_keeps(_call(call), line["request"]), line[
                "scenario"]


def test_generated_log_usage_is_the_usage_returned() -> None:
    calls, truth = _generated()
    for call, line in zip(calls, truth, strict=True):
        usage = line["usage"]
        if line["provider"] == "anthropic":
            assert _call(call).usage == Usage(
                usage["input_tokens"] + usage["cache_read_input_tokens"]
                + usage["cache_creation_input_tokens"], usage["cache_read_input_tokens"],
                usage["cache_creation_input_tokens"])
        else:
            prompt = usage.get("prompt_tokens", usage.get("input_tokens"))
            details = usage.get("prompt_tokens_details") or usage["input_tokens_details"]
            assert _call(call).usage == Usage(prompt, details["cached_tokens"])


def test_generated_log_audits_to_the_prompt_tokens_of_the_bodies_sent(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    calls, truth = _generated()
    bodies = tmp_path / "bodies.jsonl"
    bodies.write_text("".join(json.dumps({"request": line["request"]}) + "\n" for line in truth))

    def audit(path: Path) -> list[dict[str, Any]]:
        main(["audit", "--isolated", "-q", "-f", "json", "--exit-zero", "--allow-empty",
              str(path)])
        requests: list[dict[str, Any]] = json.loads(capsys.readouterr().out)["requests"]
        return requests

    logged, sent = audit(GENERATED / "standard_logging_payload.jsonl"), audit(bodies)
    # Every call that reached a provider: 17 Chat Completions and Responses calls, 19
    # Anthropic Messages ones.
    assert len(logged) == len(sent) == 36
    complete = [number for number, request in enumerate(sent)
                if not _call(calls[request["line"] - 1]).missing]
    assert [body_count(logged[number]) for number in complete] == [
        body_count(sent[number]) for number in complete]
    assert len(complete) == 16 + 11


# --- what the generated log showed, each on a small case ---------------------------------

def _one_call(tmp_path: Path, **payload: Any) -> LoggedCall:
    record = {"call_type": "completion", "model_parameters": {}, **payload}
    log = tmp_path / "payload.jsonl"
    log.write_bytes(orjson.dumps(record) + b"\n")
    [found] = _read(log)
    assert isinstance(found, LoggedCall), found
    return found


def test_a_developer_message_reaches_openai_as_a_system_message(tmp_path: Path) -> None:
    messages = [{"role": "developer", "content": "Answer in French."},
                {"role": "user", "content": "Bonjour?"}]
    call = _one_call(tmp_path, model="gpt-4o", custom_llm_provider="openai",
                     messages=messages)
    assert call.body["messages"] == [{"role": "system", "content": "Answer in French."},
                                     {"role": "user", "content": "Bonjour?"}]


def test_a_developer_message_stays_one_for_an_o_series_model(tmp_path: Path) -> None:
    messages = [{"role": "developer", "content": "Answer in French."}]
    call = _one_call(tmp_path, model="o3-mini", custom_llm_provider="openai",
                     messages=messages)
    assert call.body["messages"] == messages


_RETURNED_MESSAGE = (
    "Message(content='Checking.', role='assistant', tool_calls=[ChatCompletionMessageToolCall("
    "index=1, function=Function(arguments='{\"city\": \"Lyon\"}', name='get_forecast'), "
    "id='toolu_01A', type='function')], function_call=None, "
    "provider_specific_fields={'citations': None, 'thinking_blocks': None})")
"""LiteLLM's response message appended to the conversation, as ``json.dumps(default=str)``
writes it (the logger LiteLLM's docs show)."""
_CONVERSATION = [{"role": "user", "content": "Weather in Lyon?"}, _RETURNED_MESSAGE,
                 {"role": "tool", "tool_call_id": "toolu_01A", "content": "sunny"}]


def test_a_response_message_logged_as_python_text_is_read_as_the_message(
        tmp_path: Path) -> None:
    # As an OpenAI response's message is written: its None fields are not sent.
    returned = ("Message(content=None, role='assistant', tool_calls=[ChatCompletionMessageToolCall("
                "function=Function(arguments='{\"city\": \"Lyon\"}', name='get_forecast'), "
                "id='call_1', type='function')], function_call=None, "
                "provider_specific_fields=None, refusal=None)")
    call = _one_call(tmp_path, model="gpt-4o", custom_llm_provider="openai",
                     messages=[_CONVERSATION[0], returned],
                     model_parameters={"tools": [FORECAST_TOOL]})
    assert call.missing == ()
    assert call.body["messages"][1] == {"role": "assistant", "tool_calls": [
        {"function": {"arguments": '{"city": "Lyon"}', "name": "get_forecast"},
         "id": "call_1", "type": "function"}]}


def test_a_response_message_logged_as_python_text_is_translated_for_anthropic(
        tmp_path: Path) -> None:
    call = _one_call(tmp_path, model="claude-sonnet-4-20250514",
                     custom_llm_provider="anthropic", messages=_CONVERSATION,
                     model_parameters={"tools": [FORECAST_TOOL], "max_tokens": 100})
    # Its empty provider_specific_fields is nothing LiteLLM sends: the call is complete.
    assert call.missing == ()
    assert call.body["messages"][1:] == [
        {"role": "assistant", "content": [
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "toolu_01A", "name": "get_forecast",
             "input": {"city": "Lyon"}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_01A", "content": "sunny"}]}]


def test_python_text_that_is_not_a_message_is_an_error_naming_the_message(
        tmp_path: Path) -> None:
    log = tmp_path / "payload.jsonl"
    log.write_bytes(orjson.dumps({
        "call_type": "completion", "model_parameters": {}, "model": "claude-sonnet-4-20250514",
        "custom_llm_provider": "anthropic",
        "messages": [{"role": "user", "content": "hi"}, "Message(content=__import__('os'))"],
    }) + b"\n")
    [found] = _read(log)
    assert isinstance(found, LoadError)
    assert found.message == "$.messages[1]: a message without a role"


def test_a_responses_call_litellm_sent_to_anthropic_is_its_messages_body_without_instructions(
        tmp_path: Path) -> None:
    # LiteLLM logs the Responses input items, and the chat parameters it derived.
    call = _one_call(
        tmp_path, call_type="responses", model="claude-sonnet-4-20250514",
        custom_llm_provider="anthropic",
        messages=[{"role": "user", "content": [
                      {"type": "input_text", "text": "Weather in Lyon?"},
                      {"type": "input_image", "image_url": "https://example.com/lyon.png"}]},
                  {"type": "function_call", "call_id": "call_1", "name": "get_forecast",
                   "arguments": '{"city": "Lyon"}'},
                  {"type": "function_call_output", "call_id": "call_1", "output": "sunny"}],
        model_parameters={"max_tokens": 100, "tools": [FORECAST_TOOL]})
    assert call.api == MESSAGES
    assert call.missing == (INSTRUCTIONS_MISSING,)
    assert call.body == {
        "model": "claude-sonnet-4-20250514",
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "Weather in Lyon?"},
                {"type": "image", "source": {"type": "url", "url": "https://example.com/lyon.png"}}]},
            {"role": "assistant", "content": [
                {"type": "tool_use", "id": "call_1", "name": "get_forecast",
                 "input": {"city": "Lyon"}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "call_1", "content": "sunny"}]}],
        "max_tokens": 100, "tools": [ANTHROPIC_FORECAST_TOOL]}


def test_a_responses_item_litellm_converts_otherwise_makes_the_call_partial(
        tmp_path: Path) -> None:
    call = _one_call(tmp_path, call_type="responses", model="claude-sonnet-4-20250514",
                     custom_llm_provider="anthropic",
                     messages=[{"role": "user", "content": "hi"},
                               {"type": "reasoning", "id": "rs_1", "summary": []}])
    assert call.missing == (INSTRUCTIONS_MISSING, "a 'reasoning' Responses input item "
                            "(LiteLLM's conversion of it is not rebuilt)")


def test_an_assistant_dict_with_empty_provider_fields_is_complete_for_anthropic(
        tmp_path: Path) -> None:
    # response.choices[0].message.model_dump(): LiteLLM's fields, all empty.
    assistant = {"role": "assistant", "content": "Sunny.", "tool_calls": None,
                 "function_call": None,
                 "provider_specific_fields": {"citations": None, "thinking_blocks": None}}
    call = _one_call(tmp_path, model="claude-sonnet-4-20250514",
                     custom_llm_provider="anthropic",
                     messages=[{"role": "user", "content": "Weather?"}, assistant,
                               {"role": "user", "content": "Thanks."}])
    assert call.missing == ()
    assert call.body["messages"][1] == {"role": "assistant",
                                        "content": [{"type": "text", "text": "Sunny."}]}


def _payloads(tmp_path: Path, *start_times: float) -> list[LoggedCall | LoadError | Skipped]:
    log = tmp_path / "payload.jsonl"
    log.write_bytes(b"".join(orjson.dumps({
        "call_type": "responses", "model": "gpt-4o", "custom_llm_provider": "openai",
        "litellm_call_id": "d151b49b", "status": "success", "startTime": start,
        "messages": [{"role": "user", "content": "Open today?"}], "model_parameters": {},
    }) + b"\n" for start in start_times))
    return _read(log)


def test_a_payload_logged_twice_for_one_call_is_read_once_and_counted_as_skipped(
        tmp_path: Path) -> None:
    found = _payloads(tmp_path, 1796411190.5, 1796411190.5)
    assert [type(item) for item in found] == [LoggedCall, Skipped]
    assert (found[1].location.line, found[1].reason) == (
        2, "logged twice by LiteLLM (the same litellm_call_id)")


def test_attempts_of_one_call_that_start_apart_are_each_a_call(tmp_path: Path) -> None:
    assert [type(item) for item in _payloads(tmp_path, 1796411190.5, 1796411192.0)] == [
        LoggedCall, LoggedCall]


def _failed(tmp_path: Path, error_information: dict[str, Any]) -> LoggedCall | LoadError | Skipped:
    log = tmp_path / "payload.jsonl"
    log.write_bytes(orjson.dumps({
        "call_type": "completion", "model": "gpt-4o", "custom_llm_provider": "openai",
        "status": "failure", "prompt_tokens": 0, "error_information": error_information,
        "messages": [{"role": "user", "content": "Ping"}], "model_parameters": {},
    }) + b"\n")
    [found] = _read(log)
    return found


@pytest.mark.parametrize("code", ["429", "400", 500])
def test_a_call_the_provider_refused_is_skipped_as_refused(tmp_path: Path, code: Any) -> None:
    found = _failed(tmp_path, {"error_code": code, "error_class": "RateLimitError"})
    assert isinstance(found, Skipped)
    assert found.reason == "refused by the provider (HTTP status 400 or more)"


def test_a_failure_without_an_http_status_is_a_call_without_usage(tmp_path: Path) -> None:
    # A timeout: the provider may have processed the prompt.
    found = _failed(tmp_path, {"error_code": "", "error_class": "Timeout"})
    assert isinstance(found, LoggedCall)
    assert found.usage is None


# --- completion() calls to Claude, read in the chat form LiteLLM logged ----------------------

CLOCK = CASES / "payload_claude_clock.jsonl"
"""Three calls of one session to Claude: a clock block, then a long policy block with a
breakpoint, in the leading system message (written for these tests)."""


def test_a_completion_call_to_claude_is_kept_in_the_chat_form_litellm_logged() -> None:
    rows = [orjson.loads(line) for line in CLOCK.read_bytes().splitlines()]
    calls = [_call(found) for found in read_calls(LiteLLM(), CLOCK)]
    assert [call.api for call in calls] == [CHAT] * 3
    assert [call.body for call in calls] == [
        {"model": "claude-sonnet-4-20250514", "messages": row["messages"], "max_tokens": 300,
         "temperature": 0.2} for row in rows]
    assert [call.missing for call in calls] == [()] * 3
    # What Claude received: LiteLLM's translation, the system message as system blocks.
    received = _call(as_received(calls[0]))
    assert received.api == MESSAGES
    assert received.body["system"] == rows[0]["messages"][0]["content"]


def test_findings_on_claude_calls_point_at_the_messages_as_litellm_logged_them(
        capsys: pytest.CaptureFixture[str]) -> None:
    main(["audit", "--isolated", "-q", "-f", "json", "--exit-zero", str(CLOCK)])
    report = json.loads(capsys.readouterr().out)
    assert [(finding["code"], finding["line"], finding["path"])
            for finding in report["findings"]] == [
        ("PC102", 2, "$.messages[0].content[0]"),               # the clock, not $.system[0]
        ("PC501", 3, "$.messages[0].content[1].cache_control"),  # not $.system[1]
    ]
    assert report["summary"]["invalid_records"] == 0
    assert [row["prompt_tokens"] for row in report["requests"]][:2] == [3472, 3472]


def test_an_image_url_given_as_a_bare_string_reaches_claude_as_its_image(
        tmp_path: Path) -> None:
    # LiteLLM takes image_url as a string too; the chat body says it as OpenAI's object.
    call = _one_call(tmp_path, model="claude-sonnet-4-20250514",
                     custom_llm_provider="anthropic", messages=[{"role": "user", "content": [
                         {"type": "image_url", "image_url": "https://example.com/lyon.png"}]}])
    assert call.body["messages"] == [{"role": "user", "content": [
        {"type": "image", "source": {"type": "url", "url": "https://example.com/lyon.png"}}]}]
    [logged] = read_calls(LiteLLM(), tmp_path / "payload.jsonl")
    assert _call(logged).body["messages"][0]["content"][0]["image_url"] == {
        "url": "https://example.com/lyon.png"}


def test_a_model_not_known_as_claude_is_translated_by_the_reader(tmp_path: Path) -> None:
    # The audit would read its chat body as OpenAI's: LiteLLM's translation is made here.
    call = _one_call(tmp_path, model="planner-large", custom_llm_provider="anthropic",
                     messages=[{"role": "system", "content": "You plan trips."},
                               {"role": "user", "content": "Lyon?"}])
    [logged] = read_calls(LiteLLM(), tmp_path / "payload.jsonl")
    assert _call(logged).api == call.api == MESSAGES
    assert call.body["system"] == [{"type": "text", "text": "You plan trips."}]


def test_a_spend_rows_injection_points_mark_the_messages_claude_received(
        tmp_path: Path) -> None:
    # The proxy applies cache_control_injection_points after storing the client's body.
    row = {"request_id": "msg_inject", "call_type": "acompletion", "startTime":
           "2026-12-05T09:00:00", "model": "claude-sonnet-4-20250514",
           "custom_llm_provider": "anthropic", "prompt_tokens": 40, "proxy_server_request": {
               "model": "planner", "max_tokens": 64,
               "messages": [{"role": "system", "content": "You plan trips."},
                            {"role": "user", "content": "Lyon?"}],
               "cache_control_injection_points": [{"location": "message", "role": "system"}]}}
    log = tmp_path / "spend.jsonl"
    log.write_bytes(orjson.dumps(row) + b"\n")
    [logged] = read_calls(LiteLLM(), log)
    assert (_call(logged).api, _call(logged).body_path) == (CHAT, "$.proxy_server_request")
    [received] = _read(log)
    assert _call(received).body["system"] == [
        {"type": "text", "text": "You plan trips.", "cache_control": {"type": "ephemeral"}}]
