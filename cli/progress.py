"""A progress bar on stderr for long runs: bytes read, requests, rate. Shown only on a
terminal, for inputs big enough to wait on, and never under ``--quiet``."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from promptcache.load.sources import Position

if TYPE_CHECKING:
    from rich.progress import TaskID

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

    counts = ProgressCounts()
    columns = (TextColumn("[bold]auditing"), BarColumn(), DownloadColumn(),
               TransferSpeedColumn(), TextColumn("{task.fields[requests]:,} records"),
               TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("audit", total=total, requests=0)

        def advance(path: str, position: int) -> None:
            if counts.heard(path, position):
                bar.update(task, completed=counts.completed, requests=counts.records)

        yield advance


@contextmanager
def cluster_progress(*, quiet: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A callback hearing (stage, tasks done, tasks) from a cluster run, drawing a bar per
    stage on a terminal; None when quiet or not on a terminal."""
    if quiet or sys.stderr is None or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def heard(stage: str, done: int, total: int) -> None:
            task = tasks.get(stage)
            if task is None:
                task = tasks[stage] = bar.add_task(stage, total=total)
            bar.update(task, completed=done)

        yield heard


REDRAW_RECORDS = 64
REDRAW_BYTES = 1024 * 1024
"""The bar is redrawn every :data:`REDRAW_RECORDS` records, or sooner once this much more
has been read (a log of big records): often enough to move smoothly and show a rate, seldom
enough that redrawing (microseconds each) costs nothing next to reading."""


class ProgressCounts:
    """What the bar shows, from what the position callback hears: one call per record read,
    with the bytes of its file read so far (in one process and with the reader process
    alike)."""

    def __init__(self) -> None:
        self._done: dict[str, int] = {}
        self.completed = 0
        """Bytes read, all files together."""
        self.records = 0
        """Records read."""
        self._shown = 0

    def heard(self, path: str, position: int) -> bool:
        """Count one record read up to ``position`` in ``path``; True when the bar should be
        redrawn (see :data:`REDRAW_BYTES`)."""
        self.records += 1
        self.completed += position - self._done.get(path, 0)
        self._done[path] = position
        if self.records % REDRAW_RECORDS == 0 or self.completed - self._shown >= REDRAW_BYTES:
            self._shown = self.completed
            return True
        return False
