"""What a function call history costs in a Responses request on gpt-4o / gpt-4.1 (and a turn of
parallel calls on gpt-5.4), and how a message's text parts are tokenized. Every request here
is written by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from promptcache.catalog import facts_for
from promptcache.cli.main import main
from promptcache.model import Segment, SegmentKind
from promptcache.normalize.openai_responses import responses_segments
from promptcache.tokens.counter import TokenCounter

from .test_responses_rendering import TIME, WEATHER

_counter = TokenCounter("o200k_base", persistent=False)

ASK = {"role": "user", "content": "Is it raining in Lyon, and what time is it there?"}


def _call(call_id: str, name: str, *, echoed: bool) -> dict[str, Any]:
    """A function call item; ``echoed`` adds what the API returned it with (id, status)."""
    call = {"type": "function_call", "call_id": call_id, "name": name,
            "arguments": '{"city":"Lyon"}'}
    return {**call, "id": f"fc_{call_id}", "status": "completed"} if echoed else call


def _output(call_id: str, text: str) -> dict[str, Any]:
    return {"type": "function_call_output", "call_id": call_id, "output": text}


def _segments(body: dict[str, Any]) -> tuple[Segment, ...]:
    return responses_segments(body, "$", facts_for(str(body["model"])))


def _count(body: dict[str, Any]) -> int:
    return sum(s.fixed_tokens + _counter.count(s.text) for s in _segments(body))


def _extra(echoed: dict[str, Any], plain: dict[str, Any]) -> int:
    return _count(echoed) - _count(plain)


def _single_call_history(*, echoed: bool, model: str = "gpt-4o") -> dict[str, Any]:
    return {"model": model, "tools": [WEATHER],
            "input": [ASK, _call("c1", "get_weather", echoed=echoed),
                      _output("c1", "Light rain, 12 C")]}


# --------------------------------------------------------------------------------------------
# Echoed function calls
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-nano"])
def test_a_call_echoed_with_its_id_and_status_costs_three_more(model: str) -> None:
    assert _extra(_single_call_history(echoed=True, model=model),
                  _single_call_history(echoed=False, model=model)) == 3


def test_the_audit_reports_an_echoed_history_three_tokens_above_the_same_calls_unechoed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    records = [{"request": _single_call_history(echoed=echoed)} for echoed in (False, True)]
    (tmp_path / "log.jsonl").write_text(
        "".join(json.dumps(record) + "\n" for record in records), "utf-8")
    main(["audit", "--isolated", "--format", "json", "log.jsonl"])
    report = json.loads(capsys.readouterr().out)
    plain, echoed = (request["prompt_tokens"] for request in report["requests"])
    assert echoed == plain + 3
    assert [request["exact"] for request in report["requests"]] == [True, True]


def test_the_extra_is_on_the_call_message_frame() -> None:
    frames = [s for s in _segments(_single_call_history(echoed=True))
              if s.kind is SegmentKind.MESSAGE_FRAME and s.path == "$.input[1]"]
    assert [(s.text, s.fixed_tokens) for s in frames] == [(" to=functions.get_weather", 7)]


def test_only_a_stored_echo_costs_more_not_store_false_nor_a_call_without_status() -> None:
    plain = _single_call_history(echoed=False)
    echoed = _single_call_history(echoed=True)
    call = {key: value for key, value in _call("c1", "get_weather", echoed=True).items()
            if key != "status"}
    without_status = {**plain, "input": [ASK, call, _output("c1", "Light rain, 12 C")]}
    assert [_extra(echoed, plain), _extra({**echoed, "store": False}, plain),
            _extra(without_status, plain)] == [3, 0, 0]


def _history(turns: list[list[str]], *, echoed: bool) -> dict[str, Any]:
    """A conversation whose turns each call the functions named (call ids c1, c2, ...)."""
    items: list[dict[str, Any]] = [ASK]
    for turn in turns:
        ids = [f"c{len(items) + offset}" for offset in range(len(turn))]
        items += [_call(call_id, name, echoed=echoed)
                  for call_id, name in zip(ids, turn, strict=True)]
        items += [_output(call_id, "done") for call_id in ids]
    return {"model": "gpt-4.1", "tools": [WEATHER, TIME], "input": items}


@pytest.mark.parametrize(("turns", "extra"), [
    pytest.param([["get_weather"], ["get_time"]], 6, id="two-single-call-turns"),
    pytest.param([["get_weather", "get_time"], ["get_time"]], 3, id="a-parallel-turn-then-one"),
])
def test_each_echoed_single_call_turn_costs_three_more_calls_made_together_nothing(
        turns: list[list[str]], extra: int) -> None:
    assert _extra(_history(turns, echoed=True), _history(turns, echoed=False)) == extra


def test_the_echo_extra_is_a_gpt_4o_family_cost_harmony_models_bill_nothing() -> None:
    extras = [_extra(_single_call_history(echoed=True, model=model),
                     _single_call_history(echoed=False, model=model))
              for model in ("gpt-4o", "gpt-5")]
    assert extras == [3, 0]


# --------------------------------------------------------------------------------------------
# Text parts
# --------------------------------------------------------------------------------------------

FIRST, SECOND = "Name a bird that cannot fly.", "Now say where it lives."


def _message(content: object, model: str = "gpt-4.1") -> dict[str, Any]:
    return {"model": model, "input": [{"role": "user", "content": content}]}


@pytest.mark.parametrize("model", ["gpt-4.1", "gpt-4o-mini", "gpt-5-nano"])
def test_adjacent_text_parts_are_tokenized_as_one_string(model: str) -> None:
    parts = [{"type": "input_text", "text": FIRST}, {"type": "input_text", "text": SECOND}]
    # ".Now" is one token: the parts joined count one fewer than apart.
    assert _counter.count(FIRST + SECOND) == _counter.count(FIRST) + _counter.count(SECOND) - 1
    assert _count(_message(parts, model)) == _count(_message(FIRST + SECOND, model))


def test_text_parts_are_joined_only_where_adjacent_not_across_an_image() -> None:
    image = {"type": "input_image", "image_url": "https://example.com/bird.png",
             "detail": "low"}
    text = [{"type": "input_text", "text": FIRST}, {"type": "input_text", "text": SECOND}]
    split = [text[0], image, text[1]]
    image_cost = next(s.fixed_tokens for s in _segments(_message(split, "gpt-4o"))
                      if s.kind is SegmentKind.IMAGE)
    empty = _count(_message("", "gpt-4o"))
    apart = _counter.count(FIRST) + _counter.count(SECOND)
    assert [_count(_message(text, "gpt-4o")) - empty,
            _count(_message(split, "gpt-4o")) - empty] == [apart - 1, apart + image_cost]


# --------------------------------------------------------------------------------------------
# Records of the Responses API's first weeks
# --------------------------------------------------------------------------------------------

HAIKU = {"model": "gpt-4o-mini", "input": "Write a haiku about tides."}
WEATHER_ASK = {"model": "gpt-4o", "input": "Is it raining in Lyon?", "tools": [WEATHER]}
_FIRST_WEEKS = ("Responses requests of the API's first weeks counted 18 tokens more than "
                "the API counts them today")
_FIRST_WEEKS_TOOLS = ("Responses requests with function tools, in the API's first weeks, "
                      "counted 216 tokens more than the API counts them today")


@pytest.mark.parametrize(("body", "extra", "logged", "note"), [
    pytest.param(HAIKU, 18, "2025-03-21T10:00:00Z",
                 f"1 request logged before 2025-07-02 misses by -18, a known counting change "
                 f"(gpt-4o {_FIRST_WEEKS})", id="text"),
    pytest.param(WEATHER_ASK, 216, "2025-03-14T15:11:41Z",
                 f"1 request logged before 2025-03-28 misses by -216, a known counting change "
                 f"(gpt-4o {_FIRST_WEEKS_TOOLS})", id="function-tools"),
])
def test_a_gpt_4o_responses_record_of_march_2025_predates_a_known_change(
        body: dict[str, Any], extra: int, logged: str, note: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    counted = _count(body)
    records = [{"request": body, "meta": {"recorded": recorded},
                "response": {"usage": {"input_tokens": observed, "output_tokens": 20}}}
               for recorded, observed in ((logged, counted + extra),
                                          ("2026-01-20T10:00:00Z", counted))]
    (tmp_path / "log.jsonl").write_text(
        "".join(json.dumps(record) + "\n" for record in records), "utf-8")
    main(["audit", "--isolated", "--format", "json", "log.jsonl"])
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert [(row["model"], row["exact"], row["predates_change"], row["worst_miss"])
            for row in summary["token_calibration"]] == [(body["model"], 1, 1, None)]
    assert [change["note"] for change in summary["counting_changes"]] == [
        note + ": counted as the API counts today, not a miscount"]


def test_the_first_weeks_tools_figure_is_a_miss_from_the_end_of_march_2025(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    record = {"request": WEATHER_ASK, "meta": {"recorded": "2025-03-28T12:05:25Z"},
              "response": {"usage": {"input_tokens": _count(WEATHER_ASK) + 216}}}
    (tmp_path / "log.jsonl").write_text(json.dumps(record) + "\n", "utf-8")
    main(["audit", "--isolated", "--format", "json", "log.jsonl"])
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert summary["counting_changes"] == []
    assert summary["token_calibration"][0]["worst_miss"]["error"] == -216


# --------------------------------------------------------------------------------------------
# One turn's parallel calls on gpt-5.4 and later
# --------------------------------------------------------------------------------------------

WRAPPER = ('{"tool_uses":[{"recipient_name":"get_weather","parameters":{"city":"Lyon"}},'
           '{"recipient_name":"get_time","parameters":{"city":"Lyon"}}]}')


def _parallel_turn(model: str) -> dict[str, Any]:
    return {"model": model, "store": False, "tools": [WEATHER, TIME],
            "input": [ASK, _call("c1", "get_weather", echoed=False),
                      _call("c2", "get_time", echoed=False),
                      _output("c1", "Light rain, 12 C"), _output("c2", "14:05")]}


def test_gpt_5_4_bills_a_turn_of_parallel_calls_as_one_wrapper_call_by_estimate() -> None:
    body = _parallel_turn("gpt-5.4")
    asked = {**body, "input": [ASK]}
    # The wrapper call (harmony's 8 markers around " to=multi_tool_use.parallel" and the
    # uses' JSON), then each output authored by its function, 8 markers each.
    expected = (_count(asked) + 8 + _counter.count(" to=multi_tool_use.parallel")
                + _counter.count(WRAPPER)
                + 8 + _counter.count("functions.get_weather")
                + _counter.count("Light rain, 12 C")
                + 8 + _counter.count("functions.get_time") + _counter.count("14:05"))
    assert _count(body) == expected == 152
    calls = [s for s in _segments(body) if s.kind is SegmentKind.TOOL_CALL]
    assert [(call.text, call.estimated) for call in calls] == [(WRAPPER, True)]


def test_a_single_call_and_the_first_gpt_5_generation_keep_separate_call_messages() -> None:
    single = _parallel_turn("gpt-5.4")
    single["input"] = [ASK, _call("c1", "get_weather", echoed=False),
                       _output("c1", "Light rain, 12 C")]
    first_generation = _parallel_turn("gpt-5")
    for body in (single, first_generation):
        calls = [s for s in _segments(body) if s.kind is SegmentKind.TOOL_CALL]
        assert all(call.text == '{"city":"Lyon"}' and not call.estimated for call in calls)
