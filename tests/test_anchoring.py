"""Counts anchored on recorded usage: a request's own usage is its total, a clean next turn
costs the last usage plus the counted delta, and counts the body gives exactly are left as
they are. Hand-built sessions, then the rates measured on the shared recordings
(``bench/anchoring.py``; skipped, saying why, without ../shared/data)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from promptcache.anchoring import (
    EARLIER_USAGE,
    OWN_USAGE,
    SHARED_USAGE,
    Anchorer,
    anchored_bounds,
)
from promptcache.cache.anthropic import BlockHasher
from promptcache.cli.main import main
from promptcache.load.records import normalize_record
from promptcache.load.sources import RawRecord
from promptcache.model import Location, Request, SegmentKind
from promptcache.tokens.counting import CountedRequest, PromptCounter

from .conftest import SHARED_DATA, bench_script

MODEL = "claude-sonnet-4-5"
TOOLS = [{"name": "lookup", "description": "Look a word up in the dictionary.",
          "input_schema": {"type": "object", "properties": {"word": {"type": "string"}},
                           "required": ["word"]}}]
SYSTEM = "You answer questions about words, briefly."
FIRST = [{"role": "user", "content": "What does 'anchor' mean?"}]
SECOND = [*FIRST,
          {"role": "assistant", "content": [
              {"type": "tool_use", "id": "t1", "name": "lookup", "input": {"word": "anchor"}}]},
          {"role": "user", "content": [
              {"type": "tool_result", "tool_use_id": "t1",
               "content": "A heavy object that holds a ship in place."}]}]
HISTORY = [*SECOND, {"role": "assistant", "content": "It holds a ship in place."},
           {"role": "user", "content": "And 'keel'?"}]


def _body(messages: list[Any], system: str | list[dict[str, Any]] = SYSTEM,
          **settings: Any) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 64, "system": system, "tools": TOOLS,
            "messages": messages, **settings}


def _record(body: dict[str, Any], usage: dict[str, int] | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {"request": body}
    if usage is not None:
        record["response"] = {"model": MODEL, "usage": {"output_tokens": 5, **usage}}
    return record


def _counted(counter: PromptCounter, record: dict[str, Any]) -> CountedRequest:
    request = normalize_record(RawRecord(Location("log.jsonl", 1), record))
    assert isinstance(request, Request), request
    return counter.count(request)


def test_a_request_with_usage_is_anchored_on_it_in_its_tool_definitions() -> None:
    counter = PromptCounter()
    counted = _counted(counter, _record(_body(FIRST), {"input_tokens": 700}))
    anchored = Anchorer().anchor(counted, "lane")
    assert counted.prompt_tokens == 572  # the body's estimate
    assert anchored.prompt_tokens == 700
    assert anchored.anchoring is not None
    assert anchored.anchoring.reason == OWN_USAGE
    assert anchored.body_prompt_tokens == 572
    assert anchored.anchoring.body_segment_tokens == counted.segment_tokens
    # The estimate's error lies in the tool definition: the whole correction goes there,
    # and every exactly counted segment keeps its count.
    moved = {counted.request.segments[index].kind: after - before for index, (before, after)
             in enumerate(zip(counted.segment_tokens, anchored.segment_tokens, strict=True))
             if after != before}
    assert moved == {SegmentKind.TOOL: 128}


def test_a_count_above_the_usage_gives_back_from_its_estimated_segments_first() -> None:
    counter = PromptCounter()
    counted = _counted(counter, _record(_body(FIRST), {"input_tokens": 500}))
    anchored = Anchorer().anchor(counted, "lane")
    # The system's and the question's last blocks carry the separator closing their turn.
    assert counted.segment_tokens == (496, 53, 0, 9, 2, 9, 3)
    # The tool definition gives all it has (53 of 72), the rest comes from the other
    # segments by size; none goes below zero, the reply priming keeps its count.
    assert anchored.segment_tokens == (478, 0, 0, 9, 2, 8, 3)
    assert anchored.prompt_tokens == 500


def test_the_next_turn_is_the_last_usage_plus_the_counted_delta() -> None:
    counter = PromptCounter()
    anchorer = Anchorer()
    first = _counted(counter, _record(_body(FIRST), {"input_tokens": 700}))
    second = _counted(counter, _record(_body(SECOND)))
    anchorer.anchor(first, "lane")
    anchored = anchorer.anchor(second, "lane")
    assert second.prompt_tokens - first.prompt_tokens == 73  # the counted delta
    assert anchored.prompt_tokens == 700 + 73
    assert anchored.anchoring is not None
    assert anchored.anchoring.reason == EARLIER_USAGE
    assert anchored.body_prompt_tokens == second.prompt_tokens == 645


def test_a_later_turn_keeps_the_margins_of_the_estimates_before_it() -> None:
    counter = PromptCounter()
    anchorer = Anchorer()
    anchorer.anchor(_counted(counter, _record(_body(FIRST), {"input_tokens": 700})), "lane")
    anchorer.anchor(_counted(counter, _record(_body(SECOND))), "lane")
    third = anchorer.anchor(_counted(counter, _record(_body(HISTORY))), "lane")
    assert third.anchoring is not None
    assert third.anchoring.reason == EARLIER_USAGE
    # Only the first turn's usage is recorded: the second turn's tool_use and tool_result
    # (32 and 37 tokens with their turns' closing tokens, each within half its count) are
    # still estimates in the third, which adds text counted exactly.
    assert third.prompt_tokens == 700 + 73 + 20
    assert anchored_bounds(third) == (793 - 35, 793 + 35)


def test_a_turn_that_shares_nothing_with_the_anchored_one_is_not_anchored() -> None:
    counter = PromptCounter()
    anchorer = Anchorer()
    anchorer.anchor(_counted(counter, _record(_body(FIRST), {"input_tokens": 700})), "lane")
    # Another tool_choice changes the tool-use system prompt the provider adds: the earlier
    # correction is not this prompt's, though the tools read the same.
    forced = _counted(counter, _record(_body(FIRST, tool_choice={"type": "any"})))
    assert anchorer.anchor(forced, "lane") is forced
    # Nor is a clean append in another lane, or to another model's turn.
    appended = _counted(counter, _record(_body(SECOND)))
    assert anchorer.anchor(appended, "other lane") is appended


EDITED = [{"role": "user", "content": "What does 'anchorage' mean?"}]


def test_a_turn_that_edits_its_last_message_keeps_the_anchored_tools() -> None:
    counter = PromptCounter()
    anchorer = Anchorer()
    first = anchorer.anchor(
        _counted(counter, _record(_body(FIRST), {"input_tokens": 700})), "lane")
    edited = _counted(counter, _record(_body(EDITED)))
    anchored = anchorer.anchor(edited, "lane")
    assert anchored.anchoring is not None
    assert anchored.anchoring.reason == SHARED_USAGE
    # Everything up to the edited text is the anchored turn's (the tool definition with its
    # +128); the edited text (11 tokens with its turn's closing token, 9 before) and the
    # priming are this body's.
    assert first.segment_tokens == (496, 181, 0, 9, 2, 9, 3)
    assert edited.segment_tokens == (496, 53, 0, 9, 2, 11, 3)
    assert anchored.segment_tokens == (496, 181, 0, 9, 2, 11, 3)
    assert anchored.prompt_tokens == 574 + 128 == 702
    # How the earlier total split over the shared run was a guess: every estimated segment
    # keeps its margin, the tool definition's about the corrected count.
    assert anchored.anchoring.known == 0


def test_a_turn_that_drops_the_oldest_messages_keeps_only_the_shared_corrections() -> None:
    counter = PromptCounter()
    anchorer = Anchorer()
    long = _counted(counter, _record(_body(HISTORY), {"input_tokens": 900}))
    anchored_long = anchorer.anchor(long, "lane")
    # The usage's +235 went to the estimated segments by size: the tool definition +102, the
    # tool_use +62 and the tool_result +71.
    assert long.prompt_tokens == 665
    assert [after - before for before, after
            in zip(long.segment_tokens, anchored_long.segment_tokens, strict=True)
            if after != before] == [102, 62, 71]
    dropped = _counted(counter, _record(_body(HISTORY[4:])))
    anchored = anchorer.anchor(dropped, "lane")
    assert anchored.anchoring is not None
    assert anchored.anchoring.reason == SHARED_USAGE
    # The tool definition's share is reused; the tool_use and tool_result took their
    # corrections with them.
    assert dropped.segment_tokens == (496, 53, 0, 9, 2, 8, 3)
    assert anchored.segment_tokens == (496, 155, 0, 9, 2, 8, 3)
    assert anchored.prompt_tokens == 571 + 102 == 673


CACHED_SYSTEM = [{"type": "text", "text": SYSTEM, "cache_control": {"type": "ephemeral"}}]


def _cached_turn(counter: PromptCounter, anchorer: Anchorer, after_breakpoint: int,
                 ) -> CountedRequest:
    """The first turn, its system prompt ending a breakpoint, anchored on usage that wrote
    690 tokens through it and counted ``after_breakpoint`` after it."""
    usage = {"input_tokens": after_breakpoint, "cache_creation_input_tokens": 690,
             "cache_read_input_tokens": 0}
    return anchorer.anchor(_counted(counter, _record(_body(FIRST, CACHED_SYSTEM), usage)),
                           "lane")


def test_what_the_usage_put_after_a_breakpoint_on_exact_text_carries_over() -> None:
    counter = PromptCounter()
    anchorer = Anchorer()
    anchored_first = _cached_turn(counter, anchorer, 20)
    # Through the system prompt (its closing token included) 690 where the body counts 558
    # (+132 in the tool definition); after it 20 where the body counts 14: +6 on the exactly
    # counted message, by size (its frame +1, its text +5).
    assert anchored_first.segment_tokens == (496, 185, 0, 9, 3, 14, 3)
    edited = _counted(counter, _record(_body(EDITED, CACHED_SYSTEM)))
    anchored = anchorer.anchor(edited, "lane")
    # The run through the message's frame is the anchored turn's (693); the edited text is
    # this body's 11 plus the +5 its predecessor took: no error of that text's, something the
    # provider adds after the breakpoint, which this turn pays too.
    assert edited.segment_tokens == (496, 53, 0, 9, 2, 11, 3)
    assert anchored.segment_tokens == (496, 185, 0, 9, 3, 16, 3)
    assert anchored.prompt_tokens == 574 + 132 + 6 == 712


def test_a_carried_correction_larger_than_the_new_part_stops_at_zero() -> None:
    counter = PromptCounter()
    anchorer = Anchorer()
    anchored_first = _cached_turn(counter, anchorer, 2)
    # 2 after the breakpoint where the body counts 14: the message gives all it has, the
    # priming the rest.
    assert anchored_first.segment_tokens == (496, 185, 0, 9, 0, 0, 2)
    shorter = _counted(counter, _record(_body([{"role": "user", "content": "Anchorage?"}],
                                              CACHED_SYSTEM)))
    anchored = anchorer.anchor(shorter, "lane")
    # The -10 carried (text -9, priming -1) finds 9 after the shared run: those go to zero,
    # the shared run keeps its anchored 690, and the unplaced token is left out.
    assert shorter.segment_tokens == (496, 53, 0, 9, 2, 6, 3)
    assert anchored.segment_tokens == (496, 185, 0, 9, 0, 0, 0)
    assert anchored.prompt_tokens == 690


def test_the_breakpoint_lands_where_the_usage_says_the_cache_ended() -> None:
    counter = PromptCounter()
    cached = [{"role": "user", "content": [
        {"type": "text", "text": "What does 'anchor' mean?",
         "cache_control": {"type": "ephemeral"}}]}]
    usage = {"input_tokens": 2, "cache_creation_input_tokens": 698,
             "cache_read_input_tokens": 0}
    counted = _counted(counter, _record(_body(cached), usage))
    anchored = Anchorer().anchor(counted, "lane")
    assert anchored.prompt_tokens == 700
    [mark] = [index for index, segment in enumerate(counted.request.segments)
              if segment.breakpoint]
    assert sum(anchored.segment_tokens[:mark + 1]) == 698
    assert sum(anchored.segment_tokens[mark + 1:]) == 2


def test_block_ends_follow_this_prompts_counts_not_the_last_ones() -> None:
    counter = PromptCounter()
    counted = _counted(counter, _record(_body(FIRST)))
    segments, tokens = counted.request.segments, counted.segment_tokens
    hasher = BlockHasher()
    hasher.blocks("lane", segments, [token + 10 for token in tokens], {})
    blocks = hasher.blocks("lane", segments, tokens, {})
    assert blocks[-1].end == sum(tokens[:-1])  # all but the reply priming


def _audit(tmp_path: Path, records: list[dict[str, Any]],
           capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    log = tmp_path / "calls.jsonl"
    log.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    assert main(["audit", "--isolated", "-q", "-f", "json", str(log)]) == 0
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return report


def test_the_audit_shows_anchored_counts_and_calibrates_the_bodies(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = _audit(tmp_path, [_record(_body(FIRST), {"input_tokens": 700}),
                               _record(_body(SECOND))], capsys)
    first, second = report["requests"]
    assert (first["prompt_tokens"], second["prompt_tokens"]) == (700, 773)
    assert OWN_USAGE in first["estimate_reasons"]
    assert EARLIER_USAGE in second["estimate_reasons"]
    assert first["bounds"] == {"low": 700, "high": 700}
    # After an earlier turn's usage only the new turn's tool_use and tool_result (32 and 37
    # tokens with the separators closing their turns, each within half its count, rounded
    # up) are still estimates: not the tool definition.
    assert second["bounds"] == {"low": 773 - 16 - 19, "high": 773 + 16 + 19}
    assert (first["body_prompt_tokens"], second["body_prompt_tokens"]) == (572, 645)
    # The calibration table judges the body's estimate (572), not the anchored figure.
    [calibration] = report["summary"]["token_calibration"]
    assert calibration["mean_error"] == 572 - 700


def test_the_audit_anchors_an_edited_turn_of_a_named_session(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    user = {"metadata": {"user_id": "reader-1"}}
    report = _audit(tmp_path, [_record(_body(FIRST, **user), {"input_tokens": 700}),
                               _record(_body(EDITED, **user))], capsys)
    _, edited = report["requests"]
    assert (edited["prompt_tokens"], edited["body_prompt_tokens"]) == (702, 574)
    assert SHARED_USAGE in edited["estimate_reasons"]
    # The tool definition is still an estimate, its margin about its anchored 181 tokens.
    assert edited["bounds"] == {"low": 702 - 46, "high": 702 + 46}
    # An inferred session follows clean appends only: there the edit starts its own
    # session, and its count is the body's.
    report = _audit(tmp_path, [_record(_body(FIRST), {"input_tokens": 700}),
                               _record(_body(EDITED))], capsys)
    assert report["requests"][1]["prompt_tokens"] == 574


def test_exact_counts_are_left_as_the_body_gives_them(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hello there"}]}
    record = {"request": body, "response": {"model": "gpt-4o", "usage": {
        "prompt_tokens": 50, "completion_tokens": 2, "total_tokens": 52}}}
    counted = _counted(PromptCounter(), record)
    assert Anchorer().anchor(counted, "lane") is counted
    [row] = _audit(tmp_path, [record], capsys)["requests"]
    assert row["prompt_tokens"] == counted.prompt_tokens == 9
    assert row["estimate_reasons"] == []


def _within(pairs: list[Any], share: float, predicted: str) -> float:
    return sum(abs(getattr(pair, predicted) - pair.recorded) <= share * pair.recorded
               for pair in pairs) / len(pairs)


def test_anchoring_gains_on_the_shared_recordings() -> None:
    files = ("anthropic-cassettes.jsonl", "anthropic-more.jsonl")
    for name in files:
        if not (SHARED_DATA / name).is_file():
            pytest.skip(f"{SHARED_DATA / name} is absent: the shared reference data is not "
                        "beside this clone")
    every, caches = bench_script("anchoring").measure(SHARED_DATA, files)
    appended = [pair for pair in every if pair.appended and not pair.exotic]
    # Measured by bench/anchoring.py (2026-12): 338 pairs, 225 appended without exotic input.
    assert (len(every), len(appended)) == (338, 225)
    # (0.68/0.69, 0.80, 0.77, 0.84, 0.88 before images were counted in patches and PDF pages
    # as image and text, tokens.anthropic_documents.)
    assert _within(every, 0.03, "body") == pytest.approx(0.70, abs=0.005)
    assert _within(every, 0.03, "anchored") == pytest.approx(0.81, abs=0.005)
    assert _within(appended, 0.03, "body") == pytest.approx(0.80, abs=0.005)
    assert _within(appended, 0.03, "anchored") == pytest.approx(0.86, abs=0.005)
    assert _within(appended, 0.05, "anchored") == pytest.approx(0.89, abs=0.005)
    # The 74 pairs that do not append (an edited or dropped message, changed tools, a
    # compaction block the API drops the history before): the leading run they share with
    # the anchored turn is anchored, the rest counted.
    apart = [pair for pair in every if not pair.appended]
    assert len(apart) == 74
    assert _within(apart, 0.03, "body") == pytest.approx(58 / 74)
    assert _within(apart, 0.03, "anchored") == pytest.approx(64 / 74)
    assert _within(apart, 0.01, "body") == pytest.approx(51 / 74)
    assert _within(apart, 0.01, "anchored") == pytest.approx(53 / 74)
    # 33 of them share a run whose anchoring moves a count: 20 -> 26 within 3%.
    shared = [pair for pair in apart if pair.shared]
    assert len(shared) == 33
    assert _within(shared, 0.03, "body") == pytest.approx(20 / 33)
    assert _within(shared, 0.03, "anchored") == pytest.approx(26 / 33)
    # Cache reads and writes predicted to the token (bench/anthropic_cache.py, with and
    # without --anchored): more with anchored counts.
    exact = {anchored: (sum(o.read == o.recorded.read for o in outcomes if o.active),
                        sum(o.written == o.recorded.written for o in outcomes if o.active))
             for anchored, outcomes in caches.items()}
    # (40, 25) and (48, 46) before the separator closing a turn was cached with the turn
    # (tokens.anthropic_framing.TURN_SEPARATOR).
    assert exact == {False: (45, 28), True: (55, 51)}
