"""Findings point where the record holds the value: a LiteLLM payload keeps the tools under
``model_parameters`` and the send time in ``startTime``; a HAR capture's send time is its
entry's ``startedDateTime``. Rules compare bodies; only what is shown moves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from promptcache.cli.main import main

SYSTEM = "You plan train journeys across Europe for the customers of a small agency. " * 90
TOOLS = [{"type": "function", "function": {"name": name, "description": f"{name} a trip.",
                                           "parameters": {"type": "object", "properties": {}}}}
         for name in ("book", "cancel", "change")]


def _messages(question: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]


def _payload(number: int, sent: float, tools: list[dict[str, Any]]) -> dict[str, Any]:
    """A standard logging payload as LiteLLM's callbacks receive it (the fields read)."""
    return {"id": f"resp-{number}", "litellm_call_id": f"call-{number}", "trace_id": "",
            "session_id": "", "call_type": "completion", "status": "success",
            "custom_llm_provider": "openai", "startTime": sent, "endTime": sent + 2.0,
            "model": "gpt-4o", "metadata": {}, "messages": _messages(f"Trip {number}?"),
            "response": {"model": "gpt-4o-2024-08-06"},
            "model_parameters": {"tools": tools, "temperature": 0.2}}


def _findings(capsys: pytest.CaptureFixture[str], log: Path) -> list[tuple[str, int, str]]:
    main(["audit", "--isolated", "-q", "-f", "json", str(log)])
    return [(found["code"], found["line"], found["path"])
            for found in json.loads(capsys.readouterr().out)["findings"]]


def test_litellm_payload_findings_point_into_model_parameters_and_start_time(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "litellm.jsonl"
    log.write_text("\n".join(json.dumps(_payload(number, 1767225600.0 + at, tools))
                             for number, (at, tools) in enumerate(
                                 [(0.0, TOOLS), (60.0, TOOLS[::-1]), (60.3, TOOLS[::-1])]))
                   + "\n", "utf-8")
    assert _findings(capsys, log) == [
        ("PC201", 2, "$.model_parameters.tools[0]"),
        ("PC402", 3, "$.startTime"),
    ]


def _entry(sent: str, question: str) -> dict[str, Any]:
    body = {"model": "gpt-4o", "messages": _messages(question), "tools": TOOLS}
    return {"startedDateTime": sent, "time": 900,
            "request": {"method": "POST", "url": "https://api.openai.com/v1/chat/completions",
                        "headers": [], "postData": {"mimeType": "application/json",
                                                    "text": json.dumps(body)}},
            "response": {"status": 200, "content": {"mimeType": "application/json",
                                                    "text": "{}"}}}


def test_har_send_time_is_the_entrys_started_date_time(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capture = tmp_path / "session.har"
    capture.write_text(json.dumps({"log": {"version": "1.2", "entries": [
        _entry("2026-11-02T10:00:00.000Z", "Paris to Vienna?"),
        _entry("2026-11-02T10:00:00.200Z", "Vienna to Prague?")]}}), "utf-8")
    assert _findings(capsys, capture) == [("PC402", 1, "$.log.entries[1].startedDateTime")]


def test_a_relocation_moves_a_path_and_what_is_below_it_only() -> None:
    from promptcache.model import Location, Request

    request = Request(Location("a.jsonl", 1), "openai.chat", "gpt-4o", (),
                      relocations=(("$.tools", "$.model_parameters.tools"),
                                   ("$.timestamp", "$.startTime")))
    assert request.in_record("$.tools") == "$.model_parameters.tools"
    assert request.in_record("$.tools[2].function") == "$.model_parameters.tools[2].function"
    assert request.in_record("$.tools.x") == "$.model_parameters.tools.x"
    assert request.in_record("$.tools_extra[0]") == "$.tools_extra[0]"
    assert request.in_record("$.timestamp") == "$.startTime"
    assert request.in_record("$.messages[0].content") == "$.messages[0].content"
