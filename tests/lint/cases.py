"""Shared helpers of the lint tests: write a source tree, lint it, list what was found."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from promptcache.config import Config, settings_from
from promptcache.lint.report import LintReport
from promptcache.lint.run import lint_files
from promptcache.rules import ALL_RULES


@contextmanager
def inside(folder: Path) -> Iterator[None]:
    """Run with ``folder`` as the working directory (reports name files relative to it)."""
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def lint_tree(folder: Path, files: Mapping[str, str], *, config: Config | None = None) -> \
        LintReport:
    """Write ``files`` (name -> source) under ``folder`` and lint them all from there."""
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, "utf-8")
    with inside(folder):
        return lint_files(sorted(files), settings_from(config or Config(), ALL_RULES))


def found(report: LintReport) -> list[tuple[str, str, int, int]]:
    """(code, file, line, column) of every finding, in report order."""
    return [(finding.code, finding.location.file, finding.location.line,
             finding.location.column) for finding in report.findings]
