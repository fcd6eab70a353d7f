"""A JSON document decoded record by record: one object, an array of records, or several
top-level values one after another (``jq .`` output). A top-level array's elements are the
records; any other top-level value is one.

The standard library's decoder finds where each record ends (it reports positions); the
record's text is then decoded by orjson, so a document accepts exactly what a JSONL line
accepts (no NaN, no lone surrogates, no invalid UTF-8, at most 1024 levels). A record that
cannot be decoded is reported at the line it starts on, and reading goes on after it
whenever its end can still be found (its brackets balance).
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from promptcache.load.json_problems import describe
from promptcache.load.limits import MAX_TEXT_BYTES, too_much_text


@dataclass(frozen=True, slots=True)
class Decoded:
    """A record and the line (and column) it starts on."""

    line: int
    value: Any
    column: int = 1


@dataclass(frozen=True, slots=True)
class Undecodable:
    """A record that cannot be decoded: one invalid record."""

    line: int
    message: str


@dataclass(frozen=True, slots=True)
class Damaged:
    """Broken syntax between records (a missing comma): belongs to no record."""

    line: int
    message: str


Item = Decoded | Undecodable | Damaged

_REST_LOST = "; the rest of the document cannot be read"
# Strings (skipped whole, so brackets inside them do not count), brackets and commas.
_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},]', re.DOTALL)


def decode_document(data: bytes, first_line: int) -> Iterator[Item]:
    """The records of ``data``, a document whose first byte is on line ``first_line``."""
    # An undecodable byte becomes a lone surrogate here, which orjson then rejects in the
    # one record holding it.
    text = data.decode("utf-8", "surrogateescape")
    yield from _Reader(text, first_line).values()


class _Reader:
    def __init__(self, text: str, first_line: int) -> None:
        self.text = text
        self.first_line = first_line
        self.decoder = json.JSONDecoder()
        self._line = first_line
        self._counted_to = 0
        self._line_start = 0
        self._scanned_to = 0

    def line_at(self, position: int) -> int:
        """The line of ``position``, counted on from the last call (positions only grow)."""
        if position < self._counted_to:
            return self.first_line + self.text.count("\n", 0, position)
        self._line += self.text.count("\n", self._counted_to, position)
        self._counted_to = position
        return self._line

    def column_at(self, position: int) -> int:
        """The 1-based column of ``position`` on its line, in characters. Searched on from
        the last call, like :meth:`line_at`: a minified array is one line, and searching back
        from each record to the line's start would take time quadratic in its length."""
        if position < self._scanned_to:
            return position - self.text.rfind("\n", 0, position)
        newline = self.text.rfind("\n", self._scanned_to, position)
        if newline >= 0:
            self._line_start = newline + 1
        self._scanned_to = position
        return position - self._line_start + 1

    def where(self, position: int) -> str:
        line = self.first_line + self.text.count("\n", 0, position)
        column = position - (self.text.rfind("\n", 0, position) + 1) + 1
        return f"line {line} column {column}"

    def values(self) -> Iterator[Item]:
        text = self.text
        index = _skip_space(text, 0)
        while index < len(text):
            if text.startswith("[", index):
                end = yield from self.array(index + 1)
            else:
                item, end = self.record(index)
                yield item
            if end is None:
                return
            index = _skip_space(text, end)

    def array(self, index: int) -> Generator[Item, None, int | None]:
        """Yield the elements; return the position after the closing bracket, or None when
        the rest cannot be read."""
        text = self.text
        index = _skip_space(text, index)
        if text.startswith("]", index):
            return index + 1
        while True:
            item, end = self.record(index)
            yield item
            if end is None:
                return None
            index = _skip_space(text, end)
            if text.startswith("]", index):
                return index + 1
            if not text.startswith(",", index):
                yield Damaged(self.line_at(index), "invalid JSON: expected ',' or ']' at "
                              f"{self.where(index)}{_REST_LOST}")
                return None
            index = _skip_space(text, index + 1)
            if text.startswith("]", index):
                yield Damaged(self.line_at(index),
                              f"invalid JSON: trailing comma before ']' at {self.where(index)}")
                return index + 1

    def record(self, start: int) -> tuple[Decoded | Undecodable, int | None]:
        """The record starting at ``start`` and the position after it (None: unknown)."""
        line = self.line_at(start)
        text = self.text
        try:
            _, end = self.decoder.raw_decode(text, start)
        except json.JSONDecodeError as error:
            message = describe(error.msg, text, error.pos, self.where, start)
            return self._broken(line, message, start)
        except RecursionError:
            return self._broken(line, describe("recursion", text, start, self.where, start),
                                start)
        record = text[start:end]
        # A character takes at most 4 bytes: shorter records are below the limit unencoded.
        too_large = (too_much_text(record.encode("utf-8", "surrogateescape"))
                     if len(record) > MAX_TEXT_BYTES // 4 else None)
        if too_large is not None:
            return Undecodable(line, too_large), end
        try:
            return Decoded(line, orjson.loads(record), self.column_at(start)), end
        except orjson.JSONDecodeError as error:
            return Undecodable(line, describe(error.msg, text, start + error.pos, self.where,
                                              start)), end

    def _broken(self, line: int, message: str, start: int) -> tuple[Undecodable, int | None]:
        end = _end_of_value(self.text, start)
        return Undecodable(line, message if end is not None else message + _REST_LOST), end


def _end_of_value(text: str, start: int) -> int | None:
    """Where a broken value starting at ``start`` ends, judged by its brackets alone; None
    when they never balance (a truncated document)."""
    depth = 0
    for match in _STRUCTURE.finditer(text, start):
        token = match.group()
        if token[0] == '"':
            continue
        if token in "[{":
            depth += 1
        elif token == ",":
            if depth == 0:
                return match.start() if match.start() > start else None
        else:
            if depth == 0:  # the enclosing array closes: a broken scalar ended
                return match.start() if match.start() > start else None
            depth -= 1
            if depth == 0:
                return match.end()
    return None


def _skip_space(text: str, index: int) -> int:
    length = len(text)
    while index < length and text[index] in " \t\r\n":
        index += 1
    return index
