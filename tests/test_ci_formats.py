"""Report formats for CI: GitLab Code Quality, JUnit XML, GitHub annotations within GitHub's
caps, columns, SARIF URIs, unpriced models, Markdown wording, the terminal report's width."""

from __future__ import annotations

import io
import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
import xmlschema
from rich.console import Console

from promptcache.cli.main import main
from promptcache.engine.findings import Finding, Severity
from promptcache.model import Location
from promptcache.report.github_format import render_github
from promptcache.report.model import Report, SessionRow, Summary
from promptcache.report.rich_format import render_rich
from promptcache.savings import Savings

from .conftest import SAMPLES

SCHEMAS = Path(__file__).parent / "schemas"
GITLAB_SCHEMA = json.loads((SCHEMAS / "gitlab-codequality.schema.json").read_text("utf-8"))
SARIF_SCHEMA = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text("utf-8"))
JUNIT_XSD = xmlschema.XMLSchema(SCHEMAS / "junit.xsd")

SYSTEM = ("You are the support assistant of Example Air. " * 130).strip()


def _chat(model: str, *tools: str) -> dict[str, object]:
    return {"model": model,
            "tools": [{"type": "function", "function": {"name": name, "parameters": {}}}
                      for name in tools],
            "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "hi"}]}


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return tmp_path


def _audit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["audit", "--isolated", *args])
    return code, capsys.readouterr().out


def _sarif(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    """Every SARIF a test reads is checked against the official schema first."""
    _, out = _audit(capsys, "--format", "sarif", *args)
    sarif: dict[str, object] = json.loads(out)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(sarif)
    return sarif


# A JSON array whose records start at column 3 (pretty-printed), the second one on line 2.
ARRAY_LOG = ("[\n  " + json.dumps(_chat("gpt-4o", "read_file", "search_code")) + ",\n  "
             + json.dumps(_chat("gpt-4o", "search_code", "read_file")) + "\n]\n")


def test_gitlab_report_is_a_valid_code_quality_report(workdir: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "logs").mkdir()
    shutil.copy(SAMPLES / "tool-order.jsonl", workdir / "logs" / "tool order.jsonl")
    code, out = _audit(capsys, "--format", "gitlab", "logs/tool order.jsonl")
    issues = json.loads(out)
    jsonschema.Draft202012Validator(GITLAB_SCHEMA).validate(issues)
    assert code == 1
    [issue] = issues
    assert issue["check_name"] == "PC201"
    assert issue["severity"] == "minor"
    assert issue["location"] == {"path": "logs/tool order.jsonl", "lines": {"begin": 4}}
    assert issue["description"].startswith("PC201 tool-order: the same ")


def test_gitlab_fingerprints_are_unique_and_unreadable_records_are_issues(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "log.jsonl").write_text(
        json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "a"}]}) + "\n"
        + '{"messages": "oops"}\n', "utf-8")
    _, out = _audit(capsys, "--format", "gitlab", "log.jsonl")
    issues = json.loads(out)
    jsonschema.Draft202012Validator(GITLAB_SCHEMA).validate(issues)
    assert [(issue["check_name"], issue["severity"], issue["location"]["lines"]["begin"])
            for issue in issues] == [("PC001", "info", 1), ("invalid-record", "major", 2)]
    assert len({issue["fingerprint"] for issue in issues}) == 2


def test_junit_report_has_a_failing_case_per_rule_and_file_and_a_passing_clean_file(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("tool-order.jsonl", "clean-agent-session.jsonl"):
        shutil.copy(SAMPLES / name, workdir / name)
    code, out = _audit(capsys, "--format", "junit", "tool-order.jsonl",
                       "clean-agent-session.jsonl")
    JUNIT_XSD.validate(out)
    assert code == 1
    assert out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="promptcache" '
                          'tests="2" failures="1" errors="0">\n')
    assert ('<testcase classname="clean-agent-session.jsonl" name="no findings" />'
            in out)
    assert '<testcase classname="tool-order.jsonl" name="PC201 tool-order">' in out
    assert '<failure message="1 finding: the same 5 tools ' in out
    assert 'type="warning">tool-order.jsonl:4:1: [warning] the same 5 tools ' in out


