"""Turn the paths a user gives into a stream of raw JSON records with their locations.

JSONL (one record per line), JSON (one record, or an array of them), standard input (``-``)
and compressed versions of each: gzip, bzip2 and xz (told by their first bytes, whatever the
file is called), and zstd with the ``zstandard`` package. Nothing here holds a whole JSONL
file in memory: lines are decoded one at a time, and records past the limits of
:mod:`promptcache.load.limits` are reported unread. A JSON document is read whole, since it
is one value.

What counts as a record (the report's ``records_read`` is audited plus invalid records): a
non-blank JSONL line, or one element of a JSON document's top-level array (any other
top-level value is one record). Blank lines are not records. A line or element that cannot
be decoded is one invalid record, reported at its line. Damage that belongs to no record (a
truncated or corrupt compressed stream, UTF-16 text, JSON syntax between array elements) is an
error for the file as a whole, at line 0, and counts as no record; when it stops the reading,
the error carries an :class:`Unread`: from which line, and how many bytes, the file was left
unread (the report's summary lists them and the run exits 2).
"""

from __future__ import annotations

import bz2
import errno
import gzip
import io
import lzma
import os
import stat
import sys
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

import orjson

from promptcache.load.documents import Decoded, Undecodable, decode_document
from promptcache.load.json_problems import describe_line
from promptcache.load.limits import (
    MAX_DOCUMENT_BYTES,
    MAX_LINE_BYTES,
    MAX_TEXT_BYTES,
    too_much_text,
)
from promptcache.load.remote import RemoteError, is_url, open_url
from promptcache.model import Location

_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_CHUNK = 1 << 20
"""Lines are read in pieces of this size, so a line over the limit is counted, never held."""


class _CorruptZstd(ValueError):
    """The zstandard package's ZstdError, raised again as an error of ours (that package is
    imported only for a .zst file)."""


_DAMAGE = (OSError, EOFError, zlib.error, lzma.LZMAError, _CorruptZstd)
"""What reading a damaged file raises: compressed streams that are truncated (EOFError),
corrupt or followed by garbage (BadGzipFile and zlib.error, OSError for bzip2, LZMAError,
_CorruptZstd), and plain I/O errors."""

