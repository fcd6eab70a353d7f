"""Name the kind of a value that changes between requests: a timestamp, a UUID, a counter...

Used to word findings and to route a changing value to the rule for its kind (times and
dates, identifiers, per-user data, anything else). A rule fires on the evidence of change,
never on the shape of a string alone: by the time a value reaches :func:`classify`, two
requests have already been seen to hold different values in the same place.

Each label belongs to at most one of :data:`TIME_KINDS`, :data:`ID_KINDS` and
:data:`USER_DATA_KINDS`; a label in none of them (a number, a random token, ``value``) is
"any other changing value".
"""

from __future__ import annotations

import re
from collections.abc import Callable

TIME_KINDS = frozenset({"timestamp", "date", "time of day", "weekday"})
"""Labels for the current time in some form."""
ID_KINDS = frozenset({"UUID", "request id", "trace id", "session id", "hex id", "nonce"})
"""Labels for identifiers minted per request or per session."""
USER_DATA_KINDS = frozenset({"email address", "name", "phone number", "account number"})
"""Labels for data about the person being served."""

_Test = Callable[[str, str, str], bool]
"""(old value, new value, text just before the value on its line) -> does the label fit."""


def _both(pattern: re.Pattern[str]) -> _Test:
    return lambda old, new, _before: bool(pattern.search(old) and pattern.search(new))


def _whole(pattern: re.Pattern[str]) -> _Test:
    """Both values, trimmed of surrounding punctuation, are entirely ``pattern``."""
    return lambda old, new, _before: bool(pattern.fullmatch(_trim(old))
                                          and pattern.fullmatch(_trim(new)))


def _cued(cue: str, value: re.Pattern[str]) -> _Test:
    """The word ``cue`` ends the text before the value ("Account no: " 00123456) or opens the
    value itself ("nonce=Xk2..."), and both values hold ``value``. The cue is shared text:
    it says what the changing value is where its shape says nothing."""
    ending = re.compile(rf"(?i)\b(?:{cue})\s*[:#=]?\s*$")
    opening = re.compile(rf"(?i)(?:{cue})[\s:#=_-]*")
    def test(old: str, new: str, before: str) -> bool:
        cued = bool(ending.search(before)) or bool(opening.match(old) and opening.match(new))
        return cued and bool(value.search(old) and value.search(new))
    return test


def _trim(value: str) -> str:
    return value.strip().strip(".,;:!?\"'()[]{}<>\u201c\u201d\u2018\u2019")


_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
          r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")

_PHONE = re.compile(
    r"(?<![\w.+])(?:\+\d{7,15}\b"
    r"|(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,5}(?:[\s.-]\d{2,5}){1,4}(?![\w.]))")
_DOTTED_QUAD = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")


def _phone(old: str, new: str, _before: str) -> bool:
    return _is_phone(old) and _is_phone(new)


def _is_phone(value: str) -> bool:
    for found in _PHONE.finditer(value):
        text = found.group()
        digits = sum(char.isdigit() for char in text)
        if 7 <= digits <= 15 and not _DOTTED_QUAD.fullmatch(text):
            return True
    return False


_NAME_WORD = re.compile("[A-Z][a-z]*(?:['\u2019-]?[A-Z][a-z]*)*\\.?")
_NAME_PARTICLES = frozenset({"van", "von", "de", "da", "del", "der", "di", "la", "le", "bin",
                             "al", "ibn"})
_NAME_CUE = re.compile(
    r"(?i)(?:\b(?:helping|assisting|serving|user|customer|client|name|named|called|dear|hello|"
    r"hi|hey|welcome|patient|member|student|caller|policyholder|account holder)\b[\s:,=-]*"
    r"|\b(?:mr|mrs|ms|mx|dr)\.?\s*)$")


