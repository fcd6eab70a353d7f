"""Tool-call history in Chat Completions: assistant ``tool_calls``, ``tool`` results, parallel
calls, as the API renders them (see ``promptcache.normalize.openai_chat``).

Every request here is written by hand; the recorded evidence for each rule is cited beside the
rule in the normalizer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from promptcache.catalog import facts_for
from promptcache.cli.main import main
from promptcache.model import Segment, SegmentKind
from promptcache.normalize.openai_chat import chat_segments
from promptcache.tokens.counter import TokenCounter

_o200k = TokenCounter("o200k_base")
FAMILIES = [pytest.param("gpt-4o-mini", id="4o"), pytest.param("gpt-4", id="cl100k"),
            pytest.param("gpt-5-mini", id="reasoning")]


def _segments(body: Mapping[str, Any]) -> tuple[Segment, ...]:
    return chat_segments(body, "$", facts_for(str(body.get("model", ""))))


def _count(body: Mapping[str, Any]) -> int:
    counter = TokenCounter(facts_for(str(body["model"])).encoding)
    return sum(segment.fixed_tokens + counter.count(segment.text)
               for segment in _segments(body))


def _call(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function",
            "function": {"name": name, "arguments": arguments}}


def _conversation(model: str, arguments: str, **assistant: Any) -> dict[str, Any]:
    return {"model": model, "messages": [
        {"role": "user", "content": "Weather in Oslo for three days?"},
        {"role": "assistant", "content": None,
         "tool_calls": [_call("c1", "get_forecast", arguments)], **assistant},
        {"role": "tool", "tool_call_id": "c1", "content": "Rain, then sun."}]}


def _call_segment(body: Mapping[str, Any]) -> Segment:
    return next(s for s in _segments(body) if s.kind is SegmentKind.TOOL_CALL)


# --------------------------------------------------------------------------------------------
# A call's arguments
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", FAMILIES)
@pytest.mark.parametrize(("sent", "rendered"), [
    pytest.param('{"city": "Oslo", "days": 3}', '{"city":"Oslo","days":3}', id="spaced"),
    pytest.param('{\n  "city": "Oslo",\n  "days": 3\n}', '{"city":"Oslo","days":3}',
                 id="pretty-printed"),
    pytest.param('{"days": 3, "city": "Oslo"}', '{"days":3,"city":"Oslo"}',
                 id="key-order-kept"),
    pytest.param('{"tags": [1, 2.5, null, true]}', '{"tags":[1,2.5,null,true]}', id="values"),
])
def test_call_arguments_are_counted_as_compact_json(model: str, sent: str,
                                                    rendered: str) -> None:
    call = _call_segment(_conversation(model, sent))
    assert call.text == rendered
    assert not call.estimated
    assert _count(_conversation(model, sent)) == _count(_conversation(model, rendered))


def test_spacing_of_call_arguments_does_not_change_the_count() -> None:
    pretty = _count(_conversation("gpt-4o", '{\n  "city": "Oslo",\n  "days": 3\n}'))
    compact = _count(_conversation("gpt-4o", '{"city":"Oslo","days":3}'))
    # 4o: user 4 + 9, call 4 + 1 + " to=functions.get_forecast" (5) + 9, result 4 + 1 +
    # "get_forecast" (2) + 6, priming 3.
    assert (pretty, compact) == (48, 48)


def test_call_arguments_that_are_not_json_are_counted_as_sent() -> None:
    call = _call_segment(_conversation("gpt-4o", "15 * 4"))
    assert (call.text, call.estimated) == ("15 * 4", False)


def test_non_ascii_call_arguments_are_marked_estimated() -> None:
    # Whether the API escapes them is shown by no recorded call: the count says it is unsure.
    for sent in ('{"city": "Tromsø"}', '{"city": "Troms\\u00f8"}'):
        call = _call_segment(_conversation("gpt-4o", sent))
        assert (call.text, call.estimated) == ('{"city":"Tromsø"}', True)


def test_a_custom_tool_call_is_counted_as_sent_and_marked_estimated() -> None:
    body = _conversation("gpt-4o", "{}")
    body["messages"][1]["tool_calls"] = [
        {"id": "c1", "type": "custom", "custom": {"name": "run_sql", "input": '{"q": 1}'}}]
    call = _call_segment(body)
    assert (call.key, call.text, call.estimated) == ("run_sql", '{"q": 1}', True)


# --------------------------------------------------------------------------------------------
# The assistant message around the call
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("content", "texts"), [
    pytest.param(None, [" to=functions.get_forecast"], id="content-null"),
    pytest.param("", [" to=functions.get_forecast"], id="content-empty"),
    pytest.param("Checking.", ["", "Checking.", " to=functions.get_forecast"], id="with-text"),
])
def test_text_beside_a_call_is_a_message_of_its_own(content: str | None,
                                                     texts: list[str]) -> None:
    body = _conversation("gpt-4o", "{}")
    body["messages"][1]["content"] = content
    assistant = [s for s in _segments(body) if s.path.startswith("$.messages[1]")
                 and s.kind in (SegmentKind.MESSAGE_FRAME, SegmentKind.TEXT)]
    assert [s.text for s in assistant] == texts


@pytest.mark.parametrize("model", FAMILIES)
def test_a_named_assistant_pays_for_its_name_on_a_call(model: str) -> None:
    named = _conversation(model, "{}", name="ann")
    frame = next(s for s in _segments(named) if s.path == "$.messages[1]")
    assert frame.text == "ann to=functions.get_forecast"
    counter = TokenCounter(facts_for(model).encoding)
    assert _count(named) - _count(_conversation(model, "{}")) == counter.count("ann")


def test_a_result_is_named_after_its_call_and_a_legacy_function_message_after_itself() -> None:
    body = {"model": "gpt-4o", "messages": [
        {"role": "assistant", "content": None,
         "function_call": {"name": "get_forecast", "arguments": '{"city": "Oslo"}'}},
        {"role": "function", "name": "get_forecast", "content": "Rain."},
        {"role": "assistant", "content": None,
         "tool_calls": [_call("c9", "get_tides", "{}")]},
        {"role": "tool", "tool_call_id": "c9", "name": "ignored", "content": "Low at 4."}]}
    frames = [(s.text, s.fixed_tokens) for s in _segments(body)
              if s.kind is SegmentKind.MESSAGE_FRAME]
    assert frames == [(" to=functions.get_forecast", 5), ("get_forecast", 5),
                      (" to=functions.get_tides", 5), ("get_tides", 5)]
    assert _call_segment(body).text == '{"city":"Oslo"}'


# --------------------------------------------------------------------------------------------
# Parallel calls
# --------------------------------------------------------------------------------------------


def _parallel(model: str, *outputs: str) -> dict[str, Any]:
    return {"model": model, "messages": [
        {"role": "user", "content": "Weather and tides in Oslo?"},
        {"role": "assistant", "content": None, "tool_calls": [
            _call("a", "get_forecast", '{"city": "Oslo"}'),
            _call("b", "get_tides", '{\n  "port": "Oslo"\n}')]},
        *({"role": "tool", "tool_call_id": call_id, "content": output}
          for call_id, output in zip("ab", outputs, strict=True))]}


@pytest.mark.parametrize("model", FAMILIES)
def test_parallel_calls_are_one_compact_wrapper_call(model: str) -> None:
    segments = _segments(_parallel(model, "Rain.", "Low at 4."))
    frame = next(s for s in segments if s.path == "$.messages[1]")
    assert frame.text == " to=multi_tool_use.parallel"
    assert _call_segment(_parallel(model, "Rain.", "Low at 4.")).text == (
        '{"tool_uses":[{"recipient_name":"functions.get_forecast","parameters":{"city":"Oslo"}},'
        '{"recipient_name":"functions.get_tides","parameters":{"port":"Oslo"}}]}')


@pytest.mark.parametrize("model", FAMILIES)
def test_parallel_results_that_are_json_are_listed_as_json(model: str) -> None:
    body = _parallel(model, '{\n  "sky": "rain",\n  "temp_c": 4\n}', "Low at 4, h\u00f8y at 10.")
    results = [s.text for s in _segments(body) if s.role == "tool"]
    assert results == ["multi_tool_use.parallel", '[{"sky": "rain", "temp_c": 4},',
                       ' "Low at 4, h\\u00f8y at 10."]']


def test_a_re_sent_call_with_other_spacing_is_still_a_cache_hit(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    system = ("You are the forecasting assistant of Example Air. " * 120).strip()

    def turn(arguments: str, *more: dict[str, Any]) -> dict[str, Any]:
        body = _conversation("gpt-4o", arguments)
        body["messages"][:0] = [{"role": "system", "content": system}]
        body["messages"].extend(more)
        return body

    log = tmp_path / "log.jsonl"
    log.write_text(json.dumps(turn('{"city":"Oslo","days":3}')) + "\n" + json.dumps(
        turn('{"city": "Oslo", "days": 3}', {"role": "assistant", "content": "Rain."},
             {"role": "user", "content": "Thanks"})) + "\n", "utf-8")
    assert main(["diff", "--no-snippets", f"{log}:1", f"{log}:2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[2].startswith("the later request extends the earlier one: the whole earlier "
                             "prompt up to its reply, ")
    assert "breaks" not in "\n".join(out)
