"""Turn the paths a user gives into a stream of raw JSON records with their locations.

JSONL (one record per line), JSON (one record, or an array of them), standard input (``-``)
and gzip-compressed versions of each. Nothing here holds a whole JSONL file in memory: lines
are decoded one at a time. A JSON document is read whole, since it is one value.
"""

from __future__ import annotations

import gzip
import io
import json
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from promptcache.model import Location

LOG_SUFFIXES = (".jsonl", ".ndjson", ".json", ".jsonl.gz", ".ndjson.gz", ".json.gz")
"""What a directory argument expands to."""


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One decoded JSON value and where it starts."""

    location: Location
    value: Any


@dataclass(frozen=True, slots=True)
class LoadError:
    """A record, or a whole file, that could not be read."""

    location: Location
    message: str


class InputError(Exception):
    """A path argument cannot be used at all (missing, unreadable): the command fails."""


def expand_paths(arguments: Iterable[str]) -> list[str]:
    """Resolve directories into the log files below them, in sorted order; check the rest."""
    expanded: list[str] = []
    for argument in arguments:
        if argument == "-":
            expanded.append(argument)
            continue
        path = Path(argument)
        if path.is_dir():
            found = sorted(
                str(child) for child in path.rglob("*")
                if child.is_file() and child.name.lower().endswith(LOG_SUFFIXES)
            )
            if not found:
                raise InputError(f"{argument}: directory holds no .json or .jsonl files")
            expanded.extend(found)
        elif path.is_file():
            expanded.append(argument)
        elif path.exists():
            raise InputError(f"{argument}: not a regular file")
        else:
            raise InputError(f"{argument}: no such file or directory")
    return expanded


Position = Callable[[str, int], None]
"""Told, after each record, how many bytes of a file have been read (compressed bytes for a
gzip file, so the figure compares with the file's size)."""


def read_records(paths: Iterable[str],
                 on_position: Position | None = None) -> Iterator[RawRecord | LoadError]:
    """Every record of every path in order; unreadable parts become :class:`LoadError`."""
    for path in paths:
        yield from _read_one(path, on_position)


def _open_binary(path: str) -> IO[bytes]:
    if path == "-":
        return sys.stdin.buffer
    return open(path, "rb")


def _read_one(path: str, on_position: Position | None) -> Iterator[RawRecord | LoadError]:
    try:
        raw = _open_binary(path)
    except OSError as error:
        yield LoadError(Location(path, 0), f"cannot open: {error.strerror or error}")
        return
    try:
        with _maybe_gunzip(raw) as stream:
            if on_position is None or path == "-":
                yield from _decode(path, stream)
            else:
                for item in _decode(path, stream):
                    yield item
                    on_position(path, raw.tell())
    except (OSError, EOFError, zlib.error) as error:
        # A truncated or corrupt gzip stream surfaces while reading; records before it stand.
        yield LoadError(Location(path, 0), f"cannot read: {error}")
    finally:
        if path != "-":
            raw.close()


def _maybe_gunzip(raw: IO[bytes]) -> io.BufferedIOBase:
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(_Raw(raw))
    magic = buffered.peek(2)[:2]
    if magic == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=buffered, mode="rb")
    return buffered


class _Raw(io.RawIOBase):
    """Adapts any binary stream (a test's BytesIO standing in for stdin) for BufferedReader."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _decode(path: str, stream: io.BufferedIOBase) -> Iterator[RawRecord | LoadError]:
    lines = iter(stream)
    line_number = 0
    for line in lines:
        line_number += 1
        stripped = _strip_line(line, first=line_number == 1)
        if not stripped:
            continue
        if stripped[:1] == b"[" or not _is_complete_json(stripped):
            # A JSON document (an array, or one pretty-printed object): read it whole.
            rest = b"".join(lines)
            yield from _decode_document(path, line_number, stripped + b"\n" + rest)
            return
        yield _decode_line(path, line_number, stripped)
        break
    for line in lines:
        line_number += 1
        stripped = _strip_line(line, first=False)
        if stripped:
            yield _decode_line(path, line_number, stripped)


def _strip_line(line: bytes, *, first: bool) -> bytes:
    if first and line.startswith(b"\xef\xbb\xbf"):
        line = line[3:]
    return line.strip()


def _is_complete_json(line: bytes) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        # Could be a corrupt JSONL line or the first line of a multi-line document; only an
        # opening brace with nothing closing it on the line suggests a document.
        return not (line == b"{" or (line.startswith(b"{") and line.count(b"{") > line.count(b"}")))
    return True


def _decode_line(path: str, line_number: int, line: bytes) -> RawRecord | LoadError:
    location = Location(path, line_number)
    try:
        return RawRecord(location, orjson.loads(line))
    except orjson.JSONDecodeError as error:
        return LoadError(location, f"invalid JSON: {_describe_json_error(error)}")


def _describe_json_error(error: orjson.JSONDecodeError) -> str:
    return f"{error.msg} at column {error.colno}"


def _decode_document(path: str, first_line: int, data: bytes) -> Iterator[RawRecord | LoadError]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        yield LoadError(Location(path, first_line), f"invalid UTF-8 at byte {error.start}")
        return
    decoder = json.JSONDecoder(parse_constant=_reject_constant)
    index = _skip_space(text, 0)
    if text.startswith("[", index):
        yield from _decode_array(path, first_line, text, index + 1, decoder)
        return
    try:
        value, end = decoder.raw_decode(text, index)
    except (json.JSONDecodeError, ValueError, RecursionError) as error:
        message = _json_message(error, first_line)
        yield LoadError(Location(path, first_line), f"invalid JSON: {message}")
        return
    if _skip_space(text, end) != len(text):
        line = first_line + text.count("\n", 0, end)
        yield LoadError(Location(path, line), "invalid JSON: extra data after the document")
        return
    yield RawRecord(Location(path, first_line), value)


def _decode_array(path: str, first_line: int, text: str, index: int,
                  decoder: json.JSONDecoder) -> Iterator[RawRecord | LoadError]:
    line = first_line
    counted_to = 0
    index = _skip_space(text, index)
    if text.startswith("]", index):
        return
    while True:
        line += text.count("\n", counted_to, index)
        counted_to = index
        try:
            value, index = decoder.raw_decode(text, index)
        except (json.JSONDecodeError, ValueError, RecursionError) as error:
            message = _json_message(error, first_line)
            yield LoadError(Location(path, line), f"invalid JSON: {message}")
            return
        yield RawRecord(Location(path, line), value)
        index = _skip_space(text, index)
        if text.startswith(",", index):
            index = _skip_space(text, index + 1)
        elif text.startswith("]", index):
            return
        else:
            line += text.count("\n", counted_to, index)
            yield LoadError(Location(path, line), "invalid JSON: expected ',' or ']' in array")
            return


def _skip_space(text: str, index: int) -> int:
    length = len(text)
    while index < length and text[index] in " \t\r\n":
        index += 1
    return index


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _json_message(error: Exception, first_line: int) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg} at line {first_line + error.lineno - 1} column {error.colno}"
    if isinstance(error, RecursionError):
        return "nested too deeply"
    return str(error)
