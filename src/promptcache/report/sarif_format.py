"""SARIF 2.1.0, as GitHub code scanning reads it: rules with their docs, one result per finding
on the log file's line, fingerprints stable across runs so alerts are not duplicated."""

from __future__ import annotations

from typing import Any

import orjson

from promptcache.engine.findings import Finding, Severity
from promptcache.report.model import Report, RuleInfo

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
HELP_URI = "https://github.com/promptcache/promptcache#rules"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _rule(rule: RuleInfo) -> dict[str, Any]:
    body = rule.doc.split("\n", 1)[1].strip() if "\n" in rule.doc else rule.summary
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": body.split("\n## ", 1)[0].removeprefix("## What it detects")
                            .strip() or rule.summary},
        "help": {"text": body, "markdown": body},
        "helpUri": HELP_URI,
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {"tags": ["prompt-caching"]},
    }


def _result(finding: Finding, index: dict[str, int]) -> dict[str, Any]:
    text = f"{finding.message}. Fix: {finding.fix}"
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "level": _LEVEL[finding.severity],
        "message": {"text": text},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": {"uri": _uri(finding.location.file)},
                "region": {"startLine": finding.location.line},
            },
            "logicalLocations": [{"fullyQualifiedName": finding.path, "kind": "member"}],
        }],
        "partialFingerprints": {"promptcacheFinding/v1": finding.fingerprint},
        "properties": {
            "name": finding.name,
            "occurrences": finding.occurrences,
            "tokensAtRisk": finding.tokens_at_risk,
            "estimatedSavingsUsd": None if finding.estimated_savings_usd is None
            else round(finding.estimated_savings_usd, 6),
        },
    }
    if finding.code in index:
        result["ruleIndex"] = index[finding.code]
    return result


def _uri(path: str) -> str:
    return "stdin" if path == "-" else path.replace("\\", "/").removeprefix("./")


def report_to_sarif(report: Report) -> dict[str, Any]:
    """The report as a SARIF log object."""
    rules = list(report.rules)
    known = {rule.code for rule in rules}
    index = {rule.code: position for position, rule in enumerate(rules)}
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "promptcache",
                "version": report.version,
                "semanticVersion": report.version,
                "informationUri": "https://github.com/promptcache/promptcache",
                "rules": [_rule(rule) for rule in rules],
            }},
            "results": [_result(finding, index) for finding in report.findings
                        if finding.code in known or not rules],
            "invocations": [{
                "executionSuccessful": True,
                "toolExecutionNotifications": [
                    {"level": "error", "message": {"text": error.message},
                     "locations": [{"physicalLocation": {
                         "artifactLocation": {"uri": _uri(error.file)},
                         **({"region": {"startLine": error.line}} if error.line else {}),
                     }}]}
                    for error in report.errors
                ],
            }],
            "columnKind": "unicodeCodePoints",
            # Every record is accounted for: read = audited + invalid (the invalid ones are
            # the notifications above that have a line).
            "properties": {
                "recordsRead": report.summary.records_read,
                "requestsAudited": report.summary.requests_audited,
                "invalidRecords": report.summary.invalid_records,
                "unread": [{"file": part.file, "line": part.line, "bytes": part.size}
                           for part in report.summary.unread],
                "findingsSuppressedInline": report.summary.suppressed_inline,
            },
        }],
    }


def render_sarif(report: Report) -> str:
    """SARIF text, indented, ending in a newline."""
    return orjson.dumps(report_to_sarif(report), option=orjson.OPT_INDENT_2).decode() + "\n"
