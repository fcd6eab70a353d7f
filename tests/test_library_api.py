"""``promptcache.audit(...)``: the audit as a library call gives the report the command line
renders, raises only for what stops a whole run, and costs nothing at ``import promptcache``."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import promptcache
from promptcache.cli.main import main

from .conftest import SAMPLES

SYSTEM = "You are the billing assistant of a small shop. " * 130


def _record(user: str, system: str) -> dict[str, Any]:
    return {"timestamp": "2026-11-02T10:00:00Z",
            "request": {"model": "gpt-4o", "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": user}]}}


@pytest.fixture
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A log whose system prompt starts with the time of each request (PC102
    timestamp-in-prefix) and one invalid record on line 3."""
    monkeypatch.chdir(tmp_path)
    lines = [json.dumps(_record("Where is my invoice?", f"Time: 10:0{minute}:17. {SYSTEM}"))
             for minute in range(2)]
    lines.insert(2, "{\"model\": 3}")
    lines.append(json.dumps(_record("And the refund?", f"Time: 10:05:40. {SYSTEM}")))
    path = tmp_path / "requests.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def _cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    main(["audit", "--isolated", "-q", "-f", "json", *args])
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    return document


def test_the_report_is_the_command_lines_json_report(
        log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = promptcache.audit(log.name, isolated=True)
    assert [finding.code for finding in report.findings] == ["PC102"]
    assert report.summary.requests_audited == 3
    assert [(error.file, error.line) for error in report.errors] == [("requests.jsonl", 3)]
    assert promptcache.to_dict(report) == _cli_json(capsys, log.name)


def test_the_shipped_samples_as_on_the_command_line(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(SAMPLES.parent)
    report = promptcache.audit([Path("samples")], isolated=True, jobs=0)
    assert promptcache.to_dict(report) == _cli_json(capsys, "samples")


def test_select_ignore_and_snippets(log: Path) -> None:
    assert promptcache.audit(log, isolated=True, ignore=["PC102"]).findings == ()
    assert [finding.code for finding in
            promptcache.audit(log, isolated=True, select=["PC1"]).findings] == ["PC102"]
    shown = promptcache.audit(log, isolated=True).findings[0]
    assert shown.snippet == "10:00:17. -> 10:01:17."
    assert promptcache.audit(log, isolated=True, snippets=False).findings[0].snippet == ""


def test_the_projects_configuration_is_found_as_on_the_command_line(log: Path) -> None:
    (log.parent / "promptcache.toml").write_text("ignore = [\"PC102\"]\n", "utf-8")
    assert promptcache.audit(log).findings == ()
    assert [finding.code for finding in promptcache.audit(log, isolated=True).findings] == [
        "PC102"]


@pytest.mark.parametrize(("arguments", "message"), [
    pytest.param({"paths": "missing.jsonl"}, "missing.jsonl: no such file or directory",
                 id="missing-path"),
    pytest.param({"paths": []}, "no path given: name at least one log file or folder",
                 id="no-path"),
    pytest.param({"paths": "requests.jsonl", "select": ["PC999"]}, "--select: ",
                 id="unknown-rule"),
    pytest.param({"paths": "requests.jsonl", "input_format": "fluentd"}, "fluentd",
                 id="unknown-format"),
    pytest.param({"paths": "requests.jsonl", "jobs": -1},
                 "jobs must be 0 (automatic) or more, not -1", id="negative-jobs"),
])
def test_what_stops_the_run_raises_an_audit_error_with_the_clis_message(
        log: Path, arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(promptcache.AuditError) as raised:
        promptcache.audit(isolated=True, **arguments)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_bad_configuration_file_is_an_audit_error(log: Path) -> None:
    (log.parent / "promptcache.toml").write_text("fail-on = \"sometimes\"\n", "utf-8")
    with pytest.raises(promptcache.AuditError, match="fail-on"):
        promptcache.audit(log)


def test_import_promptcache_loads_no_pipeline() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, promptcache; "
         "print(sorted(m for m in sys.modules if m.startswith('promptcache')))"],
        capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['promptcache']"


def test_an_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'audits'"):
        promptcache.audits  # noqa: B018


def test_the_report_crosses_processes(log: Path) -> None:
    """A Dask or Ray task returns the report to its caller pickled."""
    report = promptcache.audit(log, isolated=True)
    assert promptcache.to_dict(pickle.loads(pickle.dumps(report))) == promptcache.to_dict(report)
