"""``--statistics``: findings counted per rule, most frequent first, as ruff does; the exit
status is the report's."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from promptcache.cli.main import main
from promptcache.engine.rule_engine import default_rules
from promptcache.report.statistics_format import render_statistics
from promptcache.rules import ALL_RULES
from promptcache.run.audit import run_audit

from .conftest import SAMPLES

LOGS = [str(SAMPLES / name) for name in ("timestamp-in-prefix.jsonl", "tool-order.jsonl",
                                         "prompt-too-short.jsonl")]


def test_rules_are_counted_most_frequent_first_then_by_code() -> None:
    report = run_audit(LOGS, default_rules(ALL_RULES))
    by_code = {finding.code: finding for finding in report.findings}
    assert sorted(by_code) == ["PC001", "PC102", "PC201"]
    findings = (by_code["PC102"], *[by_code["PC201"]] * 12, by_code["PC001"])
    assert render_statistics(replace(report, findings=findings)).splitlines() == [
        "12  PC201  tool-order           warning",
        " 1  PC001  prompt-too-short     info",
        " 1  PC102  timestamp-in-prefix  warning",
        "43 requests audited of 43 records read (0 invalid)",
    ]


def test_no_findings_is_the_records_line_alone() -> None:
    report = run_audit([str(SAMPLES / "clean-agent-session.jsonl")], default_rules(ALL_RULES))
    assert render_statistics(report) == "8 requests audited of 8 records read (0 invalid)\n"


def test_statistics_replace_the_report_and_keep_the_exit_status(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--isolated", "-q", "--statistics", *LOGS]) == 1
    assert capsys.readouterr().out == (
        "1  PC001  prompt-too-short     info\n"
        "1  PC102  timestamp-in-prefix  warning\n"
        "1  PC201  tool-order           warning\n"
        "43 requests audited of 43 records read (0 invalid)\n")


def test_statistics_go_where_the_report_would(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "stats.txt"
    assert main(["audit", "--isolated", "-q", "--statistics", "--fail-on", "error",
                 "-o", str(out), *LOGS]) == 0
    assert capsys.readouterr().out == ""
    assert out.read_text("utf-8").splitlines()[-1] == (
        "43 requests audited of 43 records read (0 invalid)")
