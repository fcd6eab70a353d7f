"""Normalized text as the marked stream the vocabulary tiles.

Words are written ``[case marker]<word-start>word<word-end>``; one space between two marked
runs is not written at all (the markers stand for it: the *seam*); punctuation, bordered
digits and punctuation-like characters take a marker only on a side that touches a space;
everything else is written as it is. Each rule below was measured by ctok against
``count_tokens`` (ctok 1.3.0, ``ctok/normalize.py``, ``stream_norm`` and its helpers).
"""

from __future__ import annotations

import re

from promptcache.tokens.claude.casing import case_marked
from promptcache.tokens.claude.classes import (
    Kind,
    Run,
    bordered_digit,
    digit_run,
    is_variation_selector,
    punctuation_like,
    split_runs,
)
from promptcache.tokens.claude.markers import CASE_MARKERS, WORD_END, WORD_START

# English contractions whose apostrophe is the boundary of the word before it (`it's` is one
# boundary, not two); lowercase, whole word, each measured (`x'S`, `x'llo` pay in full).
_CONTRACTIONS = frozenset({"s", "t", "d", "m", "ll", "re", "ve"})
# The seam: a single space between a word-end and the next word-start is not written.
_SEAM = re.compile(f"{WORD_END} (?=[{CASE_MARKERS}]*{WORD_START})")


def _punct_start(body: str) -> bool:
    """Does the run's first character take a word-start beside a space, as punctuation?"""
    return punctuation_like(body[0]) or is_variation_selector(body[0])


def _punct_end(body: str) -> bool:
    return punctuation_like(body[-1]) or is_variation_selector(body[-1])


def _digit_start(kind: Kind, body: str) -> bool:
    """A digit run whose first character takes a word-start beside a space."""
    return (kind in (Kind.DIGIT, Kind.OTHER) and bordered_digit(body[0])
            and digit_run(body))


def _digit_end(kind: Kind, body: str) -> bool:
    return (kind in (Kind.DIGIT, Kind.OTHER) and bordered_digit(body[-1])
            and digit_run(body))


def _ends_with_own_marker(run: Run) -> bool:
    """Runs that write a word-end of their own on their right (punctuation and the like)."""
    kind, body = run
    return kind is Kind.PUNCT or _punct_end(body) or _digit_end(kind, body)


class _Writer:
    """Writes one text's runs as the stream; ``runs`` is never empty."""

    def __init__(self, runs: list[Run], *, frame_word_start: bool,
                 all_caps_from: int | None) -> None:
        self.runs = runs
        self.frame_word_start = frame_word_start
        self.all_caps_from = all_caps_from

    def _space_beside(self, at: int, side: int) -> bool:
        """Does run ``at`` touch a space on ``side`` (-1 left, +1 right)? The message start
        counts as a space where the frame ends in a word-start; the message end does not. On
        the right, only a single space does: a longer run keeps the marker off."""
        neighbour = at + side
        if neighbour < 0:
            return self.frame_word_start
        if neighbour >= len(self.runs):
            return False
        kind, body = self.runs[neighbour]
        if kind is not Kind.SPACE:
            return False
        return body.endswith(" ") if side < 0 else (body[:1] == " " and body[:2] != "  ")

    def _opening_quote(self, at: int) -> bool:
        """A lone apostrophe right before a word: the boundary before it is not absorbed."""
        return (self.runs[at][1] == "'" and at + 1 < len(self.runs)
                and self.runs[at + 1][0] in (Kind.WORD, Kind.LOOSE_MARK))

    def _contraction(self, at: int) -> bool:
        """Is word ``at`` a contraction suffix whose apostrophe supplies its word-start?"""
        if at == 0 or self.runs[at][1] not in _CONTRACTIONS:
            return False
        if self.runs[at - 1] != (Kind.PUNCT, "'"):
            return False
        return at < 2 or not _ends_with_own_marker(self.runs[at - 2])

    def _head(self) -> str:
        """What the frame's word-start becomes: absorbed by a first run that writes its own,
        written as a space before an opening quote, or standing alone."""
        if not self.frame_word_start:
            return ""
        if self._opening_quote(0):
            return " "
        kind, body = self.runs[0]
        writes_own = (kind in (Kind.WORD, Kind.PUNCT, Kind.LOOSE_MARK) or _punct_start(body)
                      or _digit_start(kind, body) or (kind is Kind.SPACE and body[0] == " "))
        return "" if writes_own else WORD_START

    def _word(self, at: int, body: str) -> str:
        after_loose_mark = at > 0 and self.runs[at - 1][0] is Kind.LOOSE_MARK
        if after_loose_mark:
            return body + WORD_END  # the mark opened this word and holds its case
        marked = case_marked(body, self.all_caps_from)
        case = marked[0] if marked[0] in CASE_MARKERS else ""
        start = "" if self._contraction(at) else WORD_START
        return case + start + marked[len(case):] + WORD_END

    def _bordered(self, at: int, kind: Kind, body: str) -> str:
        punct = kind is Kind.PUNCT
        start = (self._space_beside(at, -1) and not self._opening_quote(at)
                 and (punct or _punct_start(body)))
        end = self._space_beside(at, +1) and (punct or _punct_end(body))
        return (WORD_START if start else "") + body + (WORD_END if end else "")

    def _digits(self, at: int, kind: Kind, body: str) -> str:
        start = _digit_start(kind, body) and self._space_beside(at, -1)
        end = _digit_end(kind, body) and self._space_beside(at, +1)
        return (WORD_START if start else "") + body + (WORD_END if end else "")

    def write(self) -> str:
        parts = [self._head()]
        for at, (kind, body) in enumerate(self.runs):
            if kind is Kind.SPACE:
                parts.append(body)  # literal; the markers beside it are its neighbours'
            elif kind is Kind.WORD:
                parts.append(self._word(at, body))
            elif kind is Kind.LOOSE_MARK:
                letter_follows = at + 1 < len(self.runs) and self.runs[at + 1][0] is Kind.WORD
                parts.append(WORD_START + body + ("" if letter_follows else WORD_END))
            elif kind is Kind.PUNCT or _punct_start(body) or _punct_end(body):
                parts.append(self._bordered(at, kind, body))
            elif kind in (Kind.DIGIT, Kind.OTHER) and digit_run(body):
                parts.append(self._digits(at, kind, body))
            else:
                parts.append(body)
        return _SEAM.sub(WORD_END, "".join(parts))


def marked_stream(text: str, *, raw_leading_space: bool, frame_word_start: bool,
                  all_caps_from: int | None) -> str:
    """The stream of normalized ``text`` (content-final newlines already removed).

    ``raw_leading_space``: the text as sent began with a space (one that normalization made
    or uncovered is not absorbed by the frame, which read something else first).
    """
    # The frame's word-start is a space: it absorbs one leading space (not two, which are a
    # whitespace token of their own). A frame without one absorbs nothing.
    if frame_word_start and raw_leading_space and text[:1] == " " and text[1:2] != " ":
        text = text[1:]
    runs = split_runs(text)
    if not runs:
        # Text that normalizes away still pays the frame's word-start.
        return WORD_START if frame_word_start else ""
    return _Writer(runs, frame_word_start=frame_word_start,
                   all_caps_from=all_caps_from).write()
