"""Every output format is wired, machine-readable output is byte-stable, SARIF validates,
baselines keep old findings quiet."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from promptcache.cli.main import main
from promptcache.report.formats import RENDERERS, resolve
from promptcache.report.output_format import OutputFormat

from .conftest import SAMPLES

SARIF_SCHEMA = Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json"


@pytest.fixture
def logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Copies of two samples with findings, in a folder without configuration."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    for name in ("tool-order.jsonl", "prompt-too-short.jsonl"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    return tmp_path


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["audit", "--isolated", *args, "tool-order.jsonl", "prompt-too-short.jsonl"])
    return code, capsys.readouterr().out


def test_every_format_has_a_renderer() -> None:
    assert set(RENDERERS) == set(OutputFormat) - {OutputFormat.AUTO}


@pytest.mark.parametrize("output_format", [f for f in OutputFormat if f is not OutputFormat.AUTO],
                         ids=str)
def test_every_format_choice_is_wired(logs: Path, capsys: pytest.CaptureFixture[str],
                                      output_format: OutputFormat) -> None:
    code, out = _run(capsys, "--format", output_format.value)
    assert code == 1
    assert "tool-order" in out or "PC201" in out
    code_again, again = _run(capsys, "--format", output_format.value)
    # Byte-identical output for the same input and configuration.
    assert (code_again, again) == (code, out)


def test_auto_format_follows_the_environment() -> None:
    assert resolve(OutputFormat.AUTO, {"GITHUB_ACTIONS": "true"}, True) is OutputFormat.GITHUB
    assert resolve(OutputFormat.AUTO, {}, True) is OutputFormat.RICH
    assert resolve(OutputFormat.AUTO, {}, False) is OutputFormat.CONCISE
    assert resolve(OutputFormat.JSON, {"GITHUB_ACTIONS": "true"}, True) is OutputFormat.JSON


def test_concise_lines(logs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = _run(capsys, "--format", "concise")
    lines = out.splitlines()
    assert lines[0].startswith("prompt-too-short.jsonl:1:1: PC001 prompt-too-short [info] ")
    assert any(line.startswith("tool-order.jsonl:4:1: PC201 tool-order [warning] ")
               for line in lines)
    assert lines[-1].endswith(" records read (0 invalid)")


def test_github_annotations(logs: Path, capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    _, out = _run(capsys)
    lines = out.splitlines()
    assert any(line.startswith(
        "::warning file=tool-order.jsonl,line=4,col=1,title=PC201 tool-order::")
               for line in lines)
    assert any(line.startswith("::notice file=prompt-too-short.jsonl,line=1,") for line in lines)
    assert all("\n" not in line for line in lines)


def test_sarif_validates_and_describes_rules(logs: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    _, out = _run(capsys, "--format", "sarif")
    sarif = json.loads(out)
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text("utf-8"))).validate(sarif)
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert {"PC001", "PC201"} <= {rule["id"] for rule in rules}
    assert all(rule["help"]["text"] and rule["shortDescription"]["text"] for rule in rules)
    results = {result["ruleId"]: result for result in run["results"]}
    tool_order = results["PC201"]
    assert tool_order["level"] == "warning"
    location = tool_order["locations"][0]["physicalLocation"]
    assert location == {"artifactLocation": {"uri": "tool-order.jsonl", "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": 4, "startColumn": 1}}
    assert results["PC001"]["level"] == "note"
    assert rules[tool_order["ruleIndex"]]["id"] == "PC201"
    fingerprint = tool_order["partialFingerprints"]["promptcacheFinding/v1"]
    assert len(fingerprint) == 32


def test_markdown_summary(logs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = _run(capsys, "--format", "markdown")
    assert out.startswith("## promptcache\n")
    assert "| `PC201` tool-order | warning | `tool-order.jsonl:4` |" in out


def test_output_file_only_when_the_run_succeeds(logs: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    report = logs / "report.sarif"
    assert main(["audit", "--isolated", "-f", "sarif", "-o", str(report), "missing.jsonl"]) == 2
    assert not report.exists()
    assert main(["audit", "--isolated", "-f", "sarif", "-o", str(report),
                 "tool-order.jsonl"]) == 1
    sarif = json.loads(report.read_text("utf-8"))
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text("utf-8"))).validate(sarif)
    assert sarif["version"] == "2.1.0"
    assert capsys.readouterr().out == ""
    assert not list(logs.glob(".report.sarif.*"))


def test_exit_zero(logs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = _run(capsys, "--format", "concise", "--exit-zero")
    assert code == 0


def test_baseline_reports_only_new_findings(logs: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    baseline = logs / "baseline.json"
    assert main(["audit", "--isolated", "-f", "concise", "--write-baseline", str(baseline),
                 "tool-order.jsonl"]) == 1
    capsys.readouterr()
    assert json.loads(baseline.read_text("utf-8"))["promptcache_baseline"] == 1
    code = main(["audit", "--isolated", "-f", "json", "--baseline", str(baseline),
                 "tool-order.jsonl", "prompt-too-short.jsonl"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [finding["name"] for finding in report["findings"]] == ["prompt-too-short"]
    assert report["summary"]["findings_by_severity"]["warning"] == 0


def test_a_broken_baseline_exits_two(logs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = logs / "baseline.json"
    broken.write_text('{"findings": []}', "utf-8")
    assert main(["audit", "--isolated", "--baseline", str(broken), "tool-order.jsonl"]) == 2
    assert "not a promptcache baseline" in capsys.readouterr().err
