"""Incremental block hashing gives exactly the hashes of hashing each prompt whole."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from promptcache.cache.blocks import PromptHasher, block_hashes, token_stream
from promptcache.model import Segment, SegmentKind
from promptcache.tokens.counter import TokenCounter

ENCODE = TokenCounter("o200k_base", persistent=False).encode
POOL = [Segment(SegmentKind.TEXT, f"$.m[{n}]", " word" * (n * 7 % 40), fixed_tokens=n % 5,
                role="user") for n in range(12)]
# A renderer's correction for a token that fuses with its neighbour.
POOL.append(Segment(SegmentKind.TOOL, "$.tools[0]", " fused word here", fixed_tokens=-1))

prompts = st.lists(st.lists(st.integers(0, len(POOL) - 1), max_size=12), min_size=1,
                   max_size=8)


@settings(max_examples=200, deadline=None)
@given(prompts, st.sampled_from([1, 4, 16, 128]))
def test_incremental_hashes_equal_whole_hashes(sequence: list[list[int]], block: int) -> None:
    hasher = PromptHasher(block)
    for indexes in sequence:
        segments = tuple(POOL[index] for index in indexes)
        expected = block_hashes(token_stream(segments, ENCODE), block)
        assert hasher.hashes("lane", segments, ENCODE) == expected


def test_an_appended_turn_reuses_the_earlier_blocks() -> None:
    hasher = PromptHasher(4)
    first = tuple(POOL[:6])
    second = (*first, POOL[7])
    earlier = hasher.hashes("lane", first, ENCODE)
    later = hasher.hashes("lane", second, ENCODE)
    assert later[:len(earlier)] == earlier
    assert later == block_hashes(token_stream(second, ENCODE), 4)
