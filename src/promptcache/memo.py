"""A small least-recently-used memo: the one bounded cache the stages share."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedMemo(Generic[K, V]):
    """Remembers at most ``limit`` results, forgetting the least recently used first."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get_or_make(self, key: K | None, make: Callable[[], V]) -> V:
        """The remembered value for ``key``, or ``make()`` (remembered unless ``key`` is
        None, which means the input could not be keyed)."""
        if key is None:
            return make()
        entries = self._entries
        if key in entries:
            entries.move_to_end(key)
            return entries[key]
        value = entries[key] = make()
        if len(entries) > self._limit:
            entries.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._entries)
