"""What the format tests share: reading a file's records as a format's calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from promptcache.load.formats.base import InputFormat, LoggedCall, Skipped
from promptcache.load.sources import LoadError, read_records


def read_calls(reader: InputFormat, *paths: Path) -> list[LoggedCall | LoadError | Skipped]:
    """Every call ``reader`` finds in ``paths``, read in order, then what it finishes with."""
    found: list[LoggedCall | LoadError | Skipped] = []
    for path in paths:
        found.extend(reader.calls(read_records([str(path)])))
    found.extend(reader.finish())
    return found


def truth_lines(path: Path) -> list[dict[str, Any]]:
    """The lines of a ``.truth.jsonl`` file: ``{"provider", "request", "usage"}`` each."""
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
