"""The loop every format's :meth:`~promptcache.load.formats.base.InputFormat.calls` runs
over one file's records, once: load errors pass through in place, a record the format does
not recognize is one error saying why (the user forced the format on another log), and each
recognized record is turned into its calls."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from promptcache.load.formats.base import InputFormat, LoggedCall, Skipped
from promptcache.load.sources import LoadError, RawRecord

RecordReader = Callable[[RawRecord], Iterable[LoggedCall | LoadError | Skipped]]
"""The calls (and errors) in one recognized record."""


def calls_of_own_records(fmt: InputFormat, what: str,
                         records: Iterator[RawRecord | LoadError],
                         read: RecordReader) -> Iterator[LoggedCall | LoadError | Skipped]:
    """``read`` applied to each record ``fmt`` recognizes; ``what`` names one of its records
    in the error for another ("a HAR capture": "not a HAR capture: no 'log.entries' list")."""
    for record in records:
        if isinstance(record, LoadError):
            yield record
            continue
        recognition = fmt.recognize(record.value)
        if recognition.matches:
            yield from read(record)
        else:
            yield LoadError(record.location, f"not {what}: {recognition.reason}")
