"""Text as the Claude tokenizer reads it: the provider's irreversible rewrites, nothing else.

Every rewrite here was measured by ctok against ``count_tokens`` (ctok 1.3.0,
``ctok/constants.py`` and ``ctok/normalize.py``, whose tables these follow); the function that
applies them is this project's own.
"""

from __future__ import annotations

import re
import unicodedata

# The C0 and C1 controls the provider deletes before counting: every control except TAB, LF
# and NUL (so a CR of CRLF costs nothing).
_DELETED_CONTROLS = re.compile("[\x01-\x08\x0b-\x1f\x7f-\x9f]")
# Basic Multilingual Plane private use, deleted the same way (its neighbours then join). The
# supplementary private-use planes were never probed and are left alone.
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
# A lone surrogate is not UTF-8 and never reaches the provider: read it as U+FFFD.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# Separators counted exactly as U+0020: every Zs but the ideographic space U+3000, and the
# line and paragraph separators. NUL is counted as a space too.
_SPACE_LIKE = re.compile("[\x00\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f]")
# The four curly quotes the Claude 3 family reads as ASCII (the low-9 quote U+201E is not).
_CURLY_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
# Thai SARA AM written as NIKHAHIT + SARA AA is composed to U+0E33, which NFC does not do.
_THAI_SARA_AM = ("\u0e4d\u0e32", "\u0e33")


def normalize(text: str, *, fold_curly_quotes: bool) -> str:
    """``text`` after the provider's rewrites: NFC, deleted controls and private use, spaces."""
    text = _LONE_SURROGATE.sub("\ufffd", text)
    text = _DELETED_CONTROLS.sub("", unicodedata.normalize("NFC", text))
    text = _PRIVATE_USE.sub("", text.replace(*_THAI_SARA_AM))
    if fold_curly_quotes:
        text = text.translate(_CURLY_QUOTES)
    return _SPACE_LIKE.sub(" ", text)
