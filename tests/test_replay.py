"""The cache model on small logs whose right answer is known by hand."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from promptcache.cache.replay import Replayer
from promptcache.engine.rule_engine import default_rules
from promptcache.pricing import Pricer
from promptcache.report.model import Report
from promptcache.rules import ALL_RULES
from promptcache.run.audit import counted_records, run_audit
from promptcache.tokens.counter import TokenCounter
from promptcache.tokens.counting import CountedRequest, PromptCounter

from .conftest import shared_data

WORDS = ("harbor", "lantern", "meadow", "copper", "violet", "summit", "river", "quarry")


def _text(tokens: int) -> str:
    """Text of exactly ``tokens`` o200k tokens (checked, not assumed)."""
    text = "".join(f" {WORDS[index % len(WORDS)]}" for index in range(tokens))
    assert TokenCounter("o200k_base").count(text) == tokens
    return text


SHARED_1100 = _text(1100)


def _record(system: str, user: str, *, at: str | None = None, key: str | None = None,
            usage: tuple[int, int] | None = None, model: str = "gpt-4o") -> dict[str, Any]:
    request: dict[str, Any] = {"model": model, "messages": [
        {"role": "system", "content": system}, {"role": "user", "content": user}]}
    if key is not None:
        request["prompt_cache_key"] = key
    record: dict[str, Any] = {"request": request}
    if at is not None:
        record["timestamp"] = at
    if usage is not None:
        record["response"] = {"usage": {"prompt_tokens": usage[0],
                                        "prompt_tokens_details": {"cached_tokens": usage[1]}}}
    return record


def _audit(tmp_path: Path, records: list[dict[str, Any]], **options: Any) -> Report:
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return run_audit([str(log)], default_rules(ALL_RULES), **options)


def _predicted(report: Report) -> list[int]:
    return [row.predicted_cached_tokens for row in report.requests]


def test_a_shared_1100_token_prefix_caches_1024_then_expires(tmp_path: Path) -> None:
    report = _audit(tmp_path, [
        _record(SHARED_1100, "first question", at="2025-03-01T10:00:00Z"),
        _record(SHARED_1100, "second question", at="2025-03-01T10:01:00Z"),
        # 5 minutes and 1 second after the last use: past the 300 s lifetime.
        _record(SHARED_1100, "third question", at="2025-03-01T10:06:01Z"),
    ])
    assert _predicted(report) == [0, 1024, 0]


def test_the_lifetime_is_an_option(tmp_path: Path) -> None:
    records = [_record(SHARED_1100, "first", at="2025-03-01T10:00:00Z"),
               _record(SHARED_1100, "second", at="2025-03-01T10:30:00Z")]
    assert _predicted(_audit(tmp_path, records)) == [0, 0]
    assert _predicted(_audit(tmp_path, records, lifetime_seconds=3600)) == [0, 1024]


def test_different_prompt_cache_keys_do_not_share(tmp_path: Path) -> None:
    report = _audit(tmp_path, [_record(SHARED_1100, "a", key="tenant-1"),
                               _record(SHARED_1100, "b", key="tenant-2"),
                               _record(SHARED_1100, "c", key="tenant-1")])
    assert _predicted(report) == [0, 0, 1024]


def test_a_changing_timestamp_predicts_nothing_and_its_fix_saves(tmp_path: Path) -> None:
    records = [_record(f"Now: 2025-03-01T10:00:{second:02d}Z\n{SHARED_1100}", "hello",
                       at=f"2025-03-01T10:00:{second:02d}Z") for second in range(0, 50, 10)]
    report = _audit(tmp_path, records)
    assert _predicted(report) == [0, 0, 0, 0, 0]
    savings = report.summary.savings
    assert savings.hit_rate_predicted == 0
    assert savings.savings_usd > 0
    assert savings.hit_rate_after_fixes > 0.5
    [finding] = report.findings
    assert finding.name == "timestamp-in-prefix"
    assert finding.estimated_savings_usd == pytest.approx(savings.savings_usd)
    assert savings.cost_after_fixes_usd == pytest.approx(savings.cost_usd - savings.savings_usd)


def test_an_append_only_session_predicts_growing_hits(tmp_path: Path) -> None:
    messages: list[dict[str, Any]] = [{"role": "system", "content": SHARED_1100}]
    records = []
    for turn in range(5):
        messages = [*messages, {"role": "user", "content": _text(150 + turn)}]
        records.append({"timestamp": f"2025-03-01T10:00:{turn * 10:02d}Z",
                        "request": {"model": "gpt-4o", "messages": messages}})
        messages = [*messages, {"role": "assistant", "content": f"answer {turn}"}]
    predicted = _predicted(_audit(tmp_path, records))
    assert predicted[0] == 0
    assert all(later > earlier for earlier, later in pairwise(predicted[1:]))
    assert all(value % 128 == 0 and value >= 1024 for value in predicted[1:])


def test_requests_replay_in_time_order(tmp_path: Path) -> None:
    # The log lists the later request first; the cache sees them in time order.
    report = _audit(tmp_path, [_record(SHARED_1100, "later", at="2025-03-01T10:01:00Z"),
                               _record(SHARED_1100, "earlier", at="2025-03-01T10:00:00Z")])
    assert _predicted(report) == [1024, 0]


def test_prices_and_unknown_models(tmp_path: Path) -> None:
    report = _audit(tmp_path, [_record(SHARED_1100, "a"), _record(SHARED_1100, "b"),
                               _record(SHARED_1100, "c", model="acme-9000")])
    rows = report.requests
    rates = Pricer().rates("openai", "gpt-4o")
    assert rates is not None
    assert rates.cache_read is not None
    per_token = rates.input[0] / 1e6
    cached_rate = rates.cache_read[0] / 1e6
    assert rows[0].cost_usd == pytest.approx(rows[0].prompt_tokens * per_token)
    assert rows[1].cost_usd == pytest.approx((rows[1].prompt_tokens - 1024) * per_token
                                             + 1024 * cached_rate)
    assert rows[2].cost_usd is None
    savings = report.summary.savings
    assert (savings.unpriced_requests, savings.unpriced_models) == (1, ("acme-9000",))
    assert savings.cost_usd == pytest.approx(rows[0].cost_usd + rows[1].cost_usd)
    assert "genai-prices" in savings.price_data


def test_calibration_explains_each_disagreement(tmp_path: Path) -> None:
    counted = TokenCounter("o200k_base")
    prompt = 4 + counted.count(SHARED_1100) + 4 + 1 + 3
    report = _audit(tmp_path, [
        # Warm before the log began: the provider served 1024 tokens on the first request.
        _record(SHARED_1100, "a", at="2025-03-01T10:00:00Z", usage=(prompt, 1024)),
        # Agrees with the model.
        _record(SHARED_1100, "b", at="2025-03-01T10:00:10Z", usage=(prompt, 1024)),
        # An identical prefix within the lifetime, not served: best effort.
        _record(SHARED_1100, "c", at="2025-03-01T10:00:20Z", usage=(prompt, 0)),
    ])
    assert [row.prompt_tokens for row in report.requests] == [prompt] * 3
    calibration = report.summary.savings.calibration
    assert calibration is not None
    assert (calibration.requests, calibration.exact) == (3, 1)
    assert [(item.location.line, item.reason) for item in calibration.disagreements] == [
        (1, "warm-start"), (3, "best-effort-miss")]
    assert calibration.mean_error == pytest.approx(0.0)
    assert calibration.mean_absolute_error == pytest.approx(2048 / 3, abs=0.01)
    assert report.summary.savings.hit_rate_observed == pytest.approx(2048 / (3 * prompt),
                                                                     abs=1e-4)


def test_calibration_on_the_recorded_chat_cassettes() -> None:
    log = shared_data("openai-cassettes.jsonl")
    report = run_audit([str(log)], default_rules(ALL_RULES))
    calibration = report.summary.savings.calibration
    assert calibration is not None
    print(f"\ncassettes: {calibration.exact}/{calibration.requests} predicted exactly, "
          f"mean error {calibration.mean_error}, reasons {dict(calibration.by_reason)}")
    for item in calibration.disagreements:
        print(f"  {item.location.line}: observed {item.observed_cached_tokens}, predicted "
              f"{item.predicted_cached_tokens}: {item.reason}: {item.explanation}")
    assert calibration.requests == 230
    # Every record counts: all predicted exactly, gpt-5.6's explicit caching included (the
    # test below), but two whose PDF (a one-page resume) takes them over the 1,024 minimum,
    # as the API counted them (1,126): each resends the prompt of a request of a sibling
    # cassette, recorded at a time the cassettes do not say, and read nothing.
    assert calibration.exact == 228
    assert {(item.location.line, item.reason) for item in calibration.disagreements} == {
        (144, "best-effort-miss"), (165, "best-effort-miss")}


@pytest.mark.parametrize(("log", "lines"), [("openai-cassettes.jsonl", (221, 222)),
                                            ("openai-responses-cassettes.jsonl", (131, 132))])
def test_calibration_predicts_gpt_5_6_explicit_caching(log: str, lines: tuple[int, int]) -> None:
    # pydantic-ai's prompt_cache_e2e: the same 4,020-token prompt twice, a breakpoint closing
    # the first of the user message's two parts. The second request reads the 4,012 tokens
    # through that part: not the whole prompt, as an implicit cache would.
    report = run_audit([str(shared_data(log))], default_rules(ALL_RULES))
    rows = {row.line: row for row in report.requests}
    assert [(rows[line].observed_cached_tokens, rows[line].predicted_cached_tokens)
            for line in lines] == [(0, 0), (4012, 4012)]


def test_calibration_on_the_recorded_responses_cassettes() -> None:
    log = shared_data("openai-responses-cassettes.jsonl")
    report = run_audit([str(log)], default_rules(ALL_RULES))
    calibration = report.summary.savings.calibration
    assert calibration is not None
    reasons = dict(calibration.by_reason)
    print(f"\nresponses cassettes: {calibration.exact}/{calibration.requests} predicted exactly, "
          f"reasons {reasons}")
    # Recordings were re-made over months against caches their own earlier runs had warmed:
    # every cached read the model cannot see coming is a warm start.
    assert reasons == {"warm-start": 18}
    assert all(item.predicted_cached_tokens == 0 for item in calibration.disagreements
               if item.reason == "warm-start")


def _explicit(system: str, marked: str, question: str, *, mode: str = "explicit",
              ) -> dict[str, Any]:
    """A gpt-5.6 chat request whose user message's first part carries a breakpoint marker
    (``mode`` implicit: the same request with neither marker nor options)."""
    first: dict[str, Any] = {"type": "text", "text": marked}
    request: dict[str, Any] = {"model": "gpt-5.6", "prompt_cache_key": "catalogue",
                               "messages": [{"role": "system", "content": system},
                                            {"role": "user", "content": [
                                                first, {"type": "text", "text": question}]}]}
    if mode == "explicit":
        first["prompt_cache_breakpoint"] = {"mode": "explicit"}
        request["prompt_cache_options"] = {"mode": "explicit", "ttl": "30m"}
    return {"request": request}


def test_gpt_5_6_explicit_mode_reads_only_what_a_breakpoint_closes(tmp_path: Path) -> None:
    marked = _text(200)
    # The system message (4 + 1,100), then the user message's opening (3) and its marked
    # part (200): 1,307 tokens through the breakpoint; the questions differ after it.
    explicit = _audit(tmp_path, [_explicit(SHARED_1100, marked, " harbor question"),
                                 _explicit(SHARED_1100, marked, " lantern question")])
    assert _predicted(explicit) == [0, 1307]
    # Without markers the model caches implicitly: the longest shared prefix, unrounded
    # (the implicit stream counts the user message's frame, end token included, up front).
    implicit = _audit(tmp_path, [_explicit(SHARED_1100, marked, " harbor question",
                                           mode="implicit"),
                                 _explicit(SHARED_1100, marked, " lantern question",
                                           mode="implicit")])
    assert _predicted(implicit) == [0, 1308]


def test_gpt_5_6_explicit_mode_does_not_fall_back_to_an_unmarked_prefix(
        tmp_path: Path) -> None:
    # The marked part changes: the 1,104 shared tokens before it are not marked, and
    # explicit mode reads nothing of them.
    report = _audit(tmp_path, [_explicit(SHARED_1100, _text(200), " harbor question"),
                               _explicit(SHARED_1100, _text(201), " harbor question")])
    assert _predicted(report) == [0, 0]


@pytest.mark.parametrize(("logged", "expected"), [
    # In time order: A 10:00, D 10:19 (A expired: a miss), B 10:20 (a minute after D: a hit),
    # C 10:26 (6 minutes after B: a miss). D is logged last, 7 minutes out of order, after A
    # was already replayed (more than 15 minutes older than C).
    pytest.param(["a 10:00", "b 10:20", "c 10:26", "d 10:19"], [0, 1024, 0, 0],
                 id="up-to-fifteen-minutes-late"),
    # Out of order from its second request on, the log is held back through the whole
    # window: H 10:18 misses, G 10:20 hits it, F 10:42 misses (22 minutes on), E 10:45 hits F.
    pytest.param(["e 10:45", "f 10:42", "g 10:20", "h 10:18"], [1024, 0, 1024, 0],
                 id="newest-first"),
])
def test_requests_logged_out_of_order_take_their_place_in_time(
        tmp_path: Path, logged: list[str], expected: list[int]) -> None:
    records = [_record(SHARED_1100, user, at=f"2025-03-01T{at}:00Z")
               for user, at in (entry.split() for entry in logged)]
    assert _predicted(_audit(tmp_path, records)) == expected


def test_a_log_in_time_order_is_replayed_while_it_is_read(tmp_path: Path) -> None:
    # One request a minute for an hour: minute m is final when minute m + 16 comes (more than
    # 15 minutes newer), so the replay keeps pace with the reading, not a full window behind.
    log = tmp_path / "log.jsonl"
    log.write_text("".join(
        json.dumps(_record(SHARED_1100, f"question {minute}",
                           at=f"2025-03-01T10:{minute:02d}:00Z")) + "\n"
        for minute in range(60)))
    counter = PromptCounter()
    replayer = Replayer(counter)
    released = []
    for row, counted in enumerate(counted_records([str(log)], counter, None, None)):
        assert isinstance(counted, CountedRequest)
        released.append(len(replayer.add(row, counted, [])))
    assert released == [0] * 16 + [1] * 44
    assert len(replayer.finish()) == 16
