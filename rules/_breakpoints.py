"""Helpers shared by the rules about explicit cache breakpoints (PC501-PC508).

Not a rule (the leading underscore keeps it out of the registry): where a request's
breakpoints are, which blocks they count in Anthropic's lookback, how long the prefix each
one ends is, and what a write costs. Every rule here stays quiet on a provider whose cache
is implicit (``facts.cache.max_breakpoints == 0``): there, nothing the request marks decides
what is cached.

A request's segments are in Anthropic's prefix order (tools, system, messages); each content
block is one segment of kind TOOL, TEXT, IMAGE, TOOL_CALL or OTHER, and frames (a message's
role marker, the tools' wrapper, the reply priming) are not blocks: they do not count in the
20-block lookback and carry no ``cache_control``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace

from promptcache.engine.findings import Repair
from promptcache.engine.rule_api import Group
from promptcache.model import BLOCK_KINDS, Request
from promptcache.pricing import CACHE_PREMIUMS
from promptcache.rules._conversation import segment_key
from promptcache.tokens.counting import CountedRequest

SHORT_TTL = "5m"
LONG_TTL = "1h"

_PREMIUMS = CACHE_PREMIUMS["anthropic"]
WRITE_PREMIUM: dict[str, float] = {SHORT_TTL: _PREMIUMS.write, LONG_TTL: _PREMIUMS.write_long}
"""What writing one token to the cache costs, as a multiple of the base input price, by
lifetime (the dated table in :mod:`promptcache.pricing`)."""

READ_PRICE = _PREMIUMS.read
"""What reading one cached token costs, as a multiple of the base input price."""


def explicit(counted: CountedRequest) -> bool:
    """True when the request's provider caches only where the request asks (breakpoints)."""
    return counted.facts.cache.max_breakpoints > 0


_MESSAGE_ROLES = ("user", "assistant")


def first_message(counted: CountedRequest) -> int:
    """Index of the first segment of the messages (the number of segments when none)."""
    segments = counted.request.segments
    return next((index for index, segment in enumerate(segments)
                 if segment.role in _MESSAGE_ROLES), len(segments))


def tokens_before_messages(counted: CountedRequest) -> int:
    """Tokens of the tools and the system prompt: what a change that Anthropic says
    invalidates only the messages (``tool_choice``, thinking, images) leaves cached."""
    return sum(counted.segment_tokens[:first_message(counted)])


def automatic_ttl(request: Request) -> str:
    """The lifetime the top-level ``cache_control`` (automatic caching) asks for, or '' when
    the request does not use automatic caching."""
    raw = request.settings.get("cache_control")
    if raw is None:
        return ""
    try:
        value = json.loads(raw)
    except ValueError:
        return SHORT_TTL
    ttl = value.get("ttl") if isinstance(value, dict) else None
    return ttl if ttl in WRITE_PREMIUM else SHORT_TTL


@dataclass(frozen=True, slots=True)
class Breakpoint:
    """One cache breakpoint of a request: the block it ends and the prefix it would write."""

    segment: int
    """Index of the block's segment."""
    block: int
    """Position of the block among the request's blocks (0 for the first tool or system
    block): what the 20-block lookback counts."""
    ttl: str
    """``5m`` or ``1h``."""
    prefix_tokens: int
    """Tokens of the prompt up to and including the block: what an entry here holds."""
    path: str
    """JSON path of the block's ``cache_control`` (for automatic caching's breakpoint, where
    the API puts it: the last block)."""
    entry: int
    """A digest of the prefix through the block: equal for two requests whose entries here
    are the same (what a read would find)."""
    automatic: bool = False
    """Set by the top-level ``cache_control`` (automatic caching), not by the block."""
    body_path: str = "$"
    """Where the request's body sits in its record."""

    @property
    def reported_path(self) -> str:
        """Where a finding points: the field that sets the breakpoint and that a fix changes
        (the top-level ``cache_control`` for automatic caching's; ``path`` otherwise, which
        stays the block's so that breakpoints are compared by the block they mark)."""
        return f"{self.body_path}.cache_control" if self.automatic else self.path


@dataclass(frozen=True, slots=True)
class Layout:
    """A request's blocks and breakpoints, worked out once per request."""

    blocks: tuple[int, ...]
    """Segment index of each block, in prefix order."""
    breakpoints: tuple[Breakpoint, ...]
    """Its breakpoints, in prefix order."""
    automatic: str
    """The lifetime of the top-level ``cache_control``; '' when absent."""

    def block_at(self, segment: int) -> int | None:
        """The block position of the segment at index ``segment``, None when it is a frame."""
        try:
            return self.blocks.index(segment)
        except ValueError:
            return None

    def last_block_before(self, segment: int) -> int | None:
        """Segment index of the last block before the segment at ``segment``, if any."""
        earlier = [index for index in self.blocks if index < segment]
        return earlier[-1] if earlier else None


