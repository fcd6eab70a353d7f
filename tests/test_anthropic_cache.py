"""Anthropic's explicit cache on hand-built sessions whose right answer is worked out by hand.

The requests are built directly (segments in prefix order, each content block one segment),
each block of an exact token size, so every read and write below is exact arithmetic on the
rules in ``promptcache.cache.anthropic``.
"""

from __future__ import annotations

import importlib
import io
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest
from rich.console import Console

from promptcache.cache.anthropic import Block, BlockHasher, prompt_blocks, read_point
from promptcache.cache.replay import BASE, Replayed, Replayer
from promptcache.cache.simulator import Prediction
from promptcache.catalog import facts_for
from promptcache.engine.findings import Repair
from promptcache.engine.rule_engine import default_rules
from promptcache.load.apis import usage_of
from promptcache.load.formats._usage import normalized_usage
from promptcache.load.formats.base import CHAT, MESSAGES, Usage
from promptcache.model import ImageRef, Location, ObservedUsage, Request, Segment, SegmentKind
from promptcache.pricing import CACHE_PREMIUMS, Pricer
from promptcache.report.json_format import report_to_dict
from promptcache.report.markdown_format import render_markdown
from promptcache.report.model import ExplicitCacheRow, Report
from promptcache.report.rich_format import render_rich
from promptcache.report.rows import RequestRows
from promptcache.rules import ALL_RULES
from promptcache.run.audit import _audit
from promptcache.savings import RowFacts, SavingsTally
from promptcache.tokens.counter import TokenCounter
from promptcache.tokens.counting import PromptCounter
from tests.conftest import shared_data

MODEL = "claude-sonnet-4-5"  # minimum cacheable prefix: 1024 tokens
_CLAUDE = TokenCounter(facts_for(MODEL).encoding)


def block(label: str, tokens: int, kind: SegmentKind = SegmentKind.TEXT,
          role: str | None = "user", breakpoint: str = "") -> Segment:
    """A content block of exactly ``tokens`` tokens whose content is ``label``."""
    fixed = tokens - _CLAUDE.count(label)
    assert fixed >= 0
    return Segment(kind, f"$.{label}", label, fixed_tokens=fixed, role=role, key=label,
                   breakpoint=breakpoint)


def frame(role: str) -> Segment:
    """A message frame of 5 tokens (not a content block)."""
    return Segment(SegmentKind.MESSAGE_FRAME, "$.frame", "", fixed_tokens=5, role=role)


TOOL = block("tool lookup_order", 200, SegmentKind.TOOL, role=None)
SYSTEM = block("system policy", 1000, role="system")


def turn(role: str, label: str, tokens: int, breakpoint: str = "") -> list[Segment]:
    return [frame(role), block(label, tokens, role=role, breakpoint=breakpoint)]


@dataclass
class Session:
    """Requests to one model, replayed in order; ``at`` seconds apart as given."""

    counter: PromptCounter = field(default_factory=PromptCounter)
    requests: list[Request] = field(default_factory=list)

    def send(self, segments: Sequence[Segment], at: float | None = None,
             settings: dict[str, str] | None = None, model: str = MODEL,
             observed: ObservedUsage | None = None) -> None:
        self.requests.append(Request(Location("log.jsonl", len(self.requests) + 1),
                                     "anthropic.messages", model, tuple(segments),
                                     timestamp=at, settings=settings or {}, observed=observed))

    def replay(self, fixes: dict[int, Repair] | None = None) -> list[Replayed]:
        replayer = Replayer(self.counter)
        done: list[Replayed] = []
        for row, request in enumerate(self.requests):
            repair = (fixes or {}).get(row)
            done += replayer.add(row, self.counter.count(request),
                                 [] if repair is None else [("PC999", repair)])
        done += replayer.finish()
        return sorted(done, key=lambda verdict: verdict.row)

    def predictions(self) -> list[Prediction]:
        return [verdict.predictions[BASE][1] for verdict in self.replay()]

    def reads_writes(self) -> list[tuple[int, int]]:
        return [(p.cached_tokens, p.written_tokens) for p in self.predictions()]


