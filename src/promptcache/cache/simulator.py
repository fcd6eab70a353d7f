"""Replay requests through a model of one provider's prefix cache and predict cached tokens.

The OpenAI model (gpt-4o through gpt-5.5): only a prefix of at least ``min_tokens`` can hit;
hits come in ``step_tokens`` steps; a prefix is kept while it is used at least every
``lifetime_seconds``; caches are scoped by organization (one log = one organization) and
``prompt_cache_key``. With the block size equal to the step, the cached tokens of a request
are the length of its leading run of blocks already in the cache, when that run reaches the
minimum.

Providers' caches are best-effort: a prediction is what the documented rules promise, not
what a busy server will do.

Images at the cache boundary: where the cached run reaches into an image's tokens, the
provider's boundary is not known, so the prediction is a range (see :class:`Prediction`).
The two recorded calls with images and a cache hit both served less than the 128-token floor
of the shared prefix (both gpt-4o-2024-08-06):

- openai/openai-cookbook ``Prompt_Caching101.ipynb#images2``: two 765-token images from
  token 4, then text; the prefix shared with ``#images1`` is 1,539 tokens (floor 1,536), the
  API served 1,280, inside the second image (tokens 769-1,534);
- pydantic/pydantic-ai ``test_openai_responses/test_image_as_binary_content_input.yaml#0``:
  text, then one image, sent identically by an earlier recording run; 1,349 tokens (floor
  1,280), the API served 1,024. The same request through Chat Completions
  (``test_openai/test_image_as_binary_content_input.yaml#0``) is 1,119 tokens, counted exactly
  with the image ending at token 1,116: where the Responses API's 230 more tokens sit is not
  known.

No one rule explains both. "The cacheable prefix stops before an image" gives 0 for both,
yet each was served image tokens. "Images are cached only whole" gives 1,408 for the first
(and 1,024 for the second only if the 230 tokens follow the image). Cutting at a 170-token
tile of the second image fits the first and nothing in the second can check it. Text-only
prompts are served short of the floor too, now and then (DataDog/dd-trace-py
``chat_completion_stream_prompt_caching_cache_read.yaml#0``: 1,280 of 1,408; Future-House/ldp
``test_cache_read_cost_accuracy[gpt-4o-2024-11-20-False].yaml#1``: 1,024 of 1,664; Mirascope
``test_caching_multi_turn_conversation/openai_gpt_4o_completions.yaml#1``: 3,072 of 3,584), so
the two may be that best effort rather than an image rule. Two records are too few to fit a
constant to: the model keeps the documented floor as the upper end and gives, as the lower
end, the prefix before the first image in the cached run (in whole steps, 0 below the
minimum), what a cache that kept no image tokens would serve. Both records fall inside.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import repeat, takewhile
from types import MappingProxyType

from promptcache.catalog import CacheRules


@dataclass(frozen=True, slots=True)
class Prediction:
    """What the model predicts for one request."""

    cached_tokens: int
    """Prompt tokens served from the cache."""
    written_tokens: int
    """Prompt tokens newly written to the cache (priced by providers that charge writes)."""
    cached_tokens_low: int
    """The least the provider may serve: ``cached_tokens`` unless the cached run reaches into
    an image's tokens, where the boundary is uncertain (see the module docstring)."""
    written_1h_tokens: int = 0
    """Of ``written_tokens``, those written with the long (1-hour) lifetime, for explicit
    caches that offer one."""
    rejected: str = ""
    """Why the provider would reject the request's cache settings (then nothing is read or
    written); '' when it accepts them."""


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
        self._expired: dict[str, float] = {}
        """Per scope, the horizon of its last expiry: every entry used before it is gone."""
        self._swept = float("-inf")
        """The horizon of the last sweep (of every scope)."""

    @property
    def block_size(self) -> int:
        """Tokens per block: the provider's hit granularity."""
        return max(1, self.rules.step_tokens)

    def replay(self, scope: str, hashes: list[bytes], prompt_tokens: int,
               now: float | None, first_image_at: int | None = None) -> Prediction:
        """Predict one request at time ``now`` (None: no clock, nothing expires), then store
        its blocks as the provider would. ``first_image_at`` is the token offset where the
        prompt's first image begins (None: no image)."""
        entries = self._scopes.get(scope)
        if entries is None:
            entries = self._scopes[scope] = OrderedDict()
        if now is not None:
            self._replays += 1
            if self._replays % SWEEP_EVERY == 0:
                self._sweep(now)
            horizon = self._expired[scope] = now - self.lifetime
            _expire(entries, horizon)
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
        return Prediction(cached_tokens=cached, written_tokens=written,
                          cached_tokens_low=self.low_end(cached, first_image_at))

    def low_end(self, cached: int, first_image_at: int | None) -> int:
        """The low end of the range for a cached run reaching into an image: the prefix before
        the image, in whole steps, when that still reaches the minimum."""
        if first_image_at is None or cached <= first_image_at:
            return cached
        low = first_image_at - first_image_at % self.block_size
        return low if low >= self.rules.min_tokens else 0

    def entries(self, scope: str) -> Mapping[bytes, float]:
        """The entries of ``scope`` (block hash -> when last used), to read only; some may
        have expired since the scope was last replayed (see :meth:`expired_before`)."""
        return self._scopes.get(scope, _NO_ENTRIES)

    def expired_before(self, scope: str) -> float:
        """Every entry of ``scope`` last used before this time has been taken out (-inf:
        none yet). With times that never go back, an entry is live at ``now`` exactly when
        it was used at ``now - lifetime`` or later, whatever this says."""
        return max(self._expired.get(scope, float("-inf")), self._swept)

    def _sweep(self, now: float) -> None:
        horizon = self._swept = now - self.lifetime
        # Every scope's own horizon is older than this one while times go forward.
        self._expired.clear()
        for scope, entries in list(self._scopes.items()):
            _expire(entries, horizon)
            if not entries:
                del self._scopes[scope]

    def copy(self) -> PrefixCache:
        """An independent cache with the same entries."""
        twin = PrefixCache(self.rules, self.lifetime)
        twin._scopes = {scope: entries.copy() for scope, entries in self._scopes.items()}
        twin._replays = self._replays
        twin._expired = dict(self._expired)
        twin._swept = self._swept
        return twin

    def changed(self, changes: Mapping[str, Mapping[bytes, float | None]]) -> PrefixCache:
        """A copy with the entries of each scope in ``changes`` set (a time) or taken out
        (None), each scope's entries in order of last use, as a cache that was replayed
        those uses in time order keeps them."""
        twin = self.copy()
        for scope, changed in changes.items():
            entries = twin._scopes.setdefault(scope, OrderedDict())
            for key, last_used in changed.items():
                if last_used is None:
                    entries.pop(key, None)
                else:
                    entries[key] = last_used
            # Stable: entries used at the same time keep their order.
            twin._scopes[scope] = OrderedDict(sorted(entries.items(), key=_last_used))
        return twin

    def __len__(self) -> int:
        return sum(len(entries) for entries in self._scopes.values())


_NO_ENTRIES: Mapping[bytes, float] = MappingProxyType({})


def _last_used(entry: tuple[bytes, float]) -> float:
    return entry[1]


def _expire(entries: OrderedDict[bytes, float], horizon: float) -> None:
    """Drop the entries last used before ``horizon`` (they are at the front)."""
    while entries:
        last_used = next(iter(entries.values()))
        if last_used >= horizon:
            return
        entries.popitem(last=False)
