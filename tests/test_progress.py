"""The progress bar shows only on a terminal, for big inputs, never under --quiet."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from promptcache.cli import progress
from promptcache.engine.rule_engine import default_rules
from promptcache.load.sources import read_records
from promptcache.rules import ALL_RULES
from promptcache.run.audit import run_audit
from promptcache.run.parallel import use_reader


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _log(tmp_path: Path, records: int) -> Path:
    log = tmp_path / "log.jsonl"
    log.write_text("".join(f'{{"n": {n}}}\n' for n in range(records)), "utf-8")
    return log


def test_positions_follow_the_file(tmp_path: Path) -> None:
    log = _log(tmp_path, 5000)
    seen: list[int] = []
    records = list(read_records([str(log)], lambda path, position: seen.append(position)))
    assert len(records) == len(seen) == 5000
    assert seen == sorted(seen)
    assert seen[-1] == log.stat().st_size


@pytest.mark.parametrize(
    ("terminal", "quiet", "big", "shown"),
    [
        pytest.param(True, False, True, True, id="terminal-big"),
        pytest.param(True, True, True, False, id="quiet"),
        pytest.param(False, False, True, False, id="not-a-terminal"),
        pytest.param(True, False, False, False, id="small-input"),
    ],
)
def test_when_the_bar_shows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, terminal: bool,
                            quiet: bool, big: bool, shown: bool) -> None:
    log = _log(tmp_path, 200)
    monkeypatch.setattr(sys, "stderr", _Terminal() if terminal else io.StringIO())
    monkeypatch.setattr(progress, "MIN_BYTES", 1 if big else 10**9)
    with progress.progress_bar([str(log)], quiet=quiet) as on_position:
        assert (on_position is not None) == shown
        if on_position is not None:
            for item in read_records([str(log)], on_position):
                assert item is not None


def _two_logs(tmp_path: Path) -> tuple[list[str], list[tuple[str, int]]]:
    """Two logs of records of many sizes, and where each record ends: what a progress
    callback should hear, record by record."""
    paths, ends = [], []
    for name, records in (("a.jsonl", 300), ("b.jsonl", 150)):
        path = tmp_path / name
        lines = [f'{{"model": "gpt-4o", "messages": [{{"role": "user", "content": '
                 f'"{n} {"x" * (n * 37 % 900)}"}}]}}\n' for n in range(records)]
        path.write_text("".join(lines), "utf-8")
        offset = 0
        for line in lines:
            offset += len(line)
            ends.append((str(path), offset))
        paths.append(str(path))
    return paths, ends


@pytest.mark.parametrize("jobs", [
    pytest.param(1, id="one-process"),
    pytest.param(2, id="reader-process",
                 marks=pytest.mark.skipif(not use_reader(["x"], 2),
                                          reason="this platform cannot fork")),
])
def test_the_callback_hears_every_record_where_it_ends(tmp_path: Path, jobs: int) -> None:
    paths, ends = _two_logs(tmp_path)
    heard: list[tuple[str, int]] = []
    run_audit(paths, default_rules(ALL_RULES), jobs=jobs,
              on_position=lambda path, position: heard.append((path, position)))
    assert heard == ends


def test_the_bar_counts_records_and_bytes_as_it_hears_them() -> None:
    counts = progress.ProgressCounts()
    redraws = [counts.heard("a.jsonl", 100 * (record + 1)) for record in range(200)]
    assert (counts.records, counts.completed) == (200, 20_000)
    # Small records: a redraw every 64 of them, not one per record.
    assert [index + 1 for index, redraw in enumerate(redraws) if redraw] == [64, 128, 192]
    # A second file adds to the bytes; big records redraw at once.
    assert counts.heard("b.jsonl", progress.REDRAW_BYTES)
    assert (counts.records, counts.completed) == (201, 20_000 + progress.REDRAW_BYTES)
