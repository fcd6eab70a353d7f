"""A memoized token counter: agents resend the same text on every turn, so count it once."""

from __future__ import annotations

from collections import OrderedDict

import tiktoken

from promptcache.tokens.encodings import load_encoding

DEFAULT_MEMO_ENTRIES = 65_536


class TokenCounter:
    """Encodes text with one encoding, remembering the most recently used results."""

    def __init__(self, encoding_name: str, memo_entries: int = DEFAULT_MEMO_ENTRIES) -> None:
        self.encoding_name = encoding_name
        self._encoding: tiktoken.Encoding = load_encoding(encoding_name)
        self._memo: OrderedDict[str, tuple[int, ...]] = OrderedDict()
        self._memo_entries = memo_entries
        self.hits = 0
        self.misses = 0

    def encode(self, text: str) -> tuple[int, ...]:
        """Token ids of ``text`` as plain text (special-token strings count as ordinary text)."""
        if not text:
            return ()
        memo = self._memo
        tokens = memo.get(text)
        if tokens is not None:
            memo.move_to_end(text)
            self.hits += 1
            return tokens
        self.misses += 1
        tokens = tuple(self._encoding.encode_ordinary(text))
        memo[text] = tokens
        if len(memo) > self._memo_entries:
            memo.popitem(last=False)
        return tokens

    def count(self, text: str) -> int:
        """Number of tokens in ``text``."""
        return len(self.encode(text))
