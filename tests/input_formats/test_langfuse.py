"""Langfuse: SDK spans (OTLP/JSON), API observation pages and blob-storage export rows."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
import pytest

from promptcache.load.formats import all_formats
from promptcache.load.formats._failed_calls import FAILED
from promptcache.load.formats._langfuse_generation import (
    TEXT_FORMAT_NOT_LOGGED,
    Generation,
    Rebuilt,
    rebuild,
)
from promptcache.load.formats._responses import REFUSED
from promptcache.load.formats.base import CHAT, MESSAGES, RESPONSES, LoggedCall, Skipped, Usage
from promptcache.load.formats.langfuse import Langfuse
from promptcache.load.sources import LoadError, RawRecord, read_records
from promptcache.model import Location
from tests.conftest import shared_format_sample

from .generated_logs import audits_as_sent, read_as_sent
from .helpers import read_calls, truth_lines

CASES = Path(__file__).parent / "cases" / "langfuse"
MEDIA = "@@@langfuseMedia:"


def _calls(name: str) -> list[LoggedCall | LoadError]:
    return read_calls(Langfuse(), CASES / name)


def _only_calls(found: list[LoggedCall | LoadError]) -> list[LoggedCall]:
    assert all(isinstance(item, LoggedCall) for item in found), found
    return [item for item in found if isinstance(item, LoggedCall)]


def _as_langfuse_keeps_it(request: dict[str, Any], served_model: str) -> dict[str, Any]:
    """A request as Langfuse's OpenAI integration leaves it: the response's model in place of
    the request's, no `user`, and image data URLs replaced by media references."""
    kept = copy.deepcopy(request)
    kept["model"] = served_model
    kept.pop("user", None)
    for message in kept["messages"]:
        for part in message.get("content") or []:
            if isinstance(part, dict) and part.get("type") == "image_url":
                part["image_url"]["url"] = MEDIA
    return kept


def _media_masked(body: Any) -> Any:
    masked = copy.deepcopy(dict(body))
    for message in masked["messages"]:
        for part in message.get("content") or []:
            if isinstance(part, dict) and part.get("type") == "image_url":
                assert part["image_url"]["url"].startswith(MEDIA)
                part["image_url"]["url"] = MEDIA
    return masked


def test_the_sdk_spans_give_every_request_in_order_losing_only_what_langfuse_drops() -> None:
    log = shared_format_sample("langfuse", "langfuse_spans.otlp.jsonl")
    truth = truth_lines(log.with_name("langfuse_spans.truth.jsonl"))
    calls = _only_calls(read_calls(Langfuse(), log))
    assert len(calls) == len(truth) == 14
    for call, line in zip(calls, truth, strict=True):
        assert call.served_model is None  # the body names the response's model already
        expected = _as_langfuse_keeps_it(line["request"], "gpt-4o-2024-08-06")
        assert _media_masked(call.body) == expected
        assert call.api == CHAT
        details = line["usage"]["prompt_tokens_details"]
        assert call.usage == Usage(line["usage"]["prompt_tokens"], details["cached_tokens"])
        # The photo is sent with `detail: low`, whose cost does not depend on its size.
        assert call.missing == ()
    sessions = [call.session for call in calls]
    assert sessions == [line["request"]["user"] for line in truth]
    starts = [call.timestamp for call in calls]
    assert all(start is not None for start in starts)
    assert starts == sorted(starts)  # type: ignore[type-var]


def test_the_sdk_spans_have_langfuse_defaults_left_out_and_sent_parameters_kept() -> None:
    first_call, second_call = _calls("spans.otlp.jsonl")[:2]
    assert isinstance(first_call, LoggedCall)
    assert isinstance(second_call, LoggedCall)
    # Defaults Langfuse filled in (temperature 1, max_tokens "Infinity", top_p 1, penalties
    # 0) were not sent; the response's service tier "default" is not a request's.
    assert set(first_call.body) == {"model", "messages"}
    assert {key: value for key, value in second_call.body.items()
            if key not in ("messages", "tools")} == {
        "model": "gpt-4o-mini-2024-07-18", "temperature": 0.3, "max_completion_tokens": 300,
        "n": 2, "seed": 7, "service_tier": "priority", "response_format": {"type": "json_object"},
    }
    assert second_call.body["tools"][0]["function"]["name"] == "book_slot"


