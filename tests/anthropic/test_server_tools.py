"""Anthropic-defined tools, MCP servers and context management: the definitions the table
prices, the lower bounds naming what the server adds (in the JSON report too), what context
management removes, and the table's measured row against its held-out check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from promptcache.cli.main import main
from promptcache.estimates import (
    CONTEXT_CLEARING_ESTIMATE,
    DOCUMENTED_TOOL_ESTIMATE,
    certainty,
    server_input_estimate,
)
from promptcache.load.records import normalize_record
from promptcache.load.sources import RawRecord
from promptcache.model import Location, Request, SegmentKind
from promptcache.tokens.anthropic_server_tools import DEFINITIONS
from promptcache.tokens.counting import PromptCounter
from tests.conftest import SHARED_DATA, bench_script

CODE_EXECUTION = {"type": "code_execution_20260120", "name": "code_execution"}
QUESTION = {"role": "user", "content": "What is 2 to the power of 10?"}


def _read(body: dict[str, Any]) -> Request:
    request = normalize_record(RawRecord(Location("log.jsonl", 1), {"request": body}))
    assert isinstance(request, Request), request
    return request


def _count(body: dict[str, Any]) -> int:
    return PromptCounter().count(_read(body)).prompt_tokens


def _body(model: str, *tools: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"model": model, "max_tokens": 64, "tools": list(tools), "messages": [QUESTION],
            **extra}


def test_code_execution_costs_its_row_on_the_generations_measured() -> None:
    # "What is 2 to the power of 10?" is 12 tokens, "code_execution" 3; frame 7; the tool
    # prompt 346 + 151 on Sonnet 4.6; the definition 4,144.
    assert _count(_body("claude-sonnet-4-6", CODE_EXECUTION)) == 12 + 7 + 497 + 3 + 4144
    assert _count(_body("claude-sonnet-4-6", CODE_EXECUTION)) == 4663
    # Haiku 4.5 (tool prompt 346 + 150) with the later version: the same row.
    later = {"type": "code_execution_20260521", "name": "code_execution"}
    assert _count(_body("claude-haiku-4-5", later)) == 12 + 7 + 496 + 3 + 4144


def test_a_generation_without_a_row_counts_the_name_alone() -> None:
    # Sonnet 4 (tool prompt 346 - 32) has no measured figure for code execution.
    assert _count(_body("claude-sonnet-4-0", CODE_EXECUTION)) == 12 + 7 + 314 + 3


def test_the_documented_bash_tool_is_bounded_not_a_lower_bound() -> None:
    body = _body("claude-sonnet-4-5", {"type": "bash_20250124", "name": "bash"})
    request = _read(body)
    counted = PromptCounter().count(request)
    tool = request.segments[1]
    assert (tool.fixed_tokens, tool.estimate) == (245, DOCUMENTED_TOOL_ESTIMATE)
    assert counted.prompt_tokens == 12 + 7 + 496 + 1 + 245  # "bash" is 1 token
    found = certainty(counted)
    assert found.high is not None
    assert found.low is not None
    assert found.low < counted.prompt_tokens < found.high


@pytest.mark.parametrize(("tool", "adds"), [
    ({"type": "web_search_20250305", "name": "web_search"},
     "web search results the server fetches"),
    ({"type": "web_fetch_20250910", "name": "web_fetch"}, "pages the server fetches"),
    (CODE_EXECUTION, "code execution output and container files"),
    ({"type": "tool_search_tool_bm25_20251119", "name": "tool_search"},
     "tool search results and the definitions they load"),
    ({"type": "computer_20250124", "name": "computer", "display_width_px": 1024,
      "display_height_px": 768}, "the computer-use tool's definition and system prompt"),
    ({"type": "memory_20250818", "name": "memory"}, "the memory tool's definition"),
])
def test_server_tools_are_lower_bounds_naming_what_the_server_adds(
        tool: dict[str, Any], adds: str) -> None:
    counted = PromptCounter().count(_read(_body("claude-sonnet-4-6", tool)))
    found = certainty(counted)
    assert found.reasons == (server_input_estimate(adds).reason,)
    assert (found.low, found.high) == (counted.prompt_tokens, None)


def test_the_json_report_marks_server_input_a_lower_bound(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = _body("claude-sonnet-4-6", CODE_EXECUTION,
                 mcp_servers=[{"type": "url", "url": "https://mcp.example/sse", "name": "x"}])
    log = tmp_path / "calls.jsonl"
    log.write_text(json.dumps({"request": body}) + "\n", encoding="utf-8")
    status = main(["audit", "--isolated", "-q", "-f", "json", str(log)])
    report = json.loads(capsys.readouterr().out)
    assert status == 0
    [row] = report["requests"]
    assert (row["exact"], row["estimated"]) == (False, True)
    assert row["estimate_reasons"] == [
        "not estimable offline, lower bound only: code execution output and container files",
        "not estimable offline, lower bound only: MCP servers' tool lists the server fetches"]
    assert row["prompt_tokens"] == 4663
    assert row["bounds"] == {"low": 4663, "high": None}


# -- context management ------------------------------------------------------------------

_LONG = "The quick brown fox jumps over the lazy dog. " * 50
_SUMMARY = "The user shared a long text and asked for a greeting."


def _compacted(edits: list[dict[str, Any]]) -> dict[str, Any]:
    return {"model": "claude-sonnet-4-6", "max_tokens": 64,
            "context_management": {"edits": edits},
            "messages": [{"role": "user", "content": _LONG},
                         {"role": "assistant", "content": [
                             {"type": "compaction", "content": _SUMMARY},
                             {"type": "text", "text": "Hello!"}]},
                         {"role": "user", "content": "What did I ask?"}]}


def test_blocks_before_a_compaction_block_are_dropped() -> None:
    body = _compacted([{"type": "compact_20260112"}])
    request = _read(body)
    assert not any(segment.path.startswith("$.request.messages[0]")
                   for segment in request.segments)
    # The count is the same body without the dropped message.
    rest = {**body, "messages": body["messages"][1:]}
    assert _count(body) == _count(rest)
    # The compaction strategy may run a summarizing pass first: a lower bound.
    found = certainty(PromptCounter().count(request))
    assert server_input_estimate(
        "a compaction pass when the input exceeds its trigger").reason in found.reasons
    assert found.high is None


def _thinking_history(edits: list[dict[str, Any]] | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": "claude-sonnet-4-6", "max_tokens": 64, "thinking": {"type": "adaptive"},
        "messages": [
            {"role": "user", "content": "Plan a trip."},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "Paris or Rome, both are lovely.",
                 "signature": "c2ln"},
                {"type": "text", "text": "Paris."}]},
            {"role": "user", "content": "Why?"}]}
    if edits is not None:
        body["context_management"] = {"edits": edits}
    return body


def test_clear_thinking_keeping_all_turns_keeps_earlier_thinking() -> None:
    stripped = _count(_thinking_history(None))
    kept = _count(_thinking_history([{"type": "clear_thinking_20251015", "keep": "all"}]))
    # "Paris or Rome, both are lovely." is 8 tokens: counted only when every turn is kept.
    assert kept - stripped == 8
    one_turn = [{"type": "clear_thinking_20251015",
                 "keep": {"type": "thinking_turns", "value": 1}}]
    assert _count(_thinking_history(one_turn)) == kept
    none = [{"type": "clear_thinking_20251015", "keep": {"type": "thinking_turns", "value": 0}}]
    assert _count(_thinking_history(none)) == stripped
    # A clearing strategy removes what it removes: nothing estimated for it.
    request = _read(_thinking_history([{"type": "clear_thinking_20251015", "keep": "all"}]))
    assert not any(segment.key == "context_management" for segment in request.segments)


def _tool_loop(uses: int, edits: list[dict[str, Any]]) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [{"role": "user", "content": "Check the weather."}]
    for index in range(uses):
        messages.append({"role": "assistant", "content": [
            {"type": "tool_use", "id": f"t{index}", "name": "weather",
             "input": {"city": f"c{index}"}}]})
        messages.append({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": f"t{index}", "content": "sunny, 21C"}]})
    return {"model": "claude-sonnet-4-6", "max_tokens": 64,
            "tools": [{"name": "weather", "input_schema": {"type": "object"}}],
            "context_management": {"edits": edits}, "messages": messages}


def test_clear_tool_uses_marks_the_results_it_may_clear() -> None:
    body = _tool_loop(5, [{"type": "clear_tool_uses_20250919"}])
    request = _read(body)
    cleared = [segment.path for segment in request.segments
               if segment.estimate == CONTEXT_CLEARING_ESTIMATE]
    # Five uses, the last three kept (the documented default).
    assert cleared == ["$.request.messages[2].content[0]", "$.request.messages[4].content[0]"]
    counted = PromptCounter().count(request)
    tokens = dict(zip((segment.path for segment in request.segments), counted.segment_tokens,
                      strict=True))
    found = certainty(counted)
    # Below its trigger nothing is cleared; above, at most the marked results: the count is
    # the most, less the tool definitions' and calls' fitted margins.
    assert found.low is not None
    assert found.high is not None
    assert found.low <= counted.prompt_tokens - sum(tokens[path] for path in cleared)
    excluded = _tool_loop(5, [{"type": "clear_tool_uses_20250919",
                               "keep": {"type": "tool_uses", "value": 1},
                               "exclude_tools": ["weather"]}])
    assert not any(segment.estimate == CONTEXT_CLEARING_ESTIMATE
                   for segment in _read(excluded).segments)
    kept_one = _tool_loop(5, [{"type": "clear_tool_uses_20250919",
                               "keep": {"type": "tool_uses", "value": 1},
                               "clear_tool_inputs": True}])
    marked = [segment for segment in _read(kept_one).segments
              if segment.estimate == CONTEXT_CLEARING_ESTIMATE]
    assert [segment.kind for segment in marked] == [SegmentKind.TOOL_CALL, SegmentKind.TEXT] * 4


def test_an_unmodelled_strategy_is_not_estimable() -> None:
    body = _compacted([{"type": "clear_everything_20990101"}])
    assert certainty(PromptCounter().count(_read(body))).high is None


# -- the table against the recordings ------------------------------------------------------


def test_the_measured_row_is_its_fit_and_holds_out_of_sample() -> None:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} is absent: the shared reference data is not beside this "
                    "clone")
    bench = bench_script("anthropic_server_tools")
    records = list(bench.priced_records(SHARED_DATA))
    [row] = [row for row in DEFINITIONS if row.measured]
    # The table's figure is the bench's fit, not a number of its own.
    assert bench.fit(records) == row.tokens
    held_out = {}
    for project in {record.project for record in records}:
        own = [record for record in records if record.project == project]
        refit = bench.fit([record for record in records if record.project != project])
        held_out[project] = (sum(record.within(refit) for record in own), len(own))
    # docs/claude-token-counts.md: pydantic-ai's 7 misses are responses where the server ran
    # code or histories with uploaded files, lower bounds.
    assert held_out == {"crmne/ruby_llm": (1, 1), "pydantic/pydantic-ai": (8, 15)}
