"""Chat Completions bodies sent to Claude through OpenAI-compatible gateways (LiteLLM,
OpenRouter, Portkey...): read as the Messages body the gateway sends, counted like it, their
breakpoints replayed, and every finding pointing into the chat body the user logged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from promptcache.cache.replay import BASE, Replayer
from promptcache.cli.main import main
from promptcache.load.formats.base import CHAT
from promptcache.load.records import normalize_record
from promptcache.load.sources import LoadError, RawRecord
from promptcache.model import Location, Request, SegmentKind
from promptcache.normalize.chat_to_messages import (
    JSON_TOOL_ESTIMATE,
    MERGED_TURN_ESTIMATE,
    chat_sent_to_claude,
    to_messages,
)
from promptcache.tokens.counting import PromptCounter
from tests.conftest import shared_data, shared_format_sample

MODEL = "anthropic/claude-sonnet-4-5"
K = SegmentKind
POLICY = " ".join(f"Rule {number}: keep the tent dry and pack the poles before you leave camp."
                  for number in range(150))
"""A system prompt well over Sonnet 4.5's 1,024-token minimum cacheable prefix."""
WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "The weather of a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]}}}
CLOCK_TOOL = {"type": "function", "function": {
    "name": "get_time", "parameters": {"type": "object", "properties": {}}}}


def _read(value: Any, line: int = 1) -> Request:
    request = normalize_record(RawRecord(Location("log.jsonl", line), value))
    assert isinstance(request, Request), request
    return request


def _agent_turn() -> dict[str, Any]:
    """A chat body of every shape: system, user text and image, parallel tool calls, two
    tool results followed by user text, tools and tool_choice, one breakpoint."""
    return {
        "model": MODEL, "max_tokens": 200, "tool_choice": "required",
        "tools": [WEATHER_TOOL, CLOCK_TOOL],
        "messages": [
            {"role": "system", "content": [
                {"type": "text", "text": POLICY, "cache_control": {"type": "ephemeral"}}]},
            {"role": "user", "content": [
                {"type": "text", "text": "Weather and time in Paris? Here is the view."},
                {"type": "image_url", "image_url": {"url": _PIXEL}}]},
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": "call_1", "type": "function",
                 "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}},
                {"id": "call_2", "type": "function",
                 "function": {"name": "get_time", "arguments": ""}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "Sunny, 21C"},
            {"role": "tool", "tool_call_id": "call_2", "content": "14:05"},
            {"role": "user", "content": "Thanks. Should I bring a coat?"},
        ],
    }


_PIXEL = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEUlEQVR42"
          "mOYlmeDFTEMLQkAWRlQAV7Un1oAAAAASUVORK5CYII=")


def _equivalent_messages_body() -> dict[str, Any]:
    """:func:`_agent_turn` written by hand as the Anthropic Messages body LiteLLM sends."""
    media, data = _PIXEL.removeprefix("data:").split(";base64,")
    return {
        "model": MODEL, "max_tokens": 200, "tool_choice": {"type": "any"},
        "tools": [
            {"name": "get_weather", "type": "custom", "description": "The weather of a city.",
             "input_schema": {"type": "object", "properties": {"city": {"type": "string"}},
                              "required": ["city"]}},
            {"name": "get_time", "type": "custom",
             "input_schema": {"type": "object", "properties": {}}}],
        "system": [{"type": "text", "text": POLICY, "cache_control": {"type": "ephemeral"}}],
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "Weather and time in Paris? Here is the view."},
                {"type": "image", "source": {"type": "base64", "media_type": media,
                                             "data": data}}]},
            {"role": "assistant", "content": [
                {"type": "tool_use", "id": "call_1", "name": "get_weather",
                 "input": {"city": "Paris"}},
                {"type": "tool_use", "id": "call_2", "name": "get_time", "input": {}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "call_1", "content": "Sunny, 21C"},
                {"type": "tool_result", "tool_use_id": "call_2", "content": "14:05"},
                {"type": "text", "text": "Thanks. Should I bring a coat?"}]},
        ],
    }


# -- translation of each shape ---------------------------------------------------------------


def test_each_chat_shape_becomes_the_messages_body_litellm_sends() -> None:
    translation = to_messages(_agent_turn(), "$")
    expected = _equivalent_messages_body()
    assert {key: translation.body[key] for key in expected} == expected
    assert translation.missing == ()


