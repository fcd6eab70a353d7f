"""OpenAI Batch input and output files, joined by custom_id (formats/openai_batch.py)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from promptcache.load.formats import format_named
from promptcache.load.formats.base import CHAT, RESPONSES, LoggedCall, Usage
from promptcache.load.formats.openai_batch import OpenAIBatch
from promptcache.load.sources import LoadError
from tests.conftest import shared_format_sample
from tests.input_formats.helpers import read_calls, truth_lines

CASES = Path(__file__).parent / "cases" / "openai_batch"
INPUT, OUTPUT, ERRORS = CASES / "input.jsonl", CASES / "output.jsonl", CASES / "errors.jsonl"


def _calls(found: list[LoggedCall | LoadError]) -> list[LoggedCall]:
    return [item for item in found if isinstance(item, LoggedCall)]


def _errors(found: list[LoggedCall | LoadError]) -> list[str]:
    return [f"{item.location.file.rsplit('/', 1)[-1]}:{item.location.line}: {item.message}"
            for item in found if isinstance(item, LoadError)]


def test_the_format_is_found_by_its_name() -> None:
    assert format_named("openai_batch") is OpenAIBatch


def test_shared_sample_gives_the_truth_bodies_in_input_order_with_their_usage() -> None:
    sample = shared_format_sample("openai_batch", "batch_input.jsonl")
    output = sample.with_name("batch_output.jsonl")
    truth = truth_lines(sample.with_name("batch.truth.jsonl"))
    created = {line["custom_id"]: line["response"]["body"]["created"]
               for line in map(orjson.loads, output.read_bytes().splitlines())}

    found = read_calls(OpenAIBatch(), output, sample)

    calls = _calls(found)
    assert len(calls) == len(found) == len(truth)
    assert [call.body for call in calls] == [line["request"] for line in truth]
    assert [call.usage for call in calls] == [
        Usage(line["usage"]["prompt_tokens"],
              line["usage"]["prompt_tokens_details"]["cached_tokens"]) for line in truth]
    assert [call.timestamp for call in calls] == [created[line["custom_id"]] for line in truth]
    assert {call.api for call in calls} == {CHAT}
    assert {call.body_path for call in calls} == {"$.body"}
    assert [call.location.line for call in calls] == list(range(1, len(truth) + 1))
    assert {call.session for call in calls} == {None}  # the session is the body's `user`


def test_the_output_file_is_read_before_the_input() -> None:
    fmt = OpenAIBatch()
    first_output, first_input = (orjson.loads(path.read_bytes().splitlines()[0])
                                 for path in (OUTPUT, INPUT))
    assert fmt.reads_first(first_output)
    assert not fmt.reads_first(first_input)


def test_each_input_line_takes_the_usage_of_its_output_line_whatever_the_output_order() -> None:
    calls = _calls(read_calls(OpenAIBatch(), OUTPUT, INPUT))

    chat, responses = calls[0], calls[1]
    assert chat.body["messages"][1]["content"] == "Do you fit tubeless tyres?"
    assert (chat.api, chat.usage, chat.timestamp, chat.call_id) == (
        CHAT, Usage(31, 0), 1767225600.0, "chatcmpl-a1")
    assert chat.served_model is None  # the response names the model the request named
    assert (responses.api, responses.usage, responses.timestamp, responses.served_model) == (
        RESPONSES, Usage(1290, 1152), 1767225660.0, "gpt-4.1-2025-04-14")


def test_a_request_the_batch_failed_is_audited_without_usage_and_its_output_line_says_why() -> None:
    found = read_calls(OpenAIBatch(), OUTPUT, ERRORS, INPUT)

    by_line = {call.location.line: call for call in _calls(found)}
    assert by_line[3].body["messages"][0]["content"] == "Opening hours on Sunday?"
    assert by_line[6].body["messages"][0]["content"] == "Is the shop open on public holidays?"
    assert (by_line[3].usage, by_line[6].usage) == (None, None)
    assert _errors(found)[:4] == [
        "output.jsonl:3: $.error: the batch reports batch_expired: This request could not be "
        "executed before the completion window expired.: no usage for request "
        "'ticket-8-turn-1'",
        "errors.jsonl:1: $.response: the request failed with status 400: "
        "invalid_request_error: Invalid value for 'max_tokens'.: no usage for request "
        "'ticket-10-turn-1'",
        "errors.jsonl:2: $.custom_id: missing",
        "errors.jsonl:3: $.response: the request failed with status 500: no usage for request "
        "'ticket-12-turn-1'",
    ]


def test_malformed_input_lines_are_one_error_each_with_their_path_and_the_rest_is_read() -> None:
    found = read_calls(OpenAIBatch(), INPUT)

    assert _errors(found) == [
        "input.jsonl:4: $.body: expected an object, found string",
        "input.jsonl:5: $.url: a batch line for /v1/embeddings; promptcache reads "
        "/v1/chat/completions and /v1/responses requests",
    ]
    assert [call.location.line for call in _calls(found)] == [1, 2, 3, 6]


def test_an_input_file_alone_is_audited_without_usage() -> None:
    calls = _calls(read_calls(OpenAIBatch(), INPUT))

    assert len(calls) == 4
    assert {(call.usage, call.timestamp, call.call_id) for call in calls} == {(None, None, None)}


def test_an_output_file_alone_is_one_error_saying_the_input_file_is_needed() -> None:
    found = read_calls(OpenAIBatch(), CASES / "repeated_ids_a_output.jsonl")

    assert _errors(found) == [
        "repeated_ids_a_output.jsonl:1: $: 1 batch result(s) and no request: the requests "
        "are in the batch's input file, which is needed too: promptcache audit "
        "--input-format openai_batch REQUESTS_FILE "
        f"{CASES / 'repeated_ids_a_output.jsonl'}",
    ]


def test_an_output_alone_that_names_its_input_file_names_it_in_the_error() -> None:
    found = read_calls(OpenAIBatch(), CASES / "output_naming_input.jsonl")

    assert len(found) == 1
    assert isinstance(found[0], LoadError)
    assert "the requests are in the batch's input file (file-9Qm2), which is needed too" \
        in found[0].message


def test_results_whose_request_is_in_no_file_given_are_reported_once_every_file_is_read() -> None:
    found = read_calls(OpenAIBatch(), OUTPUT, INPUT)

    assert _errors(found)[-1] == (
        "output.jsonl:4: $.custom_id: 1 batch result(s) whose request is in none of the files "
        "given ('ticket-11-turn-1'): their calls are not audited")
    assert isinstance(found[-1], LoadError)


def test_two_batches_reusing_custom_ids_pair_up_in_the_order_their_files_are_given() -> None:
    found = read_calls(OpenAIBatch(), *(CASES / f"repeated_ids_{batch}_{part}.jsonl"
                                        for part in ("output", "input") for batch in "ab"))

    assert [(call.body["messages"][0]["content"], call.call_id) for call in _calls(found)] == [
        ("Summarise the returns policy.", "chatcmpl-x1"),
        ("Summarise the warranty terms.", "chatcmpl-y1"),
    ]
    assert _errors(found) == []


@pytest.mark.parametrize("line", [
    {"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {}},
    {"custom_id": "a", "body": {"model": "gpt-4o", "messages": []}},
    {"id": "batch_req_1", "custom_id": "a", "response": {"status_code": 200}, "error": None},
    {"id": "batch_req_1", "custom_id": "a", "response": None, "error": {"code": "x"}},
], ids=["input line", "input line without url", "output line", "error line"])
def test_batch_lines_are_recognized(line: object) -> None:
    assert OpenAIBatch().recognize(line).matches


@pytest.mark.parametrize(("value", "reason"), [
    ({"model": "gpt-4o", "messages": []}, "OpenAI Batch: no 'custom_id'"),
    ({"custom_id": "a", "params": {"model": "claude-sonnet-4-5"}},
     "OpenAI Batch: a 'custom_id' with neither 'body' (an input line) nor 'response' and "
     "'error' (an output line)"),
    ({"custom_id": "a", "result": {"type": "succeeded"}},
     "OpenAI Batch: a 'custom_id' with neither 'body' (an input line) nor 'response' and "
     "'error' (an output line)"),
    ({"request": {"model": "gpt-4o"}, "response": {}}, "OpenAI Batch: no 'custom_id'"),
    ([1, 2], "OpenAI Batch: a JSON array, not an object"),
], ids=["bare chat body", "anthropic batch request", "anthropic batch result", "pair envelope",
        "array"])
def test_other_records_are_not_recognized_and_the_reason_says_why(value: object,
                                                                  reason: str) -> None:
    assert OpenAIBatch().recognize(value).reason == reason


def test_many_results_without_their_request_are_one_error_naming_the_first_three(
        tmp_path: Path) -> None:
    output = tmp_path / "output.jsonl"
    output.write_bytes(b"".join(orjson.dumps({
        "id": f"batch_req_{n}", "custom_id": f"row-{n}", "error": None,
        "response": {"status_code": 200, "body": {"model": "gpt-4o",
                                                  "usage": {"prompt_tokens": n}}}}) + b"\n"
        for n in range(1, 7)))
    given = tmp_path / "input.jsonl"
    given.write_bytes(orjson.dumps({"custom_id": "row-2", "url": "/v1/chat/completions", "body": {
        "model": "gpt-4o", "messages": [{"role": "user", "content": "Row two"}]}}) + b"\n")

    found = read_calls(OpenAIBatch(), output, given)

    assert [call.usage for call in _calls(found)] == [Usage(2)]
    assert _errors(found) == [
        "output.jsonl:1: $.custom_id: 5 batch result(s) whose request is in none of the files "
        "given ('row-1', 'row-3', 'row-4' and 2 more): their calls are not audited"]
