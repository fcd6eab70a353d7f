"""Rules on other cores: the report is byte for byte the one a single process writes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from promptcache.cli.main import app, main
from promptcache.config import RunSettings
from promptcache.parallel import PARALLEL_MIN_BYTES, usable_cores, worker_count
from promptcache.rule_api import Context
from promptcache.rules import ALL_RULES

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(
    worker_count(["x"], 2, 1) == 0, reason="this platform cannot fork: audits run in one process")


@pytest.fixture(scope="module")
def agent_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3 MB generated agent log holding each cache-breaking pattern of the generator."""
    out = tmp_path_factory.mktemp("parallel") / "agent.jsonl"
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate_agent_log.py"),
                    "--mb", "3", "--out", str(out)], check=True, capture_output=True)
    return out


def _audit(*arguments: str) -> tuple[int, bytes]:
    result = CliRunner().invoke(app, ["audit", "-q", "--isolated", *arguments])
    return result.exit_code, result.stdout_bytes


@pytest.mark.parametrize("output_format", ["json", "sarif"])
def test_reports_are_identical_on_one_two_and_three_processes(agent_log: Path,
                                                              output_format: str) -> None:
    runs = {jobs: _audit("-f", output_format, "--jobs", jobs, str(agent_log))
            for jobs in ("1", "2", "3")}
    code, single = runs["1"]
    assert code == 1  # the log holds warnings
    assert b"PC201" in single  # tools reordered
    assert b"PC102" in single  # a timestamp on top of the system prompt
    assert runs["2"] == (code, single)
    assert runs["3"] == (code, single)


def test_several_files_and_per_file_ignores_are_split_alike(agent_log: Path,
                                                           tmp_path: Path) -> None:
    second = tmp_path / "second.jsonl"
    second.write_bytes(agent_log.read_bytes()[:400_000].rsplit(b"\n", 1)[0] + b"\n{oops\n")
    config = tmp_path / "promptcache.toml"
    config.write_text('[per-file-ignores]\n"second.jsonl" = ["PC201"]\n', encoding="utf-8")
    arguments = ("-f", "json", "--config", str(config), str(agent_log), str(second))
    single = CliRunner().invoke(app, ["audit", "-q", *arguments, "--jobs", "1"])
    double = CliRunner().invoke(app, ["audit", "-q", *arguments, "--jobs", "2"])
    assert single.exit_code == double.exit_code == 1
    assert b'"invalid_records": 1' in single.stdout_bytes
    assert double.stdout_bytes == single.stdout_bytes


def _exploding(context: Context) -> Iterator[object]:
    if context.current.request.location.line == 5:
        raise ZeroDivisionError("a bug in a rule")
    return iter(())


def test_a_failing_worker_is_an_internal_error(agent_log: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from promptcache.cli import audit_command

    original = audit_command.resolve_settings

    def with_broken_rule(options: audit_command.AuditOptions) -> RunSettings:
        settings = original(options)
        first = settings.rules[0]
        broken = replace(first, rule=replace(first.rule, check=_exploding))
        return replace(settings, rules=(broken, *settings.rules[1:]))

    monkeypatch.setattr(audit_command, "resolve_settings", with_broken_rule)
    code = main(["audit", "-q", "--isolated", "--jobs", "2", "-f", "json", str(agent_log)])
    captured = capsys.readouterr()
    assert code == 3
    assert captured.err.splitlines()[0] == (
        "promptcache: internal error: WorkerFailed: a rules worker failed: "
        "ZeroDivisionError: a bug in a rule")
    assert "Traceback" not in captured.err + captured.out


def test_when_workers_are_started(tmp_path: Path) -> None:
    small = tmp_path / "small.jsonl"
    small.write_bytes(b"{}\n")
    big = tmp_path / "big.jsonl"
    with big.open("wb") as out:
        out.truncate(PARALLEL_MIN_BYTES)
    rules = len(ALL_RULES)
    assert worker_count([str(small)], 1, rules) == 0
    assert worker_count([str(small)], 2, rules) == 1  # asked for: even a small log
    assert worker_count([str(small)], 4, rules) == 3
    assert worker_count([str(small)], 4, 2) == 2  # no more workers than rules
    assert worker_count([str(small)], 4, 0) == 0
    assert worker_count(["-"], 4, rules) == 0  # stdin is read once
    assert worker_count([str(small)], None, rules) == 0  # automatic: too small to gain
    assert worker_count([str(big)], None, rules) == usable_cores() - 1


def test_findings_come_in_the_single_process_order(agent_log: Path) -> None:
    from promptcache.audit import run_audit
    from promptcache.engine import default_rules

    rules = default_rules(ALL_RULES)
    single = run_audit([str(agent_log)], rules, jobs=1)
    split = run_audit([str(agent_log)], rules, jobs=3)
    assert len({finding.code for finding in single.findings}) >= 3
    assert split.findings == single.findings
    assert split.summary == single.summary
