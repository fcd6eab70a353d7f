"""The incremental engine (rules skipped where their answer cannot change, shared prefixes
inherited from the stream's previous turn) finds exactly what running every rule in full
finds, on an agent-like log with the patterns that break the cache."""

from __future__ import annotations

import functools
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from promptcache.cache import replay
from promptcache.cache.derived import DerivedCache
from promptcache.cache.replay import Replayer
from promptcache.engine import rule_api
from promptcache.engine.rule_engine import RuleEngine, default_rules
from promptcache.report.json_format import report_to_dict
from promptcache.rules import ALL_RULES
from promptcache.run import audit, part

POLICY = " ".join(f"Policy clause {n}: answer politely and check the order first." for n in
                  range(180))
TOOLS = [{"type": "function", "function": {
    "name": f"tool_{n}", "description": f"Does thing {n}.",
    "parameters": {"type": "object", "properties": {"id": {"type": "string"}}}}}
    for n in range(4)]


def _session(session: str, turns: int, start: float, *, stamp: bool = False,
             reorder_at: int | None = None, edit_at: int | None = None) -> list[dict[str, Any]]:
    records = []
    messages: list[dict[str, Any]] = [{"role": "user", "content": f"Hello from {session}"}]
    for turn in range(turns):
        now = start + 20 * turn
        system = f"Current time: {now:.0f}\n\n{POLICY}" if stamp else POLICY
        tools = list(reversed(TOOLS)) if reorder_at is not None and turn >= reorder_at else TOOLS
        sent = [dict(message) for message in messages]
        if edit_at is not None and turn >= edit_at:
            sent[0]["content"] = f"Hello again from {session}, edited"
        records.append({"timestamp": now, "meta": {"session": session}, "request": {
            "model": "gpt-4.1", "tools": tools,
            "messages": [{"role": "system", "content": system}, *sent]}})
        messages += [{"role": "assistant", "content": f"Reply {turn} in {session}"},
                     {"role": "user", "content": f"Question {turn} with detail " * 8}]
    return records


def _write_log(path: Path) -> None:
    records = [*_session("plain-a", 9, 0.0), *_session("plain-b", 7, 5.0),
               *_session("stamped", 6, 11.0, stamp=True),
               *_session("reordered", 6, 13.0, reorder_at=3),
               *_session("edited", 6, 17.0, edit_at=4)]
    records.sort(key=lambda record: record["timestamp"])
    path.write_text("".join(json.dumps(record) + "\n" for record in records))


def _report(log: Path, incremental: bool, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setattr(part, "RuleEngine", functools.partial(RuleEngine,
                                                               incremental=incremental))
    return report_to_dict(audit.run_audit([str(log)], default_rules(ALL_RULES)))


def test_incremental_engine_finds_what_the_full_run_finds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "agent.jsonl"
    _write_log(log)
    full = _report(log, False, monkeypatch)
    incremental = _report(log, True, monkeypatch)
    assert incremental == full
    codes = {finding["code"] for finding in full["findings"]}
    # The log shows the patterns: a test over a log where nothing fires proves nothing.
    assert {"PC101", "PC201"} <= codes, codes


def test_divergence_rules_are_not_run_on_an_append(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "agent.jsonl"
    _write_log(log)
    calls: list[str] = []
    rules = []
    for rule in ALL_RULES:
        def check(context: Any, original: Any = rule.check, code: str = rule.code) -> Any:
            if context.extends_previous():
                calls.append(code)
            return original(context)
        rules.append(replace(rule, check=check))
    monkeypatch.setattr(part, "RuleEngine", functools.partial(RuleEngine, incremental=True))
    audit.run_audit([str(log)], default_rules(rules))
    assert "PC108" not in calls
    assert "PC109" not in calls
    assert "PC101" in calls  # the others still run on appends


def _derived_report(log: Path, derive: bool,
                    monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The report with the replay's variant caches derived from the base (the default) or
    each a full copy replaying every request."""
    monkeypatch.setattr(part, "Replayer", functools.partial(Replayer, derive=derive))
    return report_to_dict(audit.run_audit([str(log)], default_rules(ALL_RULES)))


def test_derived_variant_caches_change_no_finding_or_saving(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "agent.jsonl"
    _write_log(log)
    skipped: list[bool] = []
    derived_replay = DerivedCache.replay

    def counted_replay(self: DerivedCache, *args: Any) -> Any:
        prediction = derived_replay(self, *args)
        skipped.append(prediction is None)
        return prediction

    monkeypatch.setattr(DerivedCache, "replay", counted_replay)
    plain = _derived_report(log, False, monkeypatch)
    assert not skipped
    derived = _derived_report(log, True, monkeypatch)
    assert derived == plain
    # Replays were skipped on this log, not all, and the variants carry savings.
    assert any(skipped)
    assert not all(skipped)
    saved = {finding["code"]: finding["estimated_savings_tokens"]
             for finding in plain["findings"]}
    assert saved.get("PC101", 0) > 0, saved
    assert saved.get("PC201", 0) > 0, saved


def test_derived_caches_hold_when_the_replay_clock_goes_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A log out of order by more than the reordering window replays some requests at an
    # earlier time than the one before: the derived caches turn into plain ones there.
    log = tmp_path / "agent.jsonl"
    _write_log(log)
    lines = log.read_text().splitlines(keepends=True)
    middle = len(lines) // 2
    log.write_text("".join(lines[middle:] + lines[:middle]))
    monkeypatch.setattr(replay, "REORDER_WINDOW", 2)
    materialized: list[int] = []
    original = Replayer._materialize

    def counted(self: Replayer) -> None:
        materialized.append(1)
        original(self)

    monkeypatch.setattr(Replayer, "_materialize", counted)
    plain = _derived_report(log, False, monkeypatch)
    derived = _derived_report(log, True, monkeypatch)
    assert materialized
    assert derived == plain


def test_neighbors_of_other_streams_inherit_their_shared_prefix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Twelve conversations share a prompt without prompt_cache_key, about 36 requests a
    # minute: the rate rules compare each request with the latest ones of other streams,
    # whose shared prefix the previous turn already found against their previous turns.
    log = tmp_path / "busy.jsonl"
    records = [record for number in range(12)
               for record in _session(f"user-{number}", 6, 1.7 * number)]
    records.sort(key=lambda record: record["timestamp"])
    log.write_text("".join(json.dumps(record) + "\n" for record in records))
    computed: list[int] = []
    original = rule_api.shared_prefix

    def counting(*args: Any) -> Any:
        computed.append(1)
        return original(*args)

    monkeypatch.setattr(rule_api, "shared_prefix", counting)
    full = _report(log, False, monkeypatch)
    full_count = len(computed)
    computed.clear()
    incremental = _report(log, True, monkeypatch)
    assert incremental == full
    assert "PC403" in {finding["code"] for finding in full["findings"]}
    assert len(computed) < full_count / 2, (len(computed), full_count)
