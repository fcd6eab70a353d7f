"""Replay the log through the cache model: as it is, with every fix, and with each rule's fix.

Requests arrive in file order (the rules need that) and are replayed in time order through a
bounded reordering window, so a log whose lines are slightly out of order still replays
correctly. Each request is replayed in several variants at once:

- ``base``: the prompt as logged; its prediction is ``predicted_cached_tokens``;
- ``fixed``: the prompt with every finding's canonical fix applied;
- one variant per rule: only that rule's fixes. A rule's variant starts as a copy of the base
  cache at the first request it changes, so each rule's saving is measured against the same
  history.

The fixed variants apply a fix from the request where a rule first sees the problem on: the
first request of a problem is replayed as logged, as it would be on the day a fix ships.

Requests whose cache is explicit (rules with ``max_breakpoints``: Anthropic's, and gpt-5.6's
explicit mode, see :func:`rules_of`) go through
:class:`promptcache.cache.anthropic.ExplicitCache` in every variant. Where breakpoints may ask
for a longer lifetime (Anthropic's ``ttl: 1h``), the logged prompt also goes through two more
caches, every breakpoint at 5 minutes and every one at 1 hour, to say which lifetime pays for
the traffic.
"""

from __future__ import annotations

import heapq
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from promptcache.cache.anthropic import (
    FIVE_MINUTES,
    ONE_HOUR,
    Block,
    BlockHasher,
    ExplicitCache,
    prompt_blocks,
)
from promptcache.cache.blocks import PromptHasher, block_hashes, token_stream
from promptcache.cache.derived import DerivedCache
from promptcache.cache.simulator import Prediction, PrefixCache
from promptcache.catalog import CacheRules
from promptcache.engine.findings import Repair
from promptcache.model import Segment, SegmentKind
from promptcache.tokens.counting import CountedRequest, PromptCounter

REORDER_WINDOW = 4096
"""Requests held back to replay in time order; a log more out of order than this is replayed
as if the late requests came at the latest time seen."""
REORDER_SECONDS = 900.0
"""While a log has come in time order, a request is replayed once one this much newer has come
(or the window is full): a later request out of order by less than this still finds its place.
The first request out of order turns this off for the rest of the run, so a log written out of
order (newest first, by completion...) is replayed through the whole window as before. Holding
back fewer requests lets the replay run while the reader process is still reading, instead of
4,096 requests' replay after it has finished (0.2 s of the main process alone on the 250 MB
agent log)."""

BASE = "base"
FIXED = "fixed"
_FIRST_SEEN_ENTRIES = 100_000

_Cache = PrefixCache | ExplicitCache | DerivedCache


def rules_of(counted: CountedRequest) -> CacheRules:
    """The cache rules ``counted`` is replayed with: its model's, or their explicit mode when
    the model has one and the request marks breakpoints. The mode itself
    (``prompt_cache_options``) is not among a request's settings, so a request in explicit
    mode that marks nothing (and so caches nothing) is replayed with the default rules."""
    rules = counted.facts.cache
    explicit = rules.explicit_mode
    if explicit is not None and any(segment.breakpoint for segment in counted.request.segments):
        return explicit
    return rules


@dataclass(slots=True)
class _Variant:
    hashes: list[bytes]
    prompt_tokens: int
    first_image_at: int | None
    """Token offset where the prompt's first image begins (None: no image): a cached run
    reaching past it is predicted as a range (see cache.simulator)."""
    blocks: tuple[Block, ...] = ()
    """For an explicit cache: the content blocks (``hashes`` is then empty)."""


def _first_image_at(tokens: Sequence[int], image_indexes: Iterable[int]) -> int | None:
    first = min(image_indexes, default=None)
    return None if first is None else sum(tokens[:first])


@dataclass(slots=True)
class Replayed:
    """The replay's verdict on one request, in every variant."""

    row: int
    """Index of the request in the report's request rows."""
    time: float | None
    """The request's time, when the log has one."""
    prompt_tokens: int
    """Prompt tokens as logged."""
    predictions: dict[str, tuple[int, Prediction]] = field(default_factory=dict)
    """variant -> (prompt tokens in that variant, prediction)."""
    prefix_seen_before: bool = False
    """An earlier request in the log began with the same cacheable prefix."""
    prefix_expired: bool = False
    """That earlier prefix had expired under the model's lifetime when this request came."""
    family: str = ""
    """The cache model the request was replayed with (``openai-implicit``...)."""
    lifetimes: dict[str, Prediction] = field(default_factory=dict)
    """Explicit caches: the logged prompt's prediction with every breakpoint at each
    lifetime (``5m``, ``1h``); empty for implicit caches."""


@dataclass(order=True, slots=True)
class _Queued:
    time: float
    sequence: int
    scope: str = field(compare=False)
    rules: CacheRules = field(compare=False)
    variants: dict[str, _Variant] = field(compare=False)
    replayed: Replayed = field(compare=False)


