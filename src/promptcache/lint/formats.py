"""Every output format of ``promptcache lint``, chosen by the audit's format enum; each is a
pure function of the :class:`~promptcache.lint.report.LintReport`, built from the audit's
renderers' parts where a lint finding fits them (it is a :class:`Finding` at a source line)."""

from __future__ import annotations

import html
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import orjson

from promptcache.lint.report import LintReport
from promptcache.report.concise_format import error_line, finding_line
from promptcache.report.github_format import annotation_lines
from promptcache.report.gitlab_format import gitlab_issues
from promptcache.report.output_format import OutputFormat
from promptcache.report.phrases import plural
from promptcache.report.places import repository_path
from promptcache.report.sarif_format import (
    SARIF_SCHEMA,
    SOURCE_ROOT,
    artifact_location,
    rule_descriptor,
)

LINT_SCHEMA_VERSION = 1
"""The version of the JSON report's layout (``lint-report.schema.json``)."""
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def closing_line(report: LintReport) -> str:
    """``2 findings in 3 files checked (1 suppressed inline, 1 file not parsed)``."""
    extras = []
    if report.suppressed_inline:
        extras.append(f"{report.suppressed_inline} suppressed inline")
    if report.errors:
        extras.append(f"{plural(len(report.errors), 'file')} not parsed")
    more = f" ({', '.join(extras)})" if extras else ""
    return (f"{plural(len(report.findings), 'finding')} in "
            f"{plural(report.files_checked, 'file')} checked{more}")


def render_concise(report: LintReport) -> str:
    """``file:line:col: CODE name [severity] message`` per finding, then per unparsed file,
    then the closing count."""
    lines = [finding_line(finding) for finding in report.findings]
    lines += [error_line(error) for error in report.errors]
    lines.append(closing_line(report))
    return "\n".join(lines) + "\n"


def render_text(report: LintReport) -> str:
    """For people: each finding with its snippet and fix, then the closing count."""
    lines: list[str] = []
    for finding in report.findings:
        lines += [finding_line(finding), f"    | {finding.snippet}", f"    fix: {finding.fix}",
                  ""]
    lines += [error_line(error) for error in report.errors]
    lines.append(closing_line(report))
    return "\n".join(lines) + "\n"


def lint_to_json(report: LintReport) -> dict[str, Any]:
    """The report as the JSON object ``lint-report.schema.json`` describes."""
    return {
        "schema_version": LINT_SCHEMA_VERSION,
        "version": report.version,
        "summary": {"files_checked": report.files_checked,
                    "findings": len(report.findings),
                    "files_not_parsed": len(report.errors),
                    "suppressed_inline": report.suppressed_inline},
        "findings": [{
            "code": finding.code, "name": finding.name, "severity": finding.severity.value,
            "file": finding.location.file, "line": finding.location.line,
            "column": finding.location.column, "message": finding.message,
            "fix": finding.fix, "snippet": finding.snippet,
            "fingerprint": finding.fingerprint,
        } for finding in report.findings],
        "errors": [{"file": error.file, "line": error.line, "message": error.message}
                   for error in report.errors],
    }


def render_json(report: LintReport) -> str:
    """The JSON report, indented, ending in a newline."""
    return orjson.dumps(lint_to_json(report), option=orjson.OPT_INDENT_2).decode() + "\n"


def lint_to_sarif(report: LintReport, root: Path | None = None) -> dict[str, Any]:
    """The report as a SARIF 2.1.0 log: each result at its source line and column."""
    base = Path(os.path.abspath(root or Path.cwd()))
    index = {rule.code: position for position, rule in enumerate(report.rules)}
    results = [{
        "ruleId": finding.code,
        "ruleIndex": index[finding.code],
        "level": _SARIF_LEVEL[finding.severity.value],
        "message": {"text": f"{finding.message}. Fix: {finding.fix}"},
        "locations": [{"physicalLocation": {
            "artifactLocation": artifact_location(finding.location.file, base),
            "region": {"startLine": finding.location.line,
                       "startColumn": finding.location.column,
                       "snippet": {"text": finding.snippet}},
        }}],
        "partialFingerprints": {"promptcacheLint/v1": finding.fingerprint},
    } for finding in report.findings if finding.code in index]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "promptcache", "version": report.version,
                                "semanticVersion": report.version,
                                "rules": [rule_descriptor(rule) for rule in report.rules]}},
            "originalUriBaseIds": {SOURCE_ROOT: {"uri": base.as_uri().rstrip("/") + "/"}},
            "results": results,
            "invocations": [{
                "executionSuccessful": True,
                "toolExecutionNotifications": [
                    {"level": "error", "message": {"text": error.message},
                     "locations": [{"physicalLocation": {
                         "artifactLocation": artifact_location(error.file, base),
                         **({"region": {"startLine": error.line}} if error.line else {}),
                     }}]} for error in report.errors],
            }],
            "columnKind": "unicodeCodePoints",
            "properties": {"filesChecked": report.files_checked,
                           "findingsSuppressedInline": report.suppressed_inline},
        }],
    }


