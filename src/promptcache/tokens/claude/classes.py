"""What kind of run each character of normalized text belongs to, and the runs themselves.

The Claude count model splits text into maximal runs of one class. Words (``WORD``) are
written between word markers and carry case markers; punctuation (``PUNCT``), digits
(``DIGIT``) and some ``OTHER`` characters take a boundary marker only on a side that touches
a space; ``OTHER`` letters (ideographs, Hangul syllables, astral characters) are written
bare; spaces (``SPACE``) stay literal. Every table and split below was measured by ctok
against ``count_tokens`` (ctok 1.3.0, ``ctok/constants.py`` and ``ctok/normalize.py``); most
are enumerations because no Unicode category reproduces them.
"""

from __future__ import annotations

import re
import unicodedata
from enum import Enum
from functools import cache

import regex


class Kind(Enum):
    """A run's class."""

    WORD = "word"
    OTHER = "other"
    DIGIT = "digit"
    PUNCT = "punct"
    SPACE = "space"
    LOOSE_MARK = "loose-mark"
    """An alphabetic combining mark with no letter before it: it opens a word of its own."""


# Unicode 16 case pairs the models know and Python 3.11's Unicode 14 does not.
NEW_CASE_PAIRS = {"\u1c89": "\u1c8a", "\ua7cb": "\u0264"}
NEW_CASED = frozenset(NEW_CASE_PAIRS) | frozenset(NEW_CASE_PAIRS.values())

# Non-ASCII punctuation that tiles with the ASCII punctuation, each measured one by one
# (no category rule: the fullwidth left parenthesis behaves as punctuation, the right one does
# not). The look-alikes of ASCII characters are the point of the table.
_PUNCTUATION_LIKE = frozenset("—»«•°„–−£§€…√→（№†└│།·─═█")  # noqa: RUF001

# Symbols of the CJK Symbols and Punctuation block that behave as its punctuation (measured
# markerless in both families).
_IDEOGRAPHIC_SYMBOLS = frozenset("〄〒〓〠〶〷〾〿")

# Symbol-letters measured to behave exactly like Latin letters (whole blocks: their categories
# split both ways).
_LETTER_BLOCKS = ((0x16EE, 0x16F0), (0x2160, 0x2188), (0x24B6, 0x24E9), (0xA6E6, 0xA6EF))

# Iteration and closing marks that continue the ideograph run before them (々 〆 and the kana
# repeat marks): read as words they cost two tokens more than the provider charges.
_IDEOGRAPH_CONTINUERS = frozenset(map(chr, (0x3005, 0x3006, 0x3031, 0x3032, 0x3033, 0x3034,
                                            0x3035, 0x303B, 0x303C)))

_VARIATION_SELECTORS = (0xFE00, 0xFE0F)
_ALPHABETIC = regex.compile(r"\p{Alphabetic}")


def is_variation_selector(ch: str) -> bool:
    """U+FE00..U+FE0F: a mark by category that rides its base and takes no word markers."""
    return _VARIATION_SELECTORS[0] <= ord(ch) <= _VARIATION_SELECTORS[1]


def _isolated_letter(code: int) -> bool:
    """Letters counted one by one, without word markers: astral, CJK, Hangul syllables."""
    return (code >= 0x10000 or 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF
            or 0xF900 <= code <= 0xFAFF or 0xAC00 <= code <= 0xD7A3)


def is_separator_mark(ch: str) -> bool:
    """A non-alphabetic BMP combining mark: it ends the word before it (Unicode's derived
    Alphabetic property decides, not orthography)."""
    return (ord(ch) < 0x10000 and unicodedata.category(ch)[0] == "M"
            and not is_variation_selector(ch) and not _ALPHABETIC.fullmatch(ch))


@cache
def kind_of(ch: str) -> Kind:
    """The class of one character (a loose mark is decided by its neighbours, in
    :func:`split_runs`)."""
    if ch in NEW_CASED:
        return Kind.WORD
    code = ord(ch)
    category = unicodedata.category(ch)
    if category[0] == "Z" or ch in "\t\n\r\f\v":
        return Kind.SPACE
    if any(low <= code <= high for low, high in _LETTER_BLOCKS):
        return Kind.WORD
    if category == "Nd" and (code < 0x80 or 0x660 <= code <= 0x669 or 0x6F0 <= code <= 0x6F9):
        return Kind.DIGIT
    if (code < 0x80 and category[0] in "PS") or ch in _PUNCTUATION_LIKE:
        return Kind.PUNCT
    if is_variation_selector(ch):
        return Kind.OTHER  # a mark by category, but it takes no word markers
    if category[0] == "M":
        # Only BMP marks that are Alphabetic stay in words; astral marks go one by one.
        return Kind.WORD if code < 0x10000 and _ALPHABETIC.fullmatch(ch) else Kind.OTHER
    if category[0] == "L" and not _isolated_letter(code) and ch not in _IDEOGRAPH_CONTINUERS:
        return Kind.WORD
    return Kind.OTHER


