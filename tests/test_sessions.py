"""Sessions: taken from the log when it says, recognized from the prompts when it does not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from promptcache.engine.rule_engine import default_rules
from promptcache.rules import ALL_RULES
from promptcache.run.audit import run_audit

SYSTEM = ("You are the support assistant of Example Air. " * 130).strip()


def _turns(*user_turns: str) -> list[dict[str, str]]:
    messages = [{"role": "system", "content": SYSTEM}]
    for index, text in enumerate(user_turns):
        if index:
            messages.append({"role": "assistant", "content": f"answer {index}"})
        messages.append({"role": "user", "content": text})
    return messages


def _record(messages: list[dict[str, str]], at: str | None = None,
            **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"request": {"model": "gpt-4o", "messages": messages, **fields}}
    if at is not None:
        record["timestamp"] = at
    return record


def _sessions(tmp_path: Path, records: list[dict[str, Any]]) -> list[tuple[str, int]]:
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(record) + "\n" for record in records), "utf-8")
    report = run_audit([str(log)], default_rules(ALL_RULES))
    return [(row.session, row.requests) for row in report.sessions]


def test_interleaved_conversations_are_told_apart(tmp_path: Path) -> None:
    records = [
        _record(_turns("bag")),
        _record(_turns("seat")),
        _record(_turns("bag", "it is blue")),
        _record(_turns("seat", "by the window")),
        _record(_turns("bag", "it is blue", "thanks")),
    ]
    assert _sessions(tmp_path, records) == [("auto:1", 3), ("auto:2", 2)]


def test_a_conversation_resumed_after_the_lifetime_is_a_new_session(tmp_path: Path) -> None:
    records = [_record(_turns("bag"), at="2025-03-01T10:00:00Z"),
               _record(_turns("bag", "still there?"), at="2025-03-01T11:00:00Z")]
    assert _sessions(tmp_path, records) == [("auto:1", 1), ("auto:2", 1)]


def test_the_log_says_which_session(tmp_path: Path) -> None:
    records = [
        _record(_turns("a"), prompt_cache_key="tenant-1", user="u1"),
        _record(_turns("b"), user="u1"),
        {**_record(_turns("c")), "meta": {"session": "s-9"}},
        _record(_turns("d"), prompt_cache_key="tenant-1"),
    ]
    assert _sessions(tmp_path, records) == [("key:tenant-1", 2), ("user:u1", 1),
                                            ("session:s-9", 1)]


def test_session_figures(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    records = [_record(_turns("bag")), _record(_turns("bag", "blue"))]
    log.write_text("".join(json.dumps(record) + "\n" for record in records), "utf-8")
    [row] = run_audit([str(log)], default_rules(ALL_RULES)).sessions
    assert row.requests == 2
    assert row.predicted_cached_tokens > 1024
    assert row.hit_rate == round(row.predicted_cached_tokens / row.prompt_tokens, 4)
    assert row.cost_usd is not None
    assert row.cost_usd > 0
    assert (row.first.line, row.inferred) == (1, True)
