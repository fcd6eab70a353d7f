"""Anthropic Messages requests read and rendered into segments: order, blocks, breakpoints,
settings, schema errors, the structural arithmetic, and every shared record read."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from promptcache.anchoring import OWN_USAGE
from promptcache.cache.anthropic import prompt_blocks
from promptcache.cli.main import main
from promptcache.estimates import (
    IMAGE_ESTIMATE,
    NOT_ESTIMABLE_ESTIMATE,
    REMOTE_SOURCE_ESTIMATE,
    certainty,
    server_input_estimate,
)
from promptcache.load.records import normalize_record
from promptcache.load.sources import LoadError, RawRecord, read_records
from promptcache.model import Location, Request, SegmentKind
from promptcache.tokens.anthropic_framing import (
    TURN_SEPARATOR,
    generation_of,
    tool_prompt_tokens,
)
from promptcache.tokens.counting import PromptCounter
from tests.conftest import shared_data
from tests.test_anthropic_content_rules import POLICY, QUESTIONS, _findings

FIXTURES = Path(__file__).parent / "anthropic"
K = SegmentKind
BLOCK_KINDS = {K.TOOL, K.TEXT, K.IMAGE, K.TOOL_CALL, K.OTHER}


def _read(value: Any) -> Request:
    request = normalize_record(RawRecord(Location("log.jsonl", 1), value))
    assert isinstance(request, Request), request
    return request


def _error(value: Any) -> str:
    result = normalize_record(RawRecord(Location("log.jsonl", 3), value))
    assert isinstance(result, LoadError), result
    return result.message


def _fixture(name: str) -> dict[str, Any]:
    value = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    assert isinstance(value, dict)
    return value


def _shape(request: Request) -> list[tuple[str, str]]:
    return [(segment.kind.value, segment.path) for segment in request.segments]


def _words(text: str) -> int:
    """A stand-in tokenizer: the arithmetic must hold whatever counts the text."""
    return len(text.split())


def _total(request: Request, count: Callable[[str], int] = _words) -> int:
    return sum(segment.fixed_tokens + count(segment.text) for segment in request.segments)


# -- structure and order -------------------------------------------------------------------


def test_agent_request_segments_in_prefix_order() -> None:
    request = _read(_fixture("agent_turn.json"))
    assert request.api == "anthropic.messages"
    assert _shape(request) == [
        ("tools_frame", "$.request.tools"),
        ("tool", "$.request.tools[0]"),
        ("tool", "$.request.tools[1]"),
        ("message_frame", "$.request.system"),
        ("text", "$.request.system[0]"),
        ("text", "$.request.system[1]"),
        ("message_frame", "$.request.messages[0]"),
        ("text", "$.request.messages[0].content"),
        ("message_frame", "$.request.messages[1]"),
        ("text", "$.request.messages[1].content[0]"),
        ("tool_call", "$.request.messages[1].content[1]"),
        ("message_frame", "$.request.messages[2]"),
        ("text", "$.request.messages[2].content[0]"),
        ("text", "$.request.messages[2].content[1]"),
        ("reply_priming", "$.request"),
    ]
    roles = [segment.role for segment in request.segments if segment.kind is K.TEXT]
    assert roles == ["system", "system", "user", "assistant", "user", "user"]
    call = request.segments[10]
    assert call.key == "get_weather"
    assert call.text == 'get_weather{"city":"Paris"}'
    result = request.segments[12]
    assert result.key == "toolu_01"
    assert result.text == "18 C, sunny"
    assert request.segments[1].key == "get_weather"
    assert request.segments[1].text == (
        '{"name": "get_weather", "description": "Current weather in a city.", "input_schema": '
        '{"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}')


def test_usage_is_the_providers_total_with_cache_reads_and_writes() -> None:
    request = _read(_fixture("agent_turn.json"))
    assert request.observed is not None
    # input 15 + read 580 + written 110
    assert (request.observed.prompt_tokens, request.observed.cached_tokens,
            request.observed.written_tokens) == (705, 580, 110)


def test_each_block_is_one_segment_and_frames_are_not_blocks() -> None:
    request = _read(_fixture("agent_turn.json"))
    blocks = [segment for segment in request.segments if segment.kind in BLOCK_KINDS]
    # 2 tools, 2 system blocks, 1 + 2 + 2 message blocks
    assert len(blocks) == 9


# -- breakpoints -------------------------------------------------------------------------


def test_breakpoints_and_their_lifetimes() -> None:
    request = _read(_fixture("agent_turn.json"))
    marks = {segment.path: segment.breakpoint for segment in request.segments
             if segment.breakpoint}
    assert marks == {"$.request.tools[1]": "1h", "$.request.system[1]": "1h",
                     "$.request.messages[2].content[0]": "5m"}
    assert "cache_control" not in request.settings


def test_null_cache_control_sets_no_breakpoint() -> None:
    request = _read({"model": "claude-sonnet-4-5", "max_tokens": 5, "messages": [
        {"role": "user", "content": [{"type": "text", "text": "hi", "cache_control": None}]}]})
    assert not any(segment.breakpoint for segment in request.segments)


def test_automatic_caching_marks_the_last_cacheable_block() -> None:
    request = _read({"model": "claude-sonnet-4-5", "max_tokens": 5,
                     "cache_control": {"type": "ephemeral", "ttl": "1h"},
                     "system": "Be brief.",
                     "messages": [
                         {"role": "user", "content": "What is 2+2?"},
                         {"role": "assistant", "content": [
                             {"type": "text", "text": "4"},
                             {"type": "thinking", "thinking": "easy", "signature": "s"}]}]})
    marks = [(segment.path, segment.breakpoint) for segment in request.segments
             if segment.breakpoint]
    # The thinking block cannot carry a breakpoint: the text before it gets it.
    assert marks == [("$.messages[1].content[0]", "1h")]
    assert json.loads(request.settings["cache_control"]) == {"type": "ephemeral", "ttl": "1h"}


def test_automatic_caching_keeps_an_explicit_marker_on_the_last_block() -> None:
    request = _read({"model": "claude-haiku-4-5", "max_tokens": 5,
                     "cache_control": {"type": "ephemeral"},
                     "messages": [{"role": "user", "content": [
                         {"type": "text", "text": "hi",
                          "cache_control": {"type": "ephemeral", "ttl": "1h"}}]}]})
    assert [segment.breakpoint for segment in request.segments
            if segment.breakpoint] == ["1h"]


# -- settings -----------------------------------------------------------------------------


def test_the_end_user_is_metadata_user_id() -> None:
    request = _read({"model": "claude-haiku-4-5", "max_tokens": 5,
                     "metadata": {"user_id": "u-42"},
                     "messages": [{"role": "user", "content": "hi"}]})
    assert request.user == "u-42"


def test_tool_choice_and_thinking_are_cache_settings() -> None:
    request = _read({"model": "claude-sonnet-4-5", "max_tokens": 5,
                     "tool_choice": {"type": "any"},
                     "thinking": {"type": "enabled", "budget_tokens": 1024},
                     "tools": [{"name": "f", "input_schema": {"type": "object"}}],
                     "messages": [{"role": "user", "content": "hi"}]})
    assert request.settings == {
        "tool_choice": '{"type": "any"}',
        "thinking": '{"budget_tokens": 1024, "type": "enabled"}'}


# -- every block type ---------------------------------------------------------------------


def test_every_block_type() -> None:
    request = _read(_fixture("every_block.json"))
    generation = generation_of("claude-sonnet-4-5")
    by_path = {segment.path: segment for segment in request.segments
               if segment.kind in BLOCK_KINDS}
    image = by_path["$.messages[0].content[0]"]
    assert image.kind is K.IMAGE
    assert image.image is not None
    assert (image.image.width, image.image.height) == (1000, 750)
    # ceil(1000/28) * ceil(750/28) = 36 * 27 patches, plus the 3 around every image
    assert image.fixed_tokens == 36 * 27 + 3
    assert image.estimate == IMAGE_ESTIMATE
    url_image = by_path["$.messages[0].content[1]"]
    assert url_image.kind is K.IMAGE
    assert url_image.estimate == REMOTE_SOURCE_ESTIMATE
    text_document = by_path["$.messages[0].content[2]"]
    assert text_document.kind is K.OTHER
    assert text_document.text == "Notes\nThe cat sat."
    assert by_path["$.messages[0].content[3]"].estimate == REMOTE_SOURCE_ESTIMATE
    thinking = by_path["$.messages[1].content[0]"]
    assert thinking.kind is K.OTHER
    assert thinking.text == "Let me think."
    # Redacted thinking, a server tool's call and its results: lower bounds, the server
    # blocks' reasons naming what the server adds.
    assert by_path["$.messages[1].content[1]"].estimate == NOT_ESTIMABLE_ESTIMATE
    assert [by_path[f"$.messages[1].content[{index}]"].estimate for index in (2, 3)] == [
        server_input_estimate("a server block as the server renders it"),
        server_input_estimate("pages behind encrypted search results")]
    for index in (1, 2, 3):
        assert by_path[f"$.messages[1].content[{index}]"].kind is K.OTHER
    # A search result's ciphertext is not what the model reads: only readable fields count.
    assert by_path["$.messages[1].content[3]"].text == (
        '{"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":'
        '[{"type":"web_search_result","url":"https://cats.example","title":"Cats"}]}')
    call = by_path["$.messages[1].content[4]"]
    assert call.kind is K.TOOL_CALL
    assert call.text == 'query_db{"sql":"select 1"}'
    result = by_path["$.messages[2].content[0]"]
    assert result.kind is K.TEXT
    assert result.text == "rows: 3\nsee chart"
    # The 2x2 chart inside the result (1 token) adds to the result's one block, which ends
    # the last turn and so carries the separator before the reply.
    assert result.fixed_tokens == generation.tool_result + 1 + 3 + TURN_SEPARATOR
    assert len(by_path) == 10


def test_server_tools_and_extensions_are_lower_bounds() -> None:
    request = _read({"model": "claude-sonnet-4-5", "max_tokens": 5,
                     "tools": [{"type": "web_search_20250305", "name": "web_search"}],
                     "mcp_servers": [{"type": "url", "url": "https://x.example", "name": "x"}],
                     "messages": [{"role": "user", "content": "news?"}]})
    counted = PromptCounter().count(request)
    found = certainty(counted)
    assert found.high is None
    assert found.reasons == (
        server_input_estimate("web search results the server fetches").reason,
        server_input_estimate("MCP servers' tool lists the server fetches").reason)
    assert [segment.path for segment in request.segments if segment.kind is K.TOOLS_FRAME] == [
        "$.tools", "$.mcp_servers"]


def test_plain_text_is_not_an_estimate_and_fitted_parts_have_bounds() -> None:
    plain = _read({"model": "claude-sonnet-4-5", "max_tokens": 5,
                   "messages": [{"role": "user", "content": "hi"}]})
    assert not plain.estimated
    tools = PromptCounter().count(_read(_fixture("agent_turn.json")))
    found = certainty(tools)
    assert found.low is not None
    assert found.high is not None
    assert found.low < tools.prompt_tokens < found.high


# -- schema errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param({"system": "x", "messages": [{"role": "user"}]},
                     "$.messages[0]: missing required field 'content'", id="no-content"),
        pytest.param({"system": [{"type": "text"}], "messages": []},
                     "$.system[0]: missing required field 'text'", id="system-block"),
        pytest.param({"system": "x", "messages": [{"role": "user", "content": [
            {"type": "text", "text": "a", "cache_control": {"type": "ephemeral",
                                                           "ttl": "2h"}}]}]},
                     "$.messages[0].content[0].cache_control.ttl: '2h' is not one of",
                     id="ttl"),
        pytest.param({"system": "x", "tools": [{"input_schema": {}}], "messages": []},
                     "$.tools[0]: missing required field 'name'", id="tool-name"),
        pytest.param({"system": "x", "messages": [{"role": "user", "content": [
            {"type": "image", "source": "abc"}]}]},
                     "$.messages[0].content[0].source: expected object, found string",
                     id="image-source"),
    ],
)
def test_schema_errors_are_one_line_naming_the_path(body: dict[str, Any], message: str) -> None:
    found = _error({"model": "claude-sonnet-4-5", "max_tokens": 5, **body})
    assert "\n" not in found
    assert found.startswith(message), found


# -- arithmetic ----------------------------------------------------------------------------


def test_plain_arithmetic_frame_and_messages() -> None:
    generation = generation_of("claude-sonnet-4-5")
    one = _read({"model": "claude-sonnet-4-5", "max_tokens": 5,
                 "messages": [{"role": "user", "content": "two words"}]})
    assert _total(one) == 2 + generation.frame == 2 + 7
    three = _read({"model": "claude-sonnet-4-5", "max_tokens": 5, "system": "be kind",
                   "messages": [{"role": "user", "content": "a"},
                                {"role": "assistant", "content": "b"},
                                {"role": "user", "content": "c"}]})
    assert _total(three) == 5 + 7 + 2 * 3
    prefill = _read({"model": "claude-sonnet-4-5", "max_tokens": 5,
                     "messages": [{"role": "user", "content": "a"},
                                  {"role": "assistant", "content": "b"}]})
    assert _total(prefill) == 2 + 7


def test_v48_frame_and_system() -> None:
    request = _read({"model": "claude-sonnet-5", "max_tokens": 5, "system": "be kind",
                     "messages": [{"role": "user", "content": "two words"}]})
    assert _total(request) == 4 + 6 + 1


def test_tool_prompt_is_the_documented_table_plus_the_measured_difference() -> None:
    body = {"model": "claude-3-opus-20240229", "max_tokens": 5,
            "tools": [{"name": "f", "description": "", "input_schema": {"type": "object"}}],
            "messages": [{"role": "user", "content": "hi"}]}
    auto = _read(body)
    # Documented: 530 with auto, 281 forced; Claude 3 bills 16 more when forced, and a
    # forced tool's name is text in the prompt, plus 3.
    assert auto.segments[0].fixed_tokens == 530 == tool_prompt_tokens("claude-3-opus", "")
    forced = _read({**body, "tool_choice": {"type": "tool", "name": "f"}})
    assert (forced.segments[0].text, forced.segments[0].fixed_tokens) == ("f", 281 + 16 + 3)
    assert _read({**body, "tool_choice": {"type": "any"}}).segments[0].fixed_tokens == 297
    # Sonnet 4.5 and Haiku 4.5: 346 documented, 150 more measured.
    assert _read({**body, "model": "claude-haiku-4-5"}).segments[0].fixed_tokens == 496
    # An empty description is left out of the rendering.
    assert auto.segments[1].text == '{"name": "f", "input_schema": {"type": "object"}}'
    generation = generation_of("claude-3-opus")
    # "hi" is 1 word, the rendered tool 5.
    assert _total(auto) == 1 + generation.frame + 530 + generation.tool_definition + 5


def test_deferred_and_server_tools_are_not_rendered() -> None:
    request = _read({"model": "claude-sonnet-4-6", "max_tokens": 5, "tools": [
        {"name": "late", "defer_loading": True, "input_schema": {"type": "object"}},
        {"type": "tool_search_tool_regex_20251119", "name": "tool_search"}],
        "messages": [{"role": "user", "content": "hi"}]})
    late, search = request.segments[1:3]
    assert (late.text, late.fixed_tokens, late.estimate) == ("", 0, NOT_ESTIMABLE_ESTIMATE)
    assert (search.text, search.estimate) == (
        "tool_search",
        server_input_estimate("tool search results and the definitions they load"))


def test_thinking_adds_its_hidden_prompt() -> None:
    body = {"model": "claude-sonnet-4-6", "max_tokens": 5,
            "messages": [{"role": "user", "content": "hi"}]}
    plain = _total(_read(body))
    assert _total(_read({**body, "thinking": {"type": "enabled", "budget_tokens": 1024}})) \
        == plain + 29
    assert _total(_read({**body, "thinking": {"type": "adaptive"}})) == plain + 17
    assert _total(_read({**body, "thinking": {"type": "disabled"}})) == plain


def test_adaptive_thinking_and_task_budget_by_generation() -> None:
    body = {"max_tokens": 5, "thinking": {"type": "adaptive"},
            "messages": [{"role": "user", "content": "hi"}]}
    # Opus 4.8 / Sonnet 5 bill nothing for adaptive thinking; Opus 4.7 bills its task budget.
    assert _total(_read({**body, "model": "claude-sonnet-5"})) == 1 + 6
    budget = {"task_budget": {"total": 20000, "type": "tokens"}, "effort": "high"}
    assert _total(_read({**body, "model": "claude-opus-4-7", "output_config": budget})) \
        == 1 + 11 + 35
    assert _total(_read({**body, "model": "claude-opus-4-7",
                         "output_config": {"effort": "xhigh"}})) == 1 + 11


def _thinking_history(last: dict[str, Any]) -> Request:
    return _read({"model": "claude-sonnet-4-5", "max_tokens": 5,
                  "thinking": {"type": "enabled", "budget_tokens": 1024}, "messages": [
                      {"role": "user", "content": "weather?"},
                      {"role": "assistant", "content": [
                          {"type": "thinking", "thinking": "call the tool", "signature": "s"},
                          {"type": "tool_use", "id": "t1", "name": "w", "input": {}}]},
                      last]})


def test_thinking_of_earlier_turns_is_stripped_but_kept_in_the_tool_loop() -> None:
    in_loop = _thinking_history({"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "t1", "content": "sunny"}]})
    thinking = in_loop.segments[3]
    assert (thinking.path, thinking.text) == ("$.messages[1].content[0]", "call the tool")
    later = _thinking_history({"role": "user", "content": "thanks"})
    stripped = later.segments[3]
    assert (stripped.kind, stripped.text, stripped.fixed_tokens) == (K.OTHER, "", 0)
    assert not stripped.estimated


def test_structured_output_is_the_indented_schema_plus_its_constant() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    for field, body in (
            ("$.output_format", {"output_format": {"type": "json_schema", "schema": schema}}),
            ("$.output_config.format",
             {"output_config": {"format": {"type": "json_schema", "schema": schema}}})):
        request = _read({"model": "claude-sonnet-4-5", "max_tokens": 5, **body,
                         "messages": [{"role": "user", "content": "hi"}]})
        response_format = request.segments[0]
        assert (response_format.kind, response_format.path) == (K.RESPONSE_FORMAT, field)
        assert response_format.text == json.dumps(schema, indent=2)
        assert response_format.fixed_tokens == 82


def test_a_mid_conversation_system_message_has_no_marker() -> None:
    request = _read({"model": "claude-sonnet-5", "max_tokens": 5, "messages": [
        {"role": "user", "content": "a"}, {"role": "system", "content": "b"},
        {"role": "user", "content": "c"}]})
    frames = [(segment.role, segment.fixed_tokens) for segment in request.segments
              if segment.kind is K.MESSAGE_FRAME]
    # The second user message's separator closes the turn the system message joined.
    assert frames == [("user", 3), ("system", 0), ("user", 3 - TURN_SEPARATOR)]
    assert _total(request) == 3 + 6 + 3


def test_text_documents() -> None:
    # PDFs: tests/anthropic/test_media_documents.py.
    request = _read({"model": "claude-haiku-4-5", "max_tokens": 5, "messages": [
        {"role": "user", "content": [
            {"type": "document", "source": {"type": "text", "media_type": "text/plain",
                                            "data": "plain words"}}]}]})
    text_block = request.segments[1]
    # The text document ends the turn: it carries the separator before the reply.
    assert (text_block.text, text_block.fixed_tokens) == ("plain words", 37 + TURN_SEPARATOR)


def test_the_pipeline_count_is_the_text_plus_the_structural_constants() -> None:
    """Whatever tokenizer the catalogue names for the model, the count is that tokenizer's
    count of each segment's text plus the rules: documented prompt, measured differences."""
    request = _read(_fixture("agent_turn.json"))
    prompts = PromptCounter()
    counted = prompts.count(request)
    counter = prompts.counter_for(counted.facts.encoding)
    text = sum(counter.count(segment.text) for segment in request.segments)
    generation = generation_of("claude-sonnet-4-5")
    structure = (346 + generation.tools_auto  # documented tool prompt, measured difference
                 + 2 * generation.tool_definition
                 + generation.system  # the system prompt's blocks: nothing beyond the text
                 + 3 * generation.per_message + (generation.frame - generation.per_message)
                 + generation.tool_use + generation.tool_result)
    assert counted.prompt_tokens == text + structure == text + 496 + 8 + 0 + 9 + 4 + 51


