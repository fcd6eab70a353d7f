"""Tools on gpt-4 / gpt-4-turbo / gpt-3.5-turbo (cl100k), on hand-written requests (issue 14).

A forced function costs 4 tokens plus the text " to=functions.NAME", as on gpt-4o; the legacy
``function_call`` forces (or disables) a function as ``tool_choice`` does; a blank line in a
tool's description costs a token; a tool whose first parameter is not described costs one
token less than its text; a property's title over its description costs a bare "//" line
between them; a tools block joined to the caller's system message costs its text. The
evidence for each rule is cited beside it in ``promptcache.normalize.openai_chat``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from promptcache.catalog import facts_for
from promptcache.normalize.openai_chat import chat_segments
from promptcache.tokens.counter import TokenCounter

from .test_chat_framing import LOOKUP

CL100K = TokenCounter("cl100k_base")
BLOCK = ("# Tools\n\n## functions\n\nnamespace functions {\n\n// Find an order by its number.\n"
         "type lookup_order = (_:{\n// Order number\nnumber: string,\n}) => any;\n\n"
         "} // namespace functions")

QUESTION = [{"role": "user", "content": "Where is order 12?"}]
FORCE_LOOKUP = {"type": "function", "function": {"name": "lookup_order"}}


def _prompt(body: Mapping[str, Any]) -> int:
    """Prompt tokens as the audit counts them: each segment's text plus its fixed tokens."""
    facts = facts_for(str(body["model"]))
    counter = TokenCounter(facts.encoding)
    return sum(segment.fixed_tokens + counter.count(segment.text)
               for segment in chat_segments(body, "$", facts))


def _tools(model: str, tool_choice: object, messages: list[dict[str, Any]] = QUESTION
           ) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "messages": messages,
                            "tools": [{"type": "function", "function": LOOKUP}]}
    if tool_choice is not None:
        body["tool_choice"] = tool_choice
    return body


@pytest.mark.parametrize("model", ["gpt-3.5-turbo", "gpt-4-turbo", "gpt-4"])
def test_a_forced_function_costs_four_plus_its_recipient_text(model: str) -> None:
    forced = _prompt(_tools(model, FORCE_LOOKUP))
    free = _prompt(_tools(model, "auto"))
    # " to=functions.lookup_order" is 5 cl100k tokens: the reply starts addressed to it.
    assert CL100K.count(" to=functions.lookup_order") == 5
    assert forced - free == 4 + 5
    # The block (39 tokens) in a system message of its own (+4), the question (4 + 6), the
    # reply priming (3), the forced call (9).
    assert forced == 39 + 4 + 10 + 3 + 9 == 65


def test_a_legacy_function_call_forces_like_tool_choice() -> None:
    legacy = {"model": "gpt-3.5-turbo", "messages": QUESTION, "functions": [LOOKUP],
              "function_call": {"name": "lookup_order"}}
    assert _prompt(legacy) == _prompt(_tools("gpt-3.5-turbo", FORCE_LOOKUP)) == 65


def test_a_legacy_function_call_none_costs_as_tool_choice_none() -> None:
    # gpt-4o bills "none" one token (ldp records); the legacy spelling is the same choice.
    legacy = {"model": "gpt-4o", "messages": QUESTION, "functions": [LOOKUP],
              "function_call": "none"}
    assert _prompt(legacy) == _prompt(_tools("gpt-4o", "none")) == _prompt(
        _tools("gpt-4o", None)) + 1


def test_tools_joined_to_a_system_message_on_gpt4_cost_their_text() -> None:
    system = [{"role": "system", "content": "You are a support agent."}, *QUESTION]
    # One system message (4) of the text, a blank line and the block (45 tokens together,
    # nothing beyond them), then the question (10) and the priming (3); gpt-4o bills one less.
    assert CL100K.count("You are a support agent.\n\n" + BLOCK) == 45
    assert _prompt(_tools("gpt-3.5-turbo", "auto", system)) == 4 + 45 + 10 + 3
    assert _prompt(_tools("gpt-4o", "auto", system)) == 60


def _classify(label: dict[str, str]) -> dict[str, Any]:
    return {"name": "classify", "parameters": {"type": "object", "properties": {"label": label},
                                               "required": ["label"]}}


def _block(comments: str) -> str:
    return ("# Tools\n\n## functions\n\nnamespace functions {\n\n"
            f"type classify = (_:{{\n{comments}label: string,\n}}) => any;\n\n"
            "} // namespace functions")


def test_a_property_title_over_its_description_costs_a_blank_comment_line_on_gpt35() -> None:
    question = 4 + CL100K.count("Where is order 12?")
    cases = [  # (the property, its comment lines as the API renders them)
        ({"title": "Label", "description": "The label to give", "type": "string"},
         "// Label\n//\n// The label to give\n"),
        ({"title": "Label", "type": "string"}, "// Label\n"),
        ({"description": "The label to give", "type": "string"}, "// The label to give\n"),
    ]
    for label, comments in cases:
        assert _prompt(_request("gpt-3.5-turbo", _classify(label))) \
            == CL100K.count(_block(comments)) + 4 + question + 3, comments


def _tool(description: str, parameter: dict[str, Any]) -> dict[str, Any]:
    return {"name": "add", "description": description,
            "parameters": {"type": "object", "properties": {"a": parameter, "b": parameter},
                           "required": ["a", "b"]}}


NUMBER = {"type": "integer"}
ADD = "Adds two numbers.\n    Args:\n        a: first\n        b: second"
ADD_WITH_BLANK = "Adds two numbers.\n\n    Args:\n        a: first\n        b: second"


def _request(model: str, function: dict[str, Any]) -> dict[str, Any]:
    return {"model": model, "messages": QUESTION,
            "tools": [{"type": "function", "function": function}]}


def test_a_blank_line_in_a_tool_description_costs_a_token_on_gpt35() -> None:
    plain = _prompt(_request("gpt-3.5-turbo", _tool(ADD, NUMBER)))
    blank = _prompt(_request("gpt-3.5-turbo", _tool(ADD_WITH_BLANK, NUMBER)))
    assert blank - plain == 1


def test_a_tool_whose_first_parameter_is_not_described_costs_one_less_than_its_text() -> None:
    described = {"type": "integer", "description": "A number"}
    block_plain = ("# Tools\n\n## functions\n\nnamespace functions {\n\n"
                   "// Adds two numbers.\n// Args:\n// a: first\n// b: second\n"
                   "type add = (_:{\na: number,\nb: number,\n}) => any;\n\n"
                   "} // namespace functions")
    block_described = block_plain.replace(
        "(_:{\na: number,\nb: number,", "(_:{\n// A number\na: number,\n// A number\nb: number,")
    question = 4 + CL100K.count("Where is order 12?")
    # A system message of its own (+4), the question, the reply priming (3); the undescribed
    # first parameter: one under the block's text.
    assert _prompt(_request("gpt-4", _tool(ADD, NUMBER))) \
        == CL100K.count(block_plain) + 4 - 1 + question + 3
    assert _prompt(_request("gpt-4", _tool(ADD, described))) \
        == CL100K.count(block_described) + 4 + question + 3
