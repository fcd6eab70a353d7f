"""A request's prompt as a token stream, and the chained hashes of its fixed-size blocks.

The cache model never compares prompts pairwise: like vLLM's prefix cache, it hashes each
block of ``block_size`` tokens together with the hash of everything before it, so two prompts
share their first k blocks exactly when their first k block hashes are equal. The work is
linear in the tokens of the log.

Tokens that come from text are the tokenizer's ids. Tokens with no text (message framing,
images) get stand-in ids derived from what determines them (the role, the image and its
detail), so the stream is equal exactly where the provider's would be.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Callable, Sequence
from functools import lru_cache

from promptcache.model import Segment

Encode = Callable[[str], tuple[int, ...]]

# Stand-in ids live above any real vocabulary (o200k has about 200k ids) and below 2**63,
# so a block packs into signed 64-bit integers.
_STAND_IN_BASE = 1 << 40


@lru_cache(maxsize=65_536)
def _stand_ins(segment: Segment) -> tuple[int, ...]:
    if segment.fixed_tokens <= 0:
        return ()
    image = segment.image
    identity = f"{segment.kind}|{segment.role}|{segment.key if image is None else ''}|" + (
        f"{image.identity}|{image.detail}" if image is not None else "")
    seed = int.from_bytes(hashlib.blake2b(identity.encode(), digest_size=5).digest(), "big")
    base = _STAND_IN_BASE + (seed << 20)  # room for a million framing or image tokens
    return tuple(base + position for position in range(segment.fixed_tokens))


def token_stream(segments: Sequence[Segment], encode: Encode) -> list[int]:
    """The prompt's tokens in provider order (stand-ins for framing and images first)."""
    stream: list[int] = []
    for segment in segments:
        stream.extend(_stand_ins(segment))
        tokens = encode(segment.text)
        if segment.fixed_tokens < 0:
            # The renderer corrects for a token that fuses with its neighbour; keep the
            # stream exactly as long as the count.
            tokens = tokens[:segment.fixed_tokens]
        stream.extend(tokens)
    return stream


def block_hashes(stream: Sequence[int], block_size: int) -> list[bytes]:
    """Chained hashes of the full blocks of ``stream`` (a trailing partial block is left out)."""
    hashes: list[bytes] = []
    previous = b""
    full = len(stream) - len(stream) % block_size
    for start in range(0, full, block_size):
        block = stream[start:start + block_size]
        digest = hashlib.blake2b(previous, digest_size=16)
        digest.update(array("q", block).tobytes())
        previous = digest.digest()
        hashes.append(previous)
    return hashes