def render_sarif(report: LintReport) -> str:
    """SARIF text, indented, ending in a newline."""
    return orjson.dumps(lint_to_sarif(report), option=orjson.OPT_INDENT_2).decode() + "\n"


def render_github(report: LintReport) -> str:
    """GitHub Actions annotations at each source line and column, then the closing count."""
    lines = annotation_lines(report.findings, report.errors)
    lines.append(f"promptcache: {closing_line(report)}")
    return "\n".join(lines) + "\n"


def render_gitlab(report: LintReport) -> str:
    """GitLab Code Quality issues, indented JSON."""
    issues = gitlab_issues(report.findings, report.errors, unreadable="file")
    return orjson.dumps(issues, option=orjson.OPT_INDENT_2).decode() + "\n"


def render_markdown(report: LintReport) -> str:
    """A Markdown table (for a pull-request comment or a job summary)."""
    lines = ["## promptcache lint", "", closing_line(report), ""]
    if report.findings:
        lines += ["| where | rule | severity | what | fix |", "|---|---|---|---|---|"]
        lines += [f"| `{_cell(repository_path(finding.location.file))}:"
                  f"{finding.location.line}:{finding.location.column}` | {finding.code} "
                  f"{finding.name} | {finding.severity.value} | {_cell(finding.message)} "
                  f"(`{_cell(finding.snippet)}`) | {_cell(finding.fix)} |"
                  for finding in report.findings]
    for error in report.errors:
        lines.append(f"- `{_cell(error.file)}:{error.line}`: {_cell(error.message)}")
    return "\n".join(lines) + "\n"


def render_junit(report: LintReport) -> str:
    """JUnit XML: one test case per file checked with findings or errors as failures."""
    from xml.etree import ElementTree

    suite = ElementTree.Element("testsuite", name="promptcache lint",
                                tests=str(max(report.files_checked, 1)),
                                failures=str(len(report.findings)),
                                errors=str(len(report.errors)))
    for finding in report.findings:
        case = ElementTree.SubElement(suite, "testcase", classname=finding.location.file,
                                      name=f"{finding.code} line {finding.location.line}")
        failure = ElementTree.SubElement(case, "failure", type=finding.code,
                                         message=f"{finding.message}. Fix: {finding.fix}")
        failure.text = finding_line(finding)
    for error in report.errors:
        case = ElementTree.SubElement(suite, "testcase", classname=error.file, name="parse")
        ElementTree.SubElement(case, "error", message=error.message).text = error_line(error)
    if not report.findings and not report.errors:
        ElementTree.SubElement(suite, "testcase", classname="promptcache", name="lint")
    body = ElementTree.tostring(suite, encoding="unicode")
    return f'<?xml version="1.0" encoding="utf-8"?>\n<testsuites>{body}</testsuites>\n'


def render_html(report: LintReport) -> str:
    """A self-contained HTML page: the findings as a table."""
    rows = "".join(
        f"<tr><td>{html.escape(finding.location.file)}:{finding.location.line}:"
        f"{finding.location.column}</td><td>{finding.code} {finding.name}</td>"
        f"<td>{finding.severity.value}</td><td>{html.escape(finding.message)}<br>"
        f"<code>{html.escape(finding.snippet)}</code></td><td>{html.escape(finding.fix)}</td>"
        "</tr>" for finding in report.findings)
    errors = "".join(f"<li>{html.escape(error_line(error))}</li>" for error in report.errors)
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>promptcache lint</title><style>body{font-family:sans-serif}"
            "td,th{border:1px solid #ccc;padding:4px;vertical-align:top}"
            "table{border-collapse:collapse}</style></head><body>"
            f"<h1>promptcache lint</h1><p>{html.escape(closing_line(report))}</p>"
            "<table><tr><th>where</th><th>rule</th><th>severity</th><th>what</th>"
            f"<th>fix</th></tr>{rows}</table><ul>{errors}</ul></body></html>\n")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("`", "'")


LINT_RENDERERS: Mapping[OutputFormat, Callable[[LintReport], str]] = {
    OutputFormat.RICH: render_text,
    OutputFormat.CONCISE: render_concise,
    OutputFormat.JSON: render_json,
    OutputFormat.SARIF: render_sarif,
    OutputFormat.GITHUB: render_github,
    OutputFormat.MARKDOWN: render_markdown,
    OutputFormat.GITLAB: render_gitlab,
    OutputFormat.JUNIT: render_junit,
    OutputFormat.HTML: render_html,
}
"""Every concrete format (all but AUTO) and its lint renderer."""