def test_junit_unreadable_records_are_errors(workdir: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "log.jsonl").write_text('{"messages": "oops"}\n', "utf-8")
    _, out = _audit(capsys, "--format", "junit", "log.jsonl")
    JUNIT_XSD.validate(out)
    assert 'tests="1" failures="0" errors="1"' in out
    assert '<error message="1 record could not be read: $.messages: expected array' in out


def _finding(file: str, line: int, code: str, severity: Severity) -> Finding:
    location = Location(file, line)
    return Finding(code, "some-rule", severity, location, "$.messages[0]", "what is wrong",
                   "what to do", "", 10, 1, None, location)


def _report(findings: list[Finding]) -> Report:
    savings = Savings("prices", "lifetime", 0.0, 0.0, 0.0, 0, (), 0.0, 0.0, None, (), None)
    summary = Summary(3, 3, 0, 3000, 3, 0, (), 0, 0, (), (), "2026-01-01", savings)
    return Report("0.1.0", summary, (), tuple(findings), ())


def test_github_annotations_are_sorted_by_file_line_and_code() -> None:
    out = render_github(_report([
        _finding("b.jsonl", 1, "PC101", Severity.WARNING),
        _finding("a.jsonl", 9, "PC001", Severity.INFO),
        _finding("a.jsonl", 2, "PC201", Severity.WARNING),
        _finding("a.jsonl", 2, "PC102", Severity.ERROR),
    ]))
    places = re.findall(r"^::\w+ file=([^,]+),line=(\d+),col=1,title=(PC\d+)", out, re.MULTILINE)
    assert places == [("a.jsonl", "2", "PC102"), ("a.jsonl", "2", "PC201"),
                      ("a.jsonl", "9", "PC001"), ("b.jsonl", "1", "PC101")]


def test_github_annotations_stop_at_githubs_cap_with_one_notice_for_the_rest() -> None:
    findings = [_finding(f"log{n:02}.jsonl", 1, "PC101", Severity.WARNING) for n in range(13)]
    findings += [_finding(f"log{n:02}.jsonl", 2, "PC001", Severity.INFO) for n in range(12)]
    lines = render_github(_report(findings)).splitlines()
    warnings = [line for line in lines if line.startswith("::warning ")]
    notices = [line for line in lines if line.startswith("::notice ")]
    assert len(warnings) == 10
    assert warnings[-1].startswith("::warning file=log09.jsonl,line=1,")
    assert len(notices) == 10  # nine findings and the note about the cap
    assert notices[-1] == (
        "::notice title=promptcache::6 more annotations not shown (GitHub shows 10 of each "
        "kind per step): they are listed in this step's log, and --format sarif, json or "
        "markdown has them all")
    hidden = lines[lines.index("::group::6 more annotations") + 1:lines.index("::endgroup::")]
    assert hidden[0] == "log09.jsonl:2:1: PC001 some-rule [info] what is wrong"
    assert hidden[-1] == "log12.jsonl:1:1: PC101 some-rule [warning] what is wrong"
    assert lines[-1] == ("promptcache: 25 findings in 3 requests audited of 3 records read "
                         "(0 invalid)")


