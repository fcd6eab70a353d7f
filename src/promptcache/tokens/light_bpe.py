"""tiktoken's byte-pair encoding in Python, for the few new texts of a small run.

Building tiktoken's encoder for o200k takes about 0.12 s once its ranks are read: the largest
part of a pre-commit run on a fixture that gained one message (everything else is served from
the disk memo, see :mod:`promptcache.tokens.disk_memo`). The same ids come out of tiktoken's
own procedure run in Python over the same ranks and split pattern (tiktoken ships it as its
"educational" encoder): the text is split by the pattern, each piece that is a token is one,
and any other is merged from its bytes, always the adjacent pair of lowest rank first (the
leftmost of equal ones), until no pair is a token. On ordinary text almost every piece is a
token, so a few thousand characters take milliseconds; a long run of characters with no token
for it (a base64 blob) costs the square of its length in Python, so such a piece, and any text
past a budget, is left to tiktoken (:meth:`LightEncoding.encode` returns None).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final
from unicodedata import category

import regex

__all__ = ["LIGHT_BUDGET_CHARS", "LightEncoding"]

LIGHT_BUDGET_CHARS: Final = 20_000
"""Characters one encoding tokenizes this way in a run before tiktoken is built instead."""
_LONGEST_MERGED_PIECE: Final = 32
"""Bytes of the longest piece that is not a token this encoder merges itself."""


class LightEncoding:
    """``encode_ordinary`` of a tiktoken encoding, from its ranks and split pattern."""

    def __init__(self, pattern: str, ranks: Mapping[bytes, int],
                 longest_merged: int = _LONGEST_MERGED_PIECE) -> None:
        self._pattern = regex.compile(pattern)
        self._ranks = ranks
        self._longest_merged = longest_merged
        self.budget = LIGHT_BUDGET_CHARS
        """Characters left to tokenize before the caller should build tiktoken."""

    def encode(self, text: str) -> list[int] | None:
        """Token ids of ``text`` as ordinary text, or None when it is past the budget or
        holds a piece too costly to merge here (or text UTF-8 cannot encode)."""
        if len(text) > self.budget:
            self.budget = 0
            return None
        self.budget -= len(text)
        if not text.isascii() and _has_unassigned(text):
            return None
        ranks = self._ranks
        ids: list[int] = []
        try:
            for piece in self._pattern.findall(text):
                data = piece.encode("utf-8")
                rank = ranks.get(data)
                if rank is not None:
                    ids.append(rank)
                    continue
                if len(data) > self._longest_merged:
                    return None
                ids.extend(_merged(data, ranks))
        except UnicodeEncodeError:  # lone surrogates: tiktoken's own handling applies
            return None
        return ids


def _has_unassigned(text: str) -> bool:
    """Whether ``text`` holds a code point Python's Unicode database (14.0 in Python 3.11)
    leaves unassigned. The split pattern's classes (letter, number) come from each regex
    engine's own Unicode version: the ``regex`` module's and the Rust one's inside tiktoken
    disagree on code points assigned since (U+3D000 is a letter to the first, not the second,
    so ``"\U0003d000/A"`` splits differently: found by tests/test_light_bpe.py), so such a
    text is left to tiktoken."""
    return any(category(char) == "Cn" for char in text if char > "\x7f")


def _merged(data: bytes, ranks: Mapping[bytes, int]) -> list[int]:
    """The ids of a piece that is not one token: its bytes merged pair by pair, the adjacent
    pair of lowest rank first (the leftmost of equal ones), as tiktoken merges."""
    parts = [data[index:index + 1] for index in range(len(data))]
    while len(parts) > 1:
        best: int | None = None
        where = 0
        for index in range(len(parts) - 1):
            rank = ranks.get(parts[index] + parts[index + 1])
            if rank is not None and (best is None or rank < best):
                best, where = rank, index
        if best is None:
            break
        parts[where:where + 2] = [parts[where] + parts[where + 1]]
    return [ranks[part] for part in parts]
