"""What the format tests share: reading a file's records as a format's calls."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest

from promptcache.cli.main import main
from promptcache.load.apis import api_of
from promptcache.load.formats._litellm_anthropic import Unreadable
from promptcache.load.formats.base import (
    MESSAGES,
    RESPONSES,
    InputFormat,
    LoggedCall,
    Skipped,
    Usage,
)
from promptcache.load.sources import LoadError, read_records
from promptcache.normalize.chat_to_messages import chat_sent_to_claude, to_messages


def read_calls(reader: InputFormat, *paths: Path) -> list[LoggedCall | LoadError | Skipped]:
    """Every call ``reader`` finds in ``paths``, read in order, then what it finishes with."""
    found: list[LoggedCall | LoadError | Skipped] = []
    for path in paths:
        found.extend(reader.calls(read_records([str(path)])))
    found.extend(reader.finish())
    return found


def as_received(found: LoggedCall | LoadError | Skipped) -> LoggedCall | LoadError | Skipped:
    """A call as its provider received it: a chat body a gateway sent to Claude becomes the
    Messages body promptcache translates it to (with what the translation cannot tell), or
    the error the translation finds, as the audit reads it (``promptcache.load.records``)."""
    if not isinstance(found, LoggedCall) or not chat_sent_to_claude(
            found.body, str(found.body.get("model") or ""), found.api or api_of(found.body)):
        return found
    try:
        translation = to_messages(found.body, found.body_path)
    except Unreadable as problem:
        return LoadError(found.location, str(problem))
    return replace(found, body=translation.body, api=MESSAGES,
                   missing=(*found.missing, *translation.missing))


def truth_lines(path: Path) -> list[dict[str, Any]]:
    """The lines of a ``.truth.jsonl`` file: ``{"provider", "request", "usage"}`` each."""
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def audited_requests(capsys: pytest.CaptureFixture[str], path: Path) -> dict[str, Any]:
    """``promptcache audit -f json`` of ``path``: its summary and its requests."""
    main(["audit", "--isolated", "-q", "-f", "json", "--exit-zero", "--allow-empty",
          str(path)])
    report: dict[str, Any] = orjson.loads(capsys.readouterr().out)
    return report


def logged_and_sent(capsys: pytest.CaptureFixture[str], log: Path, index: int,
                    sent: dict[str, Any], tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The report rows of the ``index``-th request audited from ``log`` and of the body
    ``sent`` (what the provider received for it) audited alone."""
    path = tmp_path / "sent.jsonl"
    path.write_bytes(orjson.dumps({"request": sent}) + b"\n")
    [sent_row] = audited_requests(capsys, path)["requests"]
    logged_row = audited_requests(capsys, log)["requests"][index]
    assert isinstance(sent_row, dict)
    assert isinstance(logged_row, dict)
    return logged_row, sent_row


def clocked_system_prompts(count: int) -> list[str]:
    """``count`` system prompts of one session: a clock line that changes each turn, then
    the same ~3,000 tokens of policy (enough for any model's cache minimum)."""
    policy = " ".join(
        f"Policy {number}: an order of batch {number * 7} is checked against the ledger of "
        f"week {number % 52} before replying, and never promised more than section "
        f"{number}.{number % 9} allows." for number in range(1, 121))
    return [f"Current time: 2026-12-05 09:{turn * 4:02d}:{turn * 7 % 60:02d} UTC\n{policy}"
            for turn in range(count)]


def claude_turn(model: str, max_tokens: int, system: str, user: str) -> dict[str, Any]:
    """The Messages body a gateway sends Claude for a system message and a user message."""
    return {"model": model, "max_tokens": max_tokens,
            "system": [{"type": "text", "text": system}],
            "messages": [{"role": "user", "content": [{"type": "text", "text": user}]}]}


def body_count(row: dict[str, Any]) -> int:
    """A report row's count from its body alone: a count anchored on the usage a log kept
    (see promptcache.anchoring) is not what the body sent gives."""
    count: int = row.get("body_prompt_tokens", row["prompt_tokens"])
    return count


def logged_response(call: LoggedCall) -> dict[str, Any]:
    """The usage a log kept for ``call`` as its API's response spells it (``{}`` when none):
    given to the bodies sent too, a count anchored on it is anchored alike on both sides."""
    usage = call.usage
    if usage is None:
        return {}
    written = usage.cache_write_tokens or 0
    if call.api == MESSAGES:
        spelled = {"input_tokens": usage.input_tokens - usage.cache_read_tokens - written,
                   "cache_read_input_tokens": usage.cache_read_tokens,
                   "cache_creation_input_tokens": written}
    elif call.api == RESPONSES:
        spelled = {"input_tokens": usage.input_tokens,
                   "input_tokens_details": {"cached_tokens": usage.cache_read_tokens}}
    else:
        spelled = {"prompt_tokens": usage.input_tokens,
                   "prompt_tokens_details": {"cached_tokens": usage.cache_read_tokens}}
    return {"response": {"usage": spelled}}


def bodies_as_sent(truth: list[dict[str, Any]], calls: list[LoggedCall], path: Path) -> Path:
    """The truth's request bodies written as request envelopes, each with the time its
    logged call has (so that time-dependent counts see the same traffic)."""
    path.write_bytes(b"".join(
        orjson.dumps({"request": line["request"], "timestamp": call.timestamp}) + b"\n"
        for line, call in zip(truth, calls, strict=True)))
    return path


GENERATED_HAR = Path(__file__).parent / "cases" / "har" / "generated"
"""Written by ``tests/input_formats/generate/har.py``: mitmproxy 11.0.2's HAR of the OpenAI
and Anthropic SDKs' calls (tools, structured output, images, Unicode, the Responses API,
streams with and without usage, gzip answers, refusals, a large prompt), with the bodies the
mock provider received."""


def generated_usage(line: dict[str, Any]) -> Usage | None:
    """A generated truth line's usage in promptcache's meaning (prompt tokens include
    cache reads and writes), spelled out per API rather than by the code under test."""
    usage = line["usage"]
    if usage is None:  # a chat stream that did not ask for usage
        return None
    if line["provider"] == "anthropic":
        read, write = usage["cache_read_input_tokens"], usage["cache_creation_input_tokens"]
        return Usage(usage["input_tokens"] + read + write, read, write)
    if line["endpoint"] == "/v1/responses":
        return Usage(usage["input_tokens"], usage["input_tokens_details"]["cached_tokens"])
    return Usage(usage["prompt_tokens"], usage["prompt_tokens_details"]["cached_tokens"])


def generated_truth() -> tuple[list[dict[str, Any]], int]:
    """The generated calls the mock answered, and how many it refused."""
    truth = truth_lines(GENERATED_HAR / "session.truth.jsonl")
    answered = [line for line in truth if line["status"] == 200]
    return answered, len(truth) - len(answered)