def test_the_sdk_spans_come_in_start_order_with_session_user_and_span_id() -> None:
    calls = [call for call in _calls("spans.otlp.jsonl") if isinstance(call, LoggedCall)]
    assert [call.timestamp for call in calls] == [1780000001.0, 1780000002.0, 1780000003.0,
                                                   1780000006.0]
    assert [call.call_id for call in calls] == ["2000000000000001", "2000000000000002",
                                                "2000000000000003", "4000000000000001"]
    assert {(call.session, call.user) for call in calls} == {("repair-chat-7", "rider-31")}
    assert calls[1].body_path == (
        "$.resourceSpans[0].scopeSpans[0].spans[0].attributes[langfuse.observation.input]")
    assert calls[1].usage == Usage(1400, 1280)
    assert calls[2].usage is None


def test_an_image_replaced_by_a_media_reference_makes_the_call_partial_unless_its_cost_is_fixed(
) -> None:
    calls = [call for call in _calls("spans.otlp.jsonl") if isinstance(call, LoggedCall)]
    high_detail, low_detail = calls[2], calls[3]
    assert high_detail.missing == ("image replaced by a Langfuse media reference",)
    assert low_detail.missing == ()


def test_a_generation_whose_input_is_not_a_request_is_one_error_naming_line_and_path() -> None:
    found = _calls("spans.otlp.jsonl")
    errors = [item for item in found if isinstance(item, LoadError)]
    assert [(str(error.location), error.message) for error in errors] == [(
        f"{CASES / 'spans.otlp.jsonl'}:2",
        "$.resourceSpans[0].scopeSpans[0].spans[0].attributes[langfuse.observation.input]: "
        "the generation's input is not a message list nor {'messages': [...]} (a completion "
        "prompt, or input capture turned off?)")]
    assert len(found) == 5  # the line after the error is still read


def test_an_api_page_gives_its_generations_oldest_first_with_usage_cache_reads_added_back(
) -> None:
    older, newer = _only_calls(_calls("observations_page.json"))
    assert [older.call_id, newer.call_id] == ["obs-1", "obs-3"]
    assert [older.body_path, newer.body_path] == ["$.data[2].input", "$.data[0].input"]
    # usageDetails.input excludes the cached tokens and Anthropic's cache writes: added back.
    assert newer.usage == Usage(input_tokens=86 + 1920, cache_read_tokens=1920)
    assert older.usage == Usage(input_tokens=10 + 1000 + 200, cache_read_tokens=1000,
                                cache_write_tokens=200)
    assert newer.body == {"model": "gpt-4o", "messages": newer.body["messages"],
                          "temperature": 0.5, "max_tokens": 200}
    assert (newer.api, older.api) == (CHAT, MESSAGES)
    assert newer.session == "trace-garden-1"
    assert newer.timestamp == 1777712410.0


def test_a_blob_storage_export_row_is_read_with_its_session_user_and_utc_time() -> None:
    found = _calls("observations_v2.jsonl")
    first, error, third = found
    assert isinstance(first, LoggedCall)
    assert isinstance(third, LoggedCall)
    assert first.body == {"model": "gpt-4.1-mini", "temperature": 0,
                          "messages": [{"role": "system", "content": "Quiz master."},
                                       {"role": "user", "content": "Start."}]}
    assert (first.session, first.user, first.timestamp) == ("quiz-42", "pupil-9", 1780300800.0)
    assert third.usage == Usage(input_tokens=12 + 32 + 0, cache_read_tokens=32)
    assert {key: third.body[key] for key in ("max_tokens", "top_p")} == {"max_tokens": 50,
                                                                        "top_p": 0.9}
    assert "temperature" not in third.body
    assert isinstance(error, LoadError)
    assert (str(error.location), error.message.split(":")[0]) == (
        f"{CASES / 'observations_v2.jsonl'}:3", "$.input")


@pytest.mark.parametrize("name", ["spans.otlp.jsonl", "observations_page.json",
                                  "observations_v2.jsonl", "trace_detail.json"])