def first_turn(breakpoint: str = "5m", system_breakpoint: str = "") -> list[Segment]:
    """Tools 200, system 1000 (prefix 1200), user question 5 + 50 (prefix 1255)."""
    system = block("system policy", 1000, role="system", breakpoint=system_breakpoint)
    return [TOOL, system, *turn("user", "question one", 50, breakpoint)]


def second_turn(breakpoint: str = "5m") -> list[Segment]:
    """The first turn without its breakpoint, an answer (5 + 100) and a question (5 + 50):
    1,415 tokens."""
    return [*first_turn(""), *turn("assistant", "answer one", 100),
            *turn("user", "question two", 50, breakpoint)]


def test_appended_turns_read_the_last_write_and_write_the_new_turn() -> None:
    session = Session()
    session.send(first_turn(), at=0)
    session.send(second_turn(), at=60)
    assert session.reads_writes() == [(0, 1255), (1255, 160)]


def test_a_request_without_breakpoints_neither_reads_nor_writes() -> None:
    session = Session()
    session.send(first_turn(), at=0)
    session.send(second_turn(breakpoint=""), at=60)
    assert session.reads_writes() == [(0, 1255), (0, 0)]


def _appended(blocks: int) -> list[Segment]:
    """The first turn, then ``blocks`` one-block messages of 10 tokens (5 frame + 5), the
    last carrying the breakpoint."""
    segments = first_turn("")
    for index in range(blocks):
        role = "assistant" if index % 2 == 0 else "user"
        last = index == blocks - 1
        segments += turn(role, f"message {index}", 5, "5m" if last else "")
    return segments


def test_the_lookback_reaches_20_blocks_and_no_further() -> None:
    # The first write ends at block 2 (tool, system, question). 19 blocks later the new
    # breakpoint is block 21: its 20 positions (21 down to 2) include the write.
    within = Session()
    within.send(first_turn(), at=0)
    within.send(_appended(19), at=60)
    assert within.reads_writes() == [(0, 1255), (1255, 190)]
    # 20 blocks later the breakpoint is block 22 and its lookback stops at block 3.
    beyond = Session()
    beyond.send(first_turn(), at=0)
    beyond.send(_appended(20), at=60)
    assert beyond.reads_writes() == [(0, 1255), (0, 1455)]


def test_a_breakpoint_below_the_minimum_writes_nothing() -> None:
    short = [TOOL, *turn("user", "short question", 500, "5m")]  # 705 < 1024
    session = Session()
    session.send(short, at=0)
    session.send(short, at=10)
    assert session.reads_writes() == [(0, 0), (0, 0)]


def test_only_breakpoints_reaching_the_minimum_are_written() -> None:
    # A breakpoint on the tools (200 tokens) is below the minimum; the one on the question
    # is not: the write is the whole 1,255-token prefix, and the next request reads it.
    session = Session()
    tools_marked = [block("tool lookup_order", 200, SegmentKind.TOOL, role=None,
                          breakpoint="5m"), *first_turn()[1:]]
    session.send(tools_marked, at=0)
    session.send(tools_marked, at=10)
    assert session.reads_writes() == [(0, 1255), (1255, 0)]


def test_one_hour_entries_before_five_minute_ones_split_the_write() -> None:
    session = Session()
    session.send(first_turn("5m", system_breakpoint="1h"), at=0)
    prediction = session.predictions()[0]
    assert (prediction.written_tokens, prediction.written_1h_tokens) == (1255, 1200)
    assert prediction.rejected == ""


def test_a_one_hour_breakpoint_after_a_five_minute_one_is_rejected() -> None:
    session = Session()
    session.send(first_turn("1h", system_breakpoint="5m"), at=0)
    session.send(first_turn("5m"), at=10)
    first, second = session.predictions()
    assert (first.cached_tokens, first.written_tokens) == (0, 0)
    assert "1h cache_control breakpoint after a 5m one" in first.rejected
    # The rejected request wrote nothing: the next one starts cold.
    assert (second.cached_tokens, second.written_tokens) == (0, 1255)


