"""The compiled validator agrees with the jsonschema package on our schemas."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptcache.load.validator import compiled, format_path

from .strategies import value_paths

VALID_BODY: dict[str, Any] = {
    "model": "gpt-4o",
    "messages": [
        {"role": "system", "content": "Be kind."},
        {"role": "user", "name": "ann", "content": [
            {"type": "text", "text": "Look"},
            {"type": "image_url", "image_url": {"url": "https://x.invalid/a.png",
                                                "detail": "low"}}]},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function",
             "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "ok"},
    ],
    "tools": [{"type": "function", "function": {"name": "f", "description": "d",
                                                "parameters": {"type": "object"}}}],
    "response_format": {"type": "json_object"},
    "prompt_cache_key": "k",
}

VALID_RESPONSES: dict[str, Any] = {
    "model": "gpt-5",
    "instructions": "Be kind.",
    "input": [
        {"role": "user", "content": [{"type": "input_text", "text": "hi"}]},
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": "ok"},
    ],
    "tools": [{"type": "function", "name": "f", "parameters": {"type": "object"}}],
    "text": {"format": {"type": "json_schema", "name": "r", "schema": {"type": "object"}}},
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False, width=16)
    | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner,
                                                                 max_size=3),
    max_leaves=6,
)


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = json.loads(json.dumps(value))
    target = copy
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = new
    return copy


@st.composite
def mutated_bodies(draw: st.DrawFn, start: dict[str, Any] = VALID_BODY) -> Any:
    body: Any = start
    for _ in range(draw(st.integers(0, 2))):
        paths = value_paths(body)
        body = _replace(body, draw(st.sampled_from(paths)), draw(json_values))
    return body


def _schema(name: str) -> dict[str, Any]:
    text = files("promptcache").joinpath("schemas", name).read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@settings(max_examples=400, deadline=None)
@given(mutated_bodies())
def test_agrees_with_jsonschema_on_mutated_chat_requests(body: Any) -> None:
    reference = jsonschema.Draft202012Validator(_schema("chat_request.schema.json"))
    problem = compiled("chat_request.schema.json")(body)
    assert (problem is None) == reference.is_valid(body), problem


@settings(max_examples=400, deadline=None)
@given(mutated_bodies(VALID_RESPONSES))
def test_agrees_with_jsonschema_on_mutated_responses_requests(body: Any) -> None:
    reference = jsonschema.Draft202012Validator(_schema("responses_request.schema.json"))
    problem = compiled("responses_request.schema.json")(body)
    assert (problem is None) == reference.is_valid(body), problem


def test_the_responses_example_is_valid() -> None:
    assert compiled("responses_request.schema.json")(VALID_RESPONSES) is None


@pytest.mark.parametrize(
    ("body", "where", "message"),
    [
        pytest.param({"messages": "x"}, "$.messages", "expected array, found string",
                     id="type"),
        pytest.param({"messages": [{"content": "x"}]}, "$.messages[0]",
                     "missing required field 'role'", id="required"),
        pytest.param({"messages": [{"role": "user", "content": 3}]}, "$.messages[0].content",
                     "expected string or null or array, found number", id="any-of"),
        pytest.param({"messages": [{"role": "user", "content": [{"type": 1}]}]},
                     "$.messages[0].content[0].type", "expected string, found number",
                     id="any-of-takes-the-matching-branch"),
    ],
)
def test_messages(body: Any, where: str, message: str) -> None:
    problem = compiled("chat_request.schema.json")(body)
    assert problem is not None
    assert (format_path("$", problem.path), problem.message) == (where, message)


@pytest.mark.parametrize("schema_file", ["chat_request.schema.json",
                                         "responses_request.schema.json",
                                         "envelope.schema.json", "config.schema.json"])
def test_every_shipped_schema_compiles(schema_file: str) -> None:
    assert callable(compiled(schema_file))


def test_valid_body() -> None:
    assert compiled("chat_request.schema.json")(VALID_BODY) is None