def _syriac_vowel(ch: str) -> bool:
    """Syriac vowel points and superscript alaph: without a base they act as letters, not as
    loose marks."""
    code = ord(ch)
    return code == 0x0711 or 0x0730 <= code <= 0x073F


def _loose_mark(ch: str) -> bool:
    """An in-word combining mark, which opens a word of its own where no letter precedes it."""
    return (not _syriac_vowel(ch) and unicodedata.combining(ch) != 0
            and not is_separator_mark(ch))


@cache
def punctuation_like(ch: str) -> bool:
    """An OTHER character that takes boundary markers as punctuation does: punctuation,
    symbols, format characters and separator marks, but not CJK punctuation (it stays with
    the ideographs around it) and nothing astral (an emoji takes no marker)."""
    code = ord(ch)
    if code >= 0x10000:
        return False
    if is_separator_mark(ch):
        return True
    category = unicodedata.category(ch)
    ideographic = 0x3001 <= code <= 0x303F and (category[0] == "P"
                                                or ch in _IDEOGRAPHIC_SYMBOLS)
    return (category[0] in "PS" or category in ("Cf", "Cn")) and not ideographic


@cache
def bordered_digit(ch: str) -> bool:
    """A digit that takes a boundary marker next to a space: any non-ASCII BMP decimal digit
    and any BMP ``No`` number (fractions, superscripts, circled digits)."""
    category = unicodedata.category(ch)
    return (category == "No" or (category == "Nd" and not ch.isascii())) and ord(ch) < 0x10000


def digit_run(body: str) -> bool:
    """All digits of one category, Nd or No."""
    category = unicodedata.category(body[0])
    return category in ("Nd", "No") and all(unicodedata.category(ch) == category
                                            for ch in body[1:])


def _other_part(ch: str) -> str:
    """Which pretoken an OTHER character belongs to: a number beside an ideograph is a
    separate pretoken with its own boundary markers."""
    if punctuation_like(ch):
        return "punct"
    return "number" if bordered_digit(ch) else "letter"


Run = tuple[Kind, str]


class _KindCodes(dict[int, str]):
    """A ``str.translate`` table from a character to one letter naming its kind, filled as
    characters are met: the runs are then found by a regular expression over the letters."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        kind = kind_of(ch)
        letter = _LETTERS[kind]
        if kind is Kind.WORD and _loose_mark(ch):
            letter = "m"  # a word character that would open a word of its own
        self[code] = letter
        return letter


_LETTERS = {Kind.WORD: "w", Kind.OTHER: "o", Kind.DIGIT: "d", Kind.PUNCT: "p", Kind.SPACE: "s"}
_KINDS = {"w": Kind.WORD, "m": Kind.LOOSE_MARK, "o": Kind.OTHER, "d": Kind.DIGIT,
          "p": Kind.PUNCT, "s": Kind.SPACE}
_CODES = _KindCodes()
# Marks with no letter before them make a loose-mark run (first alternative); marks after a
# letter stay in its word.
_RUNS = re.compile("m+|[wm]+|o+|d+|p+|s+")


def split_runs(text: str) -> list[Run]:
    """``text`` as maximal runs of one kind; OTHER runs further split where the pretoken
    changes (a variation selector stays with the character it modifies)."""
    runs: list[Run] = []
    for match in _RUNS.finditer(text.translate(_CODES)):
        kind = _KINDS[match.group()[0]]
        body = text[match.start():match.end()]
        if kind is Kind.OTHER and len(body) > 1:
            runs += _split_other(body)
        else:
            runs.append((kind, body))
    return runs


def _split_other(body: str) -> list[Run]:
    parts = [body[0]]
    part = _other_part(body[0])
    for ch in body[1:]:
        if is_variation_selector(ch) or _other_part(ch) == part:
            parts[-1] += ch
        else:
            parts.append(ch)
            part = _other_part(ch)
    return [(Kind.OTHER, piece) for piece in parts]
