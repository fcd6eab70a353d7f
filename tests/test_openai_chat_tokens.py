"""Chat Completions prompts counted as the API counts them: the renderer, the segments, the data.

The data test replays shared/data/openai-cassettes.jsonl (recorded requests with the API's own
``usage.prompt_tokens``) through :func:`chat_segments` and the counter, and reports the match
rate over every record of the file, every miss with its cause, and apart, with the reason,
the records the normalizer marks estimated (a feature it cannot count offline).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptcache.catalog import PatchScheme, facts_for
from promptcache.model import Segment, SegmentKind
from promptcache.normalize.openai_chat import chat_segments
from promptcache.tokens.counter import TokenCounter
from promptcache.tokens.functions import (
    TOOLS_FOOTER,
    TOOLS_HEADER,
    render_function,
    render_response_format,
    tool_block_parts,
)

from .conftest import shared_data

DATA = "openai-cassettes.jsonl"
# Measured on the whole file (230 records): 211 exact (91.7%). 17 records are marked estimated
# (none of them exact: file parts, remote images) and 211 of the other 213 are exact (the
# misses: KNOWN_CAUSES; the two audio records are counted from their clips' durations). The
# bar guards against regressions; raise it when the count improves (it was 206 before the
# issue-14 rendering work).
REQUIRED_EXACT = 211

_counter = TokenCounter("o200k_base")


def _count(segments: tuple[Segment, ...]) -> int:
    return sum(segment.fixed_tokens + _counter.count(segment.text) for segment in segments)


def _segments(body: Mapping[str, Any]) -> tuple[Segment, ...]:
    return chat_segments(body, "$", facts_for(str(body.get("model", ""))))


# --------------------------------------------------------------------------------------------
# The renderer, on hand-written tools
# --------------------------------------------------------------------------------------------

WEATHER = {
    "name": "get_weather",
    "description": "Get the weather.\n\n    Args:\n        city: The city.\n    ",
    "parameters": {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "City name"},
            "unit": {"type": "string", "enum": ["c", "f"], "default": "c"},
            "days": {"type": "integer"},
        },
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}


def test_optional_enum_default_and_docstring_description() -> None:
    assert render_function(WEATHER) == (
        "// Get the weather.\n"
        "//\n"
        "// Args:\n"
        "// city: The city.\n"
        "type get_weather = (_:{\n"
        "// City name\n"
        "city: string,\n"
        'unit?: "c" | "f", // default: "c"\n'
        "days?: number,\n"
        "}) => any;\n"
    )


@pytest.mark.parametrize("parameters", [
    pytest.param({"type": "object", "properties": {}}, id="empty-properties"),
    pytest.param(None, id="absent"),
])
def test_no_parameters(parameters: dict[str, Any] | None) -> None:
    function: dict[str, Any] = {"name": "ping", "description": ""}
    if parameters is not None:
        function["parameters"] = parameters
    assert render_function(function) == "type ping = () => any;\n"


def test_nested_objects_arrays_refs_and_unions() -> None:
    function = {
        "name": "file",
        "parameters": {
            "$defs": {"Tag": {"type": "object", "properties": {"key": {"type": "string"}},
                              "required": ["key"]}},
            "type": "object",
            "properties": {
                "address": {
                    "type": "object",
                    "description": "Where to send it",
                    "properties": {
                        "street": {"type": "string"},
                        "geo": {"type": "object", "properties": {"lat": {"type": "number"}}},
                    },
                    "required": ["street"],
                },
                "tags": {"type": "array", "items": {"$ref": "#/$defs/Tag"}},
                "names": {"type": "array", "items": {"type": "string"}},
                "id": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                "note": {"type": ["string", "null"], "default": None},
                "kind": {"const": "letter"},
                "extra": {"type": "object"},
                "loose": {},
            },
            "required": ["address", "tags"],
        },
    }
    assert render_function(function) == (
        "type file = (_:{\n"
        "// Where to send it\n"
        "address:{\n"
        "street: string,\n"
        "//\n"
        "geo?:{\n"
        "lat?: number,\n"
        "},\n"
        "},\n"
        "tags:{\n"
        "  key: string,\n"
        "}[],\n"
        "names?: string[],\n"
        "id?: string | number,\n"
        "note?: string | null, // default: null\n"
        'kind?: "letter",\n'
        "extra?: object,\n"
        "loose?: any,\n"
        "}) => any;\n"
    )


def test_a_reference_cycle_renders_as_any() -> None:
    function = {"name": "tree", "parameters": {
        "$defs": {"Node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/Node"}}}},
        "type": "object", "properties": {"root": {"$ref": "#/$defs/Node"}}}}
    text = render_function(function)
    assert text.startswith("type tree = (_:{\n//\nroot?:{\n//\nchild?:{\n")
    assert "any" in text.removesuffix(" => any;\n")


def test_response_format_is_compact_json_under_its_header() -> None:
    response_format = {"type": "json_schema", "json_schema": {
        "name": "result", "description": "The answer",
        "schema": {"type": "object", "properties": {"required": {"type": "string"}},
                   "required": ["required"], "additionalProperties": False},
        "strict": True}}
    assert render_response_format(response_format) == (
        '# Response Formats\n\n## result\n\n// The answer\n'
        '{"type":"object","properties":{"required":{"type":"string"}}}'
    )
    assert render_response_format({"type": "json_object"}) is None
    assert render_response_format(None) is None


_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)
_tools = st.fixed_dictionaries(
    {"name": _names, "description": st.text(max_size=40)},
    optional={"parameters": st.fixed_dictionaries({
        "type": st.just("object"),
        "properties": st.dictionaries(_names, st.fixed_dictionaries(
            {"type": st.sampled_from(["string", "number", "boolean"])},
            optional={"description": st.text(max_size=20)}), max_size=3)})})


@settings(max_examples=150, deadline=None)
@given(st.lists(_tools, min_size=1, max_size=4), st.sampled_from([TOOLS_HEADER,
                                                                   TOOLS_HEADER + "\n"]))
def test_tool_parts_count_like_the_whole_block(tools: list[dict[str, Any]],
                                               header: str) -> None:
    texts = [render_function(tool) for tool in tools]
    assert _parts_count(header, texts) == _counter.count(
        header + "\n".join(texts) + "\n" + TOOLS_FOOTER)


def _parts_count(header: str, texts: list[str]) -> int:
    head, parts, footer = tool_block_parts(header, texts)
    return sum(_counter.count(part.text) + part.correction for part in (head, *parts, footer))


def test_a_tool_part_does_not_depend_on_its_position() -> None:
    texts = [render_function(WEATHER), "type ping = () => any;\n"]
    _, forward, _ = tool_block_parts(TOOLS_HEADER, texts)
    _, backward, _ = tool_block_parts(TOOLS_HEADER, texts[::-1])
    assert forward == backward[::-1]
    assert forward[0].text == render_function(WEATHER).removesuffix("\n")
    assert [part.correction for part in forward] == [-1, 0]


# --------------------------------------------------------------------------------------------
# Segments, on hand-written bodies
# --------------------------------------------------------------------------------------------


def _kinds(segments: tuple[Segment, ...]) -> list[SegmentKind]:
    return [segment.kind for segment in segments]


def test_plain_message_framing_per_format() -> None:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hello"}]}
    segments = _segments(body)
    assert _kinds(segments) == [SegmentKind.MESSAGE_FRAME, SegmentKind.TEXT,
                                SegmentKind.REPLY_PRIMING]
    assert segments[1].path == "$.messages[0].content"
    assert _count(segments) == 8  # recorded: gpt-4o bills 8 for "hello"
    assert _count(_segments({**body, "model": "o3-mini"})) == 7  # recorded: 7


def test_tools_merge_into_a_leading_system_message() -> None:
    body = {"model": "gpt-4o", "tools": [{"type": "function", "function": WEATHER}],
            "messages": [{"role": "system", "content": "Be brief."},
                         {"role": "user", "content": "Weather?", "name": "ann"}]}
    segments = _segments(body)
    assert _kinds(segments)[:3] == [SegmentKind.TOOLS_FRAME, SegmentKind.TOOL,
                                    SegmentKind.TOOLS_FRAME]
    assert segments[1].key == "get_weather"
    assert segments[1].path == "$.tools[0]"
    system_text = next(s for s in segments if s.path == "$.messages[0].content")
    assert system_text.text == "Be brief.\n\n"
    assert segments[0].fixed_tokens == -1
    name_frame = next(s for s in segments if s.path == "$.messages[1]")
    assert (name_frame.text, name_frame.fixed_tokens) == (":ann", 4)
    standalone = _segments({**body, "messages": body["messages"][1:]})
    assert standalone[0].fixed_tokens == 3


def test_parallel_calls_use_the_wrapper_and_one_result_message() -> None:
    calls = [{"id": "a", "type": "function", "function": {"name": "f", "arguments": "{}"}},
             {"id": "b", "type": "function",
              "function": {"name": "g", "arguments": '{"x": 1}'}}]
    body = {"model": "gpt-4o", "messages": [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": None, "tool_calls": calls},
        {"role": "tool", "tool_call_id": "a", "content": "one"},
        {"role": "tool", "tool_call_id": "b", "content": "twó"}]}
    segments = _segments(body)
    call = next(s for s in segments if s.kind is SegmentKind.TOOL_CALL)
    assert call.text == ('{"tool_uses":[{"recipient_name":"functions.f","parameters":{}},'
                         '{"recipient_name":"functions.g","parameters":{"x":1}}]}')
    results = [s for s in segments if s.role == "tool"]
    assert [s.text for s in results] == ["multi_tool_use.parallel", '["one",', ' "tw\\u00f3"]']
    assert not any(s.estimated for s in segments)


def _png_data_url(width: int, height: int) -> str:
    header = (b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + width.to_bytes(4, "big")
              + height.to_bytes(4, "big") + b"\x08\x06\x00\x00\x00")
    return "data:image/png;base64," + base64.b64encode(header).decode()


def test_image_parts() -> None:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "What is it?"},
        {"type": "image_url", "image_url": {"url": _png_data_url(1024, 1024)}},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png?x=1",
                                            "detail": "low"}}]}]}
    segments = _segments(body)
    local, remote = (s for s in segments if s.kind is SegmentKind.IMAGE)
    assert local.fixed_tokens == 765
    assert not local.estimated
    assert local.image is not None
    assert remote.image is not None
    assert (local.image.detail, local.image.detail_explicit) == ("auto", False)
    assert (local.image.width, local.image.height) == (1024, 1024)
    assert local.image.source_hint == "data:image/png"
    assert len(local.image.identity) == 16
    assert local.key == local.image.identity
    assert (remote.image.source_hint, remote.image.detail) == ("example.com", "low")
    assert remote.fixed_tokens == 85
    assert remote.image.detail_explicit


@pytest.mark.parametrize(("message", "estimated"), [
    pytest.param({"role": "critic", "content": "hm"}, True, id="unknown-role"),
    pytest.param({"role": "user", "content": [{"type": "hologram"}]}, True, id="unknown-part"),
    pytest.param({"role": "user", "content": [{"type": "file", "file": {}}]}, True, id="file"),
    pytest.param({"role": "user", "content": [{"type": "input_audio"}]}, True, id="audio"),
    pytest.param({"role": "tool", "tool_call_id": "nope", "content": "x"}, True,
                 id="orphan-result"),
    pytest.param({"role": "user", "content": [{"type": "image_url", "image_url": {}}]}, True,
                 id="image-without-url"),
    pytest.param("not a message", True, id="not-an-object"),
    pytest.param({"role": "assistant", "tool_calls": [{"function": {}}, "x"]}, False,
                 id="empty-calls"),
    pytest.param({"role": "user", "content": None, "name": 3}, False, id="odd-fields"),
])
def test_odd_input_is_not_fatal(message: object, estimated: bool) -> None:
    segments = _segments({"model": "gpt-4o", "messages": [message]})
    assert segments[-1].kind is SegmentKind.REPLY_PRIMING
    assert any(segment.estimated for segment in segments) is estimated


def test_odd_tools_are_estimated_not_fatal() -> None:
    body = {"model": "gpt-4o", "messages": [],
            "tools": [{"type": "custom", "custom": {"name": "sql"}}, 7, {"type": "web"}]}
    tools = [s for s in _segments(body) if s.kind is SegmentKind.TOOL]
    assert [(s.key, s.estimated) for s in tools] == [("sql", True), ("", True), ("web", True)]


def test_text_and_call_in_one_message() -> None:
    body = {"model": "gpt-4o", "messages": [{"role": "assistant", "content": "Checking.",
                                             "tool_calls": [{"id": "1", "function": {
                                                 "name": "f", "arguments": "{}"}}]}]}
    segments = _segments(body)
    assert [(s.kind, s.text) for s in segments[:4]] == [
        (SegmentKind.MESSAGE_FRAME, ""), (SegmentKind.TEXT, "Checking."),
        (SegmentKind.MESSAGE_FRAME, " to=functions.f"), (SegmentKind.TOOL_CALL, "{}")]


def test_missing_fields_do_not_raise() -> None:
    assert _kinds(_segments({})) == [SegmentKind.REPLY_PRIMING]
    assert _count(_segments({"model": "gpt-5", "messages": [{"role": "user"}]})) == 6


# --------------------------------------------------------------------------------------------
# The recorded requests
# --------------------------------------------------------------------------------------------

# Misses whose cause was investigated (by meta.source): see the module docs of
# promptcache.normalize.openai_chat and promptcache.tokens.functions for the rules.
KNOWN_CAUSES = {
    "test_ref_sibling_wire_contract": (
        "the only optional object property with `default: null` (gpt-4o-mini): leaving the "
        "default out is 1 under, harmony's ' // default: null' 3 over; one record is not "
        "enough to tell the rendering"),
    "test_yaml_document_url_input": (
        "text-only request, a 12.6k-character YAML document billed 19 tokens below its "
        "recorded text; unexplained (the data README warns that recorded bodies may not be "
        "byte-exact)"),
    "test_image_url_input_force_download": (
        "gpt-4.1-nano image (540x360, 204 patches x 2.46 -> 502) billed 503: the per-image "
        "overhead of chatml patch models is unknown (only record)"),
}


@dataclass(frozen=True, slots=True)
class Outcome:
    """One recorded request, counted."""

    index: int
    source: str
    model: str
    expected: int
    got: int
    features: str
    unsupported: str

    @property
    def diff(self) -> int:
        return self.expected - self.got

    def line(self) -> str:
        return (f"#{self.index} {self.source} model={self.model} expected={self.expected} "
                f"got={self.got} diff={self.diff:+d} features=[{self.features}]")


def _records() -> Iterator[tuple[int, Mapping[str, Any]]]:
    with shared_data(DATA).open(encoding="utf-8") as lines:
        for index, line in enumerate(lines):
            yield index, json.loads(line)


def _features(body: Mapping[str, Any], segments: tuple[Segment, ...]) -> str:
    found: list[str] = []
    tools = body.get("tools") or []
    if tools:
        found.append(f"tools={len(tools)}")
    response_format = body.get("response_format")
    if isinstance(response_format, Mapping):
        found.append(f"response_format={response_format.get('type')}")
    for message in body.get("messages") or []:
        calls = message.get("tool_calls") or []
        if len(calls) > 1:
            found.append("parallel_calls")
        elif calls:
            found.append("tool_call")
        content = message.get("content")
        if isinstance(content, list):
            found.extend(f"part:{part.get('type')}" for part in content)
        found.append(f"role:{message.get('role')}")
    found.extend(f"{s.kind.value}:{s.key or s.path}" for s in segments if s.estimated)
    return ",".join(dict.fromkeys(found))


def _unsupported(model: str, segments: tuple[Segment, ...]) -> str:
    reasons: list[str] = []
    for segment in segments:
        if not segment.estimated:
            continue
        if segment.kind is SegmentKind.OTHER and segment.key == "file":
            reasons.append("file part: the provider's PDF rendering (text + page images) is "
                           "not modelled")
        elif segment.kind is SegmentKind.OTHER and segment.key == "input_audio":
            reasons.append("input_audio part: a clip whose duration is not read offline")
        elif segment.kind is SegmentKind.IMAGE:
            reasons.append("remote image URL: its size is unknown offline")
        elif segment.kind is SegmentKind.REPLY_PRIMING and "search" in model:
            reasons.append("search model: it rewrites the prompt (both records bill the user "
                           "message + 6, the system message dropped); not modelled")
        elif segment.kind is SegmentKind.REPLY_PRIMING:
            reasons.append(f"{model}: bills tokens the chat format does not explain (+8 on "
                           "two user messages); not modelled")
        else:
            reasons.append(f"{segment.kind.value} at {segment.path} is estimated")
    return "; ".join(dict.fromkeys(reasons))


def _outcomes() -> list[Outcome]:
    outcomes = []
    for index, record in _records():
        body = record["request"]
        segments = _segments(body)
        source = str(record.get("meta", {}).get("source", "")).rsplit("/", 1)[-1]
        outcomes.append(Outcome(
            index=index, source=source, model=str(body.get("model")),
            expected=int(record["response"]["usage"]["prompt_tokens"]), got=_count(segments),
            features=_features(body, segments),
            unsupported=_unsupported(str(body.get("model")), segments)))
    return outcomes


def _cause(outcome: Outcome) -> str:
    for marker, cause in KNOWN_CAUSES.items():
        if marker in outcome.source:
            return cause
    scheme = facts_for(outcome.model).image
    if "part:image_url" in outcome.features and isinstance(scheme, PatchScheme) \
            and scheme.multiplier != 1.2 and outcome.model.startswith("gpt-5-mini"):
        return (f"catalog.py gives {outcome.model} {scheme.multiplier} tokens per image patch; "
                "these records imply 1.2 (as tokens/images.py documents): a catalog fix")
    return "unexplained"


def test_recorded_prompt_tokens() -> None:
    """Every record of the file is in the rate's denominator; records the normalizer marks
    estimated count as misses unless they match, and are shown apart beside the rate."""
    outcomes = _outcomes()
    exact = sum(o.diff == 0 for o in outcomes)
    estimated = [o for o in outcomes if o.unsupported]
    others = [o for o in outcomes if not o.unsupported]
    breakdown = (
        f"{exact}/{len(outcomes)} records exact ({exact / len(outcomes):.1%}); of them "
        f"{len(estimated)} ({sum(o.diff == 0 for o in estimated)} exact) marked estimated "
        f"(files, audio, remote images, search models), {len(others)} "
        f"({sum(o.diff == 0 for o in others)} exact) others")
    print(f"\nopenai-cassettes: {breakdown}")
    misses = [o for o in others if o.diff != 0]
    for outcome in misses:
        print(f"MISS {outcome.line()}\n     cause: {_cause(outcome)}")
    for outcome in estimated:
        print(f"ESTIMATED #{outcome.index} {outcome.source} ({outcome.model}, "
              f"diff {outcome.diff:+d}): {outcome.unsupported}")
    summary = "; ".join(f"#{o.index} {o.diff:+d} ({_cause(o)[:60]})" for o in misses)
    assert exact >= REQUIRED_EXACT, f"{breakdown}: below {REQUIRED_EXACT}; misses: {summary}"


@pytest.mark.parametrize("header", [TOOLS_HEADER, TOOLS_HEADER + "\n"])
def test_recorded_tool_blocks_split_without_changing_the_count(header: str) -> None:
    for index, record in _records():
        tools = record["request"].get("tools") or []
        texts = [render_function(tool["function"]) for tool in tools]
        if texts:
            block = header + "\n".join(texts) + "\n" + TOOLS_FOOTER
            assert _parts_count(header, texts) == _counter.count(block), f"record #{index}"
