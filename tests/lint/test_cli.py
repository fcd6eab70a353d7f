"""``promptcache lint`` on the command line: exit codes, parse errors, suppression,
configuration, and the exact bytes of the CI formats."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest

from promptcache.cli.main import main

from .cases import inside

AGENT = '''\
from datetime import datetime

from openai import OpenAI

client = OpenAI()


def reply(question):
    return client.chat.completions.create(model="gpt-4o", messages=[
        {"role": "system", "content": f"Now: {datetime.now()}. You are a support agent."},
        {"role": "user", "content": question}])
'''
CLEAN = '''\
from openai import OpenAI

client = OpenAI()


def reply(question):
    return client.chat.completions.create(model="gpt-4o", messages=[
        {"role": "system", "content": "You are a support agent."},
        {"role": "user", "content": question}])
'''


def _run(folder: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with inside(folder):
        status = main(["lint", "--isolated", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_exit_codes_clean_findings_and_fail_on(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "clean.py").write_text(CLEAN, "utf-8")
    (tmp_path / "agent.py").write_text(AGENT, "utf-8")
    assert _run(tmp_path, capsys, "clean.py", "-f", "concise")[:2] == (
        0, "0 findings in 1 file checked\n")
    status, out, _ = _run(tmp_path, capsys, ".", "-f", "concise")
    assert status == 1
    assert out.splitlines() == [
        "agent.py:10:47: PC102 timestamp-in-prefix [warning] the current time in the system "
        "prompt comes before stable content: every request differs there, and nothing after "
        "it is read from the cache",
        "1 finding in 2 files checked"]
    assert _run(tmp_path, capsys, ".", "--fail-on", "error")[0] == 0
    assert _run(tmp_path, capsys, ".", "--exit-zero")[0] == 0
    assert _run(tmp_path, capsys, ".", "--ignore", "PC102", "-f", "concise")[:2] == (
        0, "0 findings in 2 files checked\n")
    assert _run(tmp_path, capsys, ".", "--select", "timestamp-in-prefix")[0] == 1


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = _run(tmp_path, capsys, "missing.py")
    assert (status, err) == (2, "promptcache: missing.py: no such file or directory\n")
    status, _, err = _run(tmp_path, capsys, ".", "--select", "PC999")
    assert status == 2
    assert err.startswith("promptcache: --select: ")
    status, _, err = _run(tmp_path, capsys, ".")
    assert (status, err) == (2, "promptcache: .: directory holds no source files that are not "
                                "excluded\n")


def test_a_file_that_does_not_parse_is_named_with_its_line_and_the_run_goes_on(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "agent.py").write_text(AGENT, "utf-8")
    (tmp_path / "broken.py").write_text("def reply(:\n    pass\n", "utf-8")
    status, out, err = _run(tmp_path, capsys, ".", "-f", "concise")
    assert status == 2
    assert err == "broken.py:1: syntax error: invalid syntax\n"
    assert out.splitlines()[0].startswith("agent.py:10:47: PC102 ")
    assert out.splitlines()[1:] == ["broken.py:1: error: syntax error: invalid syntax",
                                    "1 finding in 1 file checked (1 file not parsed)"]


@pytest.mark.parametrize("comment", [
    "# promptcache: ignore[PC102]", "# promptcache: ignore", "# promptcache: ignore[PC101, PC102]"])
def test_a_suppression_comment_on_the_line_before_silences_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], comment: str) -> None:
    lines = AGENT.splitlines(keepends=True)
    lines.insert(9, f"        {comment}\n")
    (tmp_path / "agent.py").write_text("".join(lines), "utf-8")
    assert _run(tmp_path, capsys, "agent.py", "-f", "concise")[:2] == (
        0, "0 findings in 1 file checked (1 suppressed inline)\n")


def test_a_comment_naming_another_code_silences_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "agent.py").write_text(AGENT.replace(
        'You are a support agent."},', 'You are a support agent."},  # promptcache: ignore[PC201]'),
        "utf-8")
    assert _run(tmp_path, capsys, "agent.py")[0] == 1


def test_per_file_ignores_of_the_configuration(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "agent.py").write_text(AGENT, "utf-8")
    (tmp_path / "promptcache.toml").write_text(
        '[per-file-ignores]\n"scripts/*" = ["PC102"]\n', "utf-8")
    with inside(tmp_path):
        assert main(["lint", "scripts", "-f", "concise"]) == 0
    assert capsys.readouterr().out == "0 findings in 1 file checked\n"


def test_the_json_report_matches_its_schema(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "agent.py").write_text(AGENT, "utf-8")
    (tmp_path / "broken.py").write_text("x = (\n", "utf-8")
    _, out, _ = _run(tmp_path, capsys, ".", "-f", "json")
    report = json.loads(out)
    schema = json.loads(files("promptcache").joinpath(
        "schemas", "lint-report.schema.json").read_text("utf-8"))
    jsonschema.validate(report, schema)
    assert [(f["code"], f["line"], f["column"]) for f in report["findings"]] == [
        ("PC102", 10, 47)]
    assert report["errors"][0]["file"] == "broken.py"


def test_github_annotations_point_at_the_source_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "agent.py").write_text(AGENT, "utf-8")
    _, out, _ = _run(tmp_path, capsys, "agent.py", "-f", "github")
    assert out == (
        "::warning file=agent.py,line=10,col=47,title=PC102 timestamp-in-prefix::the current "
        "time in the system prompt comes before stable content: every request differs there, "
        "and nothing after it is read from the cache. Fix: move the current time to the end "
        "of the prompt (the last user message), or leave it out; a date rounded to the day "
        "is fine\n"
        "promptcache: 1 finding in 1 file checked\n")


def test_sarif_results_point_at_the_source_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "agent.py").write_text(AGENT, "utf-8")
    _, out, _ = _run(tmp_path, capsys, "agent.py", "-f", "sarif", "--select", "PC102")
    log = json.loads(out)
    schema = json.loads((Path(__file__).parents[1] / "schemas" /
                         "sarif-schema-2.1.0.json").read_text("utf-8"))
    jsonschema.validate(log, schema)
    run = log["runs"][0]
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == ["PC102"]
    assert run["results"] == [{
        "ruleId": "PC102", "ruleIndex": 0, "level": "warning",
        "message": {"text": "the current time in the system prompt comes before stable "
                            "content: every request differs there, and nothing after it is "
                            "read from the cache. Fix: move the current time to the end of "
                            "the prompt (the last user message), or leave it out; a date "
                            "rounded to the day is fine"},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": "agent.py", "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": 10, "startColumn": 47,
                       "snippet": {"text": "datetime.now()"}}}}],
        "partialFingerprints": {"promptcacheLint/v1": run["results"][0][
            "partialFingerprints"]["promptcacheLint/v1"]},
    }]
    assert out.endswith("}\n")


@pytest.mark.parametrize("chosen", ["rich", "concise", "json", "sarif", "github", "markdown",
                                    "gitlab", "junit", "html"])
def test_every_format_names_the_finding(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        chosen: str) -> None:
    (tmp_path / "agent.py").write_text(AGENT, "utf-8")
    status, out, _ = _run(tmp_path, capsys, "agent.py", "-f", chosen, "-o", "report.out")
    assert (status, out) == (1, "")
    written = (tmp_path / "report.out").read_text("utf-8")
    assert "PC102" in written
    assert "agent.py" in written
