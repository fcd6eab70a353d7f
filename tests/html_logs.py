"""Logs the HTML report's tests audit: written here, shaped to draw every chart (two models,
timed requests, a cache-breaking timestamp at the top of one session's prompt, recorded usage
on some requests)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

START = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)
POLICY = ("You are the support assistant for Heronsgate Cycles, a bicycle shop with a repair "
          "workshop. Answer questions about orders, repairs, warranty claims and deliveries. "
          "Quote order numbers back exactly and never promise a repair date the workshop has "
          "not confirmed. ") * 30
SECRET = "sk-proj-" + "Q7x2" * 12
"""An API key pasted into a prompt: no report may show it."""
WHOLE_SENTENCE = ("Quote order numbers back exactly and never promise a repair date the "
                  "workshop has not confirmed.")

RECORDED_USAGE = {1: (1625, 1536), 3: (1787, 1664), 5: (1949, 1792), 7: (2111, 1792)}
"""(prompt, cached) tokens the steady session's odd turns record: the counts promptcache
makes of them, and the cache read the replay predicts but on the last turn (one step short)."""


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _record(moment: datetime, body: dict[str, Any], usage: dict[str, Any] | None,
            session: str) -> dict[str, Any]:
    record: dict[str, Any] = {"timestamp": _stamp(moment), "request": body,
                              "meta": {"session": session}}
    if usage is not None:
        record["response"] = {"usage": usage}
    return record


def agent_records(turns: int = 8) -> list[dict[str, Any]]:
    """A steady session on gpt-4o-mini (usage recorded on every other turn), and a session on
    gpt-4.1 whose system prompt starts with the time, so no turn reads the cache."""
    records = []
    history: list[dict[str, str]] = []
    for turn in range(turns):
        moment = START + timedelta(minutes=3 * turn)
        history = [*history, {"role": "user", "content": f"Where is order HC-{1000 + turn}? "
                              f"My key is {SECRET}"}]
        body = {"model": "gpt-4o-mini",
                "messages": [{"role": "system", "content": POLICY}, *history]}
        recorded = RECORDED_USAGE.get(turn)
        usage = None if recorded is None else {
            "prompt_tokens": recorded[0], "prompt_tokens_details": {"cached_tokens": recorded[1]}}
        records.append(_record(moment, body, usage, "steady"))
        history = [*history, {"role": "assistant", "content": f"Order HC-{1000 + turn} left "
                              "the workshop this morning."}]
    for turn in range(turns):
        moment = START + timedelta(minutes=3 * turn + 1)
        body = {"model": "gpt-4.1", "messages": [
            {"role": "system", "content": f"Current time: {_stamp(moment)}\n\n{POLICY}"},
            {"role": "user", "content": f"Can I book a service for bike {turn}?"}]}
        records.append(_record(moment, body, None, "clock"))
    return records


def write_log(path: Path, records: list[dict[str, Any]]) -> Path:
    """``records`` as a JSONL log at ``path``."""
    path.write_text("".join(json.dumps(record) + "\n" for record in records), "utf-8")
    return path


def busy_log(path: Path, requests: int = 10_000, turns: int = 10) -> Path:
    """A log of ``requests`` requests: sessions of ``turns`` turns, a few seconds apart and
    interleaved, every twentieth session with the time at the top of its system prompt, every
    seventh on another model, usage recorded on every third request."""
    sessions = requests // turns
    with path.open("w", encoding="utf-8") as out:
        for number in range(requests):
            session, turn = number % sessions, number // sessions
            moment = START + timedelta(seconds=7 * number)
            system = (f"Current time: {_stamp(moment)}\n\n{POLICY}" if session % 20 == 3
                      else POLICY)
            history: list[dict[str, str]] = []
            for earlier in range(turn + 1):
                history.append({"role": "user", "content": f"Session {session}: where is "
                                f"order HC-{session}-{earlier}?"})
                if earlier < turn:
                    history.append({"role": "assistant", "content": "It ships today."})
            body = {"model": "gpt-4.1" if session % 7 == 0 else "gpt-4o-mini",
                    "messages": [{"role": "system", "content": system}, *history]}
            usage = ({"prompt_tokens": 1500 + 20 * turn,
                      "prompt_tokens_details": {"cached_tokens": 1408 if turn else 0}}
                     if number % 3 == 0 else None)
            out.write(json.dumps(_record(moment, body, usage, f"busy-{session}")) + "\n")
    return path