def reader(marks: Layout, entry_block: int, lookback: int) -> Breakpoint | None:
    """The breakpoint of a request that finds an entry ending at its block ``entry_block``:
    one whose window of ``lookback`` blocks, its own block first, holds that block (Anthropic
    "Prompt caching" docs: a read checks the block boundaries from the breakpoint back, about
    20 blocks; the window counts the breakpoint's own block, so an entry 20 blocks back is
    missed, as the cache simulator has it, and as "appending 20 or more blocks between writes
    misses" in shared/domain.md)."""
    return next((mark for mark in marks.breakpoints
                 if 0 <= mark.block - entry_block < lookback), None)


def layout(counted: CountedRequest) -> Layout:
    """The request's blocks and breakpoints (memoized on the request)."""
    return counted.derived(_layout)


def _layout(counted: CountedRequest) -> Layout:
    request = counted.request
    segments = request.segments
    blocks = tuple(index for index, segment in enumerate(segments)
                   if segment.kind in BLOCK_KINDS)
    # Automatic caching's breakpoint is already on the last block that can carry one (the
    # normalizer puts it there, as the API does), so it is found with the explicit ones.
    position = {segment: order for order, segment in enumerate(blocks)}
    found: list[Breakpoint] = []
    running = 0
    for index, (segment, tokens) in enumerate(zip(segments, counted.segment_tokens,
                                                  strict=True)):
        running += tokens
        if segment.breakpoint and index in position:
            entry = hash(tuple(map(segment_key, segments[:index + 1])))
            found.append(Breakpoint(index, position[index], segment.breakpoint, running,
                                    f"{segment.path}.cache_control", entry))
    automatic = automatic_ttl(request)
    if automatic and found:
        # Automatic caching marks the last cacheable block, so the last breakpoint is its.
        last = found[-1]
        found[-1] = Breakpoint(last.segment, last.block, last.ttl, last.prefix_tokens,
                               last.path, last.entry, True, request.body_path)
    return Layout(blocks, tuple(found), automatic)


def resent_entries(previous: CountedRequest, shared_segments: int) -> list[Breakpoint]:
    """The entries ``previous`` wrote (breakpoints whose prefix reaches its model's minimum)
    that a later request sharing its first ``shared_segments`` segments re-sends whole."""
    minimum = previous.facts.cache.min_tokens
    return [mark for mark in layout(previous).breakpoints
            if mark.segment < shared_segments and mark.prefix_tokens >= minimum]


def calibrated(counted: CountedRequest, tokens: int) -> int:
    """``tokens`` of the request's count, scaled to the total its recorded usage gives when
    the log has it: the provider's total is the truth for the request, and the offline count
    of Claude text is an estimate that can be off by a fifth or more
    (shared/anthropic-counting-facts.md)."""
    observed = counted.request.observed
    if observed is None or counted.prompt_tokens <= 0:
        return tokens
    return round(tokens * observed.prompt_tokens / counted.prompt_tokens)


def cache_used(counted: CountedRequest) -> bool:
    """True when the recorded usage shows the request read or wrote the cache."""
    observed = counted.request.observed
    return observed is not None and bool(observed.cached_tokens or observed.written_tokens)


def tokens_through(counted: CountedRequest, segment: int) -> int:
    """Tokens of the prompt up to and including the segment at index ``segment``."""
    return sum(counted.segment_tokens[:segment + 1])


def readable_tokens(counted: CountedRequest, shared_segments: int) -> int:
    """Of a prefix of ``shared_segments`` leading segments shared with an earlier request,
    the tokens up to the end of its last whole block: Anthropic reads cache entries at block
    boundaries only."""
    last = layout(counted).last_block_before(shared_segments)
    return 0 if last is None else tokens_through(counted, last)


def premium_tokens(tokens: int, ttl: str) -> int:
    """What writing ``tokens`` costs beyond paying them at the input price, in input-token
    equivalents (a 5m write of 1,000 tokens costs 250 more than sending them uncached)."""
    return round(tokens * (WRITE_PREMIUM.get(ttl, WRITE_PREMIUM[SHORT_TTL]) - 1.0))


def ttl_words(ttl: str) -> str:
    """A lifetime for messages: '5-minute' or '1-hour'."""
    return "1-hour" if ttl == LONG_TTL else "5-minute"


def remarked(counted: CountedRequest, marks: Mapping[int, str]) -> Repair:
    """The fix that sets the breakpoint of each segment index in ``marks`` to its lifetime
    ('' removes it), for the savings replay: the explicit-cache model reads breakpoints from
    the segments, so moving one is the whole fix."""
    segments = counted.request.segments
    return Repair(replace=tuple((index, replace(segments[index], breakpoint=ttl))
                                for index, ttl in sorted(marks.items())))


def measure_range(group: Group) -> str:
    """The range of a finding's measure for its summary: ``22`` or ``21 to 34``."""
    if group.measure_min == group.measure_max:
        return f"{group.measure_min:,}"
    return f"{group.measure_min:,} to {group.measure_max:,}"


def summarize_in_requests(group: Group) -> str:
    """The first hit's message, with how many requests show it when more than one."""
    if group.occurrences == 1:
        return group.first.message
    return f"{group.first.message} (in {group.occurrences:,} requests)"
