"""A savings variant's prefix cache, kept as where it differs from the base cache.

Each rule's savings variant replays the whole log: the prompts that rule repairs as repaired,
every other prompt as logged (see :mod:`promptcache.cache.replay`). Its cache then differs
from the base cache only in the blocks a repaired prompt touched, for as long as nothing
resends them. A :class:`DerivedCache` holds just those differences, per block hash, on top of
the live base cache: a logged prompt none of whose blocks differ is predicted exactly as the
base predicts it, with no replay at all. That is most requests: the variants cost what the
repairs touch, not a copy of the base cache and a replay of every request each.

This holds while replay times never go back (the replay's reordering window sees to it, short
of a log out of order by more than the window): only then is an entry live exactly when it
was used within the lifetime, however lazily the base cache takes expired entries out.
:meth:`DerivedCache.materialized` turns it into a plain cache for the rest of such a log.
"""

from __future__ import annotations

from collections.abc import Sequence

from promptcache.cache.simulator import SWEEP_EVERY, Prediction, PrefixCache

Changes = dict[bytes, float | None]
"""Block hash -> when the variant's cache last used it, or None: the variant lacks it."""


class DerivedCache:
    """A variant's prefix cache: the base cache's entries, except where ``_changes`` says."""

    def __init__(self, base: PrefixCache) -> None:
        self.base = base
        self._changes: dict[str, Changes] = {}
        self._replays = 0

    def replay(self, scope: str, hashes: Sequence[bytes], prompt_tokens: int,
               logged: Sequence[bytes], logged_tokens: int, now: float | None,
               first_image_at: int | None = None) -> Prediction | None:
        """Predict the variant's prompt (``hashes``, ``prompt_tokens``) at ``now``, and note
        where the variant's cache differs from the base's once the base has replayed the
        logged prompt (``logged``, ``logged_tokens``). Call it before the base replays that
        request. None: the prediction is the base's for the logged prompt (the same prompt,
        and none of its blocks differ)."""
        self._replays += 1
        if self._replays % SWEEP_EVERY == 0:
            self._prune(now)
        changes = self._changes.get(scope)
        same = prompt_tokens == logged_tokens and (hashes is logged or hashes == logged)
        if same and (changes is None or changes.keys().isdisjoint(hashes)):
            return None
        base = self.base
        rules = base.rules
        entries = base.entries(scope)
        horizon = None if now is None else now - base.lifetime
        changed = changes if changes is not None else {}

        def base_state(key: bytes) -> float | None:
            used = entries.get(key)
            return used if used is not None and (horizon is None or used >= horizon) else None

        def state(key: bytes) -> float | None:
            if key not in changed:
                return base_state(key)
            used = changed[key]
            return used if used is not None and (horizon is None or used >= horizon) else None

        states = [state(key) for key in hashes]
        matched = next((index for index, used in enumerate(states) if used is None),
                       len(states))
        block = base.block_size
        cached = matched * block
        if cached < rules.min_tokens or prompt_tokens < rules.min_tokens:
            cached = 0
        stamp = now if now is not None else 0.0
        written = 0
        after: dict[bytes, float | None] = {}
        if prompt_tokens >= rules.min_tokens:
            written = states[matched:].count(None) * block
            after = dict.fromkeys(hashes, stamp)
        base_after = dict.fromkeys(logged, stamp) if logged_tokens >= rules.min_tokens else {}
        # Where either prompt wrote, compare the two caches as they will be.
        updates = [(key, after[key] if key in after else state(key),
                    base_after[key] if key in base_after else base_state(key))
                   for key in {*after, *base_after}]
        for key, mine, theirs in updates:
            if mine == theirs:
                changed.pop(key, None)
            else:
                changed[key] = mine
        if changed:
            self._changes[scope] = changed
        else:
            self._changes.pop(scope, None)
        return Prediction(cached_tokens=cached, written_tokens=written,
                          cached_tokens_low=base.low_end(cached, first_image_at))

    def _prune(self, now: float | None) -> None:
        """Forget differences that no longer matter: an entry the variant's own cache would
        have taken out by now is one it lacks, and lacking one the base lacks too is no
        difference. Memory then follows the live entries, as the base cache's does."""
        if now is None:
            return
        base = self.base
        for scope, changes in list(self._changes.items()):
            expired = base.expired_before(scope)
            entries = base.entries(scope)
            for key, used in list(changes.items()):
                if used is not None and used < expired:
                    used = changes[key] = None
                if used is None:
                    theirs = entries.get(key)
                    if theirs is None or theirs < expired:
                        del changes[key]
            if not changes:
                del self._changes[scope]

    def materialized(self) -> PrefixCache:
        """The variant's cache as a plain one, as replaying every request on a copy of the
        base would have left it: without the entries its own expiry has taken out."""
        base = self.base
        changes: dict[str, Changes] = {}
        for scope, changed in self._changes.items():
            expired = base.expired_before(scope)
            changes[scope] = {key: None if used is None or used < expired else used
                              for key, used in changed.items()}
        return base.changed(changes)