def _name(old: str, new: str, before: str) -> bool:
    """A short run of capitalized words on both sides ("Alice Smith" / "Bob Jones"); a single
    word on both sides counts only after a cue such as "helping" or "Customer:", so "Basic"
    -> "Premium" stays a plain value."""
    old_words, new_words = _name_words(old), _name_words(new)
    if not old_words or not new_words:
        return False
    return max(len(old_words), len(new_words)) >= 2 or bool(_NAME_CUE.search(before))


def _name_words(value: str) -> list[str]:
    words = _trim(value).split()
    if not 1 <= len(words) <= 4:
        return []
    for position, word in enumerate(words):
        if 0 < position < len(words) - 1 and word in _NAME_PARTICLES:
            continue
        # A word with lower case letters, or an initial ("J."): not an acronym, not "I".
        if not _NAME_WORD.fullmatch(word) or not (word.endswith(".") or
                                                  any(char.islower() for char in word)):
            return []
    return words


_ID_VALUE = re.compile(r"[A-Za-z0-9_-]*\d[A-Za-z0-9_-]*")


def _cued_id(cue: str) -> _Test:
    return _cued(rf"(?:{cue})[\s_-]*(?:id|identifier)\b", _ID_VALUE)


_TESTS: tuple[tuple[str, _Test], ...] = (
    # A label in the shared text says what an id is, whatever its shape (a trace id is
    # often 32 hex digits, which would read as a UUID).
    ("trace id", _cued_id("trace|span|correlation")),
    ("request id", _cued_id("request|req|call|run|message|job")),
    ("session id", _cued_id("session|conversation|thread|chat")),
    ("UUID", _both(re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}"
                              r"-?[0-9a-fA-F]{12}"))),
    ("timestamp", _both(re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}"))),
    ("timestamp", _both(re.compile(r"(?<!\+)\b1[5-9]\d{8}(?:\d{3})?\b"))),
    ("date", _both(re.compile(rf"\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}}|"
                              rf"\b{_MONTH}\.? \d{{1,2}}|\b\d{{1,2}} {_MONTH}\b",
                              re.IGNORECASE))),
    ("date", _whole(re.compile(rf"{_MONTH}\.?(?: \d{{4}})?"))),
    ("time of day", _both(re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?"))),
    ("time of day", _whole(re.compile(r"(?i)(?:this |good )?(?:morning|afternoon|evening|"
                                      r"night|noon|midnight)"))),
    ("weekday", _both(re.compile(r"\b(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\b",
                                 re.IGNORECASE))),
    ("email address", _both(re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"))),
    ("account number", _cued(
        r"(?:account|acct|a/c|iban|customer|client|member(?:ship)?|policy|subscriber|billing|"
        r"card)\b(?:[\s_-]*(?:no|number|num|id|#))?\.?",
        re.compile(r"\b[A-Za-z]{0,4}[-#]?\d[\d -]{3,30}\d\b"))),
    ("phone number", _phone),
    ("name", _name),
    ("nonce", _cued(r"nonce\b", re.compile(r"[A-Za-z0-9+/=_-]{8,}"))),
    ("request id", _both(re.compile(r"\b(?:req|run|trace|span|call|chatcmpl|msg|resp)[_-]"
                                    r"[A-Za-z0-9]{6,}"))),
    ("hex id", _both(re.compile(r"\b[0-9a-f]{12,}\b"))),
    ("random token", _both(re.compile(r"\b(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])"
                                      r"[A-Za-z0-9_-]{16,}\b"))),
    ("number", _both(re.compile(r"\d+"))),
)


def classify(old: str, new: str, before: str = "") -> str:
    """A short noun for what changed between ``old`` and ``new`` (``value`` if unsure).

    ``before`` is the text just before the value on its line ("Customer: ", "nonce="), which
    names values whose shape alone says nothing.
    """
    before = before[-48:]
    for label, test in _TESTS:
        if test(old, new, before):
            return label
    return "value"


def with_article(label: str) -> str:
    """``label`` after "a" or "an": "a UUID", "an email address"."""
    return f"{'an' if label[:1] in 'aeio' else 'a'} {label}"
