"""Where two prompts stop sharing a prefix, in segments and in tokens.

The provider caches exact token prefixes, so "how much of request B could have been served
from request A's cache" is the length of their common token prefix. Whole equal segments are
compared as values; inside the first unequal segment the token sequences are compared.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import compress, count
from operator import is_not

from promptcache.model import Segment

Encode = Callable[[str], Sequence[int]]


def same_content(a: Segment, b: Segment) -> bool:
    """True when the two segments render to the same tokens at the same place."""
    if a is b:
        return True
    return (a.kind is b.kind and a.fixed_tokens == b.fixed_tokens and a.role == b.role
            and a.text == b.text and a.image == b.image)


def first_divergence(a: Sequence[Segment], b: Sequence[Segment]) -> int | None:
    """Index of the first segment that differs, or None when one is a prefix of the other."""
    # Counted requests share interned segment objects, so the common run is found by comparing
    # tuple slices (identity checks in C); the Python comparison starts where identity ends.
    start = identical_prefix(a, b)
    for index in range(start, min(len(a), len(b))):
        if not same_content(a[index], b[index]):
            return index
    return None


def identical_prefix(a: Sequence[Segment], b: Sequence[Segment]) -> int:
    """How many leading segments two prompts share as the same objects."""
    # One pass in C: the index of the first pair that are not the same object.
    return next(compress(count(), map(is_not, a, b)), min(len(a), len(b)))


@dataclass(frozen=True, slots=True)
class SharedPrefix:
    """How far two prompts agree."""

    segments: int
    """Leading segments equal in both."""
    tokens: int
    """Leading tokens equal in both, counting into the first unequal segment."""


def shared_prefix(a: Sequence[Segment], b: Sequence[Segment], b_tokens: Sequence[int],
                  encode: Encode) -> SharedPrefix:
    """Common prefix of ``a`` and ``b``, measured in ``b``'s tokens."""
    index = first_divergence(a, b)
    if index is None:
        shortest = min(len(a), len(b))
        return SharedPrefix(shortest, sum(b_tokens[:shortest]))
    tokens = sum(b_tokens[:index])
    left, right = a[index], b[index]
    same_frame = left.kind is right.kind and left.fixed_tokens == right.fixed_tokens
    if same_frame and left.text != right.text:
        # Framing tokens come first, then the text: count the framing plus the common tokens.
        tokens += right.fixed_tokens + common_length(encode(left.text), encode(right.text))
    return SharedPrefix(index, tokens)


def common_length(a: Sequence[object], b: Sequence[object]) -> int:
    """Length of the common prefix of two sequences."""
    length = 0
    for left, right in zip(a, b, strict=False):
        if left != right:
            break
        length += 1
    return length


def common_prefix_chars(a: str, b: str) -> int:
    """Length of the common prefix of two strings."""
    # Binary search over slice equality: the comparisons run in C, so long system prompts
    # cost O(n log n) machine work instead of a Python loop per character.
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def common_suffix_chars(a: str, b: str, limit: int) -> int:
    """Length of the common suffix of two strings that leaves the first ``limit`` chars alone."""
    low, high = 0, max(0, min(len(a), len(b)) - limit)
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle:] == b[len(b) - middle:]:
            low = middle
        else:
            high = middle - 1
    return low