def test_five_minute_entries_expire_between_turns() -> None:
    session = Session()
    session.send(first_turn(), at=0)
    session.send(first_turn(), at=300)  # exactly the lifetime: still there
    session.send(first_turn(), at=601)  # 301 s after its last use (the read at 300)
    assert session.reads_writes() == [(0, 1255), (1255, 0), (0, 1255)]


def test_a_one_hour_entry_survives_a_forty_minute_pause() -> None:
    session = Session()
    session.send(first_turn("1h"), at=0)
    session.send(first_turn("1h"), at=2400)
    session.send(first_turn("5m"), at=2400 + 3601)
    predictions = session.predictions()
    assert [(p.cached_tokens, p.written_tokens, p.written_1h_tokens)
            for p in predictions] == [(0, 1255, 1255), (1255, 0, 0), (0, 1255, 0)]


def test_changed_tool_definitions_change_the_whole_prefix() -> None:
    session = Session()
    session.send(first_turn("5m", system_breakpoint="5m"), at=0)
    changed = block("tool lookup_order v2", 200, SegmentKind.TOOL, role=None)
    session.send([changed, *first_turn("5m", system_breakpoint="5m")[1:]], at=10)
    assert session.reads_writes() == [(0, 1255), (0, 1255)]


def test_a_changed_tool_choice_keeps_the_system_but_not_the_messages() -> None:
    session = Session()
    marked = first_turn("5m", system_breakpoint="5m")
    session.send(marked, at=0, settings={"tool_choice": '{"type": "auto"}'})
    session.send(marked, at=10, settings={"tool_choice": '{"type": "any"}'})
    assert session.reads_writes() == [(0, 1255), (1200, 55)]


def test_more_than_four_breakpoints_is_an_api_error() -> None:
    segments = [block("tool lookup_order", 200, SegmentKind.TOOL, role=None, breakpoint="5m"),
                block("system policy", 1000, role="system", breakpoint="5m")]
    for index in range(3):
        segments += turn("user" if index % 2 == 0 else "assistant", f"turn {index}", 20,
                         "5m")
    session = Session()
    session.send(segments, at=0)
    prediction = session.predictions()[0]
    assert (prediction.cached_tokens, prediction.written_tokens) == (0, 0)
    assert prediction.rejected.startswith("5 cache_control breakpoints")


def test_models_do_not_share_entries() -> None:
    session = Session()
    session.send(first_turn(), at=0)
    session.send(first_turn(), at=10, model="claude-opus-4-1")
    assert session.reads_writes() == [(0, 1255), (0, 1255)]


def test_every_breakpoint_is_also_replayed_at_each_lifetime() -> None:
    session = Session()
    session.send(first_turn("5m"), at=0)
    session.send(first_turn("5m"), at=1200)  # 20 minutes later
    five, one = zip(*[(verdict.lifetimes["5m"], verdict.lifetimes["1h"])
                      for verdict in session.replay()], strict=True)
    assert [(p.cached_tokens, p.written_tokens) for p in five] == [(0, 1255), (0, 1255)]
    assert [(p.cached_tokens, p.written_tokens, p.written_1h_tokens) for p in one] == [
        (0, 1255, 1255), (1255, 0, 0)]


ANTHROPIC_USAGE = {"input_tokens": 12, "cache_read_input_tokens": 1200,
                   "cache_creation_input_tokens": 255,
                   "cache_creation": {"ephemeral_5m_input_tokens": 55,
                                      "ephemeral_1h_input_tokens": 200},
                   "output_tokens": 40}


def test_the_one_hour_part_of_cache_writes_is_read_from_usage() -> None:
    assert usage_of(ANTHROPIC_USAGE, MESSAGES) == (1467, 1200, 255, 200)
    assert normalized_usage(ANTHROPIC_USAGE) == Usage(1467, 1200, 255, 200)
    plain = {key: value for key, value in ANTHROPIC_USAGE.items() if key != "cache_creation"}
    assert usage_of(plain, MESSAGES) == (1467, 1200, 255, None)
    assert usage_of({"prompt_tokens": 10}, CHAT) == (10, 0, None, None)