def test_a_clean_run_on_github_prints_no_annotation_and_the_summary_line(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(SAMPLES / "clean-agent-session.jsonl", workdir / "clean.jsonl")
    code, out = _audit(capsys, "--format", "github", "clean.jsonl")
    assert code == 0
    # The sample's tools use `pattern` and `format`, whose rendering no recorded usage shows:
    # one plain line says so (not an annotation: nothing is wrong with the log).
    assert out.splitlines() == [
        "promptcache: 8 requests counted by estimate: a tool schema keyword whose rendering is "
        "not established (format, pattern, minItems...): 8 requests (no upper bound)",
        "promptcache: 0 findings in 8 requests audited of 8 records read (0 invalid)"]


def test_github_escapes_file_names_and_messages() -> None:
    finding = replace(_finding("a,b:c%.jsonl", 3, "PC101", Severity.ERROR),
                      message="50% off\nnext line")
    [annotation, _] = render_github(_report([finding])).splitlines()
    assert annotation == ("::error file=a%2Cb%3Ac%25.jsonl,line=3,col=1,title=PC101 some-rule::"
                          "50%25 off%0Anext line. Fix: what to do")


def test_records_in_a_json_array_report_their_column(workdir: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "log.json").write_text(ARRAY_LOG, "utf-8")
    _, concise = _audit(capsys, "--format", "concise", "log.json")
    assert concise.startswith("log.json:3:3: PC201 tool-order [warning] ")
    _, github = _audit(capsys, "--format", "github", "log.json")
    assert github.startswith("::warning file=log.json,line=3,col=3,title=PC201 tool-order::")
    _, report = _audit(capsys, "--format", "json", "log.json")
    [finding] = json.loads(report)["findings"]
    assert (finding["line"], finding["column"]) == (3, 3)
    assert finding["compared_with"] == {"file": "log.json", "line": 2, "column": 3}
    [result] = _sarif(capsys, "log.json")["runs"][0]["results"]  # type: ignore[index]
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 3,
                                                                     "startColumn": 3}


