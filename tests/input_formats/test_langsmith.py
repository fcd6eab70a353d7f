"""LangSmith: post/patch operations and exported runs of the SDK wrappers' LLM runs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson
import pytest

from promptcache.load.formats import _langsmith_runs, all_formats
from promptcache.load.formats._failed_calls import FAILED
from promptcache.load.formats._responses import REFUSED
from promptcache.load.formats.base import CHAT, MESSAGES, RESPONSES, LoggedCall, Skipped, Usage
from promptcache.load.formats.langsmith import LangSmith
from promptcache.load.sources import LoadError, RawRecord, read_records
from promptcache.model import Location
from tests.conftest import shared_format_sample

from .generated_logs import audits_as_sent, read_as_sent
from .helpers import read_calls, truth_lines

CASES = Path(__file__).parent / "cases" / "langsmith"
OUT_OF_ORDER = CASES / "runs_out_of_order.jsonl"


def _only_calls(found: list[LoggedCall | LoadError]) -> list[LoggedCall]:
    assert all(isinstance(item, LoggedCall) for item in found), found
    return [item for item in found if isinstance(item, LoggedCall)]


def test_the_runs_file_gives_every_request_body_exactly_in_request_order() -> None:
    log = shared_format_sample("langsmith", "runs.jsonl")
    truth = truth_lines(log.with_name("runs.truth.jsonl"))
    calls = _only_calls(read_calls(LangSmith(), log))
    assert [call.body for call in calls] == [line["request"] for line in truth]
    assert {call.api for call in calls} == {CHAT}
    assert [call.usage for call in calls] == [
        Usage(line["usage"]["prompt_tokens"],
              line["usage"]["prompt_tokens_details"]["cached_tokens"]) for line in truth]
    assert [call.session for call in calls] == [line["request"]["user"] for line in truth]
    starts = [call.timestamp for call in calls]
    assert starts == sorted(start for start in starts if start is not None)
    assert len(set(starts)) == len(truth)


def test_the_run_posted_then_patched_is_one_call_with_the_patch_usage() -> None:
    log = shared_format_sample("langsmith", "runs.jsonl")
    calls = _only_calls(read_calls(LangSmith(), log))
    patched = [call for call in calls if call.call_id == "01a24190-80b0-756c-87b1-223554242dc7"]
    assert len(patched) == 1
    assert patched[0].usage == Usage(2545, 2304)
    assert str(patched[0].location).endswith("runs.jsonl:5")


def _out_of_order() -> list[LoggedCall | LoadError]:
    return read_calls(LangSmith(), OUT_OF_ORDER)


def test_runs_written_out_of_order_come_in_start_order_each_merged_with_its_patch() -> None:
    calls = [item for item in _out_of_order() if isinstance(item, LoggedCall)]
    assert [call.call_id[-2:] for call in calls if call.call_id] == ["01", "02", "03", "04", "05"]
    assert [call.location.line for call in calls] == [4, 2, 7, 9, 10]
    # Run 03's patch came before its post; run 01's after; run 05 was never patched.
    assert [call.usage for call in calls] == [
        Usage(1400), Usage(1500, 1280), Usage(1600, 1408),
        Usage(1530, cache_read_tokens=1200, cache_write_tokens=300), None]
    assert [call.session for call in calls] == ["visitor-5"] * 5
    assert calls[0].served_model == "gpt-4.1-2025-04-14"
    assert calls[0].timestamp == 1773136801.0


def test_client_options_are_dropped_and_extra_body_is_merged_into_the_body() -> None:
    second = [item for item in _out_of_order() if isinstance(item, LoggedCall)][1]
    assert {key: value for key, value in second.body.items() if key != "messages"} == {
        "model": "gpt-4.1", "temperature": 0, "prompt_cache_key": "library-desk"}
    assert second.body_path == "$.run.inputs"


def test_an_anthropic_run_gets_its_system_prompt_back_out_of_the_messages() -> None:
    anthropic = [item for item in _out_of_order() if isinstance(item, LoggedCall)][3]
    assert anthropic.api == MESSAGES
    assert anthropic.body["system"] == [{
        "type": "text", "cache_control": {"type": "ephemeral"},
        "text": "You are Pip, who answers questions about the city library's opening hours."}]
    assert anthropic.body["messages"] == [{"role": "user", "content": "Can I print here?"}]


def test_unreadable_records_are_one_error_each_naming_line_and_path_and_the_rest_is_read(
) -> None:
    errors = [(item.location.line, item.message) for item in _out_of_order()
              if isinstance(item, LoadError)]
    assert errors == [
        (5, "$: LangSmith: no run ('id', 'run_type', 'start_time') nor {'op': 'post'|'patch', "
            "'run': {...}}"),
        (6, "invalid JSON: unexpected end of data at column 23"),
        (12, "$.run.inputs: LangChain chat-model inputs (messages as LangChain objects), not the "
             "request body: trace the provider SDK with langsmith.wrappers instead"),
        (11, "$.run: patch of LLM run 0194a000-0000-7000-8000-000000000006, whose post (with "
             "the inputs) is not in this file: the call cannot be read"),
    ]


def test_exported_runs_are_read_with_the_thread_as_session_and_responses_bodies() -> None:
    call, without_metadata = _only_calls(read_calls(LangSmith(), CASES / "runs_export.json"))
    assert without_metadata.usage == Usage(1400, 1280)  # from the run's prompt_tokens columns
    assert call.api == RESPONSES
    assert call.body == {"model": "gpt-5-mini", "instructions": "Answer in one line.",
                         "input": "Opening hours?", "reasoning": {"effort": "low"}}
    assert (call.session, call.usage) == ("visitor-5", Usage(700, 512))
    assert call.timestamp == 1773136830.0  # no zone written: UTC
    assert call.body_path == "$.inputs"


def test_finished_runs_beyond_the_window_are_given_before_the_file_ends(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_langsmith_runs, "WINDOW", 1)
    lines = OUT_OF_ORDER.read_bytes().splitlines()
    # Finished run 04 (started at :09), finished run 02 (:05), then run 05's post.
    values = [orjson.loads(lines[number - 1]) for number in (9, 2, 10)]
    read: list[int] = []

    def records() -> Iterator[RawRecord | LoadError]:
        for number, value in enumerate(values, start=1):
            read.append(number)
            yield RawRecord(Location("ops.jsonl", number), value)

    calls = LangSmith().calls(records())
    first = next(calls)
    assert isinstance(first, LoggedCall)
    assert first.call_id == "0194a000-0000-7000-8000-000000000002"
    assert read == [1, 2]  # given once two finished runs waited, before the third record
    assert [call.call_id[-2:] for call in calls if isinstance(call, LoggedCall)
            and call.call_id] == ["04", "05"]


@pytest.mark.parametrize("value", [
    {"op": "patch", "run": {"id": "r1"}},
    {"post": [{"id": "r1", "run_type": "llm"}], "patch": []},
    {"id": "r1", "run_type": "llm", "start_time": "2026-03-10T10:00:00", "inputs": {}},
])
def test_langsmith_recognizes_its_own_records(value: Any) -> None:
    assert LangSmith().recognize(value).matches


@pytest.mark.parametrize("value", [
    {"resourceSpans": []},
    {"id": "obs-1", "traceId": "t", "type": "GENERATION", "startTime": "2026-01-01T00:00:00Z"},
    {"model": "gpt-4o", "messages": []},
])
def test_langsmith_says_why_a_record_is_not_its_own(value: Any) -> None:
    recognition = LangSmith().recognize(value)
    assert (recognition.matches, recognition.reason) == (
        False, "LangSmith: no run ('id', 'run_type', 'start_time') nor "
               "{'op': 'post'|'patch', 'run': {...}}")


def test_langsmith_is_found() -> None:
    assert LangSmith in all_formats()


def test_a_batch_sent_twice_is_one_call_and_a_late_patch_still_brings_its_usage() -> None:
    (call,) = _only_calls(read_calls(LangSmith(), CASES / "runs_resent.jsonl"))
    assert call.call_id == "0194a000-0000-7000-8000-000000000021"
    assert call.usage == Usage(1400, 1024)
    assert call.location.line == 1


@pytest.mark.parametrize(("folder", "name"), [
    ("langfuse", "langfuse_spans.otlp.jsonl"), ("litellm", "standard_logging_payload.jsonl"),
    ("openai_batch", "batch_output.jsonl"), ("har", "session.har"),
    ("otel_openinference_anthropic", "traces.otlp.jsonl"),
])
def test_langsmith_does_not_claim_the_other_tools_samples(folder: str, name: str) -> None:
    first = next(record for record in read_records([str(shared_format_sample(folder, name))])
                 if isinstance(record, RawRecord))
    recognition = LangSmith().recognize(first.value)
    assert not recognition.matches
    assert recognition.reason.startswith("LangSmith: ")


_TICKET_STRICT = {"properties": {"summary": {"title": "Summary", "type": "string"}},
                  "required": ["summary"], "title": "Ticket", "type": "object",
                  "additionalProperties": False}
"""The strict schema the OpenAI SDK sends for the class ``Ticket(summary: str)``."""


def test_a_parse_call_logged_with_its_class_schema_gets_the_strict_schema_the_sdk_sent() -> None:
    chat, responses = _only_calls(read_calls(LangSmith(), CASES / "runs_parse.jsonl"))
    assert chat.body["response_format"] == {"type": "json_schema", "json_schema": {
        "schema": _TICKET_STRICT, "name": "Ticket", "strict": True}}
    assert responses.body == {"model": "gpt-4.1", "input": "Summarise.", "text": {"format": {
        "type": "json_schema", "strict": True, "name": "Ticket", "schema": _TICKET_STRICT}}}
    assert chat.missing == responses.missing == ()


def test_a_parse_call_logged_with_its_class_repr_is_partial_without_it() -> None:
    run = {"id": "r1", "run_type": "llm", "start_time": "2026-01-01T00:00:00",
           "end_time": "2026-01-01T00:00:01", "extra": {"metadata": {"ls_provider": "openai"}},
           "inputs": {"model": "gpt-4o", "response_format": "<class 'app.Ticket'>",
                      "messages": [{"role": "user", "content": "File it."}]}}
    (call,) = LangSmith().calls(iter([RawRecord(Location("runs.jsonl", 1), run)]))
    assert isinstance(call, LoggedCall)
    assert call.body == {"model": "gpt-4o", "messages": [{"role": "user", "content": "File it."}]}
    assert call.missing == ("response_format logged as a Python class's schema, not as sent",)


def test_patches_that_do_not_say_their_runs_type_are_merged_dropped_or_reported() -> None:
    found = read_calls(LangSmith(), CASES / "runs_untyped_patches.jsonl")
    call, error = found
    assert isinstance(call, LoggedCall)
    assert (call.call_id, call.usage) == ("0194a000-0000-7000-8000-000000000041",
                                          Usage(1400, 1152))
    assert isinstance(error, LoadError)
    assert (error.location.line, error.message) == (
        5, "$.run: patch of LLM run 0194a000-0000-7000-8000-000000000043, whose post (with the "
           "inputs) is not in this file: the call cannot be read")


GENERATED = CASES / "generated"


def test_runs_made_by_the_wrappers_with_varied_calls_read_as_the_bodies_sent(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # generate/langsmith.py: wrap_openai (Chat Completions with tools, structured output,
    # images, streaming; the Responses API) and wrap_anthropic (cache_control, tool_use and
    # tool_result, an image, streaming, a beta call), one 429 from each provider; parse().
    calls, answered = read_as_sent(LangSmith(), GENERATED / "runs.jsonl",
                                   GENERATED / "runs.truth.jsonl", _without_stream)
    # chat.completions.parse(response_format=Class) is logged as the class's repr.
    assert [n for n, call in enumerate(calls) if call.missing] == [8]
    assert [call.api for call in calls] == [CHAT] * 10 + [RESPONSES] * 7 + [MESSAGES] * 7
    # messages.stream() is logged without `stream`, which is no prompt token.
    streamed = [call.body for call in calls if call.body.get("stream")]
    assert len(streamed) == len([line for line in answered if line["request"].get("stream")]) - 1
    counts = audits_as_sent(capsys, GENERATED / "runs.jsonl", answered, tmp_path)
    assert len(counts) == 24  # every call, the Anthropic ones read as Messages requests
    assert [pair for n, pair in enumerate(counts) if n != 8] == [
        (sent, sent) for n, (_, sent) in enumerate(counts) if n != 8]


def _without_stream(body: Mapping[str, Any]) -> Mapping[str, Any]:
    return {key: value for key, value in body.items() if key != "stream"}


@pytest.mark.parametrize(("error", "reason"), [
    ("RateLimitError('Error code: 429 - Rate limit reached')\n\nTraceback ...", REFUSED),
    ("RateLimitError('429 Rate limit reached (path: /v1/messages)')", REFUSED),
    ("BadRequestError(\"Error code: 400 - {'error': {'message': 'bad'}}\")", REFUSED),
    ("APIConnectionError('Connection error.')", FAILED),
])
def test_a_run_whose_call_raised_is_skipped_and_counted_not_audited(error: str,
                                                                    reason: str) -> None:
    run = {"id": "r1", "run_type": "llm", "start_time": "2026-01-01T00:00:00",
           "end_time": "2026-01-01T00:00:01", "error": error, "outputs": {"output": None},
           "inputs": {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]},
           "extra": {"metadata": {"ls_provider": "openai"}}}
    (skipped,) = LangSmith().calls(iter([RawRecord(Location("runs.jsonl", 3), run)]))
    assert skipped == Skipped(Location("runs.jsonl", 3), reason)


def test_a_run_that_raised_after_its_usage_came_is_still_a_call() -> None:
    run = {"id": "r1", "run_type": "llm", "start_time": "2026-01-01T00:00:00",
           "end_time": "2026-01-01T00:00:01", "error": "ValueError('stream consumer failed')",
           "inputs": {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]},
           "extra": {"metadata": {"ls_provider": "openai",
                                  "usage_metadata": {"input_tokens": 8}}}}
    (call,) = LangSmith().calls(iter([RawRecord(Location("runs.jsonl", 1), run)]))
    assert isinstance(call, LoggedCall)
    assert call.usage == Usage(8, 0)


def test_an_anthropic_beta_call_has_no_betas_in_its_body() -> None:
    run = {"id": "r1", "run_type": "llm", "start_time": "2026-01-01T00:00:00",
           "end_time": "2026-01-01T00:00:01", "extra": {"metadata": {"ls_provider": "anthropic"}},
           "inputs": {"model": "claude-sonnet-4-20250514", "max_tokens": 100,
                      "betas": ["context-1m-2025-08-07"],
                      "messages": [{"role": "user", "content": "Hi"}]}}
    (call,) = LangSmith().calls(iter([RawRecord(Location("runs.jsonl", 1), run)]))
    assert isinstance(call, LoggedCall)
    # The SDK sends them as the `anthropic-beta` header.
    assert call.body == {"model": "claude-sonnet-4-20250514", "max_tokens": 100,
                         "messages": [{"role": "user", "content": "Hi"}]}
