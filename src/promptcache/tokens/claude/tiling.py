"""The count: the fewest vocabulary pieces that spell the marked stream.

A min-cost tiling (every piece costs one token), where a character no piece covers costs the
tokens of its UTF-8 bytes. In both shipped vocabularies a word-end is only ever a piece's last
character, and case markers and a word-start only ever open a piece (checked by the tests), so
no tile crosses those places: the stream is tiled chunk by chunk (about a word each), and as
the words of a log repeat, each distinct chunk is tiled once per process.
"""

from __future__ import annotations

import re

from promptcache.tokens.claude.markers import CASE_MARKERS, WORD_END, WORD_START
from promptcache.tokens.claude.vocabulary import Vocabulary

CHUNK_BOUNDARIES = re.compile(
    f"(?<={WORD_END})|(?<![{CASE_MARKERS}])(?=[{CASE_MARKERS}{WORD_START}])")
"""Where no tile can cross: after a word-end, before a word's case markers and word-start."""

_CHUNK_MEMO_ENTRIES = 200_000
"""Distinct chunks remembered per encoding (a chunk is about a word: a few megabytes)."""


class Tiler:
    """Tiles marked streams over one vocabulary, remembering chunks and characters."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self._vocabulary = vocabulary
        self._prefixes = vocabulary.prefixes
        self._chunks: dict[str, tuple[int, ...]] = {}
        self._characters: dict[str, tuple[int, ...]] = {}

    def tile(self, stream: str) -> list[int]:
        """Token ids of ``stream``."""
        ids: list[int] = []
        chunks = self._chunks
        for chunk in CHUNK_BOUNDARIES.split(stream):
            if chunk:
                ids.extend(chunks.get(chunk) or self._tile_new(chunk))
        return ids

    def _tile_new(self, chunk: str) -> tuple[int, ...]:
        if len(self._chunks) >= _CHUNK_MEMO_ENTRIES:
            self._chunks.clear()
        tiled = self._chunks[chunk] = tuple(self.tile_chunk(chunk))
        return tiled

    def tile_chunk(self, text: str) -> list[int]:
        """The min-cost tiling of ``text``: every piece edge costs 1, and the edge of one
        uncovered character costs its byte tokens."""
        size = len(text)
        if not size:
            return []
        prefixes = self._prefixes
        whole = prefixes.get(text, -1)
        if whole >= 0:
            return [whole]  # most words are one piece, and nothing is cheaper
        cost = [0] + [size * 8] * size
        back = [0] * (size + 1)  # where the cheapest tiling's last edge ending here starts
        piece_at = [-1] * (size + 1)  # that edge's piece, or -1 for one uncovered character
        get = prefixes.get
        for start in range(size):
            step = cost[start] + 1
            found = get(text[start])
            if found is not None and found >= 0:
                edge, piece = step, found
            else:
                edge, piece = cost[start] + len(self.character(text[start])), -1
            if edge < cost[start + 1]:
                cost[start + 1], back[start + 1], piece_at[start + 1] = edge, start, piece
            end = start + 1
            while found is not None and end < size:  # longer pieces starting here
                end += 1
                found = get(text[start:end])
                if found is not None and found >= 0 and step < cost[end]:
                    cost[end], back[end], piece_at[end] = step, start, found
        edges: list[tuple[int, ...]] = []
        end = size
        while end:
            start = back[end]
            piece = piece_at[end]
            edges.append((piece,) if piece >= 0 else self.character(text[start]))
            end = start
        return [token for edge in reversed(edges) for token in edge]

    def character(self, ch: str) -> tuple[int, ...]:
        """A character's token ids: its piece, or its UTF-8 bytes tiled over the byte
        prefixes (each single byte being a token)."""
        known = self._characters.get(ch)
        if known is None:
            piece = self._prefixes.get(ch, -1)
            known = (piece,) if piece >= 0 else self._byte_tiling(ch.encode("utf-8"))
            self._characters[ch] = known
        return known

    def _byte_tiling(self, data: bytes) -> tuple[int, ...]:
        vocabulary = self._vocabulary
        size = len(data)
        best: list[tuple[int, ...]] = [()]
        for end in range(1, size + 1):
            options = [best[end - 1] + (vocabulary.first_byte_id + data[end - 1],)]
            for start in range(max(0, end - vocabulary.longest_byte_prefix), end - 1):
                prefix_id = vocabulary.byte_prefixes.get(data[start:end])
                if prefix_id is not None:
                    options.append(best[start] + (prefix_id,))
            best.append(min(options, key=len))
        return best[size]

    def newline_tail(self, newlines: int) -> list[int]:
        """What ``newlines`` content-final newlines cost beyond the frame.

        The frame appends two newlines after the content and one token can span the seam, so
        the run tiled is ``newlines + 2`` long and its last token is the frame's own (which
        is why 28 trailing newlines are free and 29 cost one; exact on ctok's 40 measured
        rows, ctok 1.3.0 ``engine.frame_tail``).
        """
        if not newlines:
            return []
        return self.tile_chunk("\n" * (newlines + 2))[:-1]