def test_jsonl_records_start_at_column_one(workdir: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(SAMPLES / "tool-order.jsonl", workdir / "log.jsonl")
    _, concise = _audit(capsys, "--format", "concise", "log.jsonl")
    assert concise.startswith("log.jsonl:4:1: PC201 tool-order [warning] ")


def test_sarif_uris_are_percent_encoded_and_relative_to_the_source_root(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = workdir / "logs 2026"
    folder.mkdir()
    shutil.copy(SAMPLES / "tool-order.jsonl", folder / "tool order #1 100% é.jsonl")
    run = _sarif(capsys, "logs 2026/tool order #1 100% é.jsonl")["runs"][0]  # type: ignore[index]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": workdir.as_uri() + "/"}}
    location = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "logs%202026/tool%20order%20%231%20100%25%20%C3%A9.jsonl",
                        "uriBaseId": "%SRCROOT%"}


def test_sarif_files_outside_the_root_are_absolute_file_uris(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "root").mkdir()
    shutil.copy(SAMPLES / "tool-order.jsonl", tmp_path / "a b.jsonl")
    monkeypatch.chdir(tmp_path / "root")
    run = _sarif(capsys, "../a b.jsonl")["runs"][0]  # type: ignore[index]
    location = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": (tmp_path / "a b.jsonl").as_uri()}
    assert location["uri"].endswith("/a%20b.jsonl")


def test_sarif_names_no_url_the_project_does_not_have(workdir: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(SAMPLES / "tool-order.jsonl", workdir / "log.jsonl")
    driver = _sarif(capsys, "log.jsonl")["runs"][0]["tool"]["driver"]  # type: ignore[index]
    assert "informationUri" not in driver
    assert all("helpUri" not in rule for rule in driver["rules"])


UNPRICED = {"model": "my-model", "messages": [{"role": "user", "content": "hi"}]}


def test_unpriced_models_are_left_out_of_totals_and_said_so(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(SAMPLES / "tool-order.jsonl", workdir / "priced.jsonl")
    (workdir / "unpriced.jsonl").write_text(json.dumps(UNPRICED) + "\n", "utf-8")
    _, markdown = _audit(capsys, "--format", "markdown", "priced.jsonl", "unpriced.jsonl")
    assert "Dollar totals leave out 1 request to unpriced models: my-model." in markdown
    _, rich = _audit(capsys, "--format", "rich", "priced.jsonl", "unpriced.jsonl")
    assert "totals leave out 1 request to unpriced models: my-model" in " ".join(rich.split())


def test_a_log_of_unpriced_models_shows_no_dollar_figure(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "unpriced.jsonl").write_text(json.dumps(UNPRICED) + "\n", "utf-8")
    _, markdown = _audit(capsys, "--format", "markdown", "unpriced.jsonl")
    assert "| Input cost | unpriced |" in markdown
    assert "$0.0000" not in markdown
    _, rich = _audit(capsys, "--format", "rich", "unpriced.jsonl")
    assert re.search(r"^Input cost +unpriced: the price data knows none of the models", rich,
                     re.MULTILINE)
    assert "$0.0000" not in rich
    _, report = _audit(capsys, "--format", "json", "unpriced.jsonl")
    cost = json.loads(report)["summary"]["cost"]
    assert (cost["current_usd"], cost["after_fixes_usd"], cost["savings_usd"]) == (None,) * 3
    assert cost["unpriced_models"] == ["my-model"]


def test_markdown_counts_one_finding_in_the_singular(workdir: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(SAMPLES / "tool-order.jsonl", workdir / "log.jsonl")
    _, out = _audit(capsys, "--format", "markdown", "log.jsonl")
    assert ("**1 finding** (0 errors, 1 warning, 0 info) in 7 requests audited of 7 records "
            "read (0 invalid).") in out


@pytest.mark.parametrize("output_format", ["markdown", "concise", "github", "rich", "junit"])
def test_no_format_says_one_of_a_plural(workdir: Path, capsys: pytest.CaptureFixture[str],
                                        output_format: str) -> None:
    (workdir / "log.jsonl").write_text(json.dumps(UNPRICED) + "\n", "utf-8")
    _, out = _audit(capsys, "--format", output_format, "log.jsonl")
    assert "1 finding" in out
    assert not re.search(r"\b1 (findings|requests|records|errors|warnings)\b", out), out


def test_markdown_of_an_empty_audit_says_nothing_was_audited(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (workdir / "empty.jsonl").write_text("", "utf-8")
    _, out = _audit(capsys, "--format", "markdown", "empty.jsonl")
    assert out == ("## promptcache\n\nNothing was audited: 0 requests audited of 0 records read "
                   "(0 invalid), so there are no findings and no figures.\n")


def test_markdown_of_a_clean_audit_says_no_findings(workdir: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(SAMPLES / "clean-agent-session.jsonl", workdir / "clean.jsonl")
    _, out = _audit(capsys, "--format", "markdown", "clean.jsonl")
    assert re.search(r"^No findings in \d+ requests audited of \d+ records read \(0 invalid\)\.$",
                     out, re.MULTILINE)
    assert "| Rule |" not in out


def _rich_lines(report: Report, width: int) -> list[str]:
    buffer = io.StringIO()
    render_rich(report, Console(file=buffer, width=width, no_color=True, color_system=None,
                                highlight=False, emoji=False))
    return [line.rstrip() for line in buffer.getvalue().splitlines()]


@pytest.mark.parametrize("width", [60, 80, 120])
def test_rich_report_wraps_under_its_indentation(width: int) -> None:
    long = "the same tools arrive in a different order " * 4
    finding = replace(_finding("log.jsonl", 4, "PC201", Severity.WARNING), message=long.strip(),
                      fix="send tools in one fixed order, for example sorted by name, " * 3)
    lines = _rich_lines(_report([finding]), width)
    section = lines[lines.index("PC201 some-rule  1 finding") + 1:]
    assert section[0] == "  log.jsonl:4  $.messages[0]  warning"
    body = section[1:]
    assert len(body) > 4  # the message and the fix wrapped
    assert all(len(line) <= width for line in lines)
    # Every line of a finding, wrapped or not, is indented at least as far as its block.
    assert all(line.startswith("    ") for line in body), body
    message = [line for line in body if "same tools" in line]
    assert len(message) > 1
    assert all(not line.startswith("     ") for line in message)


def test_rich_sessions_table_keeps_its_figures_whole_at_60_columns() -> None:
    sessions = tuple(SessionRow(name, False, Location("log.jsonl", 1), 7, 13_980, 8_960, 0.641,
                                cost, 2)
                     for name, cost in (("key:alderpine-support-web", 0.0145),
                                        ("session:forge-run-4d2c", None)))
    lines = _rich_lines(replace(_report([]), sessions=sessions), 60)
    table = lines[lines.index("Sessions (2)") + 1:]
    assert table[0] == " session       requests  tokens  hit rate  input cost  hits"
    assert table[1:5] == [" key:alderpin         7  13,980     64.1%     $0.0145     2",
                          " e-support-we",
                          " b",
                          " session:forg         7  13,980     64.1%    unpriced     2"]