def test_langfuse_recognizes_its_own_records(name: str) -> None:
    data = (CASES / name).read_bytes()
    value = orjson.loads(data.splitlines()[0] if name.endswith(".jsonl") else data)
    assert Langfuse().recognize(value).matches


@pytest.mark.parametrize(("value", "reason"), [
    ({"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "chat gpt-4o", "attributes": [
        {"key": "gen_ai.request.model", "value": {"stringValue": "gpt-4o"}}]}]}]}]},
     "Langfuse: an OTLP export with no span carrying 'langfuse.*' attributes"),
    ({"op": "post", "run": {"id": "r", "run_type": "llm", "start_time": "2026-01-01T00:00:00",
                            "trace_id": "t", "inputs": {}}},
     "Langfuse: neither an OTLP export with 'langfuse.*' span attributes nor an observation "
     "('id', 'traceId', 'type', 'startTime')"),
    (orjson.loads((CASES / "traces.jsonl").read_bytes()),
     "Langfuse: a trace without its observations (an export's trace row, or a trace list, "
     "which names observations by id); its calls are in the observations export, or in "
     "GET /api/public/traces/{id}"),
])
def test_langfuse_says_why_a_record_is_not_its_own(value: Any, reason: str) -> None:
    recognition = Langfuse().recognize(value)
    assert (recognition.matches, recognition.reason) == (False, reason)


def test_langfuse_is_found_and_tried_before_generic_spans() -> None:
    assert Langfuse in all_formats()
    assert Langfuse.priority < 100


def test_another_instrumentations_llm_span_in_a_langfuse_export_is_reported_not_dropped(
) -> None:
    call, error = _calls("spans_mixed.otlp.jsonl")
    assert isinstance(error, LoadError)
    assert error.message == (
        "$.resourceSpans[0].scopeSpans[1].spans[0]: 1 LLM span(s) of other instrumentations "
        "(openinference.instrumentation.openai) are not Langfuse generations and are not read "
        "by this format: audit the file with --input-format otel as well")
    assert isinstance(call, LoggedCall)


def test_a_response_format_logged_as_a_class_schema_gets_the_strict_schema_the_sdk_sent(
        ) -> None:
    call = _calls("spans_mixed.otlp.jsonl")[0]
    assert isinstance(call, LoggedCall)
    assert call.body["response_format"] == {"type": "json_schema", "json_schema": {
        "schema": {"properties": {"summary": {"title": "Summary", "type": "string"}},
                   "required": ["summary"], "title": "Ticket", "type": "object",
                   "additionalProperties": False},
        "name": "Ticket", "strict": True}}
    assert call.missing == ()


def test_a_response_format_that_is_no_class_schema_makes_the_call_partial() -> None:
    generation = Generation(input=[{"role": "user", "content": "File it."}], input_path="$",
                            model="gpt-4o", metadata={"response_format": "<class 'Ticket'>"})
    assert _missing(generation) == (
        "response_format logged as a Python class's schema, not as sent",)


@pytest.mark.parametrize(("folder", "name"), [
    ("langsmith", "runs.jsonl"), ("litellm", "standard_logging_payload.jsonl"),
    ("openai_batch", "batch_input.jsonl"), ("har", "session.har"),
    ("otel_openai_v2_latest", "traces.otlp.jsonl"),
    ("otel_openinference_openai", "traces.otlp.jsonl"),
    ("otel_traceloop_anthropic", "traces.otlp.jsonl"),
])
def test_langfuse_does_not_claim_the_other_tools_samples(folder: str, name: str) -> None:
    first = next(record for record in read_records([str(shared_format_sample(folder, name))])
                 if isinstance(record, RawRecord))
    recognition = Langfuse().recognize(first.value)
    assert not recognition.matches
    assert recognition.reason.startswith("Langfuse: ")


