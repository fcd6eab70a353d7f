"""Tools-block rendering, round 2 of issue 14: nested objects without a comment of their own,
blank lines inside a tool's description.

Every tool here is written by hand (none is copied from the shared recordings); the one test
that reads a shared file checks the prompt-caching cookbook's recorded usage, which the issue
requires exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from promptcache.catalog import facts_for
from promptcache.engine.rule_engine import default_rules
from promptcache.normalize.openai_chat import chat_segments
from promptcache.rules import ALL_RULES
from promptcache.run.audit import run_audit
from promptcache.tokens.counter import TokenCounter
from promptcache.tokens.functions import render_function

from .conftest import shared_data

PLAIN_POINT = {"type": "object",
               "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
               "required": ["x", "y"], "additionalProperties": False}


def _move_tool(target: Mapping[str, Any]) -> dict[str, Any]:
    return {"name": "move_robot", "description": "Move the robot.",
            "parameters": {"type": "object",
                           "properties": {"speed": {"type": "number",
                                                    "description": "Metres per second."},
                                          "target": target},
                           "required": ["speed", "target"]}}


def test_an_object_property_without_a_comment_gets_a_bare_comment_marker() -> None:
    assert render_function(_move_tool(PLAIN_POINT)) == (
        "// Move the robot.\n"
        "type move_robot = (_:{\n"
        "// Metres per second.\n"
        "speed: number,\n"
        "//\n"
        "target:{\n"
        "x: number,\n"
        "y: number,\n"
        "},\n"
        "}) => any;\n"
    )


def test_an_object_property_reached_through_ref_without_a_comment_gets_the_marker() -> None:
    tool = _move_tool({"$ref": "#/$defs/Point"})
    tool["parameters"]["$defs"] = {"Point": PLAIN_POINT}
    assert "speed: number,\n//\ntarget:{\nx: number,\n" in render_function(tool)


def test_a_described_object_property_keeps_its_one_comment_line() -> None:
    described = {**PLAIN_POINT, "description": "Where to go."}
    assert "speed: number,\n// Where to go.\ntarget:{\nx: number,\n" in render_function(
        _move_tool(described))


def test_a_titled_object_property_keeps_its_one_comment_line() -> None:
    titled = {**PLAIN_POINT, "title": "Point"}
    assert "speed: number,\n// Point\ntarget:{\nx: number,\n" in render_function(
        _move_tool(titled))


def test_an_array_of_objects_without_a_comment_gets_no_marker() -> None:
    route = {"type": "array", "items": PLAIN_POINT}
    assert "speed: number,\ntarget:{\n  x: number,\n  y: number,\n}[],\n" in render_function(
        _move_tool(route))


def test_the_cookbook_tools_pair_counts_what_the_api_billed() -> None:
    """OpenAI's prompt-caching cookbook, its two tools calls (lines 1-2 of the shared file):
    five tools, two of them with an undescribed object parameter; the API billed 1,079 and
    1,136 prompt tokens (1,077 and 1,134 without the bare markers)."""
    log = shared_data("openai-cookbook-prompt-caching.jsonl")
    report = run_audit([str(log)], default_rules(ALL_RULES))
    tools_calls = list(report.requests)[:2]
    assert [(row.prompt_tokens, row.observed_prompt_tokens) for row in tools_calls] == [
        (1079, 1079), (1136, 1136)]


GREET = {"name": "greet", "description": "\nGreet someone\n\n    Args:\n        name: who.\n\n",
         "parameters": {"type": "object", "properties": {"name": {"type": "string"}},
                        "required": ["name"]}}


def _tools_text(model: str, description: str) -> tuple[str, int]:
    """The tools block's text and the request's token count, for GREET with ``description``."""
    body = {"model": model, "messages": [{"role": "user", "content": "Hi."}],
            "tools": [{"type": "function", "function": {**GREET, "description": description}}]}
    segments = chat_segments(body, "$", facts_for(model))
    counter = TokenCounter(facts_for(model).encoding)
    text = "".join(segment.text for segment in segments if segment.path.startswith("$.tools"))
    return text, sum(segment.fixed_tokens + counter.count(segment.text) for segment in segments)


def test_blank_lines_inside_a_tool_description_are_bare_comment_markers() -> None:
    assert render_function(GREET).startswith(
        "// Greet someone\n//\n// Args:\n// name: who.\ntype greet = (_:{\n")


def test_gpt_4o_bills_a_blank_description_line_where_o200k_does_not_fuse_it() -> None:
    _, with_blank = _tools_text("gpt-4o", "Greet someone!\n\nArgs: who.")
    _, without = _tools_text("gpt-4o", "Greet someone!\nArgs: who.")
    assert with_blank == without + 1