def test_a_fix_variant_of_an_anthropic_request_replays_through_the_explicit_cache() -> None:
    # The system prompt changes on the second request (a timestamp, say); the fix puts the
    # first request's system back, so the fixed variant reads the 1,255 tokens written.
    session = Session()
    session.send(first_turn(), at=0)
    changed = block("system policy at 10:01", 1000, role="system")
    second = first_turn()
    second[1] = changed
    session.send(second, at=60)
    verdicts = session.replay({1: Repair(replace=((1, SYSTEM),))})
    base = [(p.cached_tokens, p.written_tokens)
            for p in (verdict.predictions[BASE][1] for verdict in verdicts)]
    assert base == [(0, 1255), (0, 1255)]
    fixed = verdicts[1].predictions["fixed"][1]
    assert (fixed.cached_tokens, fixed.written_tokens) == (1255, 0)
    assert verdicts[1].predictions["PC999"][1].cached_tokens == 1255


# claude-sonnet-4-5 in genai-prices 0.2.5, USD per million input tokens: input 3, cache read
# 0.3, 5-minute write 3.75, 1-hour write 6.


def test_writes_are_priced_at_their_lifetime_premium() -> None:
    pricer = Pricer()
    # 55 tokens written for 5 minutes, 1,200 for an hour: 55 x 3.75 + 1,200 x 6.
    assert pricer.input_cost("anthropic", MODEL, 1255, 0, 1255, 1200) == pytest.approx(
        7406.25e-6)
    # 1,255 read, 160 written for 5 minutes: 1,255 x 0.3 + 160 x 3.75.
    assert pricer.input_cost("anthropic", MODEL, 1415, 1255, 160) == pytest.approx(976.5e-6)


@pytest.mark.parametrize("model", ["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1",
                                   "claude-3-5-haiku-20241022"])
def test_the_bundled_claude_prices_carry_the_documented_premiums(model: str) -> None:
    rates = Pricer().rates("anthropic", model)
    assert rates is not None
    assert rates.cache_read is not None
    assert rates.cache_write is not None
    assert rates.cache_write_long is not None
    premiums = CACHE_PREMIUMS["anthropic"]
    base = rates.input[0]
    assert rates.cache_read[0] == pytest.approx(base * premiums.read)
    assert rates.cache_write[0] == pytest.approx(base * premiums.write)
    assert rates.cache_write_long[0] == pytest.approx(base * premiums.write_long)


def _report(session: Session) -> Report:
    return _audit((session.counter.count(request) for request in session.requests),
                  default_rules(ALL_RULES), None, None, session.counter)


def _twenty_minutes_apart() -> Session:
    """Two identical requests 20 minutes apart, the provider's usage logged: the first wrote
    1,255 tokens, the second found nothing (the 5-minute entry had expired) and wrote again."""
    session = Session()
    for at in (0, 1200):
        session.send(first_turn(), at=at, observed=ObservedUsage(1255, 0, 1255, 0))
    return session


def test_the_report_says_which_lifetime_pays_for_the_traffic() -> None:
    report = _report(_twenty_minutes_apart())
    savings = report.summary.savings
    # 5m: two writes of 1,255 at 3.75. 1h: one write at 6, then a read at 0.3.
    assert dict(savings.lifetime_costs) == pytest.approx({"5m": 9412.5e-6, "1h": 7906.5e-6})
    assert savings.lifetime_that_pays == "1h"
    summary = report_to_dict(report)["summary"]
    assert summary["explicit_cache"]["lifetime_that_pays"] == "1h"
    assert summary["explicit_cache"]["lifetime_costs_usd"] == {"1h": 0.007907, "5m": 0.009413}
    text = _rich(report)
    assert "Cache lifetime" in text
    assert ("with every breakpoint at 5m the input would cost $0.0094, at 1h $0.0079: 1h pays"
            in text)


