"""Texts compared apart from their whitespace.

Spacing alone is whitespace-drift's evidence (PC105); the other rules that compare texts
(a changing value, a rewritten system prompt or message, volatile content, reformatted tool
arguments) leave such a difference to it, so each of them asks whether two texts are equal
once whitespace is taken out. System prompts run to tens of kilobytes and the rules ask this
of every pair of turns that differ, so the common case is done without a string per word.
"""

from __future__ import annotations

from typing import Final

_ASCII_WHITESPACE: Final = bytes(code for code in range(128) if chr(code).isspace())
"""What ``str.split()`` splits on among ASCII characters: tab to carriage return, the four
separators 0x1C-0x1F and space (``bytes.split()`` would leave the separators out)."""


def same_apart_from_whitespace(old: str, new: str) -> bool:
    """True when ``old`` and ``new`` are equal once all whitespace (as ``str.split()`` knows
    it) is taken out."""
    if old.isascii() and new.isascii():
        # One pass in C each: 17 us instead of 120 us on a 12 KB text (split, then join).
        return (old.encode("ascii").translate(None, _ASCII_WHITESPACE)
                == new.encode("ascii").translate(None, _ASCII_WHITESPACE))
    return "".join(old.split()) == "".join(new.split())
