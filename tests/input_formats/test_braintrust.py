"""Braintrust logs (fetch pages, BTQL answers, events one per line): the LLM spans of
wrap_openai / wrap_anthropic rebuilt into the bodies sent, usage in one meaning, sessions
from the trace, and every other span or damaged event accounted for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from promptcache.load.calls import tell_format
from promptcache.load.formats import all_formats, format_named
from promptcache.load.formats.base import CHAT, MESSAGES, RESPONSES, LoggedCall, Usage
from promptcache.load.formats.braintrust import ATTACHMENT_REPLACED, Braintrust
from tests.input_formats.outcomes import load_errors, logged_calls

CASES = Path(__file__).parent / "cases" / "braintrust"
PAGE = CASES / "project_logs_page.json"
EVENTS = CASES / "events.jsonl"
BTQL = CASES / "btql.json"

FORECAST_TOOL = {"type": "function", "function": {
    "name": "get_forecast", "description": "Forecast for a town.",
    "parameters": {"type": "object", "properties": {"town": {"type": "string"}},
                   "required": ["town"]}}}


def _page_calls() -> list[LoggedCall]:
    return logged_calls(Braintrust(), PAGE)


def _event_calls() -> dict[int, LoggedCall]:
    return {call.location.line: call for call in logged_calls(Braintrust(), EVENTS)}


def test_a_fetch_page_gives_its_llm_spans_in_the_order_they_started() -> None:
    calls = _page_calls()
    # The page lists them newest first; the task and tool spans are no calls.
    assert [(call.api, call.body_path) for call in calls] == [
        (CHAT, "$.events[3].input"), (MESSAGES, "$.events[1].input"),
        (RESPONSES, "$.events[0].input")]
    assert [call.timestamp for call in calls] == [1795165201.25, 1795165203.0, 1795165206.0]


def test_a_chat_span_is_rebuilt_into_the_body_sent_without_client_options() -> None:
    assert _page_calls()[0].body == {
        "model": "gpt-4o-mini", "temperature": 0.2, "tools": [FORECAST_TOOL],
        "messages": [{"role": "system", "content": "You plan trips for a harbour town's visitors."},
                     {"role": "user", "content": "Weather in Tromso next week?"}]}


def test_an_anthropic_span_gets_its_system_prompt_back_from_the_end_of_the_messages() -> None:
    assert _page_calls()[1].body == {
        "model": "claude-sonnet-4-5", "max_tokens": 512, "temperature": 0.0,
        "system": [{"type": "text", "text": "You are a packing assistant for cold places.",
                    "cache_control": {"type": "ephemeral"}}],
        "messages": [{"role": "user", "content": "Forecast: -4C, snow. What to pack?"}]}


def test_a_responses_span_drops_the_response_fields_merged_into_its_metadata() -> None:
    call = _page_calls()[2]
    assert call.body == {"model": "gpt-4.1-mini-2025-04-14", "instructions": "Answer tersely.",
                         "prompt_cache_key": "trip-v2",
                         "input": [{"role": "user",
                                    "content": "Summarise the packing list in one line."}]}
    assert call.served_model == "gpt-4.1-mini-2025-04-14"


def test_usage_is_taken_in_one_meaning_from_the_metrics() -> None:
    # OpenAI's prompt_tokens include the cache reads; the wrappers' Anthropic prompt_tokens
    # already add reads and writes (logged as floats by the Python wrapper).
    assert [call.usage for call in _page_calls()] == [
        Usage(1380, 1152), Usage(2240, 2000, 200), Usage(60, 0)]


def test_anthropic_usage_without_the_cache_gets_it_added() -> None:
    calls = _event_calls()
    # A wrapAnthropic stream cut short (no 'tokens' total): Anthropic's input_tokens.
    assert calls[2].usage == Usage(1814, 0, 1800)
    # The first Python wrap_anthropic: Anthropic's own cache field names.
    assert calls[3].usage == Usage(1812, 1800, 0)


def test_sessions_are_the_trace_unless_the_metadata_names_one() -> None:
    assert {call.session for call in _page_calls()} == {"b7e1a0c2-0001"}
    calls = _event_calls()
    assert calls[8].session == "thread-88"
    assert calls[1].session == "c41d-root-0001"
    assert [call.call_id for call in _page_calls()] == [
        "b7e1a0c2-0002", "b7e1a0c2-0004", "b7e1a0c2-0005"]


def test_metadata_that_was_never_sent_stays_out_of_the_body_and_extra_body_goes_in() -> None:
    assert _event_calls()[8].body == {"model": "gpt-4o-mini", "prompt_cache_key": "trip",
                                      "messages": [{"role": "user", "content": "Plan day two."}]}


def test_the_first_anthropic_wrapper_s_model_parameters_are_body_fields() -> None:
    assert _event_calls()[3].body == {
        "model": "claude-3-5-haiku-latest", "max_tokens": 300, "temperature": 0.5,
        "messages": [{"role": "user", "content": "And three glaciers?"}]}
    assert _event_calls()[2].body == {
        "model": "claude-haiku-4-5", "max_tokens": 200, "stream": True, "system": "Be brief.",
        "messages": [{"role": "user", "content": "Name three fjords."}]}


def test_the_first_js_responses_spans_get_their_input_and_instructions_back() -> None:
    call = _event_calls()[10]
    assert call.api == RESPONSES
    assert call.body == {"model": "gpt-4.1-nano", "max_output_tokens": 80,
                         "instructions": "Answer as a list.",
                         "input": "List two ferry routes."}


def test_the_braintrust_prompt_a_call_was_built_from_is_not_a_body_field() -> None:
    assert _event_calls()[11].body == {
        "model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Greet the guest Ada."}]}


def test_a_responses_stored_prompt_stays_in_the_body(tmp_path: Path) -> None:
    stored = {"id": "pmpt_68ab", "version": "3", "variables": {"guest": "Ada"}}
    event = _event_line(10)
    event["metadata"] = event["metadata"] | {"prompt": stored}
    path = tmp_path / "events.jsonl"
    path.write_bytes(orjson.dumps(event) + b"\n")
    assert [call.body.get("prompt") for call in logged_calls(Braintrust(), path)] == [stored]


def test_an_image_logged_as_an_attachment_makes_the_call_partial() -> None:
    call = _event_calls()[1]
    assert call.missing == (ATTACHMENT_REPLACED,)
    assert call.body["messages"][0]["content"][1] == {
        "type": "image_url",
        "image_url": {"url": "braintrust_attachment:image.png", "detail": "high"}}
    assert all(other.missing == () for other in _page_calls())


def test_damaged_events_are_one_error_each_and_the_rest_is_read() -> None:
    assert sorted(_event_calls()) == [1, 2, 3, 8, 10, 11]  # 7 raised, 9 is a score span
    assert load_errors(Braintrust(), EVENTS) == [
        (f"{EVENTS}:4", "$.input: the LLM span has no input (not logged, or its start "
                        "event is missing)"),
        (f"{EVENTS}:5", "not a Braintrust log: Braintrust: no span event ('span_id', "
                        "'root_span_id', 'span_attributes') nor a page of them "
                        "({'events': [...]})"),
        (f"{EVENTS}:6", "$.metadata: an LLM span not made by wrap_openai or wrap_anthropic "
                        "(no metadata.provider 'openai' or 'anthropic'): its input is not "
                        "a request's"),
    ]


def test_a_btql_answer_is_read_event_by_event() -> None:
    calls = logged_calls(Braintrust(), BTQL)
    assert [(call.body_path, call.usage) for call in calls] == [("$.data[0].input",
                                                                 Usage(11, 0))]
    assert load_errors(Braintrust(), BTQL) == [
        (f"{BTQL}:1", "$.data[1]: not a Braintrust span event (no 'span_id', "
                      "'root_span_id' and 'span_attributes')")]


def test_chat_input_that_is_not_a_message_list_is_an_error(tmp_path: Path) -> None:
    event = _event_line(8) | {"input": "Plan day two."}
    path = tmp_path / "events.jsonl"
    path.write_bytes(orjson.dumps(event) + b"\n")
    assert load_errors(Braintrust(), path) == [
        (f"{path}:1", "$.input: expected the request's messages, a list of objects")]


def test_a_json_array_of_events_gives_the_same_calls_as_events_one_per_line(
        tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_bytes(b"[\n" + b",\n".join(EVENTS.read_bytes().splitlines()) + b"\n]\n")
    as_array = logged_calls(Braintrust(), path)
    as_lines = logged_calls(Braintrust(), EVENTS)
    assert [(call.body, call.usage, call.session) for call in as_array] == [
        (call.body, call.usage, call.session) for call in as_lines]
    assert len(load_errors(Braintrust(), path)) == 3


def test_without_a_start_metric_the_time_is_the_event_s_creation(tmp_path: Path) -> None:
    event = _event_line(8)
    del event["metrics"]["start"]
    path = tmp_path / "events.jsonl"
    path.write_bytes(orjson.dumps(event) + b"\n")
    # "2026-11-21T10:08:00Z"
    assert [call.timestamp for call in logged_calls(Braintrust(), path)] == [1795255680.0]


def test_the_input_file_is_left_as_it_was() -> None:
    before = {path: path.read_bytes() for path in CASES.iterdir()}
    for path in before:
        logged_calls(Braintrust(), path)
    assert {path: path.read_bytes() for path in CASES.iterdir()} == before


def test_recognizes_events_and_pages_and_says_why_not_for_others() -> None:
    braintrust = Braintrust()
    assert braintrust.recognize(_event_line(1)).matches
    assert braintrust.recognize(orjson.loads(PAGE.read_bytes())).matches
    assert braintrust.recognize(orjson.loads(BTQL.read_bytes())).matches
    assert braintrust.recognize({"events": [], "cursor": None}).matches
    for other in ({"model": "gpt-4o", "messages": []},
                  {"log": {"entries": []}},
                  {"data": [{"request_id": "r1"}], "error": None},
                  {"id": "r", "run_type": "llm", "start_time": "2026-01-01T00:00:00Z"}):
        recognition = braintrust.recognize(other)
        assert not recognition.matches
        assert recognition.reason == ("Braintrust: no span event ('span_id', 'root_span_id', "
                                      "'span_attributes') nor a page of them "
                                      "({'events': [...]})")


def test_each_braintrust_file_is_told_as_braintrust_by_detection() -> None:
    assert {path.name: tell_format(str(path)) for path in (PAGE, EVENTS, BTQL)} == {
        "project_logs_page.json": "braintrust", "events.jsonl": "braintrust",
        "btql.json": "braintrust"}


def test_no_format_tried_before_braintrust_claims_its_records() -> None:
    records: list[Any] = [_event_line(n) for n in (1, 2, 3, 8)]
    records += [orjson.loads(PAGE.read_bytes()), orjson.loads(BTQL.read_bytes())]
    earlier = all_formats()[:all_formats().index(Braintrust)]
    assert [fmt.name for fmt in earlier
            if any(fmt().recognize(record).matches for record in records)] == []


def test_the_format_is_found_by_its_name() -> None:
    assert format_named("braintrust") is Braintrust


def _event_line(line: int) -> dict[str, Any]:
    value: dict[str, Any] = orjson.loads(EVENTS.read_bytes().splitlines()[line - 1])
    return value
