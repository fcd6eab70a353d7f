"""Calls whose bodies sit at different paths of one record (a HAR capture's entries, a trace
export's spans) are compared and grouped by their place in the body, as bodies on lines of
their own are."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from promptcache.cli.main import main
from promptcache.model import Location, Request, same_place

SYSTEM = ("It is 10:0{minute} UTC. You answer questions about the Northwind catalogue. "
          + "Be brief, cite the product page, and never invent a price. " * 120)


def _body(minute: int) -> dict[str, Any]:
    return {"model": "gpt-4o", "user": "s1", "messages": [
        {"role": "system", "content": SYSTEM.format(minute=minute)},
        {"role": "user", "content": "Which tents fit four people?"}]}


def _entry(minute: int) -> dict[str, Any]:
    return {"startedDateTime": f"2026-12-01T10:0{minute}:00Z",
            "request": {"method": "POST", "url": "https://api.openai.com/v1/chat/completions",
                        "headers": [], "postData": {"mimeType": "application/json",
                                                    "text": json.dumps(_body(minute))}},
            "response": {"status": 200, "headers": [], "content": {"mimeType": "text/plain",
                                                                   "text": ""}}}


def test_a_place_is_read_from_the_body_on() -> None:
    har = Request(Location("s.har", 1), "openai.chat", "gpt-4o", (),
                  body_path="$.log.entries[3].request.postData.text")
    line = Request(Location("a.jsonl", 2), "openai.chat", "gpt-4o", (), body_path="$.request")
    assert har.place("$.log.entries[3].request.postData.text.messages[0].content") == (
        "$.messages[0].content")
    assert same_place(har, "$.log.entries[3].request.postData.text.messages[0].content",
                      line, "$.request.messages[0].content")
    assert not same_place(har, "$.log.entries[3].request.postData.text.messages[0].content",
                          line, "$.request.messages[1].content")


def test_a_clock_in_every_entry_of_a_capture_is_one_finding(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    capture = {"log": {"version": "1.2", "creator": {"name": "test", "version": "1"},
                       "entries": [_entry(minute) for minute in (1, 2, 3)]}}
    Path("session.har").write_text(json.dumps(capture, indent=2), "utf-8")
    Path("bodies.jsonl").write_text("".join(
        json.dumps({"request": _body(minute), "timestamp": f"2026-12-01T10:0{minute}:00Z"})
        + "\n" for minute in (1, 2, 3)), "utf-8")
    codes = []
    for log in ("session.har", "bodies.jsonl"):
        main(["audit", "--isolated", "-q", "-f", "json", "--exit-zero", log])
        findings = json.loads(capsys.readouterr().out)["findings"]
        codes.append([(finding["code"], finding["occurrences"]) for finding in findings])
    assert codes[0] == codes[1] == [("PC102", 2)]
