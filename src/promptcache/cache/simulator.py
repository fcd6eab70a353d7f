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

from collections import OrderedDict
from dataclasses import dataclass

from promptcache.catalog import CacheRules


@dataclass(frozen=True, slots=True)
class Prediction:
    """What the model predicts for one request."""

    cached_tokens: int
    """Prompt tokens served from the cache."""
    written_tokens: int
    """Prompt tokens newly written to the cache (priced by providers that charge writes)."""


class PrefixCache:
    """Cache entries keyed by (scope, chained block hash), expiring after the idle lifetime."""

    def __init__(self, rules: CacheRules, lifetime_seconds: float | None = None) -> None:
        self.rules = rules
        self.lifetime = float(rules.lifetime_seconds if lifetime_seconds is None
                              else lifetime_seconds)
        # Ordered by last use, so expired entries are always at the front.
        self._entries: OrderedDict[tuple[str, bytes], float] = OrderedDict()

    @property
    def block_size(self) -> int:
        """Tokens per block: the provider's hit granularity."""
        return max(1, self.rules.step_tokens)

    def replay(self, scope: str, hashes: list[bytes], prompt_tokens: int,
               now: float | None) -> Prediction:
        """Predict one request at time ``now`` (None: no clock, nothing expires), then store
        its blocks as the provider would."""
        if now is not None:
            self._expire(now)
        entries = self._entries
        matched = 0
        for block in hashes:
            if (scope, block) not in entries:
                break
            matched += 1
        cached = matched * self.block_size
        if cached < self.rules.min_tokens or prompt_tokens < self.rules.min_tokens:
            cached = 0
        stamp = now if now is not None else 0.0
        written = 0
        if prompt_tokens >= self.rules.min_tokens:
            for index, block in enumerate(hashes):
                key = (scope, block)
                if key in entries:
                    entries.move_to_end(key)
                elif index >= matched:
                    written += self.block_size
                entries[key] = stamp
        return Prediction(cached_tokens=cached, written_tokens=written)

    def _expire(self, now: float) -> None:
        entries = self._entries
        horizon = now - self.lifetime
        while entries:
            key, last_used = next(iter(entries.items()))
            if last_used >= horizon:
                break
            del entries[key]

    def copy(self) -> PrefixCache:
        """An independent cache with the same entries."""
        twin = PrefixCache(self.rules, self.lifetime)
        twin._entries = self._entries.copy()
        return twin

    def __len__(self) -> int:
        return len(self._entries)
