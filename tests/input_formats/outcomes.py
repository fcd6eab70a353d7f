"""A format's reading of one file split in two: the calls, and the errors as the user sees
them (``file:line`` and message)."""

from __future__ import annotations

from pathlib import Path

from promptcache.load.formats.base import InputFormat, LoggedCall
from promptcache.load.sources import LoadError
from tests.input_formats.helpers import read_calls


def logged_calls(reader: InputFormat, path: Path) -> list[LoggedCall]:
    """The calls ``reader`` finds in ``path``, its errors left out."""
    return [item for item in read_calls(reader, path) if isinstance(item, LoggedCall)]


def load_errors(reader: InputFormat, path: Path) -> list[tuple[str, str]]:
    """The errors ``reader`` reports for ``path``: (``file:line``, message)."""
    return [(str(item.location), item.message) for item in read_calls(reader, path)
            if isinstance(item, LoadError)]
