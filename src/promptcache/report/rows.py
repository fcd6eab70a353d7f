"""The report's request rows, kept in input order without holding a huge log's rows in memory.

Rows stay in memory up to ``MEMORY_ROWS``; beyond that they are appended to a temporary file
(one JSON array per line) and read back, in order, each time the rows are iterated.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO

import orjson

from promptcache.cache.simulator import Prediction
from promptcache.model import ObservedUsage
from promptcache.report.model import ExplicitCacheRow, RequestRow

MEMORY_ROWS = 4_096
"""Rows held before they go to disk, in batches of this many: memory stays flat however many
requests the log has, and a log of a few thousand requests never touches the disk."""


class RequestRows:
    """An append-only, re-iterable sequence of :class:`RequestRow`."""

    def __init__(self, memory_rows: int = MEMORY_ROWS) -> None:
        self._memory: list[RequestRow] = []
        self._memory_rows = memory_rows
        self._spill: IO[bytes] | None = None
        self._spilled = 0

    def append(self, row: RequestRow) -> None:
        """Add the next row."""
        self._memory.append(row)
        if len(self._memory) >= self._memory_rows:
            self._flush()

    def _flush(self) -> None:
        if self._spill is None:
            self._spill = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the rows
        self._spill.seek(0, 2)
        self._spill.write(b"".join(orjson.dumps(_fields(row)) + b"\n" for row in self._memory))
        self._spilled += len(self._memory)
        self._memory.clear()

    def __len__(self) -> int:
        return self._spilled + len(self._memory)

    def __iter__(self) -> Iterator[RequestRow]:
        if self._spill is not None:
            self._spill.flush()
            with open(self._spill.fileno(), "rb", closefd=False) as reader:
                reader.seek(0)
                for line in reader:
                    fields = orjson.loads(line)
                    fields[10] = tuple(fields[10])  # estimate_reasons, a list in JSON
                    if fields[13] is not None:
                        fields[13] = ExplicitCacheRow(*fields[13])
                    yield RequestRow(*fields)
        yield from list(self._memory)

    def __getitem__(self, index: int) -> RequestRow:
        if index < 0:
            index += len(self)
        for position, row in enumerate(self):
            if position == index:
                return row
        raise IndexError(index)


def _fields(row: RequestRow) -> list[object]:
    return [row.file, row.line, row.model, row.prompt_tokens, row.observed_prompt_tokens,
            row.observed_cached_tokens, row.predicted_cached_tokens, row.cost_usd,
            row.estimated, row.predicted_cached_tokens_low, row.estimate_reasons, row.low,
            row.high, _explicit_fields(row.explicit_cache), row.body_prompt_tokens]


def _explicit_fields(row: ExplicitCacheRow | None) -> list[object] | None:
    if row is None:
        return None
    return [row.predicted_written_tokens, row.predicted_written_1h_tokens,
            row.observed_written_tokens, row.observed_written_1h_tokens, row.rejected]


def explicit_cache_row(prediction: Prediction, observed: ObservedUsage | None
                       ) -> ExplicitCacheRow:
    """A request's cache-write side: ``prediction`` from the explicit cache's replay,
    ``observed`` its usage when logged."""
    return ExplicitCacheRow(
        prediction.written_tokens, prediction.written_1h_tokens,
        None if observed is None else observed.written_tokens,
        None if observed is None else observed.written_1h_tokens, prediction.rejected)