def test_a_responses_call_gets_its_instructions_and_parameters_back() -> None:
    bare_list, with_tools = _only_calls(_calls("spans_responses.otlp.jsonl"))
    assert (bare_list.api, with_tools.api) == (RESPONSES, RESPONSES)
    # Langfuse writes `instructions` with a string `input` as [system, user]: both come back.
    assert bare_list.body == {
        "model": "gpt-4o-mini-2024-07-18", "instructions": "Answer as the bike shop.",
        "input": "When do you open?",
        "max_output_tokens": 120, "reasoning": {"effort": "low"}}
    assert with_tools.body == {
        "model": "gpt-4o-mini-2024-07-18", "instructions": "Answer as the bike shop.",
        "input": "When do you open?",
        "tools": [{"type": "function", "name": "book_slot",
                   "parameters": {"type": "object", "properties": {}}}],
        "tool_choice": "auto", "temperature": 0.2}


def test_an_input_cut_short_is_one_error_saying_so() -> None:
    (error,) = _calls("spans_truncated.otlp.jsonl")
    assert isinstance(error, LoadError)
    assert error.message == (
        "$.resourceSpans[0].scopeSpans[0].spans[0].attributes[langfuse.observation.input]: "
        "the input is not valid JSON (cut short, by an attribute length limit?)")


def test_an_older_api_row_with_usage_only_gets_its_usage() -> None:
    call = _only_calls(_calls("observation_v1.jsonl"))[0]
    assert call.usage == Usage(20)
    assert call.body_path == "$.input"


def test_an_input_holding_the_whole_request_keeps_its_model_and_names_the_served_one() -> None:
    whole = _only_calls(_calls("observation_v1.jsonl"))[1]
    assert whole.body == {"model": "gpt-4o", "max_tokens": 50, "messages": [
        {"role": "user", "content": "Which tomatoes grow in shade?"}]}
    assert whole.served_model == "gpt-4o-2024-08-06"


def test_a_trace_with_its_observations_gives_its_generations_with_the_traces_session() -> None:
    first, second = _only_calls(_calls("trace_detail.json"))
    assert [first.call_id, second.call_id] == ["obs-21", "obs-22"]
    assert [first.body_path, second.body_path] == ["$.observations[2].input",
                                                   "$.observations[0].input"]
    assert {(call.session, call.user) for call in (first, second)} == {
        ("garden-session-3", "gardener-8")}
    assert (first.usage, second.usage) == (Usage(12), Usage(30))


@pytest.mark.parametrize(("reference", "missing"), [
    ("@@@langfuseMedia:type=audio/wav|id=QXVkaW8x|source=base64_data_uri@@@",
     "audio replaced by a Langfuse media reference"),
    ("@@@langfuseMedia:type=application/pdf|id=UGRmMQ|source=base64_data_uri@@@",
     "file replaced by a Langfuse media reference"),
])
def test_other_media_references_make_the_call_partial_naming_what_was_replaced(
        reference: str, missing: str) -> None:
    rebuilt = rebuild(Generation(
        input=[{"role": "user", "content": [
            {"type": "input_audio", "input_audio": {"data": reference, "format": "wav"}}]}],
        input_path="$.input", model="gpt-4o-audio-preview"))
    assert isinstance(rebuilt, Rebuilt)
    assert rebuilt.missing == (missing,)


GENERATED = CASES / "generated"
_NOT_KEPT = ("model", "user", "stream", "stream_options", "stop", "prompt_cache_key",
             "tool_choice", "parallel_tool_calls", "store", "metadata")
"""What Langfuse's OpenAI integration does not keep as sent (docs/formats/langfuse.md)."""


def _as_kept(body: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _image_data_masked(value) for key, value in body.items()
            if key not in _NOT_KEPT}


def _image_data_masked(value: Any) -> Any:
    """Image data (a data URL sent, a media reference logged) as one placeholder: a complete
    call's image costs the same at any size."""
    if isinstance(value, dict):
        return {key: _image_data_masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_image_data_masked(item) for item in value]
    if isinstance(value, str) and (value.startswith("data:image/") or MEDIA in value):
        return "(image)"
    return value