def _rich(report: Report) -> str:
    out = io.StringIO()
    render_rich(report, Console(file=out, width=200, color_system=None))
    return out.getvalue()


def test_the_report_compares_predicted_reads_and_writes_with_the_usage() -> None:
    session = Session()
    session.send(first_turn(), at=0, observed=ObservedUsage(1255, 0, 1255, 0))
    session.send(second_turn(), at=60, observed=ObservedUsage(1415, 1255, 160, 0))
    # The provider read nothing here (another machine): a miss of the model.
    session.send(first_turn(), at=90, observed=ObservedUsage(1255, 0, 1255, 0))
    report = _report(session)
    document = report_to_dict(report)
    (row,) = document["summary"]["explicit_cache"]["calibration"]
    assert row == {"model": MODEL, "requests": 3,
                   "reads": {"exact": 2, "within_5pct": 2, "predicted_tokens": 2510,
                             "observed_tokens": 1255},
                   "writes": {"requests": 3, "exact": 2, "within_5pct": 2,
                              "predicted_tokens": 1415, "observed_tokens": 2670}}
    assert [entry["explicit_cache"] for entry in document["requests"]] == [
        {"predicted_written_tokens": 1255, "predicted_written_1h_tokens": 0,
         "observed_written_tokens": 1255, "observed_written_1h_tokens": 0, "rejected": None},
        {"predicted_written_tokens": 160, "predicted_written_1h_tokens": 0,
         "observed_written_tokens": 160, "observed_written_1h_tokens": 0, "rejected": None},
        {"predicted_written_tokens": 0, "predicted_written_1h_tokens": 0,
         "observed_written_tokens": 1255, "observed_written_1h_tokens": 0, "rejected": None}]
    schema = json.loads((Path(__file__).resolve().parents[1] / "src" / "promptcache"
                         / "schemas" / "report.schema.json").read_text("utf-8"))
    jsonschema.validate(document, schema)
    markdown = render_markdown(report)
    assert f"| `{MODEL}` | 3 | 2 | 2 | 2,510 / 1,255 | 2 of 3 | 2 of 3 | 1,415 / 2,670 |" in (
        markdown)
    assert "1,415 / 2,670" in _rich(report)


def test_a_rejected_request_says_why_on_its_row() -> None:
    session = Session()
    session.send(first_turn("1h", system_breakpoint="5m"), at=0,
                 observed=ObservedUsage(1255, 0, 0, 0))
    document: dict[str, Any] = report_to_dict(_report(session))
    assert document["requests"][0]["explicit_cache"]["rejected"].startswith(
        "a 1h cache_control breakpoint after a 5m one")


def test_a_rejected_request_that_the_usage_shows_cached_is_a_valid_disagreement() -> None:
    # The usage says the API read a cache after all: a calibration disagreement of reason
    # "rejected", which the report's schema must accept.
    session = Session()
    session.send(first_turn("1h", system_breakpoint="5m"), at=0,
                 observed=ObservedUsage(1255, 1200, 0, 0))
    document: dict[str, Any] = report_to_dict(_report(session))
    reasons = [item["reason"] for item in document["summary"]["calibration"]["disagreements"]]
    assert reasons == ["rejected"]
    schema = json.loads((Path(__file__).resolve().parents[1] / "src" / "promptcache"
                         / "schemas" / "report.schema.json").read_text("utf-8"))
    jsonschema.validate(document, schema)


def test_request_rows_keep_the_explicit_cache_side_when_spilled_to_disk() -> None:
    report = _report(_twenty_minutes_apart())
    rows = RequestRows(memory_rows=1)  # every row goes through the spill file
    for row in report.requests:
        rows.append(row)
    assert list(rows) == list(report.requests)
    assert [row.explicit_cache for row in rows] == [
        ExplicitCacheRow(1255, 0, 1255, 0, ""), ExplicitCacheRow(1255, 0, 1255, 0, "")]


