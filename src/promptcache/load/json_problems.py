"""Say in one line what keeps a piece of JSON from decoding, for JSONL lines and documents alike.

orjson's own messages are terse and sometimes point at the wrong place (invalid UTF-8 is
reported at column 1 whatever its position); these name the byte, the literal or the limit
and where it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable

MAX_DEPTH = 1024
"""Levels of nesting orjson decodes; deeper input is rejected."""

_NON_JSON_LITERALS = ("-Infinity", "Infinity", "NaN")
# Text decoded with errors="surrogateescape" holds each undecodable byte as U+DC80..U+DCFF.
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")

Where = Callable[[int], str]
"""Renders a character position as ``column C`` (a line) or ``line L column C`` (a document)."""


def describe(message: str, text: str, position: int, where: Where, start: int = 0) -> str:
    """What is wrong, given a decoder's ``message`` and ``position`` in ``text`` (decoded with
    surrogateescape); ``start`` is where the value being decoded begins."""
    # Python's json messages end in " at" ("Invalid control character at"): the location
    # is added below.
    message = message.removesuffix(" at")
    bad_byte = _first_escaped_byte(text, position, start, message)
    if bad_byte is not None:
        byte = ord(text[bad_byte]) - 0xDC00
        return f"invalid UTF-8: byte 0x{byte:02X} at {where(bad_byte)}"
    if "depth limit" in message:
        return f"invalid JSON: nested too deeply (more than {MAX_DEPTH} levels)"
    if "recursion" in message.lower():
        return "invalid JSON: nested too deeply"
    for literal in _NON_JSON_LITERALS:
        for at in (position, position - 1):  # orjson points past the sign of -Infinity
            if at >= 0 and text.startswith(literal, at):
                return f"invalid JSON: {literal} at {where(at)} (JSON has no NaN or Infinity)"
    if "\r" in text[start:position] and "after" in message:
        return (f"invalid JSON: {message} at {where(position)}; records separated by a bare "
                "carriage return (old Mac line ends)? promptcache reads LF or CRLF line ends")
    return f"invalid JSON: {message} at {where(position)}"


def _first_escaped_byte(text: str, position: int, start: int, message: str) -> int | None:
    if 0 <= position < len(text) and "\udc80" <= text[position] <= "\udcff":
        return position
    if "UTF-8" not in message:
        return None
    found = _ESCAPED_BYTE.search(text, start)
    return found.start() if found else None


def describe_line(message: str, line: bytes, position: int) -> str:
    """:func:`describe` for a JSONL line (``position`` counts characters, as orjson does)."""
    text = line.decode("utf-8", "surrogateescape")
    return describe(message, text, position, lambda at: f"column {at + 1}")
