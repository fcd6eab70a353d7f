"""samples/tool-order.html is the HTML report promptcache writes now for
samples/tool-order.jsonl: regenerate it when the report changes (the command is below)."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptcache.cli.main import main

from .conftest import REPO

SAMPLE_LOG = "samples/tool-order.jsonl"
SAMPLE_PAGE = REPO / "samples" / "tool-order.html"
REGENERATE = f"promptcache audit {SAMPLE_LOG} --format html -o samples/tool-order.html"


def test_the_committed_sample_report_is_what_the_tool_writes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # the report names the log as given, relative to the repository
    written = tmp_path / "tool-order.html"
    assert main(["audit", SAMPLE_LOG, "--isolated", "--format", "html", "-o",
                 str(written)]) == 1
    assert written.read_bytes() == SAMPLE_PAGE.read_bytes(), (
        f"samples/tool-order.html is stale: run `{REGENERATE}` from the repository root")
