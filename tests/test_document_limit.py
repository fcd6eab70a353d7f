"""A JSON document over the size limit is refused without being held in memory: a plain file
by its size, unread; a gzip stream or standard input, whose length is unknown until read, by
reading it a piece at a time and giving up as soon as it passes the limit. Memory is probed
with tracemalloc (what Python allocates) or by counting the bytes taken, never with
timings."""

from __future__ import annotations

import gzip
import io
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from promptcache.load import sources
from promptcache.load.limits import MAX_DOCUMENT_BYTES
from promptcache.load.sources import LoadError, RawRecord, read_records

MiB = 1 << 20


def _peak(read: Callable[[], list[RawRecord | LoadError]]) -> tuple[list[RawRecord | LoadError],
                                                                   int]:
    tracemalloc.start()
    try:
        items = read()
        return items, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _too_large(items: list[RawRecord | LoadError]) -> bool:
    return len(items) == 1 and isinstance(items[0], LoadError) and items[0].message.startswith(
        f"JSON document over {sources.MAX_DOCUMENT_BYTES >> 20} MiB, too large to read whole")


def test_a_plain_json_file_over_the_limit_is_refused_by_its_size_unread(
        tmp_path: Path) -> None:
    log = tmp_path / "huge.json"
    with log.open("wb") as out:
        out.write(b"[\n")
        out.truncate(MAX_DOCUMENT_BYTES + MiB)  # sparse: no disk space, nothing to read
    items, peak = _peak(lambda: list(read_records([str(log)])))
    assert _too_large(items)
    assert peak < 8 * MiB  # the reading buffer, not the 257 MiB document


@pytest.fixture
def small_limit(monkeypatch: pytest.MonkeyPatch) -> int:
    """The limit at 8 MiB, so a stream past it is quick to make and read."""
    limit = 8 * MiB
    monkeypatch.setattr(sources, "MAX_DOCUMENT_BYTES", limit)
    return limit


def _document(size: int) -> bytes:
    record = b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},\n'
    return b"[\n" + record * (size // len(record)) + b"{}]\n"


def test_a_gzip_document_over_the_limit_is_given_up_within_the_limit(
        tmp_path: Path, small_limit: int) -> None:
    log = tmp_path / "huge.json.gz"
    log.write_bytes(gzip.compress(_document(4 * small_limit), compresslevel=1, mtime=0))
    items, peak = _peak(lambda: list(read_records([str(log)])))
    assert _too_large(items)
    # What a stream of unknown length must hold to know it is over the limit: the limit,
    # plus the reading and decompression buffers (about 5 MiB), never the 32 MiB document.
    assert peak < small_limit + 6 * MiB


class _Source(io.RawIOBase):
    """Standard input standing in: counts the bytes the reader takes from it."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.taken = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        piece = self._data.read(len(buffer))
        buffer[: len(piece)] = piece
        self.taken += len(piece)
        return len(piece)


@pytest.fixture
def standard_input(monkeypatch: pytest.MonkeyPatch, small_limit: int) -> _Source:
    source = _Source(_document(4 * small_limit))

    class _Stdin:
        buffer = io.BufferedReader(source)

    monkeypatch.setattr("sys.stdin", _Stdin())
    return source


def test_standard_input_over_the_limit_stops_being_read_past_it(
        standard_input: _Source, small_limit: int) -> None:
    items = list(read_records(["-"]))
    assert _too_large(items)
    # Read up to the limit and one piece (1 MiB) over it, never to the end (32 MiB).
    assert small_limit < standard_input.taken <= small_limit + 2 * MiB


def test_a_document_under_the_limit_is_read_whole(tmp_path: Path, small_limit: int) -> None:
    log = tmp_path / "fine.json.gz"
    log.write_bytes(gzip.compress(_document(small_limit // 2), mtime=0))
    items = list(read_records([str(log)]))
    assert len(items) > 1000
    assert all(isinstance(item, RawRecord) for item in items)
