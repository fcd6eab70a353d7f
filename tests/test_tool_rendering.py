"""The tools block as the API renders it: JSON Schema features, tool_choice, model families.

Every request here is written by hand (none is copied from the shared recordings); each test
pins the rendered text or the token count a rule of ``promptcache.tokens.functions`` or of the
tools part of ``promptcache.normalize.openai_chat`` produces, so a change of rule shows up as
an exact line that moved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from promptcache.catalog import facts_for
from promptcache.model import Segment, SegmentKind
from promptcache.normalize.openai_chat import chat_segments
from promptcache.tokens.counter import TokenCounter
from promptcache.tokens.functions import (
    forced_function,
    render_function,
    unverified_keywords,
)

_counter = TokenCounter("o200k_base")


def _segments(body: Mapping[str, Any]) -> tuple[Segment, ...]:
    return chat_segments(body, "$", facts_for(str(body.get("model", ""))))


def _count(body: Mapping[str, Any]) -> int:
    return sum(segment.fixed_tokens + _counter.count(segment.text)
               for segment in _segments(body))


PLANT = {
    "name": "water_plant",
    "description": "Water one plant.",
    "parameters": {
        "type": "object",
        "title": "WaterPlantArgs",
        "properties": {
            "plant": {"type": "string", "title": "Plant", "description": "Which plant."},
            "litres": {"type": "number", "title": "Litres"},
        },
        "required": ["plant", "litres"],
    },
}


def _tools_body(model: str, **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": "Water the fern."}],
            "tools": [{"type": "function", "function": PLANT}], **extra}


# --------------------------------------------------------------------------------------------
# JSON Schema keywords
# --------------------------------------------------------------------------------------------


def test_titles_render_as_comment_lines_above_the_descriptions() -> None:
    assert render_function(PLANT) == (
        "// WaterPlantArgs\n"
        "// Water one plant.\n"
        "type water_plant = (_:{\n"
        "// Plant\n"
        "// Which plant.\n"
        "plant: string,\n"
        "// Litres\n"
        "litres: number,\n"
        "}) => any;\n"
    )


def test_bounds_and_a_null_default_render_as_one_trailing_comment() -> None:
    function = {
        "name": "rate",
        "parameters": {
            "type": "object",
            "properties": {
                "stars": {"type": "integer", "minimum": 1, "maximum": 5},
                "count": {"type": "integer", "minimum": 0},
                "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
                "size": {"type": "integer", "default": 3, "maximum": 9, "minLength": 2},
            },
            "required": ["stars"],
        },
    }
    assert render_function(function) == (
        "type rate = (_:{\n"
        "stars: number, // minimum: 1, maximum: 5\n"
        "count?: number, // minimum: 0\n"
        "note?: string | null, // default: null\n"
        "size?: number, // default: 3, maximum: 9\n"
        "}) => any;\n"
    )


def test_a_union_whose_variant_has_a_comment_is_written_one_variant_a_line() -> None:
    # The beeai weather tool's form (openinference test_llm_with_tools#0, exact so): a date
    # variant's format is its comment, and the union breaks into " | " lines; a plain
    # union and a format outside a union stay on the property's line.
    function = {
        "name": "forecast",
        "parameters": {
            "type": "object",
            "properties": {
                "start": {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}],
                          "description": "First day."},
                "country": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                "at": {"type": "string", "format": "date-time"},
            },
            "required": ["start", "country"],
        },
    }
    assert render_function(function) == (
        "type forecast = (_:{\n"
        "// First day.\n"
        "start:\n"
        ' | string // format: "date"\n'
        " | null\n"
        ",\n"
        "country: string | null,\n"
        'at?: string, // format: "date-time"\n'
        "}) => any;\n"
    )


def test_object_members_are_indented_only_inside_arrays() -> None:
    function = {
        "name": "ship",
        "parameters": {
            "type": "object",
            "properties": {
                "to": {
                    "type": "object",
                    "properties": {"street": {"type": "string", "description": "Street."}},
                    "required": ["street"],
                },
                "parcels": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"kg": {"type": "number", "description": "Weight."}},
                        "required": ["kg"],
                    },
                },
            },
            "required": ["to"],
        },
    }
    assert render_function(function) == (
        "type ship = (_:{\n"
        "//\n"
        "to:{\n"
        "// Street.\n"
        "street: string,\n"
        "},\n"
        "parcels?:{\n"
        "  // Weight.\n"
        "  kg: number,\n"
        "}[],\n"
        "}) => any;\n"
    )


def test_a_ref_property_takes_the_title_and_description_of_its_target() -> None:
    function = {
        "name": "shelve",
        "parameters": {
            "$defs": {"Book": {"type": "object", "title": "Book",
                               "description": "A book on the shelf.",
                               "properties": {"isbn": {"type": "string", "title": "Isbn"}},
                               "required": ["isbn"]}},
            "type": "object",
            "properties": {"book": {"$ref": "#/$defs/Book"},
                           "spare": {"$ref": "#/$defs/Book", "description": "Another."}},
            "required": ["book"],
        },
    }
    assert render_function(function) == (
        "type shelve = (_:{\n"
        "// Book\n"
        "// A book on the shelf.\n"
        "book:{\n"
        "// Isbn\n"
        "isbn: string,\n"
        "},\n"
        "// Book\n"
        "// Another.\n"
        "spare?:{\n"
        "// Isbn\n"
        "isbn: string,\n"
        "},\n"
        "}) => any;\n"
    )


def test_examples_render_as_harmony_writes_them() -> None:
    function = {"name": "greet", "parameters": {"type": "object", "properties": {
        "name": {"type": "string", "description": "Who.", "examples": ["Ada", "Alan", 3]}}}}
    assert render_function(function) == (
        "type greet = (_:{\n"
        "// Who.\n"
        "// Examples:\n"
        '// - "Ada"\n'
        '// - "Alan"\n'
        "name?: string,\n"
        "}) => any;\n"
    )


def test_a_tool_with_an_unestablished_keyword_is_marked_estimated() -> None:
    dated = {"name": "book", "parameters": {"type": "object", "properties": {
        "day": {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]},
        "nights": {"type": "integer", "minimum": 1}}}}
    assert unverified_keywords(dated["parameters"]) == {"format"}
    assert unverified_keywords(PLANT["parameters"]) == frozenset()
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Book it."}],
            "tools": [{"type": "function", "function": PLANT},
                      {"type": "function", "function": dated}]}
    tools = [s for s in _segments(body) if s.kind is SegmentKind.TOOL]
    assert [(s.key, s.estimated) for s in tools] == [("water_plant", False), ("book", True)]


# --------------------------------------------------------------------------------------------
# tool_choice
# --------------------------------------------------------------------------------------------


def test_forced_function_is_read_from_the_chat_and_the_responses_forms() -> None:
    assert forced_function({"type": "function", "function": {"name": "water_plant"}}) \
        == "water_plant"
    assert forced_function({"type": "function", "name": "water_plant"}) == "water_plant"
    assert forced_function("required") is None
    assert forced_function({"type": "function", "function": {}}) is None


def test_a_forced_function_adds_its_recipient_to_the_reply_priming_on_4o() -> None:
    forced = _tools_body("gpt-4o",
                         tool_choice={"type": "function", "function": {"name": "water_plant"}})
    priming = _segments(forced)[-1]
    assert priming.kind is SegmentKind.REPLY_PRIMING
    assert priming.text == " to=functions.water_plant"
    assert priming.fixed_tokens == 3 + 4
    plain = _count(_tools_body("gpt-4o"))
    assert _count(forced) == plain + 4 + _counter.count(" to=functions.water_plant")
    # "required" and "auto" render nothing.
    for choice in ("required", "auto"):
        assert _count(_tools_body("gpt-4o", tool_choice=choice)) == plain


def test_tool_choice_none_adds_one_token_on_4o() -> None:
    plain = _count(_tools_body("gpt-4o"))
    assert _count(_tools_body("gpt-4o", tool_choice="none")) == plain + 1
    without_tools = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi."}]}
    assert _count({**without_tools, "tool_choice": "none"}) == _count(without_tools)


def test_a_forced_function_costs_nothing_on_gpt_5() -> None:
    forced = _tools_body("gpt-5-mini",
                         tool_choice={"type": "function", "function": {"name": "water_plant"}})
    assert _count(forced) == _count(_tools_body("gpt-5-mini"))
    assert _segments(forced)[-1].text == ""


# --------------------------------------------------------------------------------------------
# Model families
# --------------------------------------------------------------------------------------------


def test_gpt_5_system_message_joins_the_tools_as_an_instructions_section() -> None:
    system = {"role": "system", "content": "Be brief."}
    body = _tools_body("gpt-5-mini")
    body["messages"] = [system, *body["messages"]]
    segments = _segments(body)
    texts = [s.text for s in segments if s.kind is SegmentKind.TEXT]
    assert texts[0] == "# Instructions\n\nBe brief.\n\n"
    header = next(s for s in segments if s.kind is SegmentKind.TOOLS_FRAME)
    assert header.fixed_tokens == 84 - 4 + 1  # one frame fewer; +1 joins a described tool
    alone = _count(_tools_body("gpt-5-mini"))
    assert _count(body) == alone + _counter.count("# Instructions\n\nBe brief.\n\n")


def test_o_series_tools_bill_no_hidden_preamble_and_are_marked_estimated() -> None:
    o_series = _segments(_tools_body("o4-mini"))
    gpt5 = _segments(_tools_body("gpt-5-mini"))
    header_o = next(s for s in o_series if s.kind is SegmentKind.TOOLS_FRAME)
    header_5 = next(s for s in gpt5 if s.kind is SegmentKind.TOOLS_FRAME)
    assert header_o.text == header_5.text
    assert header_5.fixed_tokens - header_o.fixed_tokens == 81
    assert header_o.estimated
    assert not header_5.estimated


def test_a_union_whose_variants_only_have_descriptions_stays_on_one_line() -> None:
    function = {"name": "pick", "parameters": {"type": "object", "properties": {
        "choice": {"anyOf": [{"type": "string", "description": "A name."},
                             {"type": "integer", "description": "An index."}]}}}}
    assert render_function(function) == (
        "type pick = (_:{\n"
        "choice?: string | number,\n"
        "}) => any;\n"
    )
