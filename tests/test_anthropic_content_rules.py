"""The content rules of the catalogue (timestamps, ids, tool order, images) on Anthropic
Messages logs: they read the same segments as on OpenAI requests, in Anthropic's prefix order
(tools, then system, then messages)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from promptcache.cli.main import main
from promptcache.load.records import read_requests
from promptcache.model import Request, SegmentKind
from promptcache.tokens.counting import PromptCounter

MODEL = "claude-sonnet-4-5"
POLICY = " ".join(
    f"Rule {number}: answer questions about order {number} politely, quote the policy "
    f"section {number % 7}, and never promise a refund before checking the order status."
    for number in range(1, 70))
TOOLS = [{"name": name, "description": f"{name.replace('_', ' ').capitalize()} by id.",
          "input_schema": {"type": "object", "properties": {"id": {"type": "string"}},
                           "required": ["id"]}}
         for name in ("lookup_order", "start_return", "track_parcel")]
QUESTIONS = ("Where is my parcel?", "Can I return boots I wore once?",
             "Do you price match?", "How do I wash a down jacket?")


def _body(system: str, question: str, tools: list[dict[str, Any]] | None = None,
          content: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 512, "tools": TOOLS if tools is None else tools,
            "system": [{"type": "text", "text": system,
                        "cache_control": {"type": "ephemeral"}}],
            "messages": [{"role": "user", "content": content or question}]}


def _findings(folder: Path, capsys: pytest.CaptureFixture[str],
              bodies: list[dict[str, Any]]) -> list[tuple[str, int, str]]:
    log = folder / "anthropic.jsonl"
    log.write_text("".join(
        json.dumps({"timestamp": f"2025-06-02T14:0{minute}:07Z", "request": body}) + "\n"
        for minute, body in enumerate(bodies)), "utf-8")
    main(["audit", "--isolated", "-q", "-f", "json", "--exit-zero", str(log)])
    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["invalid_records"] == 0
    return [(finding["code"], finding["line"], finding["path"])
            for finding in report["findings"]]


def test_a_timestamp_ahead_of_the_shared_policy(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bodies = [_body(f"Current time: 2025-06-02 14:0{minute}:07\n\n{POLICY}", asked)
              for minute, asked in enumerate(QUESTIONS)]
    found = _findings(tmp_path, capsys, bodies)
    # The timestamp (PC102), and the breakpoint after it writing every time (PC501).
    assert ("PC102", 2, "$.request.system[0]") in found
    assert [code for code, _line, _path in found] == ["PC102", "PC501"]


def test_a_request_id_ahead_of_the_shared_policy(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = ("req_8f3a2c91d4e7", "req_1b9e77c0a2f3", "req_c4d2e9f01a7b", "req_5e6f7a8b9c0d")
    bodies = [_body(f"Request id: {request_id}\n\n{POLICY}", asked)
              for request_id, asked in zip(ids, QUESTIONS, strict=True)]
    found = _findings(tmp_path, capsys, bodies)
    assert ("PC103", 2, "$.request.system[0]") in found


def test_tools_in_another_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bodies = [_body(POLICY, asked, TOOLS if number % 2 == 0 else TOOLS[::-1])
              for number, asked in enumerate(QUESTIONS)]
    assert _findings(tmp_path, capsys, bodies) == [("PC201", 2, "$.request.tools[0]")]


def test_the_same_tools_and_policy_every_time_are_quiet(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _findings(tmp_path, capsys, [_body(POLICY, asked) for asked in QUESTIONS]) == []


def test_a_tool_choice_change_costs_the_messages_only(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Anthropic's invalidation table: tool_choice invalidates the cached messages, not the
    # tools and system prompt ahead of them.
    history = [{"role": "user", "content": POLICY},
               {"role": "assistant", "content": "Noted."},
               {"role": "user", "content": QUESTIONS[0]}]
    first = {**_body(POLICY, ""), "messages": history}
    second = {**first, "messages": [*history, {"role": "assistant", "content": "Checking."},
                                    {"role": "user", "content": QUESTIONS[1]}],
              "tool_choice": {"type": "any"}}
    log = tmp_path / "session.jsonl"
    log.write_text("".join(json.dumps({"request": body, "meta": {"session": "s1"}}) + "\n"
                           for body in (first, second)), "utf-8")
    main(["audit", "--isolated", "-q", "-f", "json", "--exit-zero", str(log)])
    (finding,) = json.loads(capsys.readouterr().out)["findings"]
    assert (finding["code"], finding["line"]) == ("PC205", 2)
    counter = PromptCounter()
    (request,) = (item for item in read_requests([str(log)]) if isinstance(item, Request)
                  and item.location.line == 1)
    counted = counter.count(request)
    messages = sum(tokens for segment, tokens in zip(counted.request.segments,
                                                     counted.segment_tokens, strict=True)
                   if segment.role in ("user", "assistant")
                   and segment.kind is not SegmentKind.REPLY_PRIMING)
    assert finding["tokens_at_risk"] == messages