def test_a_string_system_prompt_and_injection_points_mark_the_blocks_they_name() -> None:
    body = {"model": MODEL, "max_tokens": 10,
            "cache_control_injection_points": [{"location": "message", "role": "system"},
                                               {"location": "message", "index": -1}],
            "messages": [{"role": "system", "content": "Be brief."},
                         {"role": "user", "content": [{"type": "text", "text": "a"},
                                                      {"type": "text", "text": "b"}]}]}
    translated = to_messages(body, "$").body
    assert translated["system"] == [{"type": "text", "text": "Be brief.",
                                     "cache_control": {"type": "ephemeral"}}]
    # A list content is marked on its last part (LiteLLM's hook), and the hook's key is
    # LiteLLM's own: Anthropic never receives it.
    assert translated["messages"] == [{"role": "user", "content": [
        {"type": "text", "text": "a"},
        {"type": "text", "text": "b", "cache_control": {"type": "ephemeral"}}]}]
    assert "cache_control_injection_points" not in translated
    assert "cache_control" not in body["messages"][0]  # the logged body is left as it was


def test_injection_never_overwrites_a_mark_nor_passes_four() -> None:
    marked = {"type": "ephemeral", "ttl": "1h"}
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "s", "cache_control": marked},
        *({"role": role, "content": f"turn {number}"}
          for number, role in enumerate(["user", "assistant"] * 3))]
    body = {"model": MODEL, "messages": messages,
            "cache_control_injection_points": [{"location": "message", "role": "system"},
                                               {"location": "message", "role": "user"},
                                               {"location": "message", "role": "assistant"}]}
    translated = to_messages(body, "$").body
    assert translated["system"][0]["cache_control"] == marked
    marks = [block.get("cache_control") for turn in translated["messages"]
             for block in turn["content"]]
    # The system's own mark and the three user turns: the assistant point finds no room.
    assert marks == [{"type": "ephemeral"}, None] * 3


@pytest.mark.parametrize(("index", "marked"), [("-1", [False, True]), ("0", [True, False]),
                                               ("--1", [False, False]), (7, [False, False])])
def test_an_injection_index_is_read_as_litellm_reads_it(index: Any, marked: list[bool]) -> None:
    body = {"model": MODEL, "messages": [{"role": "user", "content": "a"},
                                         {"role": "assistant", "content": "b"}],
            "cache_control_injection_points": [{"location": "message", "index": index}]}
    turns = to_messages(body, "$").body["messages"]
    assert ["cache_control" in turn["content"][0] for turn in turns] == marked