class Replayer:
    """Feeds requests to the cache models and hands back verdicts in time order."""

    def __init__(self, counter: PromptCounter, lifetime_seconds: float | None = None,
                 derive: bool = True) -> None:
        """``derive``: keep each variant's implicit caches as their differences from the base
        cache (see :mod:`promptcache.cache.derived`); off only to check that this changes no
        prediction, or to measure what it saves."""
        self._counter = counter
        self._lifetime = lifetime_seconds
        self._derive = derive
        self._last_now = float("-inf")
        self._queue: list[_Queued] = []
        self._sequence = 0
        self._clock = 0.0
        self._timed = False
        self._in_order = True
        """No request so far came before the latest time seen (see :data:`REORDER_SECONDS`)."""
        self._caches: dict[str, dict[str, _Cache]] = {BASE: {}}
        self._first_seen: OrderedDict[tuple[str, bytes], float] = OrderedDict()
        self._hashers: dict[int, PromptHasher] = {}
        self._every: dict[str, ExplicitCache] = {}
        self._block_hasher = BlockHasher()

    def lifetime_for(self, rules: CacheRules) -> float:
        """The idle lifetime this run assumes for a cache family."""
        return float(self._lifetime if self._lifetime is not None else rules.lifetime_seconds)

    def add(self, row: int, counted: CountedRequest, fixes: Iterable[tuple[str, Repair]],
            lane: str = "") -> list[Replayed]:
        """Queue one request with the (rule code, repair) of each hit the rules found on it
        that has a fix; return the verdicts that are now final (possibly none, possibly
        several). Requests of one ``lane`` (a session) are hashed incrementally, each from
        where it stops repeating the one before."""
        rules = rules_of(counted)
        block = max(1, rules.step_tokens)
        segments = counted.request.segments
        if rules.max_breakpoints:
            base = _Variant([], counted.prompt_tokens, None, self._block_hasher.blocks(
                f"{counted.facts.encoding}\x00{lane}", segments, counted.segment_tokens,
                counted.request.settings))
        else:
            encode = self._counter.counter_for(counted.facts.encoding).encode
            hasher = self._hashers.get(block)
            if hasher is None:
                hasher = self._hashers[block] = PromptHasher(block)
            base = _Variant(
                hasher.hashes(f"{counted.facts.encoding}\x00{lane}", segments, encode),
                counted.prompt_tokens,
                _first_image_at(counted.segment_tokens, counted.image_indexes))
        variants = {BASE: base}
        repairs: dict[str, list[Repair]] = {}
        for code, repair in fixes:
            repairs.setdefault(code, []).append(repair)
        if repairs:
            every = [repair for found in repairs.values() for repair in found]
            variants[FIXED] = self._variant(counted, every, rules)
            for code, found in repairs.items():
                variants[code] = self._variant(counted, found, rules)
        request = counted.request
        time = request.timestamp
        if time is not None:
            self._timed = True
            if time < self._clock:
                self._in_order = False
            self._clock = max(self._clock, time)
        queued = _Queued(
            time=time if time is not None else self._clock,
            sequence=self._sequence,
            scope=f"{request.model}\x00{request.cache_key or ''}",
            rules=rules,
            variants=variants,
            replayed=Replayed(row, time, counted.prompt_tokens, family=rules.family),
        )
        self._sequence += 1
        heapq.heappush(self._queue, queued)
        done = []
        queue = self._queue
        settled = self._clock - REORDER_SECONDS
        while len(queue) > REORDER_WINDOW or (self._in_order and queue[0].time < settled):
            done.append(self._replay(heapq.heappop(queue)))
        return done

    def finish(self) -> list[Replayed]:
        """Replay what is still queued."""
        done = []
        while self._queue:
            done.append(self._replay(heapq.heappop(self._queue)))
        return done

    def _variant(self, counted: CountedRequest, repairs: list[Repair],
                 rules: CacheRules) -> _Variant:
        segments = list(counted.request.segments)
        tokens = list(counted.segment_tokens)
        counter = self._counter.counter_for(counted.facts.encoding)
        appended: list[Segment] = []
        for repair in repairs:
            for index, segment in repair.replace:
                segments[index] = segment
                tokens[index] = segment.fixed_tokens + counter.count(segment.text)
            appended.extend(repair.append)
        if appended:
            at = len(segments)
            if segments and segments[-1].kind is SegmentKind.REPLY_PRIMING:
                at -= 1
            segments[at:at] = appended
            tokens[at:at] = [segment.fixed_tokens + counter.count(segment.text)
                             for segment in appended]
        if rules.max_breakpoints:
            return _Variant([], sum(tokens), None,
                            prompt_blocks(segments, tokens, counted.request.settings))
        stream = token_stream(segments, counter.encode)
        images = [index for index, segment in enumerate(segments)
                  if segment.kind is SegmentKind.IMAGE]
        return _Variant(block_hashes(stream, max(1, rules.step_tokens)), sum(tokens),
                        _first_image_at(tokens, images))

    def _cache(self, variant: str, rules: CacheRules) -> _Cache:
        caches = self._caches.get(variant)
        if caches is None:
            # A rule's variant begins as a copy of the history every variant shares.
            caches = self._caches[variant] = {
                family: self._derived(self._plain(BASE, family))
                for family in self._caches[BASE]}
        cache = caches.get(rules.family)
        if cache is None:
            if rules.max_breakpoints:
                cache = ExplicitCache(rules, self._lifetime)
            elif variant == BASE:
                cache = PrefixCache(rules, self._lifetime)
            else:
                # The base's is made first: a request's variants begin with the base.
                cache = self._derived(self._plain(BASE, rules.family))
            caches[rules.family] = cache
        return cache

    def _derived(self, base: PrefixCache | ExplicitCache) -> _Cache:
        """A variant's cache beginning as ``base``: its differences alone when it can be."""
        if isinstance(base, PrefixCache) and self._derive:
            return DerivedCache(base)
        return base.copy()

    @staticmethod
    def _predict(cache: PrefixCache | ExplicitCache, queued: _Queued, prompt: _Variant,
                 now: float | None) -> Prediction:
        if isinstance(cache, ExplicitCache):
            return cache.replay(queued.scope, prompt.blocks, queued.rules, now)
        return cache.replay(queued.scope, prompt.hashes, prompt.prompt_tokens, now,
                            prompt.first_image_at)

    def _replay(self, queued: _Queued) -> Replayed:
        replayed = queued.replayed
        # A log without any timestamps has no clock: nothing expires.
        now = queued.time if self._timed else None
        if now is not None:
            if now < self._last_now:
                self._materialize()  # derived caches hold only while time goes forward
            self._last_now = now
        self._note_first_seen(queued, now)
        for variant in queued.variants:
            self._cache(variant, queued.rules)  # a new variant copies the base before this
        logged = queued.variants[BASE]
        # Variants that exist for this request are replayed with their own prompt; every
        # other variant sees the logged prompt, so their histories stay aligned. A derived
        # cache reads the base as it was before this request, so it goes first; None is the
        # base's own prediction.
        ahead: dict[str, Prediction | None] = {}
        for variant in self._caches:
            cache = self._cache(variant, queued.rules)
            if isinstance(cache, DerivedCache):
                prompt = queued.variants.get(variant, logged)
                ahead[variant] = cache.replay(queued.scope, prompt.hashes, prompt.prompt_tokens,
                                              logged.hashes, logged.prompt_tokens, now,
                                              prompt.first_image_at)
        base_prediction = self._predict(self._plain(BASE, queued.rules.family), queued,
                                        logged, now)
        for variant in self._caches:
            prompt = queued.variants.get(variant, logged)
            if variant == BASE:
                prediction = base_prediction
            elif variant in ahead:
                prediction = ahead[variant] or base_prediction
            else:
                prediction = self._predict(self._plain(variant, queued.rules.family), queued,
                                           prompt, now)
            replayed.predictions[variant] = (prompt.prompt_tokens, prediction)
        if queued.rules.long_lifetime_seconds:
            base = queued.variants[BASE]
            for lifetime in (FIVE_MINUTES, ONE_HOUR):
                every = self._every.get(lifetime)
                if every is None:
                    every = self._every[lifetime] = ExplicitCache(
                        queued.rules, self._lifetime, every_breakpoint=lifetime)
                replayed.lifetimes[lifetime] = every.replay(queued.scope, base.blocks,
                                                            queued.rules, now)
        return replayed

    def _plain(self, variant: str, family: str) -> PrefixCache | ExplicitCache:
        """A cache replayed on its own: the base's, or a variant's where it is not derived."""
        cache = self._caches[variant][family]
        assert not isinstance(cache, DerivedCache)
        return cache

    def _materialize(self) -> None:
        """Turn every derived cache into a plain one, for good."""
        self._derive = False
        for caches in self._caches.values():
            for family, cache in caches.items():
                if isinstance(cache, DerivedCache):
                    caches[family] = cache.materialized()

    def _note_first_seen(self, queued: _Queued, now: float | None) -> None:
        rules = queued.rules
        key = self._first_cacheable(queued)
        if key is None:
            return
        last = self._first_seen.get(key)
        replayed = queued.replayed
        if last is not None:
            replayed.prefix_seen_before = True
            if now is not None and now - last > self.lifetime_for(rules):
                replayed.prefix_expired = True
            self._first_seen.move_to_end(key)
        self._first_seen[key] = now if now is not None else 0.0
        if len(self._first_seen) > _FIRST_SEEN_ENTRIES:
            self._first_seen.popitem(last=False)

    @staticmethod
    def _first_cacheable(queued: _Queued) -> tuple[str, bytes] | None:
        """(scope, hash of the shortest prefix of the logged prompt long enough to cache), or
        None when none is."""
        rules = queued.rules
        base = queued.variants[BASE]
        if rules.max_breakpoints:
            first = next((block for block in base.blocks if block.end >= rules.min_tokens),
                         None)
            return None if first is None else (queued.scope, first.prefix_hash)
        needed = max(1, rules.min_tokens // max(1, rules.step_tokens))
        if len(base.hashes) < needed:
            return None
        return queued.scope, base.hashes[needed - 1]
