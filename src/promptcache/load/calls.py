"""Which format each file is written in, and the calls read from it.

Each file's format is told from its first records (:data:`_PEEK` at most): the first format,
in :func:`~promptcache.load.formats.all_formats` order, that recognizes one of them reads the
file; ``--input-format NAME`` skips the telling. A file none of the formats recognizes is one
error naming the file, the line of its first record and every format tried with why it did
not match; it is listed as unread, and the run goes on with the other files.

Files are told apart before any is read, so that a file its format must read first (a batch
output, whose usage the input's requests are joined to) is read first. Telling costs decoding
a file's first records twice (a JSONL file's first lines; a JSON document whole, within the
reader's document limit); standard input is read once, its first records kept.
"""

from __future__ import annotations

import itertools
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from promptcache.load.formats import all_formats, format_named, unknown_format
from promptcache.load.formats.base import InputFormat, LoggedCall, Skipped
from promptcache.load.formats.request import RequestBodies
from promptcache.load.sources import LoadError, Position, RawRecord, Unread, read_records
from promptcache.model import Location

_PEEK = 8
"""Records looked at to tell a file's format: enough to pass a few broken leading lines."""
_KEYS_SHOWN = 6
"""Keys of an unknown record named in the error, enough to recognize the record by."""


class UnknownFormatName(ValueError):
    """``--input-format`` names no format."""


@dataclass(slots=True)
class _Plan:
    """One file, the format reading it, and what was read to tell it."""

    path: str
    reader: InputFormat | None
    peeked: list[RawRecord | LoadError]
    rest: Iterator[RawRecord | LoadError] | None
    """The rest of standard input (read once); None for a file, read again from its start."""
    first: bool = False
    """Read before the files whose format does not ask for that."""
    unknown: LoadError | None = None


def check_format_name(name: str) -> None:
    """Raise :class:`UnknownFormatName`, listing the formats, when no format is ``name``."""
    if format_named(name) is None:
        raise UnknownFormatName(unknown_format(name))


def read_calls(paths: Sequence[str], input_format: str | None = None,
               on_position: Position | None = None,
               ) -> Iterator[LoggedCall | LoadError | Skipped]:
    """Every call in ``paths``, file by file (files their format reads first, first), errors
    in place, then what the formats hold once every file is read (unjoined batch lines).
    ``input_format`` names every file's format; None tells it per file."""
    if input_format is not None:
        check_format_name(input_format)
    readers = [fmt() for fmt in all_formats()
               if input_format is None or fmt.name == input_format]
    plans = [_plan(path, readers, forced=input_format is not None) for path in paths]
    for plan in sorted(plans, key=lambda plan: not plan.first):
        if plan.unknown is not None:
            yield plan.unknown
        elif plan.reader is not None:
            yield from plan.reader.calls(_records(plan, on_position))
    used = {id(plan.reader) for plan in plans}
    for reader in readers:
        if id(reader) in used:
            yield from reader.finish()


def tell_format(path: str) -> str | LoadError:
    """The name of the format that reads the file at ``path``, or the error saying why none
    does (as an audit would report it)."""
    plan = _plan(path, [fmt() for fmt in all_formats()], forced=False)
    if plan.unknown is not None:
        return plan.unknown
    if plan.peeked and not any(isinstance(item, RawRecord) for item in plan.peeked):
        first = plan.peeked[0]
        assert isinstance(first, LoadError)
        return first  # unreadable (no such file, not JSON): nothing to tell from
    assert plan.reader is not None
    return plan.reader.name


def _plan(path: str, readers: list[InputFormat], forced: bool) -> _Plan:
    stream = read_records([path])
    peeked = list(itertools.islice(stream, _PEEK))
    rest: Iterator[RawRecord | LoadError] | None = stream
    if path != "-":
        stream.close()
        rest = None
    values = [record for record in peeked
              if isinstance(record, RawRecord) and isinstance(record.value, dict)]
    if forced or not values:
        # No object to tell from (an empty or broken file, a list of numbers): the forced
        # format, else request bodies, reports each record's problem.
        reader = readers[0] if forced else _request_reader(readers)
        return _Plan(path, reader, peeked, rest,
                     first=bool(values) and reader.reads_first(values[0].value))
    for record in values:
        for reader in readers:
            if reader.recognize(record.value).matches:
                return _Plan(path, reader, peeked, rest, first=reader.reads_first(record.value))
    return _Plan(path, None, peeked, rest, unknown=_unknown(path, values[0], readers))


def _request_reader(readers: list[InputFormat]) -> InputFormat:
    return next(reader for reader in readers if isinstance(reader, RequestBodies))


def _unknown(path: str, record: RawRecord, readers: list[InputFormat]) -> LoadError:
    # Every format's own reason would make a paragraph: the names, the record's keys, and
    # how to hear one format's reason (forced, it says why for each record).
    tried = ", ".join(reader.name for reader in readers)
    keys = ", ".join(sorted(record.value)[:_KEYS_SHOWN]) or "none"
    if len(record.value) > _KEYS_SHOWN:
        keys += ", ..."
    location = record.location
    return LoadError(
        Location(location.file, location.line),
        f"unknown log format: none of {tried} reads its first records (keys: {keys}); "
        "--input-format NAME reads it as one and says why each record does not fit",
        Unread(location.line, _size(path)))


def _size(path: str) -> int:
    """The file's size, or 0 for standard input or a pipe."""
    try:
        status = os.stat(path)
    except OSError:
        return 0
    return status.st_size if stat.S_ISREG(status.st_mode) else 0


def _records(plan: _Plan, on_position: Position | None) -> Iterator[RawRecord | LoadError]:
    if plan.rest is not None:
        return itertools.chain(plan.peeked, plan.rest)
    return read_records([plan.path], on_position)
