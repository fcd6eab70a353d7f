"""The contract between the engine and a rule.

A rule is a module under ``rules/`` holding one :class:`Rule` named ``RULE`` and its
documentation as the module docstring. ``check`` is a pure function: it reads the current
request, the earlier requests of the same stream and its options, and yields hits. It never
prints, reads files or knows about the command line; the engine stamps code and severity.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from promptcache.engine.findings import Hit, Severity
from promptcache.model import Segment, SegmentKind
from promptcache.tokens.counting import CountedRequest
from promptcache.tokens.prefix import Encode, SharedPrefix, first_divergence, shared_prefix

Inherited = Mapping[int, tuple[CountedRequest, SharedPrefix]]
"""Prefixes the previous request of the stream shared with earlier requests, by their id."""

Lineage = Mapping[int, tuple[CountedRequest, CountedRequest, int]]
"""For recent requests, by id: (the request, the previous request of its stream, how many
leading segments of that one it holds unchanged; see :meth:`Context.shared_with`)."""


def extends(earlier: CountedRequest, current: CountedRequest) -> bool:
    """True when the current prompt begins with the whole of ``earlier``'s (up to its reply
    priming): an append-only next turn, or a repeat."""
    old = earlier.request.segments
    index = first_divergence(old, current.request.segments)
    return index is None or old[index].kind is SegmentKind.REPLY_PRIMING


class Looks(Enum):
    """What a rule's answer depends on, so the engine knows where it cannot change."""

    WHOLE = "whole"
    """Anything in the request and its history: the rule runs on every request."""
    DIVERGENCE = "divergence"
    """Where the request departs from the previous request of its stream: the rule finds
    nothing on a request that begins with the whole of that one's prompt (up to its reply
    priming), so the engine does not run it there."""


