"""Helicone request exports (npx @helicone/export JSONL, the query API's rows): bodies as
forwarded, usage in one meaning from the response or Helicone's columns, sessions from
Helicone-Session-Id, and the rows that are no provider call left out."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from promptcache.load.formats import format_named
from promptcache.load.formats.base import CHAT, MESSAGES, RESPONSES, Usage
from promptcache.load.formats.helicone import HeliconeFormat
from tests.input_formats.helpers import (
    audited_requests,
    claude_turn,
    logged_and_sent,
    read_calls,
)
from tests.input_formats.outcomes import load_errors, logged_calls

CASES = Path(__file__).parent / "cases" / "helicone"
EXPORT = CASES / "export.jsonl"


def _rows() -> list[dict[str, object]]:
    return [orjson.loads(line) for line in EXPORT.read_bytes().splitlines()]


def test_each_provider_call_of_an_export_is_read_in_order_with_its_line() -> None:
    calls = logged_calls(HeliconeFormat(), EXPORT)
    # Line 3 was answered by Helicone's cache, 5 is an embedding, 6 a refused (429) call.
    assert [call.location.line for call in calls] == [1, 2, 7, 9]
    assert [call.api for call in calls] == [CHAT, MESSAGES, CHAT, RESPONSES]
    assert all(call.body_path == "$.request_body" for call in calls)


def test_the_body_is_the_request_body_helicone_forwarded_even_as_json_text() -> None:
    rows, calls = _rows(), logged_calls(HeliconeFormat(), EXPORT)
    assert calls[0].body == rows[0]["request_body"]
    assert isinstance(rows[1]["request_body"], str)
    assert calls[1].body == orjson.loads(rows[1]["request_body"])  # type: ignore[arg-type]


def test_usage_comes_from_the_response_or_else_from_the_columns_in_one_meaning() -> None:
    calls = logged_calls(HeliconeFormat(), EXPORT)
    # Response kept: the provider's own figures (the columns say 208 + 1792 read).
    assert calls[0].usage == Usage(2000, 1792)
    # Anthropic without its response: prompt_tokens (30) excludes the 1500 read and 200 written.
    assert calls[1].usage == Usage(1730, 1500, 200)
    # Translated for Anthropic by the AI gateway: still Anthropic's meaning, no cache here.
    assert calls[2].usage == Usage(900, 0, 0)
    assert calls[3].usage == Usage(1100, 1024)


def test_openai_columns_without_a_response_add_the_cache_reads_back(tmp_path: Path) -> None:
    row = _rows()[0] | {"response_body": None}
    path = tmp_path / "export.jsonl"
    path.write_bytes(orjson.dumps(row) + b"\n")
    assert [call.usage for call in logged_calls(HeliconeFormat(), path)] == [Usage(2000, 1792)]


def test_time_user_and_session_come_from_the_row() -> None:
    calls = logged_calls(HeliconeFormat(), EXPORT)
    assert calls[0].timestamp == 1770714900.123   # ClickHouse "2026-02-10 09:15:00.123", UTC
    assert calls[1].timestamp == 1770714960.0     # ISO "2026-02-10T09:16:00.000Z"
    assert [call.session for call in calls] == ["sess-42", "sess-42", None, None]
    assert [call.user for call in calls] == ["cust-7", None, None, None]
    assert calls[0].call_id == "7a2d0000-0000-4000-8000-000000000001"
    assert calls[0].served_model == "gpt-4o-2024-08-06"


def test_a_body_the_ai_gateway_translated_for_claude_is_complete_in_its_chat_form() -> None:
    calls = logged_calls(HeliconeFormat(), EXPORT)
    assert calls[2].api == CHAT
    assert [call.missing for call in calls] == [(), (), (), ()]


def test_a_body_the_ai_gateway_translated_for_claude_counts_what_claude_received(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # What Claude received for line 7's chat body: its system message as a system block.
    logged, sent = logged_and_sent(capsys, EXPORT, 2, claude_turn(
        "claude-sonnet-4-5", 200,
        "You are Wren, the booking assistant of a climbing gym. Be concise and friendly.",
        "Cancel my Friday class."), tmp_path)
    assert (logged["line"], logged["prompt_tokens"], logged["estimate_reasons"]) == (
        7, sent["prompt_tokens"], [])


def test_where_gateways_may_translate_unlike_litellm_the_estimate_says_so(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A tool result and the user's next message: one Claude turn as LiteLLM merges them.
    row = _rows()[6]
    row["request_body"]["messages"] += [
        {"role": "assistant", "content": None, "tool_calls": [{
            "id": "call_1", "type": "function",
            "function": {"name": "cancel_class", "arguments": "{\"day\": \"Friday\"}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "cancelled"},
        {"role": "user", "content": "And Saturday's?"}]
    row["request_body"]["tools"] = [{"type": "function", "function": {
        "name": "cancel_class", "parameters": {
            "type": "object", "properties": {"day": {"type": "string"}}}}}]
    path = tmp_path / "export.jsonl"
    path.write_bytes(orjson.dumps(row) + b"\n")
    [request] = audited_requests(capsys, path)["requests"]
    assert [reason for reason in request["estimate_reasons"] if "gateway" in reason] == [
        "chat messages merged into one Claude turn as LiteLLM does (another gateway may send "
        "each as its own turn)"]
    assert not any(reason.startswith("partial") for reason in request["estimate_reasons"])


def test_a_body_the_ai_gateway_translated_for_another_provider_is_partial(
        tmp_path: Path) -> None:
    # No target URL kept: the provider column names where the gateway sent it.
    row = _rows()[6] | {"provider": "BEDROCK", "target_url": ""}
    path = tmp_path / "export.jsonl"
    path.write_bytes(orjson.dumps(row) + b"\n")
    [call] = logged_calls(HeliconeFormat(), path)
    assert (call.api, call.missing) == (CHAT, (
        "body logged in OpenAI form; Helicone's AI gateway translated it for bedrock, whose "
        "prompt differs",))


def test_rows_without_a_readable_body_are_one_error_each_and_the_rest_is_read() -> None:
    assert load_errors(HeliconeFormat(), EXPORT) == [
        (f"{EXPORT}:4", "$.request_body: no request body: the export holds Helicone's "
                        "placeholder (run npx @helicone/export with --include-body)"),
        (f"{EXPORT}:8", "$.request_body: not valid JSON (cut short?)"),
    ]


def test_a_saved_query_api_answer_is_read_row_by_row() -> None:
    path = CASES / "query_api.json"
    calls = logged_calls(HeliconeFormat(), path)
    assert [(call.body_path, call.usage) for call in calls] == [
        ("$.data[0].request_body", Usage(50, 0))]
    assert load_errors(HeliconeFormat(), path) == [
        (f"{path}:1", "$.data[1]: not a Helicone request row"),
        (f"{path}:1", "$.data[2].request_body: no request body: the export holds Helicone's "
                      "placeholder (run npx @helicone/export with --include-body)"),
    ]


def test_the_signed_body_url_never_reaches_a_call() -> None:
    assert "fixture-signature-never-reported" not in repr(read_calls(HeliconeFormat(), EXPORT))


def test_recognizes_export_rows_and_api_answers_and_says_why_not_for_others() -> None:
    helicone = HeliconeFormat()
    assert helicone.recognize(_rows()[0]).matches
    assert helicone.recognize(orjson.loads((CASES / "query_api.json").read_bytes())).matches
    for other in ({"model": "gpt-4o", "messages": []},
                  {"log": {"entries": []}},
                  {"request": {"body": {}}, "ai_org": "openai", "created_at": "2026-01-01"}):
        recognition = helicone.recognize(other)
        assert not recognition.matches
        assert recognition.reason == ("no Helicone 'request_id', 'request_created_at' and "
                                      "'request_body' fields")


def test_a_record_of_another_format_is_an_error_when_helicone_is_forced(tmp_path: Path) -> None:
    path = tmp_path / "bodies.jsonl"
    path.write_bytes(b'{"model": "gpt-4o", "messages": []}\n')
    assert load_errors(HeliconeFormat(), path) == [
        (f"{path}:1", "not a Helicone request: no Helicone 'request_id', "
                      "'request_created_at' and 'request_body' fields")]


def test_the_format_is_found_by_its_name() -> None:
    assert format_named("helicone") is HeliconeFormat


def test_the_json_array_export_gives_the_same_calls_as_the_jsonl_one(tmp_path: Path) -> None:
    # npx @helicone/export --format json: "[", each row indented, ",\n" between, "]".
    path = tmp_path / "export.json"
    path.write_bytes(b"[\n" + b",\n".join(orjson.dumps(row, option=orjson.OPT_INDENT_2)
                                         for row in _rows()) + b"\n]\n")
    as_array = logged_calls(HeliconeFormat(), path)
    as_lines = logged_calls(HeliconeFormat(), EXPORT)
    assert [(call.body, call.usage, call.session) for call in as_array] == [
        (call.body, call.usage, call.session) for call in as_lines]
    assert len(load_errors(HeliconeFormat(), path)) == 2
