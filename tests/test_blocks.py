"""Incremental block hashing gives exactly the hashes of hashing each prompt whole."""

from __future__ import annotations

from collections.abc import Sequence

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


def test_an_appended_turn_reads_only_its_new_segments() -> None:
    # A next turn replaces the reply priming with the reply and adds a message: the history's
    # tokens past the last whole block come from the lane's tail, not from the token memo.
    read: list[str] = []

    def encode(text: str) -> Sequence[int]:
        read.append(text)
        return ENCODE(text)

    priming = Segment(SegmentKind.REPLY_PRIMING, "$", "", fixed_tokens=3, role="assistant")
    history = tuple(POOL[:9])
    reply = Segment(SegmentKind.TEXT, "$.m[9]", " the answer", fixed_tokens=4, role="assistant")
    hasher = PromptHasher(16)
    hasher.hashes("lane", (*history, priming), encode)
    read.clear()
    second = (*history, reply, POOL[11], priming)
    assert hasher.hashes("lane", second, encode) == block_hashes(token_stream(second, ENCODE), 16)
    assert read == [reply.text, POOL[11].text, priming.text]


def test_a_tail_too_long_to_keep_is_read_again() -> None:
    long_result = Segment(SegmentKind.TEXT, "$.m[1]", " word" * 9_000, fixed_tokens=3,
                          role="tool")
    first = (POOL[0], long_result)
    second = (*first, POOL[2])
    hasher = PromptHasher(128)
    hasher.hashes("lane", first, ENCODE)
    assert hasher.hashes("lane", second, ENCODE) == block_hashes(token_stream(second, ENCODE),
                                                                  128)
