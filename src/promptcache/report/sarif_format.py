"""SARIF 2.1.0, as GitHub code scanning reads it: rules with their docs, one result per finding
on the log file's line and column, fingerprints stable across runs so alerts are not duplicated.

Files inside the directory promptcache runs in (the repository root in CI) are URIs relative
to ``%SRCROOT%``, percent-encoded, so code scanning attributes them to the repository's files
whatever their names hold (spaces, ``#``, non-ASCII); files outside it are absolute
``file://`` URIs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

from promptcache.engine.findings import Finding, Severity
from promptcache.report.model import Report, RuleInfo
from promptcache.report.places import STDIN, absolute_uri, relative_path, uri_reference

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SOURCE_ROOT = "%SRCROOT%"
"""The base the relative URIs resolve against (the name GitHub code scanning expects)."""
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def rule_descriptor(rule: RuleInfo) -> dict[str, Any]:
    """A SARIF ``reportingDescriptor`` for the rule, its documentation as help."""
    body = rule.doc.split("\n", 1)[1].strip() if "\n" in rule.doc else rule.summary
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": body.split("\n## ", 1)[0].removeprefix("## What it detects")
                            .strip() or rule.summary},
        "help": {"text": body, "markdown": body},
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {"tags": ["prompt-caching"]},
    }


def _result(finding: Finding, index: dict[str, int], root: Path) -> dict[str, Any]:
    text = f"{finding.message}. Fix: {finding.fix}"
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "level": _LEVEL[finding.severity],
        "message": {"text": text},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": artifact_location(finding.location.file, root),
                "region": {"startLine": finding.location.line,
                           "startColumn": finding.location.column},
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


def artifact_location(file: str, root: Path) -> dict[str, str]:
    """A SARIF ``artifactLocation``: relative to ``%SRCROOT%`` inside ``root``."""
    if file == STDIN:
        return {"uri": "stdin"}
    relative = relative_path(file, root)
    if relative is None:
        return {"uri": absolute_uri(file)}
    return {"uri": uri_reference(relative), "uriBaseId": SOURCE_ROOT}


def report_to_sarif(report: Report, root: Path | None = None) -> dict[str, Any]:
    """The report as a SARIF log object; paths relative to ``root`` (default: the working
    directory)."""
    root = Path(os.path.abspath(root or Path.cwd()))
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
                "rules": [rule_descriptor(rule) for rule in rules],
            }},
            "originalUriBaseIds": {SOURCE_ROOT: {"uri": root.as_uri().rstrip("/") + "/"}},
            "results": [_result(finding, index, root) for finding in report.findings
                        if finding.code in known or not rules],
            "invocations": [{
                "executionSuccessful": True,
                "toolExecutionNotifications": [
                    {"level": "error", "message": {"text": error.message},
                     "locations": [{"physicalLocation": {
                         "artifactLocation": artifact_location(error.file, root),
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
                **_trust(report),
            },
        }],
    }


def _trust(report: Report) -> dict[str, Any]:
    """How far to trust the counts: estimated requests by reason, and counts against the
    provider's usage per model."""
    summary = report.summary
    return {
        "estimatedRequests": summary.estimated_requests,
        "estimates": [{"reason": group.reason, "requests": group.requests,
                       "low": group.low, "high": group.high} for group in summary.estimates],
        "tokenCalibration": [
            {"model": row.model, "requests": row.requests, "exact": row.exact,
             "within1pct": row.within_1pct, "estimated": row.estimated,
             "meanError": row.mean_error,
             "worstMiss": None if row.worst is None else {
                 "file": row.worst.file, "line": row.worst.line, "error": row.worst_error},
             "predatesChange": row.predating}
            for row in summary.token_calibration],
        "countingChanges": [{"since": seen.change.since, "what": seen.change.what,
                             "tokens": seen.change.tokens, "requests": seen.requests}
                            for seen in summary.counting_changes],
    }


def render_sarif(report: Report) -> str:
    """SARIF text, indented, ending in a newline."""
    return orjson.dumps(report_to_sarif(report), option=orjson.OPT_INDENT_2).decode() + "\n"
