"""Anthropic Message Batches requests and results, joined by custom_id
(formats/anthropic_batch.py)."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from promptcache.load.formats import format_named
from promptcache.load.formats.anthropic_batch import AnthropicBatch
from promptcache.load.formats.base import MESSAGES, LoggedCall, Usage
from promptcache.load.sources import LoadError
from tests.input_formats.helpers import read_calls

CASES = Path(__file__).parent / "cases" / "anthropic_batch"
REQUESTS, RESULTS = CASES / "requests.jsonl", CASES / "results.jsonl"


def _calls(found: list[LoggedCall | LoadError]) -> list[LoggedCall]:
    return [item for item in found if isinstance(item, LoggedCall)]


def _errors(found: list[LoggedCall | LoadError]) -> list[str]:
    return [f"{item.location.file.rsplit('/', 1)[-1]}:{item.location.line}: {item.message}"
            for item in found if isinstance(item, LoadError)]


def _lines(path: Path) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_the_format_is_found_by_its_name() -> None:
    assert format_named("anthropic_batch") is AnthropicBatch


def test_the_results_file_is_read_before_the_requests() -> None:
    fmt = AnthropicBatch()
    assert fmt.reads_first(_lines(RESULTS)[0])
    assert not fmt.reads_first(_lines(REQUESTS)[0])
    assert not fmt.reads_first(orjson.loads((CASES / "batch_body.json").read_bytes()))


def test_each_request_is_its_params_exactly_in_request_order() -> None:
    calls = _calls(read_calls(AnthropicBatch(), RESULTS, REQUESTS))

    sent = [line["params"] for line in _lines(REQUESTS) if isinstance(line["params"], dict)]
    assert [call.body for call in calls] == sent
    assert [call.location.line for call in calls] == [1, 2, 3, 5]
    assert {(call.api, call.body_path) for call in calls} == {(MESSAGES, "$.params")}


def test_usage_counts_cache_reads_and_writes_as_prompt_tokens() -> None:
    calls = _calls(read_calls(AnthropicBatch(), RESULTS, REQUESTS))

    # 410 uncached + 1030 written; 12 uncached + 1030 read
    assert [call.usage for call in calls[:2]] == [
        Usage(input_tokens=1440, cache_read_tokens=0, cache_write_tokens=1030),
        Usage(input_tokens=1042, cache_read_tokens=1030, cache_write_tokens=0),
    ]
    assert [(call.call_id, call.served_model, call.timestamp) for call in calls[:2]] == [
        ("msg_01", None, None), ("msg_02", "claude-sonnet-4-5-20250929", None)]


def test_usage_without_cache_fields_leaves_the_writes_unknown() -> None:
    calls = _calls(read_calls(AnthropicBatch(), CASES / "body_results.jsonl",
                              CASES / "batch_body.json"))

    assert [call.usage for call in calls] == [Usage(17, 0, None), Usage(16, 0, None)]


def test_requests_that_errored_expired_or_were_canceled_have_no_usage_and_their_results_say_why(
) -> None:
    found = read_calls(AnthropicBatch(), RESULTS, REQUESTS)

    by_line = {call.location.line: call for call in _calls(found)}
    assert (by_line[3].usage, by_line[5].usage) == (None, None)
    assert _errors(found)[:6] == [
        "results.jsonl:3: $.result.error: the request errored: invalid_request_error: "
        "max_tokens: must be at least 1: no usage for request 'greenhouse-3'",
        "results.jsonl:4: $.result.type: the batch expired the request before it ran: no usage "
        "for request 'greenhouse-5'",
        "results.jsonl:5: $.result.type: the batch canceled the request before it ran: no "
        "usage for request 'greenhouse-6'",
        "results.jsonl:6: $.result.type: expected 'succeeded', 'errored', 'canceled' or "
        "'expired', found 'pending'",
        "results.jsonl:7: $.result.message.usage.input_tokens: missing",
        "requests.jsonl:4: $.params: expected an object, found string",
    ]


def test_results_whose_request_is_in_no_file_given_are_reported_once_every_file_is_read() -> None:
    found = read_calls(AnthropicBatch(), RESULTS, REQUESTS)

    assert _errors(found)[6:] == [
        "results.jsonl:5: $.custom_id: 1 batch result(s) whose request is in none of the files "
        "given ('greenhouse-6'): their calls are not audited",
    ]


def test_a_results_file_alone_is_one_error_saying_the_requests_are_needed() -> None:
    found = read_calls(AnthropicBatch(), CASES / "body_results.jsonl")

    assert _errors(found) == [
        "body_results.jsonl:1: $: 2 batch result(s) and no request: the requests are in the "
        "batch's requests file (the body sent to /v1/messages/batches), which is needed too: "
        "promptcache audit "
        f"--input-format anthropic_batch REQUESTS_FILE {CASES / 'body_results.jsonl'}",
    ]


def test_the_batch_body_as_sent_is_read_request_by_request() -> None:
    found = read_calls(AnthropicBatch(), CASES / "batch_body.json")

    assert [(call.body_path, call.body["messages"][0]["content"]) for call in _calls(found)] == [
        ("$.requests[0].params", "Which apple trees suit a small garden?"),
        ("$.requests[2].params", "When should I prune a pear tree?"),
    ]
    assert _errors(found) == ["batch_body.json:1: $.requests[1]: expected an object, found string"]


def test_a_requests_file_alone_is_audited_without_usage() -> None:
    found = read_calls(AnthropicBatch(), REQUESTS)

    assert len(_calls(found)) == 4
    assert {call.usage for call in _calls(found)} == {None}


@pytest.mark.parametrize("value", [
    {"custom_id": "a", "params": {"model": "claude-sonnet-4-5", "messages": []}},
    {"custom_id": "a", "result": {"type": "expired"}},
    {"requests": [{"custom_id": "a", "params": {}}]},
], ids=["request line", "result line", "batch body"])
def test_batch_records_are_recognized(value: object) -> None:
    assert AnthropicBatch().recognize(value).matches


@pytest.mark.parametrize(("value", "reason"), [
    ({"model": "claude-sonnet-4-5", "messages": []}, "Anthropic batch: no 'custom_id'"),
    ({"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {}},
     "Anthropic batch: a 'custom_id' with neither 'params' (a request) nor 'result' (a result "
     "line)"),
    ({"id": "batch_req_1", "custom_id": "a", "response": {}, "error": None},
     "Anthropic batch: a 'custom_id' with neither 'params' (a request) nor 'result' (a result "
     "line)"),
    ({"requests": ["a"]}, "Anthropic batch: 'requests' holds no {'custom_id', 'params'} object"),
    ("text", "Anthropic batch: a JSON string, not an object"),
], ids=["bare messages body", "openai batch input", "openai batch output", "other requests",
        "string"])
def test_other_records_are_not_recognized_and_the_reason_says_why(value: object,
                                                                  reason: str) -> None:
    assert AnthropicBatch().recognize(value).reason == reason


def test_results_saved_with_the_sdk_as_the_docs_show_are_read(tmp_path: Path) -> None:
    # docs/formats/anthropic_batch.md: `out.write(result.model_dump_json() + "\n")` for each
    # result of client.messages.batches.results(...), with the SDK's own result type.
    from anthropic.types.messages import MessageBatchIndividualResponse

    results = [
        {"custom_id": "beach-2", "result": {"type": "errored", "error": {
            "type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}}},
        {"custom_id": "beach-1", "result": {"type": "succeeded", "message": {
            "id": "msg_b1", "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
            "content": [{"type": "text", "text": "Yes."}], "stop_reason": "end_turn",
            "stop_sequence": None, "usage": {"input_tokens": 5, "output_tokens": 2,
                                             "cache_read_input_tokens": 100,
                                             "cache_creation_input_tokens": 7}}}},
    ]
    saved = tmp_path / "results.jsonl"
    saved.write_text("".join(MessageBatchIndividualResponse.model_validate(result)
                             .model_dump_json() + "\n" for result in results), encoding="utf-8")
    requests = tmp_path / "requests.jsonl"
    requests.write_text("".join(json.dumps({"custom_id": f"beach-{n}", "params": {
        "model": "claude-haiku-4-5", "max_tokens": 20,
        "messages": [{"role": "user", "content": f"Question {n}"}]}}) + "\n" for n in (1, 2)),
        encoding="utf-8")

    found = read_calls(AnthropicBatch(), saved, requests)

    assert [call.usage for call in _calls(found)] == [Usage(112, 100, 7), None]
    assert _errors(found) == ["results.jsonl:1: $.result.error: the request errored: "
                              "overloaded_error: Overloaded: no usage for request 'beach-2'"]
