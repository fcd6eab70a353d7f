"""The structural markers of the Claude count model, and the vocabulary files' notation.

The model rewrites text into a *marked stream* before tiling it: a word is written between a
word-start and a word-end marker, and a capitalized or all-caps word is written in lowercase
behind a case marker. Each marker is one character of the stream, taken from the Basic
Multilingual Plane's private-use area: normalization deletes every private-use character of
the text first (the provider strips them, see ``normalize.py``), so a marker can never be
confused with a character of the text.

The vocabulary files spell markers as named atoms (``⟨bow⟩the⟨eow⟩``) and bytes that would
otherwise read as an atom's brackets as ``⟨0xNN⟩`` runs; :func:`parse_piece` turns a file's
spelling into stream characters.
"""

from __future__ import annotations

import re

WORD_START = "\ue000"
WORD_END = "\ue001"
CAPITALIZED = "\ue002"
ALL_CAPS = "\ue003"

MARKERS = frozenset({WORD_START, WORD_END, CAPITALIZED, ALL_CAPS})
CASE_MARKERS = CAPITALIZED + ALL_CAPS

_ATOMS = {"⟨bow⟩": WORD_START, "⟨eow⟩": WORD_END, "⟨shift⟩": CAPITALIZED, "⟨caps⟩": ALL_CAPS}
_NOTATION = re.compile(r"⟨(?:bow|eow|shift|caps)⟩|(?:⟨0x[0-9A-Fa-f]{2}⟩)+")


def _spell(atom: re.Match[str]) -> str:
    text = atom.group(0)
    marker = _ATOMS.get(text)
    if marker is not None:
        return marker
    return bytes(int(text[i + 3:i + 5], 16) for i in range(0, len(text), 6)).decode("utf-8")


def parse_piece(spelling: str) -> str:
    """A vocabulary file's spelling of a piece, as the stream characters it stands for."""
    if "⟨" not in spelling:
        return spelling
    return _NOTATION.sub(_spell, spelling)
