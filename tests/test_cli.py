"""The command line as a user meets it: exit codes, formats, errors, rule docs."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from promptcache.cli.main import main

from .conftest import SAMPLES

REPORT_SCHEMA = json.loads(
    files("promptcache").joinpath("schemas", "report.schema.json").read_text("utf-8"))

SYSTEM = ("You are the support assistant of Example Air. " * 130).strip()


def _record(user: str, *, system: str = SYSTEM, model: str = "gpt-4o") -> dict[str, Any]:
    return {"request": {"model": model, "messages": [
        {"role": "system", "content": system}, {"role": "user", "content": user}]}}


def _write(path: Path, records: list[Any]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def _json_report(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["audit", "--format", "json", *args])
    report = json.loads(capsys.readouterr().out)
    jsonschema.validate(report, REPORT_SCHEMA)
    return code, report


def test_clean_log_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = _write(tmp_path / "clean.jsonl", [_record("Where is my bag?"),
                                            _record("Can I change my seat?")])
    code, report = _json_report(capsys, str(log))
    assert code == 0
    assert report["findings"] == []
    assert report["summary"]["requests_audited"] == 2
    assert report["summary"]["requests_cacheable"] == 2
    assert [row["line"] for row in report["requests"]] == [1, 2]
    assert report["requests"][0]["observed_prompt_tokens"] is None


def test_finding_at_warning_exits_one(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    log = _write(tmp_path / "dynamic.jsonl", [
        _record("Where is my bag?", system=f"Now: 2025-03-01T10:00:0{second}Z\n{SYSTEM}")
        for second in range(3)])
    code, report = _json_report(capsys, str(log))
    assert code == 1
    [finding] = report["findings"]
    assert finding["name"] == "timestamp-in-prefix"
    assert (finding["file"], finding["line"]) == (str(log), 2)
    assert finding["path"] == "$.request.messages[0].content"
    assert finding["occurrences"] == 2
    assert finding["compared_with"] == {"file": str(log), "line": 1, "column": 1}
    assert finding["tokens_at_risk"] > 0
    assert "timestamp" in finding["message"]


def test_fail_on_error_lets_warnings_pass(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    log = _write(tmp_path / "dynamic.jsonl", [
        _record("Hi", system=f"Request {n}\n{SYSTEM}") for n in range(2)])
    code, report = _json_report(capsys, "--fail-on", "error", str(log))
    assert report["findings"]
    assert code == 0


def test_info_findings_do_not_fail_by_default(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    log = _write(tmp_path / "short.jsonl", [_record("Hi", system="Be brief.")])
    code, report = _json_report(capsys, str(log))
    assert [finding["name"] for finding in report["findings"]] == ["prompt-too-short"]
    assert code == 0
    assert main(["audit", "--format", "json", "--fail-on", "info", str(log)]) == 1


def test_bad_records_are_reported_and_the_rest_audited(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "mixed.jsonl"
    log.write_text(json.dumps(_record("ok")) + "\n{broken\n"
                   + json.dumps({"messages": [{"content": "no role"}]}) + "\n", encoding="utf-8")
    code = main(["audit", "--format", "json", str(log)])
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert code == 0
    assert report["summary"]["records_read"] == 3
    assert report["summary"]["requests_audited"] == 1
    assert report["summary"]["invalid_records"] == 2
    assert [(error["line"], error["message"].split(":")[0]) for error in report["errors"]] == [
        (2, "invalid JSON"), (3, "$.messages[0]")]
    assert f"{log}:3: $.messages[0]: missing required field 'role'" in captured.err
    assert "Traceback" not in captured.err


@pytest.mark.parametrize("argument", ["missing.jsonl", "."], ids=["missing-file", "empty-dir"])
def test_unusable_path_exits_two(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str], argument: str) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["audit", argument]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"promptcache: {argument}: ")
    assert "Traceback" not in err


def test_bad_option_exits_two(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--format", "yaml", "x.jsonl"]) == 2
    assert "yaml" in capsys.readouterr().err


def test_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = _write(tmp_path / "clean.jsonl", [_record("Hi")])
    out = tmp_path / "report.json"
    assert main(["audit", "--format", "json", "--output", str(out), str(log)]) == 0
    assert capsys.readouterr().out == ""
    jsonschema.validate(json.loads(out.read_text("utf-8")), REPORT_SCHEMA)


def test_rich_report_on_a_sample(capsys: pytest.CaptureFixture[str]) -> None:
    sample = SAMPLES / "timestamp-in-prefix.jsonl"
    if not sample.exists():
        pytest.fail("samples/timestamp-in-prefix.jsonl is missing")
    code = main(["audit", "--format", "rich", str(sample)])
    out = capsys.readouterr().out
    assert code == 1
    assert "PC102 timestamp-in-prefix" in out
    assert "fix:" in out
    assert "Records read" in out


def test_rules_and_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    listing = capsys.readouterr().out
    for name in ("prompt-too-short", "dynamic-prefix", "tool-order", "image-detail"):
        assert name in listing
    assert main(["rule", "PC201"]) == 0
    doc = capsys.readouterr().out
    assert "tool-order" in doc
    assert "Will not fire on" in doc
    assert main(["rule", "nope"]) == 2
    assert capsys.readouterr().err == "promptcache: unknown rule 'nope' (see `promptcache rules`)\n"


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("promptcache ")


def test_console_script_and_closed_stdout(tmp_path: Path) -> None:
    log = _write(tmp_path / "many.jsonl", [_record(f"question {n}") for n in range(300)])
    # `promptcache audit log | head -c 10`: the reader leaves early; no traceback, no noise.
    command = [sys.executable, "-c", "from promptcache.cli.main import run; run()",
               "audit", "--format", "json", str(log)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        process.stdout.read(10)
        process.stdout.close()
        err = process.stderr.read().decode()
        process.wait(timeout=120)
    assert "Traceback" not in err
    assert err == ""


@pytest.mark.parametrize("command", [[], ["audit"], ["diff"], ["rules"], ["rule"]],
                         ids=["top", "audit", "diff", "rules", "rule"])
def test_dash_h_is_help_on_every_command(capsys: pytest.CaptureFixture[str],
                                         command: list[str]) -> None:
    assert main([*command, "-h"]) == 0
    short = capsys.readouterr().out
    assert main([*command, "--help"]) == 0
    assert short == capsys.readouterr().out
    assert short.startswith(f"Usage: promptcache {' '.join(command)}".rstrip())


@pytest.mark.parametrize(("arguments", "start", "suggestion"), [
    pytest.param(["--format", "jsn"], "Invalid value for '--format': 'jsn' is not one of "
                 "'auto', 'rich', 'concise', 'json', ", "did you mean 'json'?", id="format"),
    pytest.param(["--fail-on", "warn"], "Invalid value for '--fail-on': 'warn' is not one of "
                 "'info', 'warning', 'error'; ", "did you mean 'warning'?", id="fail-on"),
])
def test_an_unknown_choice_suggests_the_nearest_on_one_line(
        capsys: pytest.CaptureFixture[str], arguments: list[str], start: str,
        suggestion: str) -> None:
    assert main(["audit", *arguments, str(SAMPLES / "tool-order.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    # Formats may be added to the list between the start and the suggestion.
    assert err.startswith(f"promptcache: {start}")
    assert err.endswith(f"; {suggestion} (see `promptcache audit -h`)\n")


def test_choices_are_case_insensitive(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "-q", "--isolated", "-f", "CONCISE", "--fail-on", "Error",
                 str(SAMPLES / "tool-order.jsonl")]) == 0
    assert capsys.readouterr().out.endswith("7 requests audited of 7 records read (0 invalid)\n")


def test_show_completion_prints_the_shell_script(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # Typer detects the shell from the parent processes unless told not to; a test run with
    # no shell above it (a detached job) would get none. Told, it takes the shell named.
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    assert main(["--show-completion", "bash"]) == 0
    script = capsys.readouterr().out
    assert "_PROMPTCACHE_COMPLETE=complete_bash" in script
    assert "complete -o default -F _promptcache_completion promptcache" in script


@pytest.mark.parametrize(("words", "offered"), [
    pytest.param("promptcache ru", ["rules", "rule"], id="command"),
    pytest.param("promptcache audit --format j", ["json", "junit"], id="format-value"),
    pytest.param("promptcache audit --fail-on w", ["warning"], id="fail-on-value"),
])
def test_the_shell_asks_and_gets_completions(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str], words: str,
                                             offered: list[str]) -> None:
    monkeypatch.setenv("_PROMPTCACHE_COMPLETE", "complete_bash")
    monkeypatch.setenv("COMP_WORDS", words)
    monkeypatch.setenv("COMP_CWORD", str(len(words.split()) - 1))
    assert main([]) == 0
    assert capsys.readouterr().out.split() == offered