def test_a_read_the_model_calls_an_api_error_is_a_disagreement_saying_so() -> None:
    session = Session()
    session.send(first_turn(), at=0, observed=ObservedUsage(1255, 0, 1255, 0))
    session.send(first_turn("1h", system_breakpoint="5m"), at=10,
                 observed=ObservedUsage(1255, 1255, 0, 0))
    calibration = _report(session).summary.savings.calibration
    assert calibration is not None
    assert calibration.by_reason == (("rejected", 1),)
    (disagreement,) = calibration.disagreements
    assert (disagreement.location.line, disagreement.observed_cached_tokens,
            disagreement.predicted_cached_tokens) == (2, 1255, 0)
    assert "1h cache_control breakpoint after a 5m one" in disagreement.explanation



def _image(label: str, tokens: int, breakpoint: str = "") -> Segment:
    return Segment(SegmentKind.IMAGE, f"$.{label}", "", fixed_tokens=tokens, role="user",
                   key=label, image=ImageRef(label, "auto", False, 100, 100, "image/png"),
                   breakpoint=breakpoint)


def test_an_image_added_to_the_prompt_invalidates_the_messages_but_not_the_system() -> None:
    session = Session()
    marked = first_turn("5m", system_breakpoint="5m")
    session.send(marked, at=0)
    # The same question, then an image of 13 tokens carrying the breakpoint: the question's
    # entry no longer serves (images invalidate the messages), the system's does.
    session.send([*marked[:-1], block("question one", 50), _image("chart", 13, "5m")], at=10)
    assert session.reads_writes() == [(0, 1255), (1200, 68)]


def test_incremental_block_hashes_equal_hashing_the_whole_prompt() -> None:
    hasher = BlockHasher()
    prompts = [
        (first_turn("5m", system_breakpoint="5m"), {}),
        (second_turn(), {}),
        (second_turn(), {"tool_choice": '{"type": "any"}'}),
        ([*second_turn(""), _image("chart", 13, "5m")], {"tool_choice": '{"type": "any"}'}),
        (first_turn(), {}),
    ]
    counter = PromptCounter()
    for segments, settings in prompts:
        counted = counter.count(Request(Location("log.jsonl", 1), "anthropic.messages", MODEL,
                                        tuple(segments), settings=settings))
        incremental = hasher.blocks("lane", counted.request.segments, counted.segment_tokens,
                                    settings)
        whole = prompt_blocks(counted.request.segments, counted.segment_tokens, settings)
        assert incremental == whole


def test_no_lifetime_is_said_to_pay_when_nothing_is_priced() -> None:
    session = Session()
    for at in (0, 1200):
        session.send(first_turn(), at=at, model="claude-mythos-5")  # not in the price data
    report = _report(session)
    explicit = report_to_dict(report)["summary"]["explicit_cache"]
    assert explicit["lifetime_costs_usd"] == {"1h": None, "5m": None}
    assert (explicit["lifetime_that_pays"], explicit["lifetime_note"]) == (None, None)
    assert "Cache lifetime" not in _rich(report)
    assert "Cache lifetime" not in render_markdown(report)


def test_a_read_refreshes_the_entry_it_reads() -> None:
    session = Session()
    for at in (0, 250, 500, 750):  # 500 is past 300 s from the write, not from the last read
        session.send(first_turn(), at=at)
    assert session.reads_writes() == [(0, 1255), (1255, 0), (1255, 0), (1255, 0)]


def test_a_fix_is_worth_the_reads_it_gains_minus_the_writes_it_adds() -> None:
    session = Session()
    session.send(first_turn(), at=0)
    second = first_turn()
    second[1] = block("system policy at 10:01", 1000, role="system")
    session.send(second, at=60)
    tally = SavingsTally(Pricer(), "documented idle lifetime")
    for verdict, request in zip(session.replay({1: Repair(replace=((1, SYSTEM),))}),
                                session.requests, strict=True):
        tally.add(verdict, RowFacts(request.location, "anthropic", MODEL, None))
    savings = tally.result()
    # The second request as logged writes 1,255 tokens at 3.75; fixed, it reads them at 0.3.
    assert savings.savings_usd == pytest.approx(1255 * (3.75 - 0.3) / 1e6)
    assert savings.savings_by_rule == (("PC999", pytest.approx(4329.75e-6), 1255),)
    assert savings.cost_usd == pytest.approx(2 * 1255 * 3.75 / 1e6)