def test_a_top_level_cache_control_is_kept_as_automatic_caching() -> None:
    body = {"model": MODEL, "cache_control": {"type": "ephemeral", "ttl": "1h"},
            "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "q"}]}
    request = _read(body)
    assert request.settings["cache_control"] == '{"ttl": "1h", "type": "ephemeral"}'
    marked = [(segment.path, segment.breakpoint) for segment in request.segments
              if segment.breakpoint]
    assert marked == [("$.messages[1].content", "1h")]


@pytest.mark.parametrize(("choice", "parallel", "expected"), [
    ("auto", None, {"type": "auto"}),
    ("required", None, {"type": "any"}),
    ({"type": "function", "function": {"name": "get_time"}}, None,
     {"type": "tool", "name": "get_time"}),
    ("auto", False, {"type": "auto", "disable_parallel_tool_use": True}),
])
def test_tool_choice_is_anthropics(choice: Any, parallel: bool | None,
                                   expected: dict[str, Any]) -> None:
    body: dict[str, Any] = {"model": MODEL, "tools": [CLOCK_TOOL], "tool_choice": choice,
                            "messages": [{"role": "user", "content": "time?"}]}
    if parallel is not None:
        body["parallel_tool_calls"] = parallel
    request = _read(body)
    assert request.settings["tool_choice"] == json.dumps(expected, sort_keys=True)


# -- which bodies are translated ------------------------------------------------------------


def test_only_chat_bodies_to_claude_models_are_translated() -> None:
    chat_to_gpt = _read({"model": "gpt-4o", "tools": [CLOCK_TOOL], "tool_choice": "required",
                         "messages": [{"role": "user", "content": "time?"}]})
    assert chat_to_gpt.api == CHAT
    assert _read(_agent_turn()).api == "anthropic.messages"
    # A Messages body with a system message mid-conversation (the Messages API takes them)
    # stays Anthropic's own: nothing in it is chat-only.
    native = {"model": MODEL, "system": "s", "messages": [
        {"role": "user", "content": "q"}, {"role": "system", "content": "now be terse"}]}
    assert not chat_sent_to_claude(native, MODEL, None)
    # A log that says the body went to /chat/completions settles it.
    plain = {"model": MODEL, "messages": [{"role": "user", "content": "q"}]}
    assert chat_sent_to_claude(plain, MODEL, CHAT)
    assert not chat_sent_to_claude(plain, MODEL, "anthropic.messages")
    # A gateway alias is translated when the response names a Claude model.
    assert chat_sent_to_claude({**_agent_turn(), "model": "my-alias"},
                               "claude-sonnet-4-5-20250929", None)


def test_every_shared_anthropic_record_is_still_read_as_anthropics_own() -> None:
    for name in ("anthropic-cassettes.jsonl", "anthropic-more.jsonl"):
        for line in shared_data(name).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            body = record["request"]
            model = str(body.get("model") or record["response"].get("model") or "")
            assert not chat_sent_to_claude(body, model, None), record["meta"]["source"]


# -- paths mapped back ---------------------------------------------------------------------


def test_segment_paths_point_into_the_chat_body() -> None:
    request = _read({"request": _agent_turn(), "response": {"usage": {
        "input_tokens": 5, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}}})
    assert [(segment.kind, segment.path) for segment in request.segments] == [
        (K.TOOLS_FRAME, "$.request.tools"),
        (K.TOOL, "$.request.tools[0]"),
        (K.TOOL, "$.request.tools[1]"),
        (K.MESSAGE_FRAME, "$.request.messages[0]"),
        (K.TEXT, "$.request.messages[0].content[0]"),
        (K.MESSAGE_FRAME, "$.request.messages[1]"),
        (K.TEXT, "$.request.messages[1].content[0]"),
        (K.IMAGE, "$.request.messages[1].content[1]"),
        (K.MESSAGE_FRAME, "$.request.messages[2]"),
        (K.TOOL_CALL, "$.request.messages[2].tool_calls[0]"),
        (K.TOOL_CALL, "$.request.messages[2].tool_calls[1]"),
        (K.MESSAGE_FRAME, "$.request.messages[3]"),
        (K.TEXT, "$.request.messages[3].content"),
        (K.TEXT, "$.request.messages[4].content"),
        (K.TEXT, "$.request.messages[5].content"),
        (K.REPLY_PRIMING, "$.request"),
    ]


def test_a_marked_tool_keeps_its_breakpoint_at_its_chat_path() -> None:
    marked = {**CLOCK_TOOL, "cache_control": {"type": "ephemeral", "ttl": "1h"}}
    request = _read({"model": MODEL, "tools": [WEATHER_TOOL, marked],
                     "messages": [{"role": "user", "content": "time?"}]})
    assert [(segment.path, segment.breakpoint) for segment in request.segments
            if segment.breakpoint] == [("$.tools[1]", "1h")]


def test_dropped_empty_text_does_not_shift_the_paths_after_it() -> None:
    body = {"model": MODEL, "tools": [CLOCK_TOOL], "messages": [
        {"role": "user", "content": "time?"},
        {"role": "assistant", "content": [{"type": "text", "text": ""},
                                          {"type": "text", "text": "Checking."}],
         "tool_calls": [{"id": "c", "type": "function",
                         "function": {"name": "get_time", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c", "content": "14:05"}]}
    paths = [segment.path for segment in _read(body).segments
             if segment.kind in (K.TEXT, K.TOOL_CALL)]
    assert paths == ["$.messages[0].content", "$.messages[1].content[1]",
                     "$.messages[1].tool_calls[0]", "$.messages[2].content"]


def test_a_message_no_gateway_could_send_is_an_error_at_its_chat_path() -> None:
    body = {"model": MODEL, "tools": [CLOCK_TOOL], "messages": [
        {"role": "user", "content": "time?"},
        {"role": "assistant", "tool_calls": [
            {"id": "c", "type": "function",
             "function": {"name": "get_time", "arguments": "{not json"}}]}]}
    result = normalize_record(RawRecord(Location("log.jsonl", 1), body))
    assert isinstance(result, LoadError)
    assert result.message == ("$.messages[1].tool_calls[0].function.arguments: "
                              "the arguments are not JSON")


def test_a_finding_on_the_system_prompt_names_the_chat_message(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "gateway.jsonl"
    lines = []
    for clock, question in (("22:43:21", "Where is NW-1?"), ("22:44:50", "And NW-2?"),
                            ("22:46:05", "Refund NW-3?")):
        lines.append(json.dumps({
            "model": MODEL, "user": "session-1", "max_tokens": 100,
            "cache_control_injection_points": [{"location": "message", "role": "system"}],
            "messages": [{"role": "system", "content": f"Now: 2025-06-03 {clock}\n\n{POLICY}"},
                         {"role": "user", "content": question}]}))
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # A warning fails the run (exit 1): the finding is what the user must fix.
    assert main(["audit", "--isolated", "-q", "-f", "json", str(log)]) == 1
    report = json.loads(capsys.readouterr().out)
    [finding] = [item for item in report["findings"] if item["code"] == "PC102"]
    assert finding["path"] == "$.messages[0].content"
    assert finding["divergence"]["path"] == "$.messages[0].content"


# -- counts --------------------------------------------------------------------------------


def test_counts_equal_the_equivalent_messages_body() -> None:
    counter = PromptCounter()
    through_gateway = counter.count(_read(_agent_turn()))
    direct = counter.count(_read(_equivalent_messages_body()))
    assert through_gateway.prompt_tokens == direct.prompt_tokens
    assert through_gateway.segment_tokens == direct.segment_tokens
    assert [segment.breakpoint for segment in through_gateway.request.segments] == [
        segment.breakpoint for segment in direct.request.segments]


def test_where_gateways_differ_the_segment_says_so_with_bounds() -> None:
    request = _read(_agent_turn())
    [merged] = [segment for segment in request.segments if segment.estimate is not None
                and segment.estimate.reason == MERGED_TURN_ESTIMATE.reason]
    # Two tool results and a question in one turn: a gateway sending them as three turns
    # adds two markers of 3 tokens.
    assert merged.path == "$.messages[3]"
    assert merged.estimate is not None
    # The frame's 3 less the separator closing the turn before, which that turn carries.
    assert (merged.estimate.low, merged.estimate.high) == (2, 8)
    structured = _read({"model": "anthropic/claude-3-5-haiku-20241022", "messages": [
        {"role": "user", "content": "a city?"}], "response_format": {
        "type": "json_schema", "json_schema": {"name": "city", "schema": {
            "type": "object", "properties": {"name": {"type": "string"}}}}}})
    [tool] = [segment for segment in structured.segments if segment.kind is K.TOOL]
    assert tool.path == "$.response_format"
    assert tool.estimate == JSON_TOOL_ESTIMATE


def test_the_litellm_samples_chat_bodies_count_as_the_bodies_litellm_sent() -> None:
    """The shared sample logs LiteLLM's input (chat) beside the body it sent (its truth):
    the translation of the first must count as the second. The one difference: LiteLLM's log
    shortens a data URL's base64 (its image is then sized from nothing)."""
    sample = shared_format_sample("litellm", "standard_logging_payload.jsonl")
    truths = sample.with_name("standard_logging_payload.truth.jsonl")
    counter = PromptCounter()
    compared = 0
    for line, truth_line in zip(sample.read_text(encoding="utf-8").splitlines(),
                                truths.read_text(encoding="utf-8").splitlines(), strict=True):
        payload, truth = json.loads(line), json.loads(truth_line)
        if payload["custom_llm_provider"] != "anthropic" or "base64_data truncated" in line:
            continue
        chat = {"model": payload["model"], "messages": payload["messages"],
                **payload["model_parameters"]}
        assert to_messages(chat, "$").body == truth["request"]
        assert (counter.count(_read(chat)).prompt_tokens
                == counter.count(_read(truth["request"])).prompt_tokens)
        compared += 1
    assert compared == 11


# -- the cache replay ------------------------------------------------------------------------


def test_a_breakpoint_in_the_chat_body_is_written_then_read() -> None:
    counter = PromptCounter()
    replayer = Replayer(counter)
    first = _agent_turn()
    second = {**first, "messages": [*first["messages"],
                                    {"role": "assistant", "content": "Yes, a light one."},
                                    {"role": "user", "content": "And boots?"}]}
    done = []
    for row, body in enumerate((first, second)):
        request = _read({**body, "user": "session-1"}, line=row + 1)
        done += replayer.add(row, counter.count(request), [])
    done += replayer.finish()
    predictions = [verdict.predictions[BASE][1] for verdict in sorted(done,
                                                                      key=lambda v: v.row)]
    counted = counter.count(_read(first))
    # The system block's breakpoint: tools + system, the prefix up to the marked block.
    marked = next(index for index, segment in enumerate(counted.request.segments)
                  if segment.breakpoint)
    prefix = sum(counted.segment_tokens[:marked + 1])
    assert prefix > 1024
    assert [(p.cached_tokens, p.written_tokens) for p in predictions] == [
        (0, prefix), (prefix, 0)]
