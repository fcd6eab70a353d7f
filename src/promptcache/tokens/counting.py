"""Count each request's prompt tokens the way its provider does."""

from __future__ import annotations

from array import array
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from operator import attrgetter, is_, itemgetter
from typing import TypeVar, cast

from promptcache.catalog import ModelFacts, facts_for
from promptcache.model import Request, Segment, SegmentKind
from promptcache.tokens.counter import TokenCounter

_T = TypeVar("_T")

INTERNED_SEGMENTS = 16_384
"""Distinct segments kept for interning; the least recently seen is forgotten first."""
INTERNED_CHARS = 16_000_000
"""...and at most this much text among them, so memory stays flat on logs of huge tool
results (the history window holds the segments it needs on its own)."""


@dataclass(frozen=True, slots=True)
class Anchoring:
    """How a count was anchored on recorded usage (see :mod:`promptcache.anchoring`), with
    what the bodies alone gave: the count before anchoring stays reachable, for the
    calibration table and ``bench/accuracy.py``, which judge the estimate from the bodies."""

    reason: str
    """What the anchored figure rests on, a phrase the report groups requests by: the
    request's own usage, or an earlier turn's usage plus the counted delta."""
    body_segment_tokens: tuple[int, ...]
    """Tokens of each segment as counted from the body alone."""
    body_prompt_tokens: int
    """Their sum: the body-only estimate of the prompt."""
    known: int = 0
    """Leading segments whose tokens an earlier turn's usage fixed (0 when anchored on the
    request's own usage alone): only what follows them is still an estimate."""


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
    anchoring: Anchoring | None = None
    """Set when the counts above are anchored on recorded usage (then they are no longer
    what the body alone gives: that is kept here); None for a count from the body alone."""
    _derived: dict[Callable[[CountedRequest], object], object] = field(
        default_factory=dict, compare=False, repr=False)

    def derived(self, make: Callable[[CountedRequest], _T]) -> _T:
        """``make(self)``, worked out once for this request: a rule looks at each request
        again from every later request of its stream, and ``make`` is a pure function of
        the request, so its result is kept with it (and goes when the request does)."""
        known = self._derived
        if make in known:
            return cast("_T", known[make])
        value = known[make] = make(self)
        return value

    @property
    def body_prompt_tokens(self) -> int:
        """The prompt's tokens as counted from its body alone, anchored or not."""
        anchoring = self.anchoring
        return self.prompt_tokens if anchoring is None else anchoring.body_prompt_tokens

    @property
    def cacheable(self) -> bool:
        """Long enough to be cached: the provider caches nothing of a prompt below its
        model's minimum, so such a request leaves no entry and is never served from one."""
        return self.prompt_tokens >= self.facts.cache.min_tokens

    def tokens_from(self, index: int) -> int:
        """Tokens of segments ``index`` and after."""
        return sum(self.segment_tokens[index:])


class SegmentTable:
    """Interned segments of one encoding with their tokens.

    Segments are kept by content, oldest first, and the same entries by the interned object's
    id: a segment reused from the previous turn (see normalize.reuse) is the interned object
    itself and is found by id, without hashing its fields. An id here always belongs to a live
    object, held by ``_by_content``. The oldest are forgotten first, even if still in use: a
    forgotten segment is interned anew and compared by value meanwhile.
    """

    def __init__(self, counter: TokenCounter) -> None:
        self.counter = counter
        self._by_content: OrderedDict[Segment, tuple[Segment, int]] = OrderedDict()
        self._by_id: dict[int, tuple[Segment, int]] = {}
        self._chars = 0

    def entries(self, segments: tuple[Segment, ...]) -> list[tuple[Segment, int]]:
        """(interned segment, its tokens) for each of ``segments``."""
        # A pass in C first: most segments of an agent's request are interned already.
        found = list(map(self._by_id.get, map(id, segments)))
        if None in found:
            for index, entry in enumerate(found):
                if entry is None:
                    found[index] = self.entry(segments[index])
        return cast("list[tuple[Segment, int]]", found)

    def entry(self, segment: Segment) -> tuple[Segment, int]:
        """(the interned segment equal to ``segment``, its tokens)."""
        known = self._by_id.get(id(segment))
        if known is not None:
            return known
        table = self._by_content
        known = table.get(segment)
        if known is not None:
            return known
        tokens = segment.fixed_tokens + self.counter.count(segment.text)
        known = table[segment] = self._by_id[id(segment)] = (segment, tokens)
        self._chars += len(segment.text)
        while table and (len(table) > INTERNED_SEGMENTS or self._chars > INTERNED_CHARS):
            forgotten = table.popitem(last=False)[0]
            del self._by_id[id(forgotten)]
            self._chars -= len(forgotten.text)
        return known

    def intern(self, segment: Segment) -> Segment:
        """The interned segment equal to ``segment`` (counted on the way)."""
        return self.entry(segment)[0]


class PromptCounter:
    """Counts requests, keeping one memoized :class:`TokenCounter` and one
    :class:`SegmentTable` per encoding (the same text has other tokens in another)."""

    def __init__(self, on_new: Callable[[str, str, array[int]], None] | None = None) -> None:
        self._counters: dict[str, TokenCounter] = {}
        self._tables: dict[str, SegmentTable] = {}
        self._on_new = on_new
        """Told (encoding, text, ids) of each text a counter tokenizes (see
        :attr:`TokenCounter.on_new`)."""

    def counter_for(self, encoding: str) -> TokenCounter:
        """The shared counter for ``encoding``."""
        counter = self._counters.get(encoding)
        if counter is None:
            counter = self._counters[encoding] = TokenCounter(encoding)
            if self._on_new is not None:
                counter.on_new = partial(self._on_new, encoding)
        return counter

    def table_for(self, encoding: str) -> SegmentTable:
        """The interned segments of ``encoding``."""
        table = self._tables.get(encoding)
        if table is None:
            table = self._tables[encoding] = SegmentTable(self.counter_for(encoding))
        return table

    def intern(self, encoding: str, segment: Segment) -> Segment:
        """The interned segment equal to ``segment`` in ``encoding``: lets the normalizer
        keep interned objects for the next turn to reuse."""
        return self.table_for(encoding).intern(segment)

    def flush(self) -> None:
        """Keep the tokenizations of this run for later runs (see tokens.disk_memo)."""
        for counter in self._counters.values():
            counter.flush()

    def count(self, request: Request) -> CountedRequest:
        """Count ``request``, with its segments interned: a segment equal to one seen before
        (the system prompt, the tools, the history an agent resends every turn) becomes that
        same object, so later comparisons between requests are identity checks."""
        facts = facts_for(request.model)
        segments = request.segments
        known = self.table_for(facts.encoding).entries(segments)
        interned_segments: tuple[Segment, ...] = tuple(map(_first, known))
        tokens: tuple[int, ...] = tuple(map(_second, known))
        images: tuple[int, ...] = ()
        if SegmentKind.IMAGE in map(_kind, interned_segments):
            images = tuple(index for index, segment in enumerate(interned_segments)
                           if segment.kind is SegmentKind.IMAGE)
        # Identity first: when every segment is interned already, no field is compared.
        same = all(map(is_, interned_segments, segments))
        interned = request if same else request.with_segments(interned_segments)
        return CountedRequest(interned, facts, tokens, sum(tokens), images)


_first = itemgetter(0)
_second = itemgetter(1)
_kind = attrgetter("kind")
