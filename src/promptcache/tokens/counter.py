"""A memoized token counter: agents resend the same text on every turn, so count it once."""

from __future__ import annotations

from array import array
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

from promptcache.tokens.claude.families import CLAUDE_ENCODINGS
from promptcache.tokens.disk_memo import DiskMemo

if TYPE_CHECKING:
    from promptcache.tokens.encodings import TextEncoding
    from promptcache.tokens.light_bpe import LightEncoding

DEFAULT_MEMO_ENTRIES = 16_384
DEFAULT_MEMO_TOKENS = 2_000_000
"""The memo is bounded by entries and by the tokens it holds (4 bytes each, as an array of
unsigned ints rather than a tuple of int objects at 36): a log of huge tool results must not
grow it past a few megabytes."""

_NO_TOKENS: array[int] = array("I")


class TokenCounter:
    """Encodes text with one encoding, remembering the most recently used results."""

    def __init__(self, encoding_name: str, memo_entries: int = DEFAULT_MEMO_ENTRIES,
                 *, persistent: bool = True) -> None:
        self.encoding_name = encoding_name
        self._encoding: TextEncoding | None = None
        self._light: LightEncoding | None = None
        self._light_spent = encoding_name in CLAUDE_ENCODINGS
        """True once the light encoder is no longer used (or never can be: it is tiktoken's
        procedure, for tiktoken's encodings)."""
        self._disk = DiskMemo(encoding_name) if persistent else None
        self._memo: OrderedDict[str, array[int]] = OrderedDict()
        self._memo_entries = memo_entries
        self._memo_tokens = 0
        self.hits = 0
        self.misses = 0
        self.on_new: Callable[[str, array[int]], None] | None = None
        """Told each text this counter had to tokenize (or read from the disk memo), with
        its ids: the reader process passes them on with the requests (see
        :mod:`promptcache.run.parallel`), so the main process need not tokenize them again."""

    def encode(self, text: str) -> array[int]:
        """Token ids of ``text`` as plain text (special-token strings count as ordinary text),
        as ``array("I")``: shared with the memo, so never to be changed."""
        if not text:
            return _NO_TOKENS
        memo = self._memo
        tokens = memo.get(text)
        if tokens is not None:
            memo.move_to_end(text)
            self.hits += 1
            return tokens
        self.misses += 1
        disk = self._disk
        remembered = disk.get(text) if disk is not None else None
        if remembered is not None:
            tokens = remembered
        else:
            tokens = array("I", self._tokenize(text))
            if disk is not None:
                disk.put(text, tokens)
        if self.on_new is not None:
            self.on_new(text, tokens)
        self._keep(text, tokens)
        return tokens

    def learn(self, text: str, tokens: array[int]) -> None:
        """Take ``tokens`` as the ids of ``text`` (tokenized by another process's counter of
        the same encoding), unless the memo has them already."""
        if text not in self._memo:
            self._keep(text, tokens)

    def _keep(self, text: str, tokens: array[int]) -> None:
        memo = self._memo
        memo[text] = tokens
        self._memo_tokens += len(tokens)
        while memo and (len(memo) > self._memo_entries
                        or self._memo_tokens > DEFAULT_MEMO_TOKENS):
            self._memo_tokens -= len(memo.popitem(last=False)[1])

    def count(self, text: str) -> int:
        """Number of tokens in ``text``."""
        return len(self.encode(text))

    def _tokenize(self, text: str) -> list[int]:
        """Ids of ``text``: in Python while this run has tokenized little and tiktoken is not
        built (see :mod:`promptcache.tokens.light_bpe`), else with tiktoken."""
        if self._encoding is None and not self._light_spent:
            light = self._light
            if light is None:
                from promptcache.tokens.encodings import tiktoken_parameters
                from promptcache.tokens.light_bpe import LightEncoding

                parameters = tiktoken_parameters(self.encoding_name)
                light = self._light = LightEncoding(parameters["pat_str"],
                                                    parameters["mergeable_ranks"])
            ids = light.encode(text)
            if ids is not None:
                return ids
            self._light_spent, self._light = True, None
        return self.encoding.encode_ordinary(text)

    @property
    def tokenizer_built(self) -> bool:
        """True once the full tokenizer is built (texts since go through it)."""
        return self._encoding is not None

    @property
    def encoding(self) -> TextEncoding:
        """The tokenizer, built on first need (a run served from the disk memo never is)."""
        if self._encoding is None:
            from promptcache.tokens.encodings import load_encoding

            self._encoding = load_encoding(self.encoding_name)
        return self._encoding

    def flush(self) -> None:
        """Keep what this run tokenized for later runs."""
        if self._disk is not None:
            self._disk.flush()
