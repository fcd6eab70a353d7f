"""A request's prompt as a token stream, and the chained hashes of its fixed-size blocks.

The cache model never compares prompts pairwise: like vLLM's prefix cache, it hashes each
block of ``block_size`` tokens together with the hash of everything before it, so two prompts
share their first k blocks exactly when their first k block hashes are equal. The work is
linear in the tokens of the log.

Tokens that come from text are the tokenizer's ids. Tokens with no text (message framing,
images) get stand-in ids derived from what determines them (the role, the image and its
detail), so the stream is equal exactly where the provider's would be.

The stream is an ``array("I")``, the type the token memo keeps ids in: a segment's ids are
appended and a block's bytes taken with copies in C, never as Python ints (which cost more
than the hashing itself).
"""

from __future__ import annotations

import hashlib
from array import array
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from promptcache.model import Segment
from promptcache.tokens.prefix import identical_prefix

Encode = Callable[[str], Sequence[int]]

# Stand-in ids have the top bit of a 32-bit id set, far above any real vocabulary (o200k
# has about 200k ids). Each identity starts its run at a 31-bit digest of itself: two
# identities give equal runs at the same place only when their digests are equal (one chance
# in two billion), and even then only if everything before them in the prompt is equal too.
_STAND_IN_BIT = 1 << 31
_STAND_IN_MASK = _STAND_IN_BIT - 1


def _stand_ins(segment: Segment) -> Sequence[int]:
    if segment.fixed_tokens <= 0:
        return ()
    image = segment.image
    identity = f"{segment.kind}|{segment.role}|{segment.key if image is None else ''}|" + (
        f"{image.identity}|{image.detail}" if image is not None else "")
    return _stand_in_ids(identity, segment.fixed_tokens)


# Keyed by the identity text, not the segment: a cache holding segments would keep their
# texts alive, and memory would grow with the log.
@lru_cache(maxsize=4_096)
def _stand_in_ids(identity: str, count: int) -> array[int]:
    seed = int.from_bytes(hashlib.blake2b(identity.encode(), digest_size=4).digest(), "big")
    return array("I", (_STAND_IN_BIT | ((seed + offset) & _STAND_IN_MASK)
                       for offset in range(count)))


def _extend(stream: array[int], segment: Segment, encode: Encode) -> None:
    stream.extend(_stand_ins(segment))
    tokens = encode(segment.text)
    if segment.fixed_tokens < 0:
        # The renderer corrects for a token that fuses with its neighbour; keep the stream
        # exactly as long as the count.
        tokens = tokens[:segment.fixed_tokens]
    stream.extend(tokens)


def token_stream(segments: Sequence[Segment], encode: Encode) -> array[int]:
    """The prompt's tokens in provider order (stand-ins for framing and images first)."""
    stream: array[int] = array("I")
    for segment in segments:
        _extend(stream, segment, encode)
    return stream


def block_hashes(stream: Sequence[int], block_size: int, previous: bytes = b"") -> list[bytes]:
    """Chained hashes of the full blocks of ``stream`` (a trailing partial block is left out),
    continuing the chain from ``previous``."""
    hashes: list[bytes] = []
    data = (stream if isinstance(stream, array) and stream.typecode == "I"
            else array("I", stream)).tobytes()
    width = block_size * array("I").itemsize
    full = len(data) - len(data) % width
    for start in range(0, full, width):
        digest = hashlib.blake2b(previous, digest_size=16)
        digest.update(data[start:start + width])
        previous = digest.digest()
        hashes.append(previous)
    return hashes


@dataclass(slots=True)
class _Lane:
    segments: tuple[Segment, ...]
    ends: list[int]
    hashes: list[bytes]
    tail: array[int]
    """The prompt's tokens from ``tail_start`` to its end: what the next prompt of the lane
    re-hashes of it (the last partial block and the segments reaching into it)."""
    tail_start: int


MAX_TAIL_TOKENS = 8_192
"""A lane keeps at most this many tail tokens (32 KB): a longer tail (a huge last tool result)
is rebuilt from the memoized token ids instead, so the lanes stay a few megabytes."""


class PromptHasher:
    """Block hashes of successive prompts, redoing only what changed since the last prompt of
    the same lane (a conversation resends its history: only the new turn is hashed)."""

    def __init__(self, block_size: int, lanes: int = 128) -> None:
        self.block_size = block_size
        self._lanes: OrderedDict[str, _Lane] = OrderedDict()
        self._limit = lanes

    def hashes(self, lane: str, segments: tuple[Segment, ...], encode: Encode) -> list[bytes]:
        """The chained block hashes of the prompt ``segments``."""
        block = self.block_size
        state = self._lanes.get(lane)
        kept = identical_prefix(state.segments, segments) if state is not None else 0
        stream: array[int] = array("I")
        if state is None or kept == 0:
            origin, previous, reused, ends, first = 0, b"", [], [], 0
        else:
            shared_end = state.ends[kept - 1]
            blocks = shared_end // block
            block_start = blocks * block
            previous = state.hashes[blocks - 1] if blocks else b""
            reused = state.hashes[:blocks]
            if state.tail_start <= block_start:
                # An append: the shared segments' tokens past the last whole block are in the
                # tail, so only the new segments are read (a turn costs what it adds).
                origin, first = block_start, kept
                stream.extend(state.tail[block_start - state.tail_start:
                                         shared_end - state.tail_start])
                ends = state.ends[:kept]
            else:
                # The first segment reaching past the last whole shared block, read again.
                first = bisect_right(state.ends, block_start, 0, kept)
                origin = state.ends[first - 1] if first else 0
                ends = state.ends[:first]
        for segment in segments[first:]:
            _extend(stream, segment, encode)
            ends.append(origin + len(stream))
        skip = (len(reused) * block) - origin
        hashes = reused + block_hashes(stream[skip:], block, previous)
        self._lanes[lane] = _Lane(segments, ends, hashes, *_tail(stream, origin, ends, block))
        self._lanes.move_to_end(lane)
        if len(self._lanes) > self._limit:
            self._lanes.popitem(last=False)
        return hashes


def _tail(stream: array[int], origin: int, ends: list[int],
          block: int) -> tuple[array[int], int]:
    """(tokens, absolute start) of what the lane keeps of a prompt whose tokens from ``origin``
    on are ``stream``: from the last block boundary before its last segment, the part a next
    turn re-hashes when it replaces that segment (the reply priming) with its own; empty, and
    starting past the end, when that is more than :data:`MAX_TAIL_TOKENS` or reaches before
    ``origin``."""
    end = ends[-1] if ends else origin
    before_last = ends[-2] if len(ends) > 1 else 0
    start = before_last - before_last % block
    if start < origin or end - start > MAX_TAIL_TOKENS:
        return array("I"), end + 1
    return stream[start - origin:], start