# Minimum cacheable prefixes, per model, as the recordings show them (catalog.py cites them).


@pytest.mark.parametrize(("model", "system", "written"), [
    # dd-trace-js claude-agent-sdk cassettes write 1,057 and 1,143 tokens on Sonnet 4.6.
    ("claude-sonnet-4-6", 1000, 1055),
    ("claude-sonnet-4-6", 900, 0),  # 955 < 1024
    # Haiku 4.5: Mirascope's breakpoints over 3,094 to 3,425 tokens write nothing.
    ("claude-haiku-4-5", 3400, 0),
    ("claude-haiku-4-5", 4100, 4155),
])
def test_a_breakpoint_writes_only_from_the_models_minimum(model: str, system: int,
                                                          written: int) -> None:
    session = Session()
    session.send([block("system policy", system, role="system"),
                  *turn("user", "question one", 50, "5m")], at=0, model=model)
    assert session.reads_writes() == [(0, written)]


def test_the_lookback_search_takes_the_longest_prefix_any_breakpoint_reaches() -> None:
    blocks = [Block(bytes([index]), 100 * (index + 1), "5m" if index in (3, 30) else "")
              for index in range(31)]
    cached = {bytes([1]), bytes([2]), bytes([12])}
    # Block 30's lookback (30 down to 11) finds block 12; block 3's finds block 2.
    assert read_point(blocks, [3, 30], 20, cached.__contains__) == 12
    assert read_point(blocks, [3], 20, cached.__contains__) == 2
    assert read_point(blocks, [30], 18, cached.__contains__) == -1  # 30 down to 13
    assert read_point(blocks, [], 20, cached.__contains__) == -1


# bench/anthropic_cache.py on recordings written here: its reasons, and its use of usage.

_FOX = "The quick brown fox jumps over the lazy dog. " * 120
"""A system prompt of 1,321 tokens with the question's frame (claude-sonnet-4-5)."""


def _bench_cache() -> ModuleType:
    """bench/anthropic_cache.py, imported as the script runs it (its folder on the path)."""
    folder = str(Path(__file__).resolve().parents[1] / "bench")
    if folder not in sys.path:
        sys.path.append(folder)
    return importlib.import_module("anthropic_cache")


def _recording(source: str, usage: dict[str, Any], automatic: bool = False) -> str:
    system: dict[str, Any] = {"type": "text", "text": _FOX}
    body: dict[str, Any] = {"model": MODEL, "max_tokens": 16, "system": [system],
                            "messages": [{"role": "user", "content": "What does the fox do?"}]}
    if automatic:
        body["cache_control"] = {"type": "ephemeral"}
    else:
        system["cache_control"] = {"type": "ephemeral"}
    return json.dumps({"request": body, "response": {"model": MODEL, "usage": usage},
                       "meta": {"source": source}}) + "\n"


def _usage(read: int, written: int, uncached: int = 13) -> dict[str, Any]:
    return {"input_tokens": uncached, "cache_read_input_tokens": read,
            "cache_creation_input_tokens": written}


def test_the_cache_bench_credits_a_read_of_what_another_cassette_wrote(
        tmp_path: Path) -> None:
    path = tmp_path / "recorded.jsonl"
    # The prefix the breakpoint writes ends after the separator that closes the system turn.
    path.write_text(_recording("acme/app@1:write.yaml#0", _usage(0, 1322, uncached=12))
                    + _recording("acme/app@1:read.yaml#0", _usage(1322, 0, uncached=12))
                    + _recording("other/app@2:read.yaml#0", _usage(1322, 0, uncached=12)))
    writer, sibling, stranger = _bench_cache().outcomes(path)
    assert (writer.read, writer.written, writer.reason) == (0, 1322, "")
    # Replayed alone, each reading cassette writes what the provider read...
    assert [(o.read, o.written) for o in (sibling, stranger)] == [(0, 1322), (0, 1322)]
    # ...the one whose project wrote the prefix elsewhere is credited with that write.
    assert (sibling.sibling_read, sibling.reason) == (1322, "warmed-by-sibling")
    assert (stranger.sibling_read, stranger.reason) == (0, "warm-start")


