"""What two texts lose or gain in tokens when the provider tokenizes them as one string.

The API concatenates a message's adjacent text parts before tokenizing (nothing between
them), while promptcache keeps each part a segment of its own so rules can point at it.
:func:`join_correction` is the difference to add to the second part for the sum of the
parts' counts to equal the count of their concatenation.

BPE merges only act inside the pre-tokenizer's chunks, and chunks only change near the join,
so a window on each side of it decides the difference: the texts' far ends are chunked the
same whether or not they are joined. The window bounds the cost for long texts.

:func:`joined_texts` applies it to a message's parts, for both OpenAI normalizers.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Final

from promptcache.model import Segment, SegmentKind

_WINDOW: Final = 256
"""Characters kept on each side of the join (longer than any chunk ordinary text has)."""
_MEMO_SIZE: Final = 4096
"""Distinct joins remembered: agents resend the same multi-part messages every turn."""


def join_correction(encoding_name: str, before: str, after: str) -> int:
    """count(before + after) - count(before) - count(after) under ``encoding_name``
    (0 or negative in practice: ".Now" is one token fewer than "." and "Now" apart)."""
    if not before or not after:
        return 0
    return _window_correction(encoding_name, before[-_WINDOW:], after[:_WINDOW])


def joined_texts(parts: list[Segment], encoding_name: str) -> list[Segment]:
    """A message's part segments, the last text part carrying what tokenizing adjacent text
    parts as one string (nothing between them) gains or loses: each part keeps a segment of
    its own, so rules can point at it (and compare parts by text and fixed tokens). A part
    that is not text breaks the run. ``parts`` is updated in place and returned."""
    joins, previous, last_text = 0, "", -1
    for index, segment in enumerate(parts):
        if segment.kind is SegmentKind.TEXT:
            joins += join_correction(encoding_name, previous, segment.text)
            previous, last_text = segment.text, index
        else:
            previous = ""
    if joins:
        parts[last_text] = replace(parts[last_text],
                                   fixed_tokens=parts[last_text].fixed_tokens + joins)
    return parts


@lru_cache(maxsize=_MEMO_SIZE)
def _window_correction(encoding_name: str, tail: str, head: str) -> int:
    # Imported here, as the counter does: tiktoken is not loaded on start-up, and not at all
    # by a run without adjacent text parts served from the disk memo.
    from promptcache.tokens.encodings import load_encoding

    encoding = load_encoding(encoding_name)
    joined, alone = encoding.encode_ordinary(tail + head), encoding.encode_ordinary(tail)
    return len(joined) - len(alone) - len(encoding.encode_ordinary(head))
