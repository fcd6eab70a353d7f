"""How a Responses API request is rendered into the prompt the model reads: forced tool
choices, function call pairs per harmony model generation, mid-conversation tools, member
titles, and stored prompts. Every request here is written by hand."""

from __future__ import annotations

from typing import Any

import pytest

from promptcache.catalog import facts_for
from promptcache.load.records import normalize_record
from promptcache.load.sources import LoadError, RawRecord
from promptcache.model import Location, Request, Segment, SegmentKind
from promptcache.normalize.openai_responses import responses_segments
from promptcache.tokens.counter import TokenCounter

_counter = TokenCounter("o200k_base", persistent=False)

WEATHER = {"type": "function", "name": "get_weather", "description": "Weather in a city.",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                          "required": ["city"]}}
TIME = {"type": "function", "name": "get_time", "description": "Time in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                       "required": ["city"]}}
ASK = {"role": "user", "content": "Is it raining in Lyon?"}
CALL = {"type": "function_call", "call_id": "c1", "name": "get_weather",
        "arguments": '{"city":"Lyon"}'}
OUTPUT = {"type": "function_call_output", "call_id": "c1", "output": "Light rain, 12 C"}


def _tokens(text: str) -> int:
    return _counter.count(text)


def _segments(body: dict[str, Any]) -> tuple[Segment, ...]:
    return responses_segments(body, "$", facts_for(str(body["model"])))


def _count(body: dict[str, Any]) -> int:
    return sum(s.fixed_tokens + _tokens(s.text) for s in _segments(body))


# --------------------------------------------------------------------------------------------
# tool_choice
# --------------------------------------------------------------------------------------------

_FORCED_CALL = 4 + _tokens(" to=functions.get_weather")


@pytest.mark.parametrize("choice", [
    pytest.param("required", id="required-with-one-tool"),
    pytest.param({"type": "function", "name": "get_weather"}, id="named-function"),
])
def test_a_forced_tool_choice_primes_the_reply_as_a_call_to_it(choice: object) -> None:
    body = {"model": "gpt-4.1", "input": [ASK], "tools": [WEATHER]}
    forced = {**body, "tool_choice": choice}
    assert _count(forced) == _count(body) + _FORCED_CALL
    priming = _segments(forced)[-1]
    assert (priming.kind, priming.text) == (SegmentKind.REPLY_PRIMING,
                                            " to=functions.get_weather")


def test_required_with_several_tools_leaves_the_choice_open() -> None:
    body = {"model": "gpt-4o", "input": [ASK], "tools": [WEATHER, TIME]}
    assert _count({**body, "tool_choice": "required"}) == _count(body)


def test_harmony_models_bill_nothing_for_a_forced_choice() -> None:
    body = {"model": "gpt-5-mini", "input": [ASK], "tools": [WEATHER]}
    assert _count({**body, "tool_choice": "required"}) == _count(body)
    assert _segments({**body, "tool_choice": "required"})[-1].text == ""


# --------------------------------------------------------------------------------------------
# Function call pairs on harmony models
# --------------------------------------------------------------------------------------------

def _pair_cost(model: str) -> int:
    """What one call and its output add to a request."""
    body = {"model": model, "input": [ASK], "tools": [WEATHER]}
    return _count({**body, "input": [ASK, CALL, OUTPUT]}) - _count(body)


_PAIR_TEXT = (_tokens(" to=functions.get_weather") + _tokens('{"city":"Lyon"}')
              + _tokens("Light rain, 12 C"))


@pytest.mark.parametrize(("model", "expected"), [
    pytest.param("gpt-5.4", 16 + _PAIR_TEXT + _tokens("functions.get_weather"), id="gpt-5.4"),
    pytest.param("gpt-5.4-nano", 16 + _PAIR_TEXT + _tokens("functions.get_weather"),
                 id="gpt-5.4-nano"),
    pytest.param("gpt-5.6-terra", 16 + _PAIR_TEXT + _tokens("functions.get_weather"),
                 id="gpt-5.6-terra"),
    pytest.param("gpt-5", 13 + _PAIR_TEXT + _tokens("functions.get_weather"), id="gpt-5"),
    pytest.param("gpt-5-nano", 13 + _PAIR_TEXT + _tokens("functions.get_weather"),
                 id="gpt-5-nano"),
    pytest.param("gpt-5.5", 13 + _PAIR_TEXT + _tokens("functions.get_weather"), id="gpt-5.5"),
    pytest.param("gpt-5.2", 16 + _PAIR_TEXT + _tokens("get_weather"), id="gpt-5.2"),
])
def test_a_call_pair_costs_what_its_model_generation_bills(model: str, expected: int) -> None:
    assert _pair_cost(model) == expected


def test_a_harmony_tool_output_is_authored_by_the_full_recipient() -> None:
    segments = _segments({"model": "gpt-5.4", "input": [ASK, CALL, OUTPUT],
                          "tools": [WEATHER]})
    output_frame = next(s for s in segments if s.kind is SegmentKind.MESSAGE_FRAME
                        and s.role == "tool")
    assert (output_frame.text, output_frame.estimated) == ("functions.get_weather", False)
    chatml = _segments({"model": "gpt-4o", "input": [ASK, CALL, OUTPUT], "tools": [WEATHER]})
    assert next(s for s in chatml if s.role == "tool" and s.kind is SegmentKind.MESSAGE_FRAME
                ).text == "get_weather"


def test_mid_conversation_tools_cost_two_more_on_the_first_gpt_5_generation() -> None:
    added = {"type": "additional_tools", "role": "developer", "tools": [TIME]}

    def tools(model: str) -> list[Segment]:
        return [s for s in _segments({"model": model, "input": [ASK, added]})
                if s.path.startswith("$.input[1].tools")]

    assert [s.kind for s in tools("gpt-5")] == [SegmentKind.TOOLS_FRAME, SegmentKind.TOOL,
                                               SegmentKind.TOOLS_FRAME]
    assert all(s.estimated for s in tools("gpt-5") + tools("gpt-5.6"))
    assert (sum(s.fixed_tokens for s in tools("gpt-5"))
            - sum(s.fixed_tokens for s in tools("gpt-5.6"))) == 86 - 84


# --------------------------------------------------------------------------------------------
# Tool schemas
# --------------------------------------------------------------------------------------------

def test_a_member_title_is_a_comment_line_above_the_member() -> None:
    tool = {"type": "function", "name": "lookup", "strict": True,
            "parameters": {"type": "object",
                           "additionalProperties": False, "required": ["city"],
                           "properties": {"city": {"title": "City", "type": "string",
                                                   "description": "Where."}}}}
    segments = _segments({"model": "gpt-4o-mini", "input": [ASK], "tools": [tool]})
    rendered = next(s for s in segments if s.kind is SegmentKind.TOOL).text
    assert rendered == "type lookup = (_:{\n// City\n// Where.\ncity: string,\n}) => any;"


def test_the_parameters_title_is_a_comment_line_before_the_object() -> None:
    tool = {"type": "function", "name": "add", "strict": True,
            "parameters": {"type": "object", "title": "add_args", "additionalProperties": False,
                           "required": ["a"], "properties": {"a": {"type": "integer"}}}}
    segments = _segments({"model": "gpt-4.1", "input": [ASK], "tools": [tool]})
    rendered = next(s for s in segments if s.kind is SegmentKind.TOOL).text
    assert rendered == "type add = (_: // add_args\n{\na: number,\n}) => any;"


# --------------------------------------------------------------------------------------------
# Stored prompts
# --------------------------------------------------------------------------------------------

def _normalize(value: Any) -> Request | LoadError:
    return normalize_record(RawRecord(Location("calls.jsonl", 3), value))


def test_a_stored_prompt_request_is_read_and_counted_as_a_lower_bound() -> None:
    record = {"request": {"prompt": {"id": "pmpt_abc", "version": "2",
                                     "variables": {"city": "Lyon"}}},
              "response": {"usage": {"input_tokens": 40}}}
    request = _normalize(record)
    assert isinstance(request, Request)
    assert request.api == "openai.responses"
    stored = next(s for s in request.segments if s.key == "prompt")
    assert (stored.path, stored.kind, stored.estimated) == ("$.request.prompt",
                                                            SegmentKind.OTHER, True)
    assert request.estimated


def test_a_body_with_nothing_to_send_says_what_a_responses_request_needs() -> None:
    result = _normalize({"request": {"prompt": "Once upon a time"}})
    assert isinstance(result, LoadError)
    assert result.message == (
        "$.request: not a request: expected 'messages' (Chat Completions, Anthropic Messages), "
            "'input' or a "
        "stored 'prompt' (Responses), or 'request' (keys: prompt)")



def test_a_function_schema_keyword_of_unknown_rendering_makes_the_tool_an_estimate() -> None:
    # As in Chat Completions: `format` is no keyword whose rendering recorded usage shows.
    dated = {"type": "object", "properties": {"day": {"type": "string", "format": "date"}}}
    plain = {"type": "object", "properties": {"day": {"type": "string"}}}
    tools = []
    for parameters in (dated, plain):
        request = _normalize({"model": "gpt-4o", "input": "Book it", "tools": [
            {"type": "function", "name": "book", "parameters": parameters}]})
        assert isinstance(request, Request)
        tools.append(next(segment for segment in request.segments
                          if segment.kind is SegmentKind.TOOL))
    assert tools[0].estimated
    assert tools[0].estimate is not None
    assert tools[0].estimate.reason.startswith("a tool schema keyword whose rendering is not "
                                               "established")
    assert not tools[1].estimated
