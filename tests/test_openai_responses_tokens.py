"""Responses API prompts counted as the API counts them: the segments, and the recorded data.

The data test replays shared/data/openai-responses-cassettes.jsonl (recorded requests with the
API's own ``usage.input_tokens``) through :func:`responses_segments` and the counter, and
reports the match rate over every record of the file, every miss with its cause, and apart,
with their reasons, the records that cannot match: a feature that cannot be counted offline
(the normalizer marks it ``estimated``) or a recorded usage that is not this API's count for
this body (hand-written cassettes, a billing the API has since changed, text the recorder
normalized), each with its evidence.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from promptcache.catalog import facts_for
from promptcache.model import Segment, SegmentKind
from promptcache.normalize.openai_responses import responses_segments
from promptcache.tokens.counter import TokenCounter

from .conftest import shared_data

DATA = "openai-responses-cassettes.jsonl"
# Measured on the whole file (286 records): 126 exact (44.1%). 153 records are marked
# estimated (11 of them exact: built-in tools, stored context, reasoning, files), 15 carry a
# usage that is not the API's count for the body (0 exact: see UNRELIABLE), and 114 of the
# other 118 are exact (the 4 misses: KNOWN_CAUSES). The bar guards against regressions; raise
# it when the count improves.
REQUIRED_EXACT = 126

_counter = TokenCounter("o200k_base")


def _count(segments: tuple[Segment, ...]) -> int:
    return sum(segment.fixed_tokens + _counter.count(segment.text) for segment in segments)


def _segments(body: Mapping[str, Any]) -> tuple[Segment, ...]:
    return responses_segments(body, "$", facts_for(str(body.get("model", ""))))


def _kinds(segments: tuple[Segment, ...]) -> list[SegmentKind]:
    return [segment.kind for segment in segments]


def _png_data_url(width: int, height: int) -> str:
    header = (b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + width.to_bytes(4, "big")
              + height.to_bytes(4, "big") + b"\x08\x06\x00\x00\x00")
    return "data:image/png;base64," + base64.b64encode(header).decode()


# --------------------------------------------------------------------------------------------
# Segments, on hand-written bodies (counts are the recorded ones where a record is named)
# --------------------------------------------------------------------------------------------

CAPITAL = {"type": "function", "name": "get_capital", "description": None, "strict": True,
           "parameters": {"type": "object", "properties": {"country": {"type": "string"}},
                          "required": ["country"], "additionalProperties": False}}
QUESTION = {"role": "user", "content": "What is the capital of PotatoLand?"}
CALL = {"type": "function_call", "call_id": "c1", "name": "get_capital",
        "arguments": '{"country":"PotatoLand"}'}
OUTPUT = {"type": "function_call_output", "call_id": "c1", "output": "Potato City"}


def test_plain_messages_and_instructions() -> None:
    question = {"role": "user", "content": "What is the capital of France?"}
    plain = _segments({"model": "gpt-4o", "input": [question]})
    assert _kinds(plain) == [SegmentKind.MESSAGE_FRAME, SegmentKind.TEXT,
                             SegmentKind.REPLY_PRIMING]
    assert plain[1].path == "$.input[0].content"
    assert _count(plain) == 14  # recorded (test_openai_responses_model_simple_response)
    body = {"model": "gpt-4o", "instructions": "You are a helpful assistant.",
            "input": [question]}
    segments = _segments(body)
    assert (segments[1].path, segments[1].text, segments[1].role) == (
        "$.instructions", "You are a helpful assistant.", "system")
    assert _count(segments) == 24  # recorded (test_openai_responses_model_instructions)
    assert _segments({**body, "model": "gpt-5"})[1].role == "developer"
    as_string = _segments({"model": "gpt-5", "input": "How do I cross the street?"})
    assert (as_string[1].path, _count(as_string)) == ("$.input", 13)  # recorded: 13


def test_empty_instructions_add_nothing() -> None:
    body = {"model": "gpt-4o", "instructions": "", "input": "hi"}
    assert _count(_segments(body)) == _count(_segments({"model": "gpt-4o", "input": "hi"}))


def test_chatml_tools_get_a_cheaper_message_of_their_own() -> None:
    segments = _segments({"model": "gpt-4o", "input": [QUESTION], "tools": [CAPITAL]})
    assert _kinds(segments)[:3] == [SegmentKind.TOOLS_FRAME, SegmentKind.TOOL,
                                    SegmentKind.TOOLS_FRAME]
    header, tool, footer = segments[:3]
    assert header.text == "# Tools\n\n## functions\n\nnamespace functions {"
    assert header.fixed_tokens == -3
    assert (tool.key, tool.path) == ("get_capital", "$.tools[0]")
    assert tool.text == "type get_capital = (_:{\ncountry: string,\n}) => any;"
    assert footer.text == "} // namespace functions"
    assert _count(segments) == 40  # recorded (..._simple_response_with_tool_call#0)
    system = {"role": "system", "content": "Be brief."}
    merged = _segments({"model": "gpt-4o", "input": [system, QUESTION], "tools": [CAPITAL]})
    # Never merged into the caller's system message (whose text keeps no "\n\n").
    assert next(s for s in merged if s.path == "$.input[0].content").text == "Be brief."


def test_harmony_tools_skip_the_chat_preamble() -> None:
    body = {"model": "gpt-5", "tools": [{**CAPITAL, "name": "get_meaning_of_life",
                                         "parameters": {"type": "object", "properties": {}}}],
            "input": [{"role": "user", "content": "What is the meaning of life?"}]}
    segments = _segments(body)
    assert segments[0].text == "# Tools\n\n## functions\n\nnamespace functions {"
    assert segments[0].fixed_tokens == 2
    assert _count(segments) == 40  # recorded (..._requires_function_call_status_none#0)


def test_parameters_description_is_printed_as_harmony_does() -> None:
    tool = {"type": "function", "name": "load_capability",
            "description": "Load a capability.",
            "parameters": {"type": "object", "description": "Typed arguments.",
                           "properties": {"id": {"type": "string"}}, "required": ["id"]}}
    segments = _segments({"model": "gpt-5.4", "tools": [tool], "input": "x"})
    assert segments[1].text == ("// Load a capability.\n"
                                "type load_capability = (_: // Typed arguments.\n"
                                "{\nid: string,\n}) => any;")


def test_calls_and_outputs() -> None:
    body = {"model": "gpt-4o", "tools": [CAPITAL], "input": [QUESTION, CALL, OUTPUT]}
    segments = _segments(body)
    call_frame, call, output_frame, output = segments[5:9]
    assert (call_frame.text, call_frame.fixed_tokens) == (" to=functions.get_capital", 4)
    assert (call.kind, call.path, call.text, call.key) == (
        SegmentKind.TOOL_CALL, "$.input[1].arguments", '{"country":"PotatoLand"}',
        "get_capital")
    assert (output_frame.text, output_frame.role, output.path) == (
        "get_capital", "tool", "$.input[2].output")
    assert _count(segments) == 67  # recorded (..._simple_response_with_tool_call#1)
    harmony = _segments({**body, "model": "gpt-5"})
    assert next(s for s in harmony if s.kind is SegmentKind.MESSAGE_FRAME
                and s.role == "tool").fixed_tokens == 8
    assert not any(segment.estimated for segment in segments + harmony)


def test_consecutive_calls_are_separate_messages() -> None:
    second = {**CALL, "call_id": "c2"}
    body = {"model": "gpt-4o", "tools": [CAPITAL],
            "input": [QUESTION, CALL, second, OUTPUT, {**OUTPUT, "call_id": "c2"}]}
    segments = _segments(body)
    calls = [s for s in segments if s.kind is SegmentKind.TOOL_CALL]
    assert [s.path for s in calls] == ["$.input[1].arguments", "$.input[2].arguments"]
    assert [s.text for s in segments if s.role == "tool" and s.kind is SegmentKind.TEXT] == [
        "Potato City", "Potato City"]


def test_namespaced_calls_name_their_namespace() -> None:
    announce = {"type": "additional_tools", "role": "developer",
                "tools": [{**CAPITAL, "name": "lookup"}]}
    call = {**CALL, "name": "lookup", "namespace": "lookup"}
    segments = _segments({"model": "gpt-5.4", "input": [QUESTION, announce, call, OUTPUT]})
    frames = [s.text for s in segments if s.kind is SegmentKind.MESSAGE_FRAME]
    assert frames[1:] == [" to=lookup.lookup", "lookup.lookup"]
    announced = [s for s in segments if s.path.startswith("$.input[1].tools")]
    assert [s.kind for s in announced] == [SegmentKind.TOOLS_FRAME, SegmentKind.TOOL,
                                           SegmentKind.TOOLS_FRAME]
    assert announced[0].fixed_tokens == 84  # the chat harmony preamble
    assert all(s.estimated for s in announced)
    # The announced tool is declared: its call is not an estimate.
    assert not next(s for s in segments if s.text == " to=lookup.lookup").estimated


def test_a_call_to_an_undeclared_function_is_estimated() -> None:
    segments = _segments({"model": "gpt-5", "input": [QUESTION, CALL, OUTPUT]})
    assert next(s for s in segments if s.text == " to=functions.get_capital").estimated


def test_harmony_assistant_messages_and_reasoning() -> None:
    reasoning = {"type": "reasoning", "summary": [], "encrypted_content": "g" * 1500}
    answer = {"role": "assistant", "content": [{"type": "output_text", "text": "Paris."}]}
    body = {"model": "gpt-5", "input": [QUESTION, reasoning, answer, QUESTION]}
    segments = _segments(body)
    # Reasoning before the last user message is dropped: no segment, no cost.
    assert not any(s.path == "$.input[1]" for s in segments)
    assert next(s for s in segments if s.path == "$.input[2]").fixed_tokens == 6
    assert _count(segments) == 2 * (4 + 8) + 6 + 2 + 2
    current = _segments({"model": "gpt-5", "input": [QUESTION, reasoning, CALL, OUTPUT]})
    kept = next(s for s in current if s.key == "reasoning")
    assert (kept.kind, kept.estimated, kept.fixed_tokens) == (SegmentKind.OTHER, True, 100)
    assert _count(_segments({**body, "model": "gpt-4o"})) == 2 * (4 + 8) + 4 + 2 + 3


def test_structured_output_placement() -> None:
    text = {"format": {"type": "json_schema", "name": "City", "strict": True,
                       "schema": {"type": "object", "properties": {"city": {"type": "string"}},
                                  "required": ["city"], "additionalProperties": False}}}
    section = ('# Response Formats\n\n## City\n\n'
               '{"type":"object","properties":{"city":{"type":"string"}}}')
    with_tools = _segments({"model": "gpt-4o", "input": "x", "text": text, "tools": [CAPITAL]})
    schema = with_tools[3]
    assert (schema.kind, schema.path, schema.text) == (
        SegmentKind.RESPONSE_FORMAT, "$.text.format", "\n\n" + section)
    harmony = _segments({"model": "gpt-5.4-mini", "input": "x", "text": text})[0]
    assert (harmony.text, harmony.fixed_tokens, harmony.estimated) == (section, 0, False)
    chatml = _segments({"model": "gpt-4o", "input": "x", "text": text})[0]
    # Not a message of its own: its text plus 1 (see promptcache.tokens.schema_placement).
    assert (chatml.fixed_tokens, chatml.estimated) == (1, False)
    assert not any(s.kind is SegmentKind.RESPONSE_FORMAT
                   for s in _segments({"model": "gpt-4o", "input": "x",
                                       "text": {"format": {"type": "json_object"}}}))


def test_built_in_tools_and_server_side_context_are_estimated() -> None:
    body = {"model": "gpt-5", "input": [QUESTION], "previous_response_id": "resp_1",
            "tools": [{"type": "web_search"}, CAPITAL, {"type": "mcp", "server_label": "x"}]}
    segments = _segments(body)
    tools = [s for s in segments if s.kind is SegmentKind.TOOL]
    assert [(s.key, s.estimated, s.text) for s in tools] == [
        ("web_search", True, ""), ("get_capital", False, tools[1].text), ("mcp", True, "")]
    context = next(s for s in segments if s.key == "previous_response_id")
    assert (context.kind, context.estimated) == (SegmentKind.OTHER, True)
    only_built_in = _segments({"model": "gpt-5", "input": "x", "tools": [{"type": "web_search"}]})
    assert SegmentKind.TOOLS_FRAME not in _kinds(only_built_in)


@pytest.mark.parametrize("tool", [
    {"type": "web_search"}, {"type": "web_search_preview"},
    {"type": "web_search_preview", "search_context_size": "medium",
     "user_location": {"type": "approximate", "city": "New York"}},
])
@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4.1"])
def test_a_web_search_tool_costs_its_hidden_prompt_on_gpt_4o_and_4_1(
        tool: dict[str, Any], model: str) -> None:
    # 294 more than the same request without it: 7 records of 5 projects (the evidence is
    # beside _WEB_SEARCH_PROMPT), e.g. dd-trace-py's gpt-4.1 "web_search_preview" request,
    # 303 tokens recorded, 9 without the tool.
    plain = {"model": model, "input": [QUESTION]}
    searching = _segments({**plain, "tools": [tool]})
    assert _count(searching) - _count(_segments(plain)) == 294
    (segment,) = (s for s in searching if s.kind is SegmentKind.TOOL)
    # The searches it runs are billed too, unseen: the figure is the least it costs.
    assert segment.estimated
    assert segment.estimate is not None
    assert segment.estimate.reason.endswith("web search results the server fetches")


def test_a_web_search_tool_on_harmony_models_has_no_known_prompt() -> None:
    # Every recorded gpt-5 web search request searched (8,200 to 115,900 tokens billed): no
    # record shows the tool's own prompt, so it adds nothing to the count.
    plain = {"model": "gpt-5", "input": [QUESTION]}
    searching = _segments({**plain, "tools": [{"type": "web_search"}]})
    assert _count(searching) == _count(_segments(plain))


def test_images() -> None:
    body = {"model": "gpt-4o", "input": [{"role": "user", "content": [
        {"type": "input_text", "text": "What fruit is in the image?"},
        {"type": "input_image", "detail": "auto", "image_url": _png_data_url(597, 566)},
        {"type": "input_image", "image_url": "https://example.com/kiwi.png", "detail": "low"},
        {"type": "input_image", "file_id": "file-1"}]}]}
    local, remote, stored = (s for s in _segments(body) if s.kind is SegmentKind.IMAGE)
    assert (local.fixed_tokens, local.estimated, local.path) == (
        765, False, "$.input[0].content[1]")
    assert local.image is not None
    assert (local.image.width, local.image.detail_explicit) == (597, True)
    assert remote.fixed_tokens == 85
    assert remote.image is not None
    assert remote.image.source_hint == "example.com"
    assert stored.estimated
    assert stored.image is not None
    assert stored.image.source_hint == "file_id"


def test_json_segments_carry_a_key_order_free_digest() -> None:
    reordered = dict(reversed(list(CAPITAL.items())))
    text = {"format": {"type": "json_schema", "name": "x", "schema": {"type": "object"}}}
    first = _segments({"model": "gpt-4o", "tools": [CAPITAL], "text": text,
                       "input": [QUESTION, CALL, OUTPUT]})
    second = _segments({"model": "gpt-4o", "tools": [reordered],
                        "text": {"format": dict(reversed(list(text["format"].items())))},
                        "input": [QUESTION, {**CALL, "arguments": '{"country": "PotatoLand"}'},
                                  OUTPUT]})
    for kind in (SegmentKind.TOOL, SegmentKind.RESPONSE_FORMAT, SegmentKind.TOOL_CALL):
        one, two = (next(s for s in segments if s.kind is kind) for segments in (first, second))
        assert one.canonical
        assert one.canonical == two.canonical, kind
    assert next(s for s in first if s.kind is SegmentKind.TEXT).canonical == ""


def test_the_tools_block_is_memoized_per_path() -> None:
    body = {"model": "gpt-4o", "input": "x", "tools": [CAPITAL]}
    first, again = _segments(body), _segments(body)
    assert first[1] is again[1]
    other = responses_segments(body, "$.request", facts_for("gpt-4o"))
    assert other[1].path == "$.request.tools[0]"


@pytest.mark.parametrize("body", [
    pytest.param({}, id="empty"),
    pytest.param({"input": [7, None, "x", []]}, id="items-not-objects"),
    pytest.param({"input": [{"role": "critic", "content": "hm"}]}, id="unknown-role"),
    pytest.param({"input": [{"role": "user", "content": [{"type": "input_audio"}, 3]}]},
                 id="odd-parts"),
    pytest.param({"input": [{"type": "function_call_output", "call_id": "nope"}]},
                 id="orphan-output"),
    pytest.param({"input": [{"type": "computer_call_output", "output": {"x": 1}}]},
                 id="built-in-output"),
    pytest.param({"input": "x", "tools": [7, {"type": "function"}, {"type": "custom"}]},
                 id="odd-tools"),
    pytest.param({"instructions": [{"role": "developer", "content": "x"}]},
                 id="instructions-as-items"),
    pytest.param({"input": "x", "model": "computer-use-preview", "reasoning": {"mode": "pro"}},
                 id="unknown-model"),
])
def test_odd_input_is_not_fatal(body: dict[str, Any]) -> None:
    segments = _segments(body)
    assert segments[-1].kind is SegmentKind.REPLY_PRIMING
    assert all(isinstance(segment.text, str) for segment in segments)


# --------------------------------------------------------------------------------------------
# Re-recordings: the same tests re-run against the API in Dec 2025 / Jan 2026
# --------------------------------------------------------------------------------------------

# Request bodies and usage transcribed from later versions of pydantic-ai cassettes whose
# shared/data versions date from March 2025 or were hand-written (see UNRELIABLE below):
# tests/models/cassettes/test_openai_responses/<name>.yaml at pydantic/pydantic-ai commits
# 111dda9 and 07b8774 (MIT). They check the rules on recordings independent of the data file.
_FRANCE = {"role": "user", "content": "What is the capital of France?"}
_COUNTRY = {"role": "user", "content": "What is the largest city in the user country?"}
_USER_COUNTRY = {"type": "function", "name": "get_user_country", "description": None,
                 "strict": False, "parameters": {"type": "object", "properties": {},
                                                 "additionalProperties": False}}
_FINAL = {"type": "function", "name": "final_result", "strict": True,
          "description": "The final response which ends this conversation",
          "parameters": {"type": "object", "additionalProperties": False,
                         "properties": {"city": {"type": "string"},
                                        "country": {"type": "string"}},
                         "required": ["city", "country"]}}
_MEXICO = [{"type": "function_call", "call_id": "c", "name": "get_user_country",
            "arguments": "{}"}, {"type": "function_call_output", "call_id": "c",
                                 "output": "Mexico"}]
_CITY = {"format": {"type": "json_schema", "name": "CityLocation", "strict": True,
                    "description": "A city and its country.",
                    "schema": {"type": "object", "additionalProperties": False,
                               "properties": {"city": {"type": "string"},
                                              "country": {"type": "string"}},
                               "required": ["city", "country"]}}}
_CAPITAL_NULL = {**CAPITAL, "name": "get_capital"}
RERECORDED: list[tuple[str, dict[str, Any], int]] = [
    ("test_openai_responses_system_prompt#0",
     {"model": "gpt-4o", "input": [{"role": "system", "content": "You are a helpful assistant."},
                                   _FRANCE]}, 24),
    ("test_openai_responses_reasoning_effort#0",
     {"model": "o3-mini", "reasoning": {"effort": "low"}, "input": [
         {"role": "user", "content": "Explain me how to cook uruguayan alfajor. Do not send "
                                     "whitespaces at the end of the lines."}]}, 29),
    ("test_openai_responses_verbosity#0",
     {"model": "gpt-5", "text": {"verbosity": "low"},
      "input": [{"role": "user", "content": "What is 2+2?"}]}, 13),
    ("test_openai_previous_response_id#0",
     {"model": "gpt-5", "input": [{"role": "user", "content": "The secret key is sesame"}]},
     11),
    ("test_openai_responses_stream#0", {"model": "gpt-4o", "input": [_FRANCE],
                                        "tools": [_CAPITAL_NULL]}, 39),
    ("test_openai_responses_stream#1",
     {"model": "gpt-4o", "tools": [_CAPITAL_NULL], "input": [
         _FRANCE, {**CALL, "arguments": '{"country":"France"}'}, {**OUTPUT, "output": "Paris"}]},
     62),
    ("test_native_output#0", {"model": "gpt-4o", "input": [_COUNTRY], "text": _CITY,
                              "tools": [_USER_COUNTRY]}, 73),
    ("test_native_output#1", {"model": "gpt-4o", "input": [_COUNTRY, *_MEXICO], "text": _CITY,
                              "tools": [_USER_COUNTRY]}, 92),
    ("test_tool_output#0", {"model": "gpt-4o", "input": [_COUNTRY], "tool_choice": "required",
                            "tools": [_USER_COUNTRY, _FINAL]}, 62),
    ("test_tool_output#1", {"model": "gpt-4o", "input": [_COUNTRY, *_MEXICO],
                            "tool_choice": "required", "tools": [_USER_COUNTRY, _FINAL]}, 81),
    # The JPEG sent was 597x566; a PNG header of that size costs the same.
    ("test_image_as_binary_content_input#0",
     {"model": "gpt-4o", "input": [{"role": "user", "content": [
         {"type": "input_text", "text": "What fruit is in the image?"},
         {"type": "input_image", "detail": "auto", "image_url": _png_data_url(597, 566)}]}]},
     779),
    # "required" with a single tool forces it: the reply is primed as a call to it.
    ("test_openai_responses_output_type#0",
     {"model": "gpt-4o", "tool_choice": "required", "input": [
         {"role": "user", "content": "Give me the name and age of Brazil, Argentina, and "
                                     "Chile."}],
      "tools": [{**_FINAL, "parameters": {
          "type": "object", "additionalProperties": False,
          "properties": {"age": {"type": "integer"}, "name": {"type": "string"}},
          "required": ["name", "age"]}}]},
     66),
]


@pytest.mark.parametrize(("body", "expected"),
                         [pytest.param(body, expected, id=name)
                          for name, body, expected in RERECORDED])
def test_rerecorded_requests(body: dict[str, Any], expected: int) -> None:
    segments = _segments(body)
    assert not any(segment.estimated for segment in segments)
    assert _count(segments) == expected


# --------------------------------------------------------------------------------------------
# The recorded requests
# --------------------------------------------------------------------------------------------

# Records whose recorded usage is not the API's count for the recorded body, by source
# marker. Evidence: the pydantic-ai repository's other versions of the same cassettes.
_HAND_WRITTEN = (
    "hand-written cassette, not the API's usage (response id 'resp_test_...', model "
    "without a snapshot date, output_tokens 1; re-recorded in 2026 it bills what we count: "
    "see RERECORDED)")
_MARCH_2025 = (
    "recorded 2025-03-27 (created_at 1743...), when the Responses API billed more (+18 "
    "without tools, +216 with; +59 on o3-mini): the same tests re-recorded in 2026 bill "
    "exactly what we count (see RERECORDED)")
_NORMALIZED = (
    "the recorder normalized the assistant text (em dash to '--', right single quote to "
    "\"'\"): exact once restored (checked below)")
UNRELIABLE: dict[str, str] = {
    "test_openai_previous_response_id.yaml#": _HAND_WRITTEN,
    "test_openai_previous_response_id_auto_mode.yaml#": _HAND_WRITTEN,
    "test_openai_responses_verbosity.yaml#": _HAND_WRITTEN,
    "test_openai_responses_model_retry.yaml#0": (
        "hand-written cassette: usage says 0 input tokens"),
    "test_responses_usage_limit_not_exceeded.yaml#": (
        "hand-written cassette: response model 'gpt-4.1-mini' without the snapshot date the "
        "API always returns"),
    "test_openai_responses_system_prompt.yaml#": _MARCH_2025,
    "test_openai_responses_stream.yaml#": _MARCH_2025,
    "test_openai_responses_output_type.yaml#": _MARCH_2025,
    "test_openai_responses_model_retry.yaml#1": _MARCH_2025,
    "test_openai_responses_reasoning_effort.yaml#": _MARCH_2025,
    "test_image_as_binary_content_input.yaml#": _MARCH_2025,
    "test_openai_responses_compact_stateful_mode.yaml#1": _NORMALIZED,
    "test_openai_responses_compact_stateful_mode.yaml#2": _NORMALIZED,
    "test_openai_responses_compact_stateful_mode_stream.yaml#1": _NORMALIZED,
    "test_openai_responses_compact_stateful_mode_stream.yaml#2": _NORMALIZED,
}

# Misses whose cause was investigated, by source marker.
KNOWN_CAUSES = {
    "test_openai_deferred_capability_runs_on_model_without_native_tool_search.yaml#1": (
        "gpt-5.2: two current-turn call/output pairs bill 1 fewer, while the same request "
        "with a third pair (#2) is exact; unexplained"),
    "tool_return_content-binary-image-openai_responses": (
        "gpt-5-mini: a 597x566 image in a user message after a tool output bills 5 more "
        "(3 more before gpt-5's call pairs were costed 3 lower, as 5 other projects' records "
        "show); with the 400x301 record (6 more), the image rendering after a call is not "
        "pinned down; Chat Completions bills the same images at ceil(1.2 x patches) + 2"),
    "tool_return_content-url_force_download-image-openai_responses": (
        "gpt-5-mini: a 400x301 image in a user message after a tool output bills 6 more "
        "(see the 597x566 record)"),
    "test_image_url_input_force_download_response_api": (
        "gpt-4.1-nano image 540x360 (204 patches x 2.46 -> 502) billed 503, exactly as in "
        "Chat Completions (openai-cassettes, same image): per-image overhead unknown"),
}


@dataclass(frozen=True, slots=True)
class Outcome:
    """One recorded request, counted."""

    index: int
    source: str
    model: str
    expected: int
    got: int
    unsupported: str
    """Why the normalizer cannot count it exactly ('' when it can)."""
    unreliable: str
    """Why the recorded usage is not a valid reference ('' when it is)."""

    @property
    def diff(self) -> int:
        return self.expected - self.got

    def line(self) -> str:
        return (f"#{self.index} {self.source} model={self.model} expected={self.expected} "
                f"got={self.got} diff={self.diff:+d}")


def _records() -> Iterator[tuple[int, Mapping[str, Any]]]:
    with shared_data(DATA).open(encoding="utf-8") as lines:
        for index, line in enumerate(lines):
            yield index, json.loads(line)


def _unsupported(segments: tuple[Segment, ...]) -> str:
    reasons: list[str] = []
    for segment in segments:
        if segment.estimated:
            reasons.append(_reason(segment))
    return "; ".join(dict.fromkeys(reasons))


def _reason(segment: Segment) -> str:
    if ".tools" in segment.path and "$.input" in segment.path:
        return "additional_tools item: mid-conversation tools' rendering not pinned down"
    if segment.kind is SegmentKind.TOOL:
        return (f"built-in (or namespace) tool {segment.key!r}: hidden prompt and "
                "server-side results")
    if segment.key in ("previous_response_id", "conversation", "prompt"):
        return f"{segment.key}: earlier context stored server-side"
    if segment.key == "reasoning":
        return "reasoning item in the current turn: billed, but encrypted"
    if segment.key == "input_file":
        return "file input: the provider's file rendering is not modelled"
    if segment.kind is SegmentKind.IMAGE:
        return "image of unknown size (remote URL or file id)"
    if segment.kind is SegmentKind.OTHER:
        return f"{segment.key or 'unknown'} item: server-side content"
    if segment.kind is SegmentKind.MESSAGE_FRAME and segment.text.startswith(" to="):
        return "call to a function the request does not declare"
    if segment.kind is SegmentKind.MESSAGE_FRAME and segment.role == "tool":
        return "output of a call that is not in the request (its author is unknown)"
    if segment.kind is SegmentKind.REPLY_PRIMING:
        return "reasoning mode 'pro' or a model the catalog does not know: hidden prompt"
    return f"{segment.kind.value} at {segment.path} is estimated"


def _unreliable(source: str) -> str:
    return next((reason for marker, reason in UNRELIABLE.items() if marker in source), "")


def _outcomes() -> list[Outcome]:
    outcomes = []
    for index, record in _records():
        body = record["request"]
        segments = _segments(body)
        source = str(record.get("meta", {}).get("source", "")).rsplit("/", 1)[-1]
        outcomes.append(Outcome(
            index=index, source=source, model=str(body.get("model")),
            expected=int(record["response"]["usage"]["input_tokens"]), got=_count(segments),
            unsupported=_unsupported(segments), unreliable=_unreliable(source)))
    return outcomes


def _cause(outcome: Outcome) -> str:
    return next((cause for marker, cause in KNOWN_CAUSES.items() if marker in outcome.source),
                "unexplained")


def test_recorded_input_tokens() -> None:
    """Every record of the file is in the rate's denominator. Records the normalizer marks
    estimated, and those whose recorded usage is not this API's count, are counted as misses
    unless they match, and shown apart beside the rate (how many, why, how many exact)."""
    outcomes = _outcomes()
    exact = sum(o.diff == 0 for o in outcomes)
    estimated = [o for o in outcomes if o.unsupported]
    unreliable = [o for o in outcomes if not o.unsupported and o.unreliable]
    others = [o for o in outcomes if not o.unsupported and not o.unreliable]
    breakdown = (
        f"{exact}/{len(outcomes)} records exact ({exact / len(outcomes):.1%}); of them "
        f"{_tally(estimated)} marked estimated (a feature not countable offline), "
        f"{_tally(unreliable)} with a recorded usage that is not the API's count for the body "
        f"(hand-written cassettes, 2025 billing, normalized text), {_tally(others)} others")
    print(f"\nopenai-responses-cassettes: {breakdown}")
    misses = [o for o in others if o.diff != 0]
    for outcome in misses:
        print(f"MISS {outcome.line()}\n     cause: {_cause(outcome)}")
    for outcome in estimated:
        print(f"ESTIMATED #{outcome.index} {outcome.source} ({outcome.model}, "
              f"diff {outcome.diff:+d}): {outcome.unsupported}")
    for outcome in unreliable:
        print(f"UNRELIABLE USAGE #{outcome.index} {outcome.source} ({outcome.model}, "
              f"diff {outcome.diff:+d}): {outcome.unreliable}")
    summary = "; ".join(f"#{o.index} {o.diff:+d} ({_cause(o)[:60]})" for o in misses)
    assert exact >= REQUIRED_EXACT, f"{breakdown}: below {REQUIRED_EXACT}; misses: {summary}"


def _tally(outcomes: list[Outcome]) -> str:
    return f"{len(outcomes)} ({sum(o.diff == 0 for o in outcomes)} exact)"


def test_normalized_records_are_exact_once_restored() -> None:
    """The recorder's text normalization really is the cause of those records' misses."""
    checked = 0
    for _, record in _records():
        source = str(record["meta"]["source"])
        if _unreliable(source) != _NORMALIZED:
            continue
        body = json.loads(json.dumps(record["request"]))
        assert _count(_segments(body)) != record["response"]["usage"]["input_tokens"]
        for item in body["input"]:
            if item.get("role") == "assistant" and isinstance(item.get("content"), str):
                item["content"] = item["content"].replace("--", "\u2014").replace("'", "\u2019")
        segments = _segments(body)
        if not any(segment.estimated for segment in segments):
            assert _count(segments) == record["response"]["usage"]["input_tokens"], source
            checked += 1
    assert checked == 4
