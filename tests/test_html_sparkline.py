"""The terminal report's one-line chart of the hit rate over time (the HTML report's first
chart, in eight block heights)."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptcache.cli.main import main
from promptcache.report.sparkline import sparkline

from .html_logs import agent_records, write_log


def test_each_share_is_a_block_as_high_as_it() -> None:
    assert sparkline([0.0, 1 / 7, 0.5, 6 / 7, 1.0, None, 0.01]) == "▁▂▅▇█·▁"


def test_the_rich_summary_draws_the_hit_rate_over_time(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = write_log(tmp_path / "agent.jsonl", agent_records())
    main(["audit", str(log), "--format", "rich"])
    lines = capsys.readouterr().out.splitlines()
    [at] = [index for index, line in enumerate(lines) if line.startswith("Hit rate over time")]
    # The steady session's turns read the cache, the clock session's never do: they take
    # turns a minute or two apart, the quiet 32-second spans between them dotted.
    assert lines[at].split(None, 4)[4].rstrip() == (
        "▁·▁···█·▁··▇·▁···█·▁···▇▁···▇·▁···█·▁··▇·▁")
    assert lines[at + 1].strip() == "0% to 95% predicted, over time, 42 spans of 32 s"


def test_one_span_draws_no_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = write_log(tmp_path / "one.jsonl", agent_records()[:1])
    main(["audit", str(log), "--format", "rich"])
    assert "Hit rate over time" not in capsys.readouterr().out
