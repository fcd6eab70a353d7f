"""Case markers: a capitalized word costs its lowercase spelling plus one token.

A word written ``Title`` is counted as a capitalized-marker followed by ``title``; in the
Claude 3 family a word of four or more capitals is counted as an all-caps marker followed by
its lowercase spelling. Anything else (``iPhone``, ``GaN``, ``QQ``) keeps its bytes. The
exceptions below were measured by ctok against ``count_tokens`` (ctok 1.3.0,
``ctok/normalize.py``, ``mark_case``).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from promptcache.tokens.claude.classes import NEW_CASE_PAIRS, NEW_CASED
from promptcache.tokens.claude.markers import ALL_CAPS, CAPITALIZED

# Unicode calls ϴ a capital, but the models read it as caseless.
_CASELESS = frozenset("\u03f4")
_NEW_LOWER = frozenset(NEW_CASE_PAIRS.values())
_DOTTED_CAPITAL_I = "İ"  # lowercases to two characters; literal inside a marked word
_SHARP_S_CAPITAL = "ẞ"  # blocks both markers wherever it stands


def _lower(text: str) -> str:
    # Per character, so capital sigma always lowers to U+03C3 (str.lower gives the final
    # form U+03C2 at a word's end; the all-caps reading measured U+03C3).
    return "".join(ch if ch in _CASELESS else NEW_CASE_PAIRS.get(ch) or ch.lower()
                   for ch in text)


def _upper(ch: str) -> bool:
    # Category Lu with no lowercase form (U+2102, U+03D2) measured as caseless.
    return ch not in _CASELESS and (ch in NEW_CASE_PAIRS or (ch.isupper() and _lower(ch) != ch))


def _lower_case(ch: str) -> bool:
    return ch in _NEW_LOWER or ch.islower()


def _no_lowercase_reading(ch: str) -> bool:
    """A letter or mark that is neither lowercase nor a capital with a lowercase form: its
    presence keeps a word out of the all-caps reading."""
    letter_or_mark = ch in NEW_CASED or unicodedata.category(ch)[0] in "LM"
    return letter_or_mark and not _lower_case(ch) and (not _upper(ch) or _lower(ch) == ch)


def _all_capitals(word: str) -> bool:
    cased = [ch for ch in word if _upper(ch) or _lower_case(ch)]
    return bool(cased) and all(map(_upper, cased))


def _marked_dotted_i(word: str) -> str:
    """A word holding İ: capitalized only when another capital heads it and İ is the only
    other capital; İ itself stays literal."""
    head, tail = word[0], word[1:]
    if head == _DOTTED_CAPITAL_I or not _upper(head) or any(
            _upper(ch) for ch in tail if ch != _DOTTED_CAPITAL_I):
        return word
    return CAPITALIZED + _lower(head) + "".join(
        ch if ch == _DOTTED_CAPITAL_I else _lower(ch) for ch in tail)


@lru_cache(maxsize=65_536)  # words repeat: a log's vocabulary is small
def case_marked(word: str, all_caps_from: int | None) -> str:
    """``word`` as the stream writes it: a case marker and lowercase, or unchanged."""
    if word.isascii():  # the common case, where every letter has its other case
        if all_caps_from is not None and len(word) >= all_caps_from and word.isupper():
            return ALL_CAPS + word.lower()
        if word[0].isupper() and (len(word) == 1 or word[1:].islower()):
            return CAPITALIZED + word.lower()
        return word
    if _SHARP_S_CAPITAL in word:
        return word
    if _DOTTED_CAPITAL_I in word:
        return _marked_dotted_i(word)
    if (all_caps_from is not None and len(word) >= all_caps_from and _all_capitals(word)
            and not any(map(_no_lowercase_reading, word))):
        return ALL_CAPS + _lower(word)
    head = word[0]
    if _upper(head) and not any(map(_upper, word[1:])):
        return CAPITALIZED + _lower(word)
    return word