def test_spans_made_by_the_integration_with_varied_calls_read_as_the_bodies_sent(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # generate/langfuse.py: langfuse.openai.OpenAI making Chat Completions calls (tools over
    # three turns, structured output, images, streaming, a 429) and Responses calls
    # (instructions, function_call_output, a string input, an image, streaming), and
    # parse() calls of both.
    log = GENERATED / "langfuse_spans.otlp.jsonl"
    calls, answered = read_as_sent(Langfuse(), log, GENERATED / "langfuse_spans.truth.jsonl",
                                   _kept_but_instructions)
    assert {n: call.missing for n, call in enumerate(calls) if call.missing} == {
        4: ("image replaced by a Langfuse media reference",), 12: (TEXT_FORMAT_NOT_LOGGED,)}
    assert [call.api for call in calls] == [CHAT] * 10 + [RESPONSES] * 7
    counts = audits_as_sent(capsys, log, answered, tmp_path)
    # The forced tool_choice of call 2 is not kept (9 tokens on gpt-4o); partial calls 4 and
    # 12 are compared by their bounds.
    assert [pair for n, pair in enumerate(counts) if n not in (2, 4, 12)] == [
        (sent, sent) for n, (_, sent) in enumerate(counts) if n not in (2, 4, 12)]
    assert counts[2][1] - counts[2][0] == 9


def _kept_but_instructions(body: Mapping[str, Any]) -> dict[str, Any]:
    """What Langfuse keeps, with a system item written first in a Responses input (which it
    logs as `instructions` are) taken as instructions."""
    kept = _as_kept(body)
    items = kept.get("input")
    if "instructions" not in kept and isinstance(items, list) and items and items[0].get(
            "role") == "system":
        kept["instructions"], kept["input"] = items[0]["content"], items[1:]
    if isinstance(kept.get("input"), str):  # a one-message list and a string are logged alike
        kept["input"] = [{"role": "user", "content": kept["input"]}]
    return kept


def _responses_generation(input_: Any, output_text: str = "Open at 9.") -> Generation:
    return Generation(input=input_, input_path="$.input", model="gpt-4o-2024-08-06",
                      output={"type": "message", "role": "assistant", "content": [
                          {"type": "output_text", "text": output_text}]})


def _missing(generation: Generation) -> tuple[str, ...]:
    rebuilt = rebuild(generation)
    assert isinstance(rebuilt, Rebuilt), rebuilt
    return rebuilt.missing


def test_a_responses_call_with_a_plain_string_input_is_read() -> None:
    rebuilt = rebuild(_responses_generation("Recommend one poetry book."))
    assert rebuilt == Rebuilt({"model": "gpt-4o-2024-08-06",
                               "input": "Recommend one poetry book."}, RESPONSES, ())


def test_a_responses_image_of_fixed_cost_replaced_by_a_media_reference_is_not_partial() -> None:
    def image(detail: str) -> Generation:
        return _responses_generation([{"role": "user", "content": [
            {"type": "input_text", "text": "Which edition?"},
            {"type": "input_image", "image_url": f"{MEDIA}type=image/png|id=x|source="
             "base64_data_uri@@@", "detail": detail}]}])

    assert (_missing(image("low")), _missing(image("auto"))) == (
        (), ("image replaced by a Langfuse media reference",))


def test_a_responses_call_that_answered_json_is_partial_for_the_text_format_not_logged() -> None:
    json_answer = _responses_generation("Pick a book.", '{"title": "Dune"}')
    prose_answer = _responses_generation("Pick a book.", "Dune, I think.")
    assert (_missing(json_answer), _missing(prose_answer)) == ((TEXT_FORMAT_NOT_LOGGED,), ())


@pytest.mark.parametrize(("status_message", "reason"), [
    ("Error code: 429 - Rate limit reached (mock)", REFUSED),
    ("Error code: 400 - {'error': {'message': 'context too long'}}", REFUSED),
    ("Connection error.", FAILED),
    ("", FAILED),
])
def test_a_generation_that_ended_in_an_error_is_skipped_and_counted(
        status_message: str, reason: str) -> None:
    row = {"id": "obs-9", "traceId": "t-1", "type": "GENERATION",
           "startTime": "2026-01-01T00:00:00Z", "model": "gpt-4o", "level": "ERROR",
           "statusMessage": status_message, "input": [{"role": "user", "content": "Hi"}]}
    (skipped,) = Langfuse().calls(iter([RawRecord(Location("obs.jsonl", 2), row)]))
    assert skipped == Skipped(Location("obs.jsonl", 2), reason)
