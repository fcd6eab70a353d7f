"""Replay requests through a model of one provider's prefix cache and predict cached tokens.

The OpenAI model (gpt-4o through gpt-5.5): only a prefix of at least ``min_tokens`` can hit;
hits come in ``step_tokens`` steps; a prefix is kept while it is used at least every
``lifetime_seconds``; caches are scoped by organization (one log = one organization) and
``prompt_cache_key``. With the block size equal to the step, the cached tokens of a request
are the length of its leading run of blocks already in the cache, when that run reaches the
minimum.

Providers' caches are best-effort: a prediction is what the documented rules promise, not
what a busy server will do.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass
from itertools import repeat, takewhile

from promptcache.catalog import CacheRules


@dataclass(frozen=True, slots=True)
class Prediction:
    """What the model predicts for one request."""

    cached_tokens: int
    """Prompt tokens served from the cache."""
    written_tokens: int
    """Prompt tokens newly written to the cache (priced by providers that charge writes)."""


SWEEP_EVERY = 4096
"""Replays between sweeps of idle scopes (see :meth:`PrefixCache.replay`)."""


class PrefixCache:
    """Cache entries keyed by chained block hash per scope, expiring after the idle lifetime.

    Each scope keeps its entries in order of last use, so its expired entries are at the
    front. A scope is expired when it is replayed (the only time its entries are read), and
    every scope now and then, so an idle scope's entries do not outlive their lifetime in
    memory either.
    """

    def __init__(self, rules: CacheRules, lifetime_seconds: float | None = None) -> None:
        self.rules = rules
        self.lifetime = float(rules.lifetime_seconds if lifetime_seconds is None
                              else lifetime_seconds)
        self._scopes: dict[str, OrderedDict[bytes, float]] = {}
        self._replays = 0

    @property
    def block_size(self) -> int:
        """Tokens per block: the provider's hit granularity."""
        return max(1, self.rules.step_tokens)

    def replay(self, scope: str, hashes: list[bytes], prompt_tokens: int,
               now: float | None) -> Prediction:
        """Predict one request at time ``now`` (None: no clock, nothing expires), then store
        its blocks as the provider would."""
        entries = self._scopes.get(scope)
        if entries is None:
            entries = self._scopes[scope] = OrderedDict()
        if now is not None:
            self._replays += 1
            if self._replays % SWEEP_EVERY == 0:
                self._sweep(now)
            _expire(entries, now - self.lifetime)
        # The leading run of blocks already cached; the loops below run in C (map, takewhile)
        # because every request is replayed once per savings variant.
        matched = len(list(takewhile(entries.__contains__, hashes)))
        min_tokens = self.rules.min_tokens
        cached = matched * self.block_size
        if cached < min_tokens or prompt_tokens < min_tokens:
            cached = 0
        written = 0
        if prompt_tokens >= min_tokens:
            # Touch the cached run, take out any later block, then store the whole prompt in
            # order: the entries end in the order of this prompt's blocks, as last used.
            deque(map(entries.move_to_end, hashes[:matched]), maxlen=0)
            rest = hashes[matched:]
            written = list(map(entries.pop, rest, repeat(None))).count(None) * self.block_size
            entries.update(zip(hashes, repeat(now if now is not None else 0.0)))
        return Prediction(cached_tokens=cached, written_tokens=written)

    def _sweep(self, now: float) -> None:
        horizon = now - self.lifetime
        for scope, entries in list(self._scopes.items()):
            _expire(entries, horizon)
            if not entries:
                del self._scopes[scope]

    def copy(self) -> PrefixCache:
        """An independent cache with the same entries."""
        twin = PrefixCache(self.rules, self.lifetime)
        twin._scopes = {scope: entries.copy() for scope, entries in self._scopes.items()}
        twin._replays = self._replays
        return twin

    def __len__(self) -> int:
        return sum(len(entries) for entries in self._scopes.values())


def _expire(entries: OrderedDict[bytes, float], horizon: float) -> None:
    """Drop the entries last used before ``horizon`` (they are at the front)."""
    while entries:
        last_used = next(iter(entries.values()))
        if last_used >= horizon:
            return
        entries.popitem(last=False)