def test_the_cache_bench_takes_the_usage_of_the_pass_over_the_body(tmp_path: Path) -> None:
    # A compaction: the first iteration writes the body's prefix, the top-level usage is
    # the last pass's, over the summary the server built.
    usage = {**_usage(0, 0, uncached=229), "iterations": [
        {"type": "compaction", **_usage(0, 1331, uncached=100)},
        {"type": "message", **_usage(0, 0, uncached=229)}]}
    path = tmp_path / "compaction.jsonl"
    path.write_text(_recording("acme/app@1:compact.yaml#0", usage, automatic=True))
    bench = _bench_cache()
    (outcome,) = bench.outcomes(path)
    assert outcome.recorded == bench.Recorded(1431, 0, 1331, compaction=True)
    # Automatic caching marks the question, the last block: the write is the prompt but
    # its 3-token tail (the separator closing the question is cached with it), and agrees
    # exactly.
    assert (outcome.written, outcome.tail, outcome.automatic) == (1331, 3, True)
    # The server's 100-token summarization prompt follows the breakpoint, uncached: the
    # placement check leaves the pass out.
    assert bench.automatic_placement([outcome]).startswith(
        "automatic caching: the uncached tail after the breakpoint agrees within 3 tokens on "
        "0/0 of the records it cached (1 compaction passes left out")


def test_the_cache_bench_names_who_is_at_fault(tmp_path: Path) -> None:
    mocked = json.loads(_recording("acme/app@1:mock.yaml#0", _usage(2, 5, uncached=100)))
    del mocked["request"]["system"][0]["cache_control"]
    path = tmp_path / "odd.jsonl"
    path.write_text(json.dumps(mocked) + "\n"
                    + _recording("acme/app@1:search.yaml#0", _usage(3000, 6000, uncached=40)))
    bench = _bench_cache()
    outcomes = list(bench.outcomes(path))
    assert [o.reason for o in outcomes] == ["no-breakpoint", "server-input"]
    table = "\n".join(bench.closing_table(outcomes))
    assert "| within 5% scaled to the recorded total | 0/2 (0%) | 0/2 (0%) |" in table
    assert "| server-input | 1 | recording / count |" in table


# The shared recordings: the agreement measured when the catalogue's minimums were checked
# against them (bench/anthropic_cache.py --list gives every record's reason).

READS_AGREEING = 57
"""Of 104 records with a cache read or write, reads within 5% once scaled. 58 before the
separator closing a turn was cached with it (tokens.anthropic_framing.TURN_SEPARATOR, which
made 5 more reads and 3 more writes exact): Future-House/ldp
test_anthropic_incremental_cache_with_conversation #3 appends a block to the message #0
cached, and the provider still reads #0's entry, separator included; the replay matches
blocks by their segments, and the old last block no longer carries it."""
WRITES_AGREEING = 45
"""...and writes (46 before, the same record)."""


def test_the_shared_recordings_agree_with_the_cache_model() -> None:
    data = shared_data("anthropic-more.jsonl").parent
    shared_data("anthropic-cassettes.jsonl")
    bench = _bench_cache()
    results = bench.all_outcomes(data)
    active = [o for o in results if o.counted is not None and o.active]
    assert (len(results), len(active)) == (1261, 104)
    assert all(o.counted is not None for o in results)
    reads = sum(o.agrees(o.read, o.recorded.read, scale=True) for o in active)
    writes = sum(o.agrees(o.written, o.recorded.written, scale=True) for o in active)
    assert (reads, writes) >= (READS_AGREEING, WRITES_AGREEING)
    blamed = [f"{o.file}:{o.line} {o.reason}" for o in results
              if o.reason in bench.MODELLING_ERRORS]
    assert not blamed, f"disagreements the cache model is at fault for: {blamed}"