@dataclass(slots=True)
class Context:
    """What a rule may look at for one request.

    The engine makes one context per request and hands it to every rule in turn, setting
    ``options`` to each rule's own before its check: what one rule works out about the
    request (the prefix it shares with an earlier one, the best match) is then found once
    for all of them. Rules only read it.
    """

    current: CountedRequest
    """The request being checked."""
    history: Sequence[CountedRequest]
    """Earlier requests of the same stream (requests that can share a cache), oldest first,
    bounded to the most recent few."""
    options: Mapping[str, Any]
    """The rule's options, defaults merged with the user's configuration."""
    encode: Encode
    """Token ids of a text in the current request's encoding (memoized)."""
    neighbors: Sequence[CountedRequest] = ()
    """The most recent earlier requests to the same model, from any stream, oldest first."""
    lifetime_seconds: float = 300.0
    """How long the provider keeps an unused prefix, as this run assumes."""
    _best: tuple[CountedRequest, SharedPrefix] | None = None
    _best_known: bool = False
    inherited: Inherited = field(default_factory=dict)
    """What the previous request of the stream shared with earlier requests, when the
    current request begins with its first ``inherited_upto`` segments, as the same objects
    with the same tokens in the same encoding (see :meth:`shared_with`)."""
    inherited_upto: int = 0
    """How many leading segments of the previous request the current one holds unchanged."""
    lineage: Lineage = field(default_factory=dict)
    """Where each recent request (a neighbor) came from in its own stream."""
    _extends: bool | None = None
    _shared: dict[int, tuple[CountedRequest, SharedPrefix]] = field(default_factory=dict)
    """Each prefix shared with an earlier request, by the earlier request's id (it is held
    alongside, so the id cannot be reused while the entry lives)."""

    def shared_with(self, earlier: CountedRequest) -> SharedPrefix:
        """The prefix the current request shares with ``earlier``."""
        key = id(earlier)
        known = self._shared.get(key)
        if known is not None:
            return known[1]
        # An agent's next turn repeats the previous turn's prompt: where that prompt parted
        # from ``earlier`` inside the part repeated, the current one parts at the same place
        # by the same tokens, so the answer is the previous turn's (the rules ask for it
        # against every earlier request and neighbor, each turn).
        reused = self.inherited.get(key)
        if reused is not None:
            shared = reused[1]
            upto = self.inherited_upto
            if shared.segments < upto or (shared.segments == upto
                                          and len(earlier.request.segments) == upto):
                self._shared[key] = reused
                return shared
        # A neighbor from another stream (the rate rules compare each request with the
        # latest ones to the model) is usually the next turn of a request the previous turn
        # compared: where those two parted inside what both turns kept unchanged, these two
        # part at the same place by the same tokens.
        lineage = self.lineage.get(key)
        if lineage is not None and lineage[0] is earlier:
            predecessor, kept = lineage[1], lineage[2]
            reused = self.inherited.get(id(predecessor))
            if (reused is not None and reused[0] is predecessor
                    and reused[1].segments < min(kept, self.inherited_upto)):
                self._shared[key] = (earlier, reused[1])
                return reused[1]
        current = self.current
        shared = shared_prefix(earlier.request.segments, current.request.segments,
                               current.segment_tokens, self.encode)
        self._shared[key] = (earlier, shared)
        return shared

    def shared(self) -> Inherited:
        """Every prefix found so far, for the next request of the stream to inherit."""
        return self._shared

    def extends_previous(self) -> bool:
        """True when the current request begins with the whole prompt of the previous request
        of its stream (up to its reply priming): an append-only next turn, or a repeat.
        False without an earlier request."""
        if self._extends is None:
            history = self.history
            self._extends = bool(history) and extends(history[-1], self.current)
        return self._extends

    def divergence(self, earlier: CountedRequest) -> int | None:
        """Index of the first segment where the current request and ``earlier`` differ; None
        when one is a prefix of the other (found with :meth:`shared_with`, so once)."""
        shared = self.shared_with(earlier)
        shortest = min(len(earlier.request.segments), len(self.current.request.segments))
        return None if shared.segments >= shortest else shared.segments

    def tokens_gained(self, earlier: CountedRequest,
                      replacements: Mapping[int, tuple[Segment, int]]) -> int | None:
        """What a fix would win: tokens shared with ``earlier`` if segments of the current
        request were replaced (index -> (segment, its tokens)), beyond the longest prefix the
        request already shares with any earlier request. None when the fixed request could
        not be served from the cache at all: ``earlier`` is too short to have been cached, or
        the fixed request would share less than the minimum with it. None means a rule has
        nothing to report; 0 that the fix would share enough, but another earlier request
        already serves as much."""
        if not earlier.cacheable:
            return None
        current = self.current
        segments = list(current.request.segments)
        tokens = list(current.segment_tokens)
        for index, (segment, count) in replacements.items():
            segments[index], tokens[index] = segment, count
        fixed = shared_prefix(earlier.request.segments, segments, tokens, self.encode)
        return self.gain_beyond_best(fixed.tokens)

    def gain_beyond_best(self, fixed: int) -> int | None:
        """What a fixed request sharing ``fixed`` tokens with an earlier request (one long
        enough to have been cached) wins beyond the longest prefix the current request
        already shares with any earlier request; None when ``fixed`` is below the minimum
        cacheable length (the fixed request could not be served from the cache either)."""
        if fixed < self.current.facts.cache.min_tokens:
            return None
        best = self.best_match()
        return max(0, fixed - (best[1].tokens if best else 0))

    def best_match(self) -> tuple[CountedRequest, SharedPrefix] | None:
        """The earlier request sharing the longest prefix with this one (latest on ties)."""
        if self._best_known:
            return self._best
        best: tuple[CountedRequest, SharedPrefix] | None = None
        for earlier in reversed(self.history):
            shared = self.shared_with(earlier)
            if best is None or shared.tokens > best[1].tokens:
                best = (earlier, shared)
        self._best, self._best_known = best, True
        return best


@dataclass(frozen=True, slots=True)
class Group:
    """The hits of one finding, as the engine hands them to a rule's ``summarize``."""

    first: Hit
    """The first hit."""
    occurrences: int
    """How many hits."""
    measure_min: int
    """Smallest ``measure`` among the hits."""
    measure_max: int
    """Largest ``measure`` among the hits."""


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule's metadata and check, as its module declares them."""

    code: str
    """Stable identifier, e.g. ``PC101``."""
    name: str
    """Readable identifier, e.g. ``dynamic-prefix``."""
    severity: Severity
    """Default severity; configuration may override it."""
    summary: str
    """One line: what the rule detects."""
    check: Callable[[Context], Iterable[Hit]]
    """The check itself."""
    options: Mapping[str, Any] = field(default_factory=dict)
    """Default option values."""
    options_schema: Mapping[str, Any] = field(default_factory=dict)
    """JSON Schema properties for the options (used to validate configuration)."""
    summarize: Callable[[Group], str] | None = None
    """Builds the message of a finding with several hits; None for the engine's default."""
    looks_at: Looks = Looks.WHOLE
    """What its answer depends on: the engine skips it where that cannot change."""
    doc: str = ""
    """The module docstring (What it detects / Why it breaks the cache / ...)."""
