"""Structured outputs counted as the API counts them: ``response_format`` (Chat Completions)
and ``text.format`` (Responses), per model family, with and without tools and a system
message. Every request here is written by hand; the rules are those of
:mod:`promptcache.tokens.schema_placement`, measured on the shared recordings.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from promptcache.catalog import facts_for
from promptcache.cli.main import main
from promptcache.load.records import normalize_record
from promptcache.load.sources import RawRecord
from promptcache.model import Location, Request, Segment, SegmentKind
from promptcache.normalize.openai_chat import chat_segments
from promptcache.normalize.openai_responses import responses_segments
from promptcache.normalize.reuse import TurnMemory
from promptcache.tokens.counter import TokenCounter
from promptcache.tokens.functions import render_response_format

_counter = TokenCounter("o200k_base", persistent=False)

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"colour": {"type": "string", "description": "A primary colour"},
                   "shade": {"$ref": "#/$defs/Shade"}},
    "required": ["colour", "shade"], "additionalProperties": False,
    "$defs": {"Shade": {"type": "object", "properties": {"light": {"type": "boolean"}},
                        "required": ["light"], "additionalProperties": False}},
}
SECTION = ('# Response Formats\n\n## colour_pick\n\n// Pick one colour\n'
           '{"type":"object","properties":{"colour":{"type":"string","description":'
           '"A primary colour"},"shade":{"$ref":"#/$defs/Shade"}},"$defs":{"Shade":'
           '{"type":"object","properties":{"light":{"type":"boolean"}}}}}')
"""The section :data:`SCHEMA` renders to: compact JSON without ``required`` and
``additionalProperties`` at any level, the description as a comment."""
NAME = "colour_pick"
USER = {"role": "user", "content": "Name a colour."}
SYSTEM = {"role": "system", "content": "You pick colours."}
TOOL = {"type": "function", "function": {"name": "palette", "description": "List colours",
                                         "parameters": {"type": "object", "properties": {}}}}


def _chat_format(strict: bool | None = True) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": NAME, "description": "Pick one colour", "schema": SCHEMA}
    if strict is not None:
        spec["strict"] = strict
    return {"type": "json_schema", "json_schema": spec}


def _text_format() -> dict[str, Any]:
    return {"format": {"type": "json_schema", "name": NAME, "description": "Pick one colour",
                       "schema": SCHEMA, "strict": True}}


def _tokens(text: str) -> int:
    return _counter.count(text)


def _total(segments: tuple[Segment, ...]) -> int:
    return sum(segment.fixed_tokens + _tokens(segment.text) for segment in segments)


def _chat(body: Mapping[str, Any]) -> tuple[Segment, ...]:
    return chat_segments(body, "$", facts_for(str(body["model"])))


def _responses(body: Mapping[str, Any]) -> tuple[Segment, ...]:
    return responses_segments(body, "$", facts_for(str(body["model"])))


def _schema_cost(render: Any, body: dict[str, Any], key: str) -> int:
    """Tokens the structured output adds to ``body``: with it minus without it."""
    without = {name: value for name, value in body.items() if name != key}
    return _total(render(body)) - _total(render(without))


def _schema_segment(segments: tuple[Segment, ...]) -> Segment:
    return next(segment for segment in segments if segment.kind is SegmentKind.RESPONSE_FORMAT)


# --------------------------------------------------------------------------------------------
# The section's text
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("strict", [True, False, None], ids=["strict", "not-strict", "unset"])
def test_schema_section_is_the_same_text_whatever_the_strictness(strict: bool | None) -> None:
    assert render_response_format(_chat_format(strict)) == SECTION


def test_schema_section_leaves_out_the_dialect_marker() -> None:
    marked = {**SCHEMA, "$schema": "http://json-schema.org/draft-07/schema#"}
    response_format = {"type": "json_schema", "json_schema": {
        "name": NAME, "description": "Pick one colour", "schema": marked}}
    assert render_response_format(response_format) == SECTION


def test_schema_section_keeps_keyword_names_used_as_property_names() -> None:
    schema = {"type": "object", "properties": {"required": {"type": "string"},
                                               "$schema": {"type": "string"}}}
    text = render_response_format({"type": "json_schema",
                                   "json_schema": {"name": "x", "schema": schema}})
    assert text == ('# Response Formats\n\n## x\n\n{"type":"object","properties":'
                    '{"required":{"type":"string"},"$schema":{"type":"string"}}}')


# --------------------------------------------------------------------------------------------
# Chat Completions, gpt-4o family
# --------------------------------------------------------------------------------------------


def test_gpt4o_schema_alone_is_a_system_message_and_the_reply_names_the_format() -> None:
    body = {"model": "gpt-4o", "messages": [USER], "response_format": _chat_format()}
    assert _schema_cost(_chat, body, "response_format") == (
        4 + _tokens(SECTION) + 2 + _tokens(NAME))
    segments = _chat(body)
    assert not any(segment.estimated for segment in segments)
    priming = segments[-1]
    assert (priming.kind, priming.text, priming.fixed_tokens) == (
        SegmentKind.REPLY_PRIMING, NAME, 3 + 2)


def test_gpt4o_schema_joins_the_system_message_and_the_reply_names_the_format() -> None:
    body = {"model": "gpt-4o-mini", "messages": [SYSTEM, USER], "response_format": _chat_format()}
    blank_line = _tokens(SYSTEM["content"] + "\n\n") - _tokens(SYSTEM["content"])
    assert _schema_cost(_chat, body, "response_format") == (
        _tokens(SECTION) + blank_line + 2 + _tokens(NAME))
    schema = _schema_segment(_chat(body))
    assert (schema.text, schema.fixed_tokens, schema.estimated) == (SECTION, 0, False)


def test_gpt4o_schema_unset_strictness_costs_the_same_as_strict() -> None:
    strict = {"model": "gpt-4.1-nano", "messages": [USER], "response_format": _chat_format()}
    unset = {**strict, "response_format": _chat_format(None)}
    assert _total(_chat(strict)) == _total(_chat(unset))


def test_gpt4o_schema_after_tools_is_not_named_by_the_reply() -> None:
    body = {"model": "gpt-4o", "messages": [USER], "tools": [TOOL],
            "response_format": _chat_format(False)}
    assert _schema_cost(_chat, body, "response_format") == _tokens("\n\n" + SECTION)
    segments = _chat(body)
    assert (segments[-1].text, segments[-1].fixed_tokens) == ("", 3)
    assert _schema_segment(segments).estimated is False


def test_gpt4o_earlier_structured_answers_carry_the_format_name() -> None:
    answer = {"role": "assistant", "content": '{"colour":"red"}'}
    body = {"model": "gpt-4o", "messages": [USER, answer, {"role": "user", "content": "Again."}],
            "response_format": _chat_format()}
    frame = next(segment for segment in _chat(body)
                 if segment.kind is SegmentKind.MESSAGE_FRAME and segment.role == "assistant")
    assert (frame.text, frame.fixed_tokens) == (NAME, 4 + 2)
    plain = next(segment for segment in _chat({**body, "response_format": {"type": "text"}})
                 if segment.kind is SegmentKind.MESSAGE_FRAME and segment.role == "assistant")
    assert (plain.text, plain.fixed_tokens) == ("", 4)


def test_a_renamed_format_renames_the_earlier_answers_of_a_conversation() -> None:
    answer = {"role": "assistant", "content": '{"colour":"red"}'}
    first = {"model": "gpt-4o", "messages": [USER, answer, USER],
             "response_format": _chat_format()}
    renamed = _chat_format()
    renamed["json_schema"] = {**renamed["json_schema"], "name": "hue_pick"}
    second = {**first, "messages": [USER, answer, USER, answer, USER],
              "response_format": renamed}
    turns = TurnMemory()
    normalized = [normalize_record(RawRecord(Location("log.jsonl", line), body), turns)
                  for line, body in enumerate((first, second), 1)]
    assert all(isinstance(request, Request) for request in normalized)
    later = normalized[1]
    assert isinstance(later, Request)
    headers = [segment.text for segment in later.segments
               if segment.kind is SegmentKind.MESSAGE_FRAME and segment.role == "assistant"]
    assert headers == ["hue_pick", "hue_pick"]


def test_json_object_adds_nothing() -> None:
    for model in ("gpt-4o", "gpt-5-mini"):
        body = {"model": model, "messages": [SYSTEM, USER],
                "response_format": {"type": "json_object"}}
        assert _schema_cost(_chat, body, "response_format") == 0
    body = {"model": "gpt-4o", "input": "Name a colour.",
            "text": {"format": {"type": "json_object"}}}
    assert _schema_cost(_responses, body, "text") == 0


# --------------------------------------------------------------------------------------------
# Chat Completions, reasoning and cl100k families
# --------------------------------------------------------------------------------------------


def test_reasoning_schema_costs_its_text_and_4_on_every_assistant_turn_without_a_name() -> None:
    answer = {"role": "assistant", "content": '{"colour":"red"}'}
    body = {"model": "gpt-5", "messages": [USER], "response_format": _chat_format()}
    assert _schema_cost(_chat, body, "response_format") == 4 + _tokens(SECTION)
    segments = _chat(body)
    assert not any(segment.estimated for segment in segments)
    assert (segments[-1].text, segments[-1].fixed_tokens) == ("", 2 + 4)
    history = {**body, "messages": [USER, answer, USER, answer, USER]}
    assert _schema_cost(_chat, history, "response_format") == 3 * 4 + _tokens(SECTION)


def test_reasoning_schema_with_a_system_message_or_tools_is_estimated() -> None:
    for extra in ({"messages": [SYSTEM, USER]}, {"messages": [USER], "tools": [TOOL]}):
        body = {"model": "o3-mini", "response_format": _chat_format(), **extra}
        assert _schema_segment(_chat(body)).estimated is True, extra


def test_cl100k_schema_is_estimated_in_every_placement() -> None:
    for messages in ([USER], [SYSTEM, USER]):
        body = {"model": "gpt-4-turbo", "messages": messages, "response_format": _chat_format()}
        assert _schema_segment(_chat(body)).estimated is True, messages


# --------------------------------------------------------------------------------------------
# Responses API
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("instructions", [None, "You pick colours."],
                         ids=["no-instructions", "instructions"])
def test_responses_gpt4o_schema_costs_its_text_plus_one(instructions: str | None) -> None:
    body: dict[str, Any] = {"model": "gpt-4o-mini", "input": "Name a colour.",
                            "text": _text_format()}
    if instructions is not None:
        body["instructions"] = instructions
    assert _schema_cost(_responses, body, "text") == _tokens(SECTION) + 1
    segments = _responses(body)
    assert not any(segment.estimated for segment in segments)
    assert segments[-1].text == ""  # no name header in the Responses API


def test_responses_reasoning_schema_costs_its_text_alone() -> None:
    body = {"model": "gpt-5-nano", "input": "Name a colour.", "text": _text_format()}
    assert _schema_cost(_responses, body, "text") == _tokens(SECTION)


_RESPONSES_TOOL = {"type": "function", "name": "palette", "description": "List colours",
                  "parameters": {"type": "object", "properties": {}}}


def test_responses_schema_after_tools_is_a_blank_line_and_its_text() -> None:
    body = {"model": "gpt-4o", "input": "Name a colour.", "tools": [_RESPONSES_TOOL],
            "text": _text_format()}
    assert _schema_cost(_responses, body, "text") == _tokens("\n\n" + SECTION)
    assert _schema_segment(_responses(body)).estimated is False


def test_responses_reasoning_schema_after_tools_costs_one_less_and_is_estimated() -> None:
    # The chatlas gpt-5.4 records (one project) bill one token less than the blank line and
    # the section; no second project confirms it, so the count says it is an estimate.
    body = {"model": "gpt-5.4", "input": "Name a colour.", "tools": [_RESPONSES_TOOL],
            "text": _text_format()}
    assert _schema_cost(_responses, body, "text") == _tokens("\n\n" + SECTION) - 1
    assert _schema_segment(_responses(body)).estimated is True


def test_responses_cl100k_schema_is_estimated() -> None:
    body = {"model": "gpt-4-turbo", "input": "Name a colour.", "text": _text_format()}
    assert _schema_segment(_responses(body)).estimated is True


# --------------------------------------------------------------------------------------------
# What the user sees
# --------------------------------------------------------------------------------------------


def test_audit_reports_structured_output_requests_counted_exactly(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chat = {"model": "gpt-4o", "messages": [USER], "response_format": _chat_format()}
    responses = {"model": "gpt-4o", "input": "Name a colour.", "text": _text_format()}
    log = tmp_path / "structured.jsonl"
    log.write_text("".join(json.dumps({"request": body}) + "\n" for body in (chat, responses)),
                   encoding="utf-8")
    before = log.read_bytes()
    assert main(["audit", "--format", "json", "--isolated", str(log)]) == 0
    report = json.loads(capsys.readouterr().out)
    user = 4 + _tokens(USER["content"])
    assert [(row["prompt_tokens"], row["estimated"]) for row in report["requests"]] == [
        ((4 + _tokens(SECTION)) + user + (3 + 2 + _tokens(NAME)), False),
        ((_tokens(SECTION) + 1) + user + 3, False),
    ]
    assert log.read_bytes() == before
