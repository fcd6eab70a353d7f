"""Reusing the previous turn of a conversation gives exactly what rendering afresh gives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from promptcache.load.records import normalize_record, read_requests
from promptcache.load.sources import LoadError, RawRecord
from promptcache.model import Location, Request
from promptcache.normalize.reuse import TurnMemory, weigh

SYSTEM = {"role": "system", "content": "You are a careful support agent."}
TOOLS = [{"type": "function", "function": {
    "name": "lookup", "parameters": {"type": "object", "properties": {"id": {"type": "string"}}}}}]


def _call(call_id: str, name: str = "lookup") -> dict[str, Any]:
    return {"id": call_id, "type": "function",
            "function": {"name": name, "arguments": f'{{"id":"{call_id}"}}'}}


def _result(call_id: str) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call_id, "content": f"result of {call_id}"}


def _turns(*histories: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"model": "gpt-4o", "tools": TOOLS, "messages": history} for history in histories]


def _both_ways(bodies: list[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    """Each body normalized afresh, and all of them through one shared turn memory."""
    fresh, reused = [], []
    turns = TurnMemory()
    for line, body in enumerate(bodies, 1):
        record = RawRecord(Location("log.jsonl", line), body)
        fresh.append(normalize_record(record))
        reused.append(normalize_record(record, turns))
    return fresh, reused


USER = {"role": "user", "content": "Where is order 7?"}
PARALLEL = {"role": "assistant", "content": None, "tool_calls": [_call("a"), _call("b")]}
SINGLE = {"role": "assistant", "content": None, "tool_calls": [_call("c")]}

CONVERSATIONS = {
    "append-only": _turns(
        [SYSTEM, USER],
        [SYSTEM, USER, SINGLE, _result("c")],
        [SYSTEM, USER, SINGLE, _result("c"), {"role": "assistant", "content": "Shipped."}],
    ),
    # The first turn ends inside a parallel group that the next turn completes: the group's
    # rendering changes, so it must not be reused from the first turn.
    "parallel group completed later": _turns(
        [SYSTEM, USER, PARALLEL, _result("a")],
        [SYSTEM, USER, PARALLEL, _result("a"), _result("b")],
        [SYSTEM, USER, PARALLEL, _result("a"), _result("b"), USER],
    ),
    # A result answering a call made in the reused part is still named after that call.
    "result of an earlier call": _turns(
        [SYSTEM, USER, SINGLE],
        [SYSTEM, USER, SINGLE, _result("c")],
    ),
    # Rewritten after a later call: resuming before it recalls the earlier call's name
    # (its result is named after it) and not the dropped one's.
    "rewritten after several calls": _turns(
        [SYSTEM, USER, SINGLE, _result("c"), {"role": "assistant", "content": None,
                                               "tool_calls": [_call("d", "refund")]},
         _result("d")],
        [SYSTEM, USER, SINGLE, _result("c"), {"role": "assistant", "content": "No refund."},
         _result("d"), _result("c")],
    ),
    "history rewritten": _turns(
        [SYSTEM, USER, {"role": "assistant", "content": "One."}, USER],
        [SYSTEM, USER, {"role": "assistant", "content": "Two."}, USER],
    ),
    # 1 == 1.0 == True in Python: a message holding numbers is never taken as equal.
    "numbers and booleans": _turns(
        [SYSTEM, {"role": "user", "content": [{"type": "text", "text": "x", "n": 1}]}],
        [SYSTEM, {"role": "user", "content": [{"type": "text", "text": "x", "n": True}]}],
    ),
    "model changed": [
        {"model": "gpt-4o", "messages": [SYSTEM, USER]},
        {"model": "gpt-4.1", "messages": [SYSTEM, USER, USER]},
    ],
}


@pytest.mark.parametrize("name", list(CONVERSATIONS))
def test_reused_segments_equal_fresh_ones(name: str) -> None:
    fresh, reused = _both_ways(CONVERSATIONS[name])
    for one, other in zip(fresh, reused, strict=True):
        assert isinstance(one, Request)
        assert isinstance(other, Request)
        assert other.segments == one.segments


def test_a_resent_history_keeps_the_earlier_segment_objects() -> None:
    _, reused = _both_ways(CONVERSATIONS["append-only"])
    first, second = reused[0], reused[1]
    assert isinstance(first, Request)
    assert isinstance(second, Request)
    # Tools frame, tool, tools footer, system (frame, text), user (frame, text).
    shared = 7
    assert all(a is b for a, b in zip(first.segments[:shared], second.segments[:shared],
                                      strict=True))


def test_only_new_messages_are_validated_and_errors_keep_their_index() -> None:
    bad = {"role": "user", "content": 5}
    bodies = _turns([SYSTEM, USER], [SYSTEM, USER, bad])
    fresh, reused = _both_ways(bodies)
    assert isinstance(fresh[1], LoadError)
    assert isinstance(reused[1], LoadError)
    assert reused[1].message == fresh[1].message
    assert reused[1].message.startswith("$.messages[2].content")


def test_a_tools_list_that_failed_is_checked_again() -> None:
    broken = [{"type": "function", "function": {"name": 3}}]
    bodies = [{"model": "gpt-4o", "tools": broken, "messages": [USER]},
              {"model": "gpt-4o", "messages": [USER]},
              {"model": "gpt-4o", "tools": broken, "messages": [USER]}]
    fresh, reused = _both_ways(bodies)
    assert [type(item) for item in reused] == [LoadError, Request, LoadError]
    assert [getattr(item, "message", None) for item in reused] == [
        getattr(item, "message", None) for item in fresh]


def test_memory_stays_within_its_character_budget() -> None:
    turns = TurnMemory(conversations=100, chars=1_000)
    for number in range(20):
        body = {"model": "gpt-4o", "messages": [{"role": "user", "content": f"{number:03d}" * 100}]}
        normalize_record(RawRecord(Location("log.jsonl", number + 1), body), turns)
    assert len(turns) <= 3


@pytest.mark.parametrize(("value", "expected"), [
    ("abc", (3, True)),
    ({"role": "user", "content": [{"type": "text", "text": "hi"}, None]}, (29, True)),
    ({"n": 1}, (9, False)),
    ([True], (8, False)),
])
def test_weigh(value: object, expected: tuple[int, bool]) -> None:
    assert weigh(value) == expected


def test_an_invalid_message_in_a_later_turn_is_reported_at_its_file_and_line(
        tmp_path: Path) -> None:
    """An earlier message edited into an invalid one, and an invalid message appended, are
    each reported as the record read alone would be: file, line, JSON path and problem."""
    history = [SYSTEM, USER, SINGLE, _result("c")]
    edited = [SYSTEM, {"role": "user", "content": 5}, *history[2:]]
    appended = [*history, {"role": "assistant", "tool_calls": "none"}]
    bodies = _turns(history[:2], history, edited, history, appended)
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps({"request": body}) + "\n" for body in bodies))
    read = list(read_requests([str(log)]))
    assert [type(item) for item in read] == [Request, Request, LoadError, Request, LoadError]
    errors = [(item.location.file, item.location.line, item.message)
              for item in read if isinstance(item, LoadError)]
    assert errors == [
        (str(log), 3, "$.request.messages[1].content: expected string or null or array, "
                      "found number"),
        (str(log), 5, "$.request.messages[4].tool_calls: expected array or null, "
                      "found string"),
    ]
    fresh = [normalize_record(RawRecord(Location(str(log), line), {"request": body}))
             for line, body in enumerate(bodies, 1)]
    assert [getattr(item, "message", None) for item in fresh] == [
        getattr(item, "message", None) for item in read]
