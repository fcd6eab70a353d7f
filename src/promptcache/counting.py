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
        self._segments: OrderedDict[Segment, tuple[Segment, int]] = OrderedDict()
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
        seen = self._segments
        segments = []
        per_segment = []
        images = []
        for index, segment in enumerate(request.segments):
            if segment.kind is SegmentKind.IMAGE:
                images.append(index)
            known = seen.get(segment)
            if known is None:
                known = (segment, segment.fixed_tokens + counter.count(segment.text))
                seen[segment] = known
                self._interned_chars += len(segment.text)
                while seen and (len(seen) > INTERNED_SEGMENTS
                                or self._interned_chars > INTERNED_CHARS):
                    self._interned_chars -= len(seen.popitem(last=False)[0].text)
            else:
                seen.move_to_end(segment)
            segments.append(known[0])
            per_segment.append(known[1])
        interned = replace(request, segments=tuple(segments))
        return CountedRequest(interned, facts, tuple(per_segment), sum(per_segment),
                              tuple(images))