def test_audit_reads_an_anthropic_log(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "calls.jsonl"
    log.write_text(json.dumps(_fixture("agent_turn.json")) + "\n", encoding="utf-8")
    status = main(["audit", "--isolated", "-q", "-f", "json", str(log)])
    report = json.loads(capsys.readouterr().out)
    assert status == 0
    assert report["errors"] == []
    [request] = report["requests"]
    assert (request["model"], request["observed_prompt_tokens"],
            request["observed_cached_tokens"]) == ("claude-sonnet-4-5", 705, 580)
    assert request["estimated"] is True
    assert "Claude tool definitions: rendering fitted on recorded usage" in request[
        "estimate_reasons"]
    # The figure shown is the recorded usage, said so; the body's estimate is calibration's.
    assert OWN_USAGE in request["estimate_reasons"]
    assert request["bounds"] == {"low": 705, "high": 705}
    assert request["prompt_tokens"] == 705


# -- where a breakpoint's prefix ends ------------------------------------------------------


def _tail(request: Request, count: Callable[[str], int] = _words) -> int:
    """Tokens after the last breakpoint's block: what the provider bills as input_tokens."""
    last = max(index for index, segment in enumerate(request.segments) if segment.breakpoint)
    return sum(segment.fixed_tokens + count(segment.text)
               for segment in request.segments[last + 1:])


def _marked(text: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": text, "cache_control": {"type": "ephemeral"}}]


def test_the_separator_closing_a_turn_is_cached_with_it() -> None:
    """The breakpoint's prefix takes the token that closes its turn; the total stays."""
    question = {"model": "claude-sonnet-4-5", "max_tokens": 5, "system": "be kind",
                "messages": [{"role": "user", "content": _marked("two words")}]}
    request = _read(question)
    assert _total(request) == 2 + 2 + 7
    # On the last message: the reply's 4 less the separator (recorded: 3 uncached).
    assert _tail(request) == 3
    assert _tail(_read({**question, "model": "claude-sonnet-5"})) == 2
    # On the system prompt: the question's frame less the separator, its text and its own
    # separator, the reply.
    on_system = _read({**question, "system": _marked("be kind"),
                       "messages": [{"role": "user", "content": "two words"}]})
    assert _tail(on_system) == 2 + 2 + 1 + 3
    assert _total(on_system) == _total(request)


def test_the_write_a_breakpoint_makes_ends_after_the_separator() -> None:
    request = _read({"model": "claude-sonnet-4-5", "max_tokens": 5, "system": "be kind",
                     "messages": [{"role": "user", "content": _marked("What is my task?")}]})
    counted = PromptCounter().count(request)
    [marked] = [block for block in prompt_blocks(request.segments, counted.segment_tokens,
                                                 request.settings) if block.breakpoint]
    assert counted.prompt_tokens - marked.end == 3


def test_a_prefill_is_not_closed_and_earlier_turns_keep_their_blocks() -> None:
    first = _read({"model": "claude-sonnet-4-5", "max_tokens": 5,
                   "messages": [{"role": "user", "content": _marked("a b")}]})
    later = _read({"model": "claude-sonnet-4-5", "max_tokens": 5, "messages": [
        {"role": "user", "content": _marked("a b")}, {"role": "assistant", "content": "c"},
        {"role": "user", "content": "d"}]})
    # The first question's block is the same segment whichever turn follows it: the cache
    # model finds the prefix it wrote.
    assert first.segments[1] == later.segments[1]
    assert first.segments[1].fixed_tokens == TURN_SEPARATOR
    prefill = _read({"model": "claude-sonnet-4-5", "max_tokens": 5, "messages": [
        {"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]})
    answer = prefill.segments[-2]
    assert (answer.text, answer.fixed_tokens) == ("b", 0)
    assert _total(prefill) == 2 + 7


# -- Claude Code's billing header ----------------------------------------------------------


def _billing(cch: str) -> dict[str, Any]:
    return {"type": "text",
            "text": f"x-anthropic-billing-header: cc_version=2.1.113.92d; cc_entrypoint=sdk-ts; "
                    f"cch={cch};"}


def _agent_sdk_body(question: str, first: dict[str, Any] | None,
                    policy: str = POLICY) -> dict[str, Any]:
    system = [{"type": "text", "text": "You are a Claude agent, built on Anthropic's SDK."},
              {"type": "text", "text": policy, "cache_control": {"type": "ephemeral"}}]
    return {"model": "claude-sonnet-4-6", "max_tokens": 512,
            "system": [first, *system] if first else system,
            "messages": [{"role": "user", "content": question}]}


def test_the_billing_header_is_not_part_of_the_prompt() -> None:
    """The API reads Claude Code's first system block as metadata: no segment, no token,
    and the block after it keeps its own path."""
    billed = _read(_agent_sdk_body("Where is my parcel?", _billing("0fec7")))
    plain = _read(_agent_sdk_body("Where is my parcel?", None))
    assert [s.path for s in billed.segments if s.role == "system"] == [
        "$.system", "$.system[1]", "$.system[2]"]
    assert _total(billed) == _total(plain)
    counter = PromptCounter()
    assert counter.count(billed).prompt_tokens == counter.count(plain).prompt_tokens
    # A system holding the header alone is no system prompt: v4.8's +1 is not added.
    alone = _read({"model": "claude-sonnet-5", "max_tokens": 5, "system": [_billing("aeff9")],
                   "messages": [{"role": "user", "content": "two words"}]})
    assert _total(alone) == 2 + 6


@pytest.mark.parametrize("system", [
    [{"type": "text", "text": "Rules first."}, _billing("0fec7")],  # not first
    [{"type": "text", "text": _billing("0fec7")["text"] + "\nYou are helpful."}],  # not alone
    _billing("0fec7")["text"],  # a string system is the prompt itself
])
def test_only_a_first_block_holding_the_header_alone_is_left_out(system: Any) -> None:
    request = _read({"model": "claude-sonnet-4-6", "max_tokens": 5, "system": system,
                     "messages": [{"role": "user", "content": "hi"}]})
    text = "".join(segment.text for segment in request.segments)
    assert "x-anthropic-billing-header" in text


def test_rules_do_not_flag_the_billing_headers_changing_value(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hashes = ("0fec7", "aeff9", "0b6c7", "d456a")
    billed = [_agent_sdk_body(asked, _billing(cch))
              for cch, asked in zip(hashes, QUESTIONS, strict=True)]
    assert _findings(tmp_path, capsys, billed) == []
    # The twin: the same changing value inside the prompt is flagged.
    inside = [_agent_sdk_body(asked, None, policy=f"Session 2.1.113.{cch}\n\n{POLICY}")
              for cch, asked in zip(hashes, QUESTIONS, strict=True)]
    found = _findings(tmp_path, capsys, inside)
    assert [code for code, _line, _path in found] == ["PC101", "PC501"]


def _deferred_history(model: str) -> Request:
    return _read({"model": model, "max_tokens": 5, "tools": [
        {"name": "late", "defer_loading": True, "input_schema": {"type": "object"}}],
        "messages": [
            {"role": "user", "content": "find a tool"},
            {"role": "assistant", "content": [
                {"type": "tool_use", "id": "t1", "name": "search_tools", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1",
                                          "content": [{"type": "tool_reference",
                                                       "tool_name": "late"}]}]}]})


def test_a_deferred_tool_loaded_by_a_search_is_rendered() -> None:
    loaded = _deferred_history("claude-haiku-4-5").segments[1]
    assert loaded.text == '{"name": "late", "input_schema": {"type": "object"}}'
    assert loaded.estimate != NOT_ESTIMABLE_ESTIMATE
    # Sonnet 4.6 bills a loaded deferred tool as before it was loaded.
    assert _deferred_history("claude-sonnet-4-6").segments[1].text == ""


# -- the shared recordings -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["anthropic-cassettes.jsonl", "anthropic-more.jsonl"])
def test_every_shared_record_is_read(name: str) -> None:
    path = shared_data(name)
    problems = []
    read = 0
    for raw in read_records([str(path)]):
        assert not isinstance(raw, LoadError)
        result = normalize_record(raw)
        if isinstance(result, LoadError):
            problems.append(f"{result.location}: {result.message}")
        else:
            read += 1
            assert result.api == "anthropic.messages"
    assert problems == []
    assert read == {"anthropic-cassettes.jsonl": 305, "anthropic-more.jsonl": 956}[name]

