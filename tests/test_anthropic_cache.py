"""Anthropic's explicit cache on hand-built sessions whose right answer is worked out by hand.

The requests are built directly (segments in prefix order, each content block one segment),
each block of an exact token size, so every read and write below is exact arithmetic on the
rules in ``promptcache.cache.anthropic``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from promptcache.cache.replay import BASE, Replayed, Replayer
from promptcache.cache.simulator import Prediction
from promptcache.counting import PromptCounter
from promptcache.load.apis import usage_of
from promptcache.load.formats._usage import normalized_usage
from promptcache.load.formats.base import CHAT, MESSAGES, Usage
from promptcache.model import Location, Request, Segment, SegmentKind
from promptcache.tokens.counter import TokenCounter

MODEL = "claude-sonnet-4-5"  # minimum cacheable prefix: 1024 tokens
_O200K = TokenCounter("o200k_base")


def block(label: str, tokens: int, kind: SegmentKind = SegmentKind.TEXT,
          role: str | None = "user", breakpoint: str = "") -> Segment:
    """A content block of exactly ``tokens`` tokens whose content is ``label``."""
    fixed = tokens - _O200K.count(label)
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
             settings: dict[str, str] | None = None, model: str = MODEL) -> None:
        self.requests.append(Request(Location("log.jsonl", len(self.requests) + 1),
                                     "anthropic.messages", model, tuple(segments),
                                     timestamp=at, settings=settings or {}))

    def replay(self) -> list[Replayed]:
        replayer = Replayer(self.counter)
        done: list[Replayed] = []
        for row, request in enumerate(self.requests):
            done += replayer.add(row, self.counter.count(request), [])
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
