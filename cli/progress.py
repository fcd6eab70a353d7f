"""A progress bar on stderr for long runs: bytes read, requests, rate. Shown only on a
terminal, for inputs big enough to wait on, and never under ``--quiet``."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from promptcache.load.sources import Position

MIN_BYTES = 8 * 1024 * 1024
"""Smaller inputs finish before a bar would be worth drawing."""


@contextmanager
def progress_bar(files: Sequence[str], *, quiet: bool) -> Iterator[Position | None]:
    """A position callback that drives a bar, or None when no bar should show."""
    sizes = {}
    for name in files:
        if name != "-":
            try:
                sizes[name] = os.path.getsize(name)
            except OSError:
                sizes[name] = 0
    total = sum(sizes.values())
    if quiet or sys.stderr is None or not sys.stderr.isatty() or total < MIN_BYTES:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TransferSpeedColumn,
    )

    done: dict[str, int] = {}
    records = [0]
    columns = (TextColumn("[bold]auditing"), BarColumn(), DownloadColumn(),
               TransferSpeedColumn(), TextColumn("{task.fields[requests]:,} records"),
               TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("audit", total=total, requests=0)

        def advance(path: str, position: int) -> None:
            done[path] = position
            records[0] += 1
            if records[0] % 64 == 0:
                bar.update(task, completed=sum(done.values()), requests=records[0])

        yield advance
