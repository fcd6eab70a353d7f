"""Count each request's prompt tokens the way its provider does."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace

from promptcache.catalog import ModelFacts, facts_for
from promptcache.model import Request, Segment, SegmentKind
from promptcache.tokens.counter import TokenCounter

INTERNED_SEGMENTS = 262_144
"""Distinct segments kept for interning; the least recently seen is forgotten first."""
INTERNED_CHARS = 32_000_000
"""...and at most this much text among them, so memory stays flat on logs of huge tool
results (the history window holds the segments it needs on its own)."""


@dataclass(frozen=True, slots=True)
class CountedRequest:
    """A request with its token counts."""

    request: Request
    """The normalized request."""
    facts: ModelFacts
    """The catalog row for its model."""
    segment_tokens: tuple[int, ...]
    """Tokens of each segment, parallel to ``request.segments``."""
    prompt_tokens: int
    """Total prompt tokens, what the provider reports as ``prompt_tokens``."""
    image_indexes: tuple[int, ...] = ()
    """Indexes of the image segments (found once here, not by every rule on every look back)."""

    def tokens_from(self, index: int) -> int:
        """Tokens of segments ``index`` and after."""
        return sum(self.segment_tokens[index:])


class PromptCounter:
    """Counts requests, keeping one memoized :class:`TokenCounter` per encoding."""

    def __init__(self) -> None:
        self._counters: dict[str, TokenCounter] = {}
        # The interned segments by content, and the same entries by the interned object's id
        # in least-recently-seen order. Reused segments (see normalize.reuse) are the interned
        # objects themselves: found by id, with no hashing of their fields. An id here always
        # belongs to a live object, held by ``_segments``.
        self._segments: dict[Segment, tuple[Segment, int]] = {}
        self._recent: OrderedDict[int, tuple[Segment, int]] = OrderedDict()
        self._interned_chars = 0

    def counter_for(self, encoding: str) -> TokenCounter:
        """The shared counter for ``encoding``."""
        counter = self._counters.get(encoding)
        if counter is None:
            counter = self._counters[encoding] = TokenCounter(encoding)
        return counter

    def flush(self) -> None:
        """Keep the tokenizations of this run for later runs (see tokens.disk_memo)."""
        for counter in self._counters.values():
            counter.flush()

    def count(self, request: Request) -> CountedRequest:
        """Count ``request``, with its segments interned: a segment equal to one seen before
        (the system prompt, the tools, the history an agent resends every turn) becomes that
        same object, so later comparisons between requests are identity checks."""
        facts = facts_for(request.model)
        counter = self.counter_for(facts.encoding)
        seen, recent = self._segments, self._recent
        segments = []
        per_segment = []
        images = []
        for index, segment in enumerate(request.segments):
            if segment.kind is SegmentKind.IMAGE:
                images.append(index)
            known = recent.get(id(segment))
            if known is None:
                known = seen.get(segment)
            if known is None:
                known = (segment, segment.fixed_tokens + counter.count(segment.text))
                seen[segment] = recent[id(segment)] = known
                self._interned_chars += len(segment.text)
                while recent and (len(recent) > INTERNED_SEGMENTS
                                  or self._interned_chars > INTERNED_CHARS):
                    forgotten = recent.popitem(last=False)[1][0]
                    del seen[forgotten]
                    self._interned_chars -= len(forgotten.text)
            else:
                recent.move_to_end(id(known[0]))
            segments.append(known[0])
            per_segment.append(known[1])
        interned = replace(request, segments=tuple(segments))
        return CountedRequest(interned, facts, tuple(per_segment), sum(per_segment),
                              tuple(images))
