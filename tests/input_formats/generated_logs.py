"""Checks shared by the tests of logs a real library wrote with our own content
(``cases/<format>/generated/``, written by ``generate/<format>.py``): every call it logged
is read as the body the mock provider received, or skipped when the provider refused it, and
audits to the prompt tokens of that body."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from promptcache.cli.main import main
from promptcache.load.formats._responses import REFUSED
from promptcache.load.formats.base import InputFormat, LoggedCall, Skipped

from .helpers import body_count, read_calls, truth_lines

Kept = Callable[[Mapping[str, Any]], Mapping[str, Any]]


def read_as_sent(reader: InputFormat, log: Path, truth: Path,
                 kept: Kept) -> tuple[list[LoggedCall], list[dict[str, Any]]]:
    """The calls ``reader`` reads from ``log`` and the bodies the provider answered, in the
    same order, after checking that nothing else came out: every refused body (``"status"``
    in its truth line) is one skipped call, and there is no error."""
    found = read_calls(reader, log)
    lines = truth_lines(truth)
    answered = [line for line in lines if "status" not in line]
    assert [item.reason for item in found if isinstance(item, Skipped)] == [REFUSED] * (
        len(lines) - len(answered))
    calls = [item for item in found if isinstance(item, LoggedCall)]
    assert len(calls) + len(lines) - len(answered) == len(found), found
    assert len(calls) == len(answered)
    # Complete calls are the bodies sent, less what the log does not keep and costs no token.
    assert [kept(call.body) for call in calls if not call.missing] == [
        kept(line["request"]) for line, call in zip(answered, calls, strict=True)
        if not call.missing]
    return calls, answered


def audited_requests(capsys: pytest.CaptureFixture[str], path: Path) -> list[dict[str, Any]]:
    """``promptcache audit -f json`` of ``path``: its requests."""
    main(["audit", "--isolated", "-q", "-f", "json", "--exit-zero", "--allow-empty", str(path)])
    requests: list[dict[str, Any]] = json.loads(capsys.readouterr().out)["requests"]
    return requests


def audits_as_sent(capsys: pytest.CaptureFixture[str], log: Path,
                   answered: list[dict[str, Any]], tmp_path: Path) -> list[tuple[int, int]]:
    """(prompt tokens of the log's request, of the body sent) for every request audited,
    after checking that a partial request's bounds hold what was sent."""
    bodies = tmp_path / "sent.jsonl"
    bodies.write_text("".join(json.dumps({"request": line["request"]}) + "\n"
                              for line in answered), "utf-8")
    pairs = list(zip(audited_requests(capsys, log), audited_requests(capsys, bodies),
                     strict=True))
    for logged, sent in pairs:
        partial = any(reason.startswith("partial record: ")
                      for reason in logged["estimate_reasons"])
        # Bounds of a count anchored on its own usage hold that usage, not the body's range.
        if partial and "body_prompt_tokens" not in logged:
            assert logged["bounds"]["low"] <= sent["prompt_tokens"]
            assert logged["bounds"]["high"] is None
    return [(body_count(logged), body_count(sent)) for logged, sent in pairs]
