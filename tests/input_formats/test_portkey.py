"""Portkey log exports (in-app export, support export, /v1/logs objects): the logged request
payload, usage in one meaning (Portkey's OpenAI-shaped answer for Anthropic included),
trace ids as sessions, metadata._user as the user, and unified-API calls to Claude read as
the Messages body Claude received (to other translated providers: partial)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from promptcache.cli.main import main
from promptcache.load.formats import format_named
from promptcache.load.formats.base import CHAT, MESSAGES, LoggedCall, Usage
from promptcache.load.formats.portkey import PortkeyFormat
from tests.input_formats.helpers import (
    claude_turn,
    clocked_system_prompts,
    logged_and_sent,
    read_calls,
)
from tests.input_formats.outcomes import load_errors, logged_calls

CASES = Path(__file__).parent / "cases" / "portkey"
EXPORT = CASES / "export.jsonl"
TO_BEDROCK = ("body logged in OpenAI form; Portkey translated it for bedrock, whose prompt "
              "differs",)


def test_each_provider_call_of_an_export_is_read_with_its_line() -> None:
    calls = logged_calls(PortkeyFormat(), EXPORT)
    # Line 3 was answered by Portkey's cache, 4 refused (400), 8 an embedding.
    assert [call.location.line for call in calls] == [1, 2, 5, 9]
    assert [call.api for call in calls] == [CHAT, CHAT, MESSAGES, CHAT]
    rows = [orjson.loads(line) for line in EXPORT.read_bytes().splitlines()]
    assert [call.body for call in calls] == [rows[0]["request"], rows[1]["request"],
                                             rows[4]["request"], rows[8]["request"]]
    assert all(call.body_path == "$.request" for call in calls)


def test_usage_is_in_one_meaning_whatever_shape_portkey_logged() -> None:
    calls = logged_calls(PortkeyFormat(), EXPORT)
    assert [call.usage for call in calls] == [
        Usage(1400, 1152),           # OpenAI's own usage
        Usage(2320, 2000, 300),      # Portkey's OpenAI shape for Anthropic: 20 + reads + writes
        Usage(1510, 0, 1500),        # Anthropic's own usage (a /v1/messages passthrough)
        Usage(1390),                 # no response kept: req_units
    ]


def test_a_unified_api_call_to_claude_is_complete_and_counts_what_claude_received(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    calls = logged_calls(PortkeyFormat(), EXPORT)
    assert calls[1].api == CHAT  # as logged; the audit translates it
    assert [call.missing for call in calls] == [(), (), (), ()]
    # What Claude received for line 2's chat body: its system message as a system block.
    logged, sent = logged_and_sent(capsys, EXPORT, 1, claude_turn(
        "claude-sonnet-4-5", 300,
        "You are Fern, the order assistant of an online plant nursery. Keep answers short.",
        "Can I repot a monstera in winter?"), tmp_path)
    assert logged["estimate_reasons"] == []
    assert (logged["line"], logged["prompt_tokens"]) == (2, sent["prompt_tokens"])


def test_findings_on_a_unified_api_call_to_claude_point_into_the_logged_chat_body(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    row = orjson.loads(EXPORT.read_bytes().splitlines()[1])
    path = tmp_path / "export.jsonl"
    path.write_bytes(b"".join(orjson.dumps({
        **row, "id": f"pk-clock-{turn}", "created_at": f"2026-12-05T09:{turn * 4:02d}:00Z",
        "response": None, "request": {**row["request"], "messages": [
            {"role": "system", "content": system},
            {"role": "user", "content": f"Question {turn}?"}]}}) + b"\n"
        for turn, system in enumerate(clocked_system_prompts(3))))
    main(["audit", "--isolated", "-q", "-f", "json", "--exit-zero", str(path)])
    report = orjson.loads(capsys.readouterr().out)
    assert [(finding["name"], finding["line"], finding["path"])
            for finding in report["findings"]] == [
        ("timestamp-in-prefix", 2, "$.request.messages[0].content")]
    assert [row["estimate_reasons"] for row in report["requests"]] == [[], [], []]


def _translated_row(tmp_path: Path, **changes: Any) -> LoggedCall:
    row = orjson.loads(EXPORT.read_bytes().splitlines()[1])
    for key, value in changes.items():
        if key == "model":
            row["request"]["model"] = row["ai_model"] = value
        else:
            row[key] = value
    path = tmp_path / "export.jsonl"
    path.write_bytes(orjson.dumps(row) + b"\n")
    [call] = logged_calls(PortkeyFormat(), path)
    return call


def test_a_unified_api_call_to_another_provider_is_partial(tmp_path: Path) -> None:
    # Portkey's Bedrock translation (Converse) is not rebuilt, even for a Claude model.
    call = _translated_row(tmp_path, ai_org="bedrock",
                           model="anthropic.claude-3-5-sonnet-20240620-v1:0")
    assert (call.api, call.missing) == (CHAT, TO_BEDROCK)


def test_a_claude_alias_is_complete_when_the_response_names_the_model(tmp_path: Path) -> None:
    assert _translated_row(tmp_path, model="fern-default").missing == ()
    unnamed = _translated_row(tmp_path, model="fern-default", response=None)
    assert unnamed.missing == ("body logged in OpenAI form; Portkey translated it for "
                               "anthropic, whose prompt differs",)


def test_time_trace_user_scope_and_ids_come_from_the_row() -> None:
    calls = logged_calls(PortkeyFormat(), EXPORT)
    assert calls[0].timestamp == 1775118660.0    # 2026-04-02T08:31:00.000Z
    assert [call.session for call in calls] == [
        "trace-nursery-1", "trace-nursery-1", "trace-nursery-2", "trace-from-metadata"]
    # metadata as an object, and as JSON text
    assert [call.user for call in calls] == ["gardener-5", "gardener-5", "gardener-9", None]
    assert calls[0].scope == "openai-prod-3f2a"
    assert [call.call_id for call in calls] == ["pk-log-0001", "pk-log-0002", "pk-log-0005",
                                                "pk-log-0009"]
    assert calls[1].served_model == "claude-sonnet-4-5-20250929"


def test_rows_without_a_readable_request_are_one_error_each_and_the_rest_is_read() -> None:
    assert load_errors(PortkeyFormat(), EXPORT) == [
        (f"{EXPORT}:6", "$.request: not valid JSON (cut short?)"),
        (f"{EXPORT}:7", "$.request: no request payload: the log kept no request body"),
    ]


def test_the_support_exports_flattened_columns_are_read() -> None:
    calls = logged_calls(PortkeyFormat(), CASES / "support_export.jsonl")
    assert [(call.body_path, call.usage, call.session, call.user, call.scope)
            for call in calls] == [
        ('$["request.body"]', Usage(11, 0), "trace-flat", "gardener-1", "openai-team-b")]
    assert calls[0].body == {"model": "gpt-4o-mini",
                             "messages": [{"role": "user", "content": "Gift cards?"}]}


def test_log_objects_are_read_with_streamed_responses_merged_and_no_header() -> None:
    found = read_calls(PortkeyFormat(), CASES / "log_objects.jsonl")
    calls = [item for item in found if isinstance(item, LoggedCall)]
    assert [(call.body_path, call.usage, call.session, call.call_id) for call in calls] == [
        ("$.request.body", Usage(1400, 0), "trace-obj", "chatcmpl-fixture-obj"),
        ("$.request.body", Usage(13, 0), "trace-obj", "chatcmpl-fixture-objstream"),
    ]
    assert calls[1].body["stream_options"] == {"include_usage": True}  # body as JSON text
    assert "fixture-never-reported" not in repr(found)


def test_recognizes_its_shapes_and_says_why_not_for_other_records() -> None:
    portkey = PortkeyFormat()
    for path in (EXPORT, CASES / "support_export.jsonl", CASES / "log_objects.jsonl"):
        assert portkey.recognize(orjson.loads(path.read_bytes().splitlines()[0])).matches
    for other in ({"model": "gpt-4o", "messages": []},
                  {"log": {"entries": []}},
                  {"custom_id": "a", "method": "POST", "url": "/v1/chat/completions",
                   "body": {}},
                  {"request": {"model": "gpt-4o"}}):
        recognition = portkey.recognize(other)
        assert not recognition.matches
        assert recognition.reason == ("no Portkey 'request' with 'ai_org', 'ai_model' or "
                                      "'trace_id' fields, nor a log object's 'request.body'")


def test_a_record_of_another_format_is_an_error_when_portkey_is_forced(tmp_path: Path) -> None:
    path = tmp_path / "bodies.jsonl"
    path.write_bytes(b'{"model": "gpt-4o", "messages": []}\n')
    assert load_errors(PortkeyFormat(), path) == [
        (f"{path}:1", "not a Portkey log: no Portkey 'request' with 'ai_org', 'ai_model' or "
                      "'trace_id' fields, nor a log object's 'request.body'")]


def test_the_format_is_found_by_its_name() -> None:
    assert format_named("portkey") is PortkeyFormat


def test_an_openai_shaped_usage_whose_total_already_holds_the_cache_is_not_added_twice(
        tmp_path: Path) -> None:
    row = orjson.loads(EXPORT.read_bytes().splitlines()[1])
    # prompt_tokens 2320 already counts the 2000 read and 300 written: total = prompt + completion.
    row["response"]["usage"] = {"prompt_tokens": 2320, "completion_tokens": 30,
                                "total_tokens": 2350, "cache_read_input_tokens": 2000,
                                "cache_creation_input_tokens": 300}
    path = tmp_path / "export.jsonl"
    path.write_bytes(orjson.dumps(row) + b"\n")
    assert [call.usage for call in logged_calls(PortkeyFormat(), path)] == [
        Usage(2320, 2000, 300)]
