"""The progress bar shows only on a terminal, for big inputs, never under --quiet."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from promptcache.cli import progress
from promptcache.load.sources import read_records


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