_GZIP, _BZIP2, _XZ, _ZSTD = b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd"
"""The first bytes of each compressed format (RFC 1952; bzip2's "BZh"; the xz file format
1.0.4 section 2.1.1.1; RFC 8878 section 3.1.1)."""


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One decoded JSON value and where it starts."""

    location: Location
    value: Any


@dataclass(frozen=True, slots=True)
class Unread:
    """The end of a damaged file, left unread: the records it held are in no count."""

    line: int
    """The first line not read."""
    size: int
    """Bytes from there on that were not read as records, as far as the file could be read
    (its decompressed text, for a gzip file)."""


@dataclass(frozen=True, slots=True)
class LoadError:
    """A record, or a whole file, that could not be read."""

    location: Location
    message: str
    unread: Unread | None = None
    """Where reading the file stopped, when this damage left the rest of it unread."""


Position = Callable[[str, int], None]
"""Told, after each record, how many bytes of a file have been read (compressed bytes for a
gzip file, so the figure compares with the file's size)."""


def read_records(paths: Iterable[str], on_position: Position | None = None,
                 ) -> Generator[RawRecord | LoadError, None, None]:
    """Every record of every path in order; unreadable parts become :class:`LoadError`."""
    for path in paths:
        yield from _read_one(path, on_position)


def _open_binary(path: str) -> IO[bytes]:
    if path == "-":
        if sys.stdin is None:  # started with standard input closed (`<&-`)
            raise OSError(errno.EBADF, "standard input is closed")
        return sys.stdin.buffer
    if is_url(path):  # s3://, gs://...: through fsspec (promptcache.load.remote)
        try:
            return open_url(path)
        except RemoteError as problem:
            raise OSError(problem.reason) from None
    # Read-only: input files are never modified. A 1 MiB buffer, not the default 8 KiB:
    # splitting a log into lines then costs a fifth of the time.
    return open(path, "rb", buffering=_CHUNK)


def _read_one(path: str, on_position: Position | None) -> Iterator[RawRecord | LoadError]:
    name = _displayable(path)
    try:
        raw = _open_binary(path)
    except OSError as error:
        yield LoadError(Location(name, 0), f"cannot open: {error.strerror or error}")
        return
    try:
        with _maybe_decompress(raw) as stream:
            if on_position is None or path == "-":
                yield from _decode(name, stream)
            else:
                for item in _decode(name, stream):
                    yield item
                    on_position(path, raw.tell())
    except _DAMAGE as error:  # the first bytes could not be read
        yield LoadError(Location(name, 0), _damage(error, 0), Unread(1, 0))
    finally:
        if path != "-":
            raw.close()


def _displayable(path: str) -> str:
    """The path as reports show it: a file name that is not UTF-8 (Python keeps its bytes as
    lone surrogates) gets U+FFFD for each bad byte, since no report can hold surrogates."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return path


def _maybe_decompress(raw: IO[bytes]) -> io.BufferedIOBase:
    """``raw``, decompressed when its first bytes say it is compressed."""
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(_Raw(raw))
    magic = buffered.peek(6)[:6]
    stream: IO[bytes] | io.BufferedIOBase | io.RawIOBase
    if magic.startswith(_GZIP):
        stream, kind = gzip.GzipFile(fileobj=buffered, mode="rb"), "gzip"
    elif magic.startswith(_BZIP2):
        stream, kind = bz2.BZ2File(buffered, mode="rb"), "bzip2"
    elif magic.startswith(_XZ):
        stream, kind = lzma.LZMAFile(buffered, mode="rb"), "xz"  # noqa: SIM115
    elif magic.startswith(_ZSTD):
        stream, kind = _zstd_reader(buffered), "zstd"
    else:
        return buffered
    # Through a counting adapter: when the stream turns out damaged, the bytes it gave
    # before say how much of the file was left unread.
    return io.BufferedReader(_Raw(stream, kind), _CHUNK)


class CompressionUnavailable(OSError):
    """A compressed file whose format needs a package that is not installed."""


def _zstd_reader(buffered: io.BufferedReader) -> _ZstdFrames:
    try:
        import zstandard
    except ImportError:
        raise CompressionUnavailable(
            "zstd-compressed: reading it needs the zstandard package "
            "(pip install 'promptcache[zstd]')") from None
    return _ZstdFrames(buffered, zstandard.ZstdDecompressor().decompressobj,
                       zstandard.ZstdError)


class _ZstdFrames(io.RawIOBase):
    """The frames of a zstd stream decompressed one after another (a log appended to in
    several frames is one stream, as gzip's members are), with a cut last frame an EOFError,
    as gzip and bz2 say it: zstandard's own stream reader ends quietly there."""

    def __init__(self, source: io.BufferedReader, new_frame: Callable[[], Any],
                 corrupt: type[Exception]) -> None:
        self._source = source
        self._new_frame = new_frame
        self._corrupt = corrupt
        self._frame = new_frame()
        self._inside = False
        """Whether the current frame has had input and not ended."""
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = self._source.read1(_CHUNK)
            if not chunk:
                if self._inside:
                    raise EOFError("the zstd stream ends inside a frame")
                return 0
            try:
                self._pending = memoryview(self._decompress(chunk))
            except self._corrupt as error:
                raise _CorruptZstd(str(error)) from None
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def _decompress(self, chunk: bytes) -> bytes:
        out = []
        while chunk:
            out.append(self._frame.decompress(chunk))
            self._inside = not self._frame.eof
            if self._inside:
                break
            chunk = self._frame.unused_data  # the next frame begins here
            self._frame = self._new_frame()
        return b"".join(out)


class _Raw(io.RawIOBase):
    """Adapts any binary stream (a gzip stream, a test's BytesIO standing in for stdin) for
    BufferedReader, counting the bytes it delivers."""

    def __init__(self, stream: IO[bytes] | io.BufferedIOBase | io.RawIOBase,
                 kind: str = "") -> None:
        # read1: what one read of the source gives. A full read() of a damaged gzip stream
        # would raise with the bytes before the damage still inside it.
        self._read: Callable[[int], bytes] = getattr(stream, "read1", stream.read)
        self.delivered = 0
        self.kind = kind
        """The compression it undoes ("gzip", "bzip2"...; "" for none)."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._read(len(buffer))
        buffer[: len(data)] = data
        self.delivered += len(data)
        return len(data)


def _kind_of(stream: io.BufferedIOBase) -> str:
    """The compression ``stream`` undoes ("" for none)."""
    if isinstance(stream, io.BufferedReader) and isinstance(stream.raw, _Raw):
        return stream.raw.kind
    return ""


def _readable_size(stream: io.BufferedIOBase) -> int | None:
    """Bytes the stream has delivered or holds in all: a plain file's size, what an adapted
    stream gave so far; None for a pipe."""
    if isinstance(stream, io.BufferedReader) and isinstance(stream.raw, _Raw):
        return stream.raw.delivered
    try:
        status = os.fstat(stream.fileno())
    except (OSError, ValueError):
        return None
    return status.st_size if stat.S_ISREG(status.st_mode) else None


def _bytes_left(stream: io.BufferedIOBase) -> int | None:
    """Bytes a plain file holds past the reading position, known without reading them; None
    for a stream whose length is unknown until read (gzip, a pipe)."""
    if isinstance(stream, io.BufferedReader) and isinstance(stream.raw, _Raw):
        return None
    size = _readable_size(stream)
    return None if size is None else size - stream.tell()


@dataclass(slots=True)
class _Progress:
    """The lines of a file read whole so far, and their bytes."""

    lines: int = 0
    size: int = 0

    def took(self, line: bytes | int) -> None:
        self.lines += 1
        self.size += line if isinstance(line, int) else len(line)

    def unread(self, stream: io.BufferedIOBase) -> Unread:
        readable = _readable_size(stream)
        return Unread(self.lines + 1, max(0, readable - self.size) if readable else 0)


Readline = Callable[[int], bytes]


def _decode(path: str, stream: io.BufferedIOBase) -> Iterator[RawRecord | LoadError]:
    """JSONL, or a JSON document when the first record says so: an array, or an object
    pretty-printed over several lines.

    Damage found while reading ends the file with one error saying after which line, and how
    much of the file was left unread; the records before it stand."""
    line_number = 0
    done = _Progress()
    try:
        readline = stream.readline
        while True:
            start = readline(_CHUNK)
            if not start:
                return
            line_number += 1
            if line_number == 1 and start.startswith(_UTF16_BOMS):
                yield LoadError(Location(path, 0), "UTF-16 text; promptcache reads UTF-8 "
                                "(convert it, e.g. with iconv -f UTF-16 -t UTF-8)",
                                Unread(1, len(start) + _read_through(stream)))
                return
            head = _strip_line(start)
            if head:
                break
            done.took(start)
        if head[:1] == b"[":
            # An array: a document, perhaps minified onto one long line. Only leading space
            # is dropped, so the line goes on in the rest.
            yield from _document_items(path, line_number,
                                       start.removeprefix(_BOM).lstrip(), stream)
            return
        line = _complete(start, readline)
        record = _line_record(path, line_number, line)
        ahead: list[bytes | int] = []
        if isinstance(record, LoadError) and isinstance(line, bytes) and _opens_object(line):
            if _strip_line(line) != b"{":
                # An object pretty-printed from its first line on, or JSONL whose first
                # record is broken (cut short): the next line tells.
                ahead = _lines_to_next_record(readline)
            if not (ahead and _is_record_line(ahead[-1])):
                rest = b"".join(part for part in ahead if isinstance(part, bytes))
                yield from _document_items(path, line_number,
                                           line.removeprefix(_BOM).lstrip() + rest, stream)
                return
        done.took(line)
        if record is not None:
            yield record
        for read in ahead:
            line_number += 1
            done.took(read)
            record = _line_record(path, line_number, read)
            if record is not None:
                yield record
        while start := readline(_CHUNK):
            line_number += 1
            # The usual line comes whole in one piece: skip the call that would join pieces.
            line = (start if len(start) < _CHUNK or start.endswith(b"\n")
                    else _complete(start, readline))
            done.took(line)
            record = _line_record(path, line_number, line)
            if record is not None:
                yield record
    except _DAMAGE as error:
        yield LoadError(Location(path, 0), _damage(error, line_number, _kind_of(stream)),
                        done.unread(stream))


def _read_through(stream: io.BufferedIOBase) -> int:
    """The bytes left in ``stream``, read and let go of."""
    size = 0
    while piece := stream.read(_CHUNK):
        size += len(piece)
    return size


def _document_items(path: str, first_line: int, head: bytes,
                    stream: io.BufferedIOBase) -> Iterator[RawRecord | LoadError]:
    data = _document(head, stream)
    if data is None:
        yield _document_too_large(path, first_line)
    else:
        yield from _document_records(path, first_line, data)


def _document(head: bytes, stream: io.BufferedIOBase) -> bytes | None:
    """``head`` and the rest of the stream, or None when together they are over
    :data:`MAX_DOCUMENT_BYTES`. A plain file is refused by its size, unread; another stream
    is read a piece at a time and given up as soon as it passes the limit, so no more than
    the limit is ever held."""
    left = _bytes_left(stream)
    if left is not None:
        return None if len(head) + left > MAX_DOCUMENT_BYTES else head + stream.read()
    pieces, size = [head], len(head)
    while size <= MAX_DOCUMENT_BYTES:
        piece = stream.read(_CHUNK)
        if not piece:
            return b"".join(pieces)
        pieces.append(piece)
        size += len(piece)
    return None


def _document_too_large(path: str, line: int) -> LoadError:
    return LoadError(Location(path, line), (
        f"JSON document over {MAX_DOCUMENT_BYTES >> 20} MiB, too large to read whole: not "
        "audited; write big logs as JSONL, one record per line (for an array: jq -c '.[]')"))


def _complete(start: bytes, readline: Readline) -> bytes | int:
    """The line whose first piece is ``start``; its size instead when it is over
    :data:`MAX_LINE_BYTES`: the rest is then read through, not kept."""
    if len(start) < _CHUNK or start.endswith(b"\n"):
        return start  # the usual case: the whole line in one piece
    parts, size = [start], len(start)
    while piece := readline(_CHUNK):
        size += len(piece)
        if size > MAX_LINE_BYTES:
            parts.clear()
        else:
            parts.append(piece)
        if piece.endswith(b"\n"):
            break
    return size if size > MAX_LINE_BYTES else b"".join(parts)


def _line_record(path: str, line_number: int, line: bytes | int) -> RawRecord | LoadError | None:
    """The record on a JSONL line; None for a blank line (not a record)."""
    if isinstance(line, int):
        return LoadError(Location(path, line_number),
                         f"line of {line / 2**20:,.1f} MiB, over the {MAX_LINE_BYTES >> 20} MiB "
                         "limit for one record: skipped unread")
    stripped = _strip_line(line)
    if not stripped:
        return None
    return _decode_line(path, line_number, stripped)


def _strip_line(line: bytes) -> bytes:
    # Any line may start with a byte-order mark: `cat a.jsonl b.jsonl` keeps b's.
    if line.startswith(_BOM):
        line = line[3:]
    return line.strip()


def _lines_to_next_record(readline: Readline) -> list[bytes | int]:
    """The lines up to and including the next non-blank one."""
    lines: list[bytes | int] = []
    while line := _complete(readline(_CHUNK), readline):
        lines.append(line)
        if isinstance(line, int) or line.strip():
            break
    return lines


def _is_record_line(line: bytes | int) -> bool:
    if isinstance(line, int):
        return True  # an oversized line: reported as a record of its own
    stripped = _strip_line(line)
    if stripped[:1] != b"{":
        return False
    try:
        orjson.loads(stripped)
    except orjson.JSONDecodeError:
        return False
    return True


def _opens_object(line: bytes) -> bool:
    """Whether a first line that is not JSON by itself may open a pretty-printed object: an
    opening brace that nothing on the line closes."""
    stripped = _strip_line(line)
    return stripped.startswith(b"{") and stripped.count(b"{") > stripped.count(b"}")


def _decode_line(path: str, line_number: int, line: bytes) -> RawRecord | LoadError:
    location = Location(path, line_number)
    if len(line) > MAX_TEXT_BYTES:
        too_large = too_much_text(line)
        if too_large is not None:
            return LoadError(location, too_large)
    try:
        return RawRecord(location, orjson.loads(line))
    except orjson.JSONDecodeError as error:
        return LoadError(location, describe_line(error.msg, line, error.pos))


def _document_records(path: str, first_line: int,
                      data: bytes) -> Iterator[RawRecord | LoadError]:
    for item in decode_document(data, first_line):
        if isinstance(item, Decoded):
            yield RawRecord(Location(path, item.line, item.column), item.value)
            continue
        unread = Unread(item.line, item.unread_bytes) if item.unread_bytes else None
        if isinstance(item, Undecodable):
            yield LoadError(Location(path, item.line), item.message, unread)
        else:  # damage between records belongs to none of them
            yield LoadError(Location(path, 0), item.message, unread)


def _damage(error: BaseException, after_line: int, kind: str = "") -> str:
    """What ``error`` says of a file read up to ``after_line``, compressed as ``kind``."""
    after = f" after line {after_line}" if after_line else ""
    name = kind or "compressed"
    if isinstance(error, EOFError):
        return (f"truncated {name} data: the file ends inside the compressed stream"
                + (f", after line {after_line}" if after_line else ""))
    if _is_corrupt(error, kind):
        return f"corrupt {name} data{after}: {error}"
    reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    return f"cannot read{after}: {reason}"


def _is_corrupt(error: BaseException, kind: str) -> bool:
    """Whether ``error`` says the compressed data is bad, not that the file could not be
    read: gzip's, xz's and zstd's own errors, and bz2's bare OSError ("Invalid data stream",
    no errno)."""
    if isinstance(error, zlib.error | gzip.BadGzipFile | lzma.LZMAError | _CorruptZstd):
        return True
    return kind == "bzip2" and type(error) is OSError and error.errno is None
