"""GitLab Code Quality: the JSON array GitLab reads from ``artifacts:reports:codequality`` and
shows in merge requests, one issue per finding (and per unreadable record).

Each issue has the fields GitLab documents as required: ``description``, ``check_name``,
``fingerprint`` (unique in the report: GitLab keeps one issue per fingerprint),
``severity`` (GitLab's words: info, minor, major, critical, blocker) and ``location.path``
(relative to the repository root) with ``location.lines.begin``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import orjson

from promptcache.engine.findings import Finding, Severity
from promptcache.report.model import ErrorRow, Report
from promptcache.report.places import repository_path

_SEVERITY = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}
"""promptcache's severities in GitLab's vocabulary (errors rank above warnings in the widget)."""

UNREADABLE_CHECK = "invalid-record"
"""``check_name`` of a record or file promptcache could not read."""


def _digest(*parts: object) -> str:
    return hashlib.md5("\x00".join(map(str, parts)).encode(), usedforsecurity=False).hexdigest()


def report_to_gitlab(report: Report) -> list[dict[str, Any]]:
    """The report as a list of Code Quality issues, in report order."""
    return gitlab_issues(report.findings, report.errors)


def gitlab_issues(findings: Iterable[Finding], errors: Iterable[ErrorRow],
                  unreadable: str = "record") -> list[dict[str, Any]]:
    """Code Quality issues for findings, then for what could not be read (a ``record`` of a
    log, or a source ``file``)."""
    issues: list[dict[str, Any]] = []
    seen: set[str] = set()
    for finding in findings:
        location = finding.location
        fingerprint = finding.fingerprint or _digest(finding.code, location.file, finding.path)
        if fingerprint in seen:  # one problem found at two places: keep both
            fingerprint = _digest(fingerprint, location.line, location.column)
        seen.add(fingerprint)
        issues.append(_issue(f"{finding.code} {finding.name}: {finding.message}. "
                             f"Fix: {finding.fix}", finding.code, fingerprint,
                             _SEVERITY[finding.severity], location.file, location.line))
    for error in errors:
        issues.append(_issue(f"promptcache could not read this {unreadable}: {error.message}",
                             UNREADABLE_CHECK, _digest(error.file, error.line, error.message),
                             "major", error.file, max(error.line, 1)))
    return issues


def _issue(description: str, check: str, fingerprint: str, severity: str, file: str,
           line: int) -> dict[str, Any]:
    return {"description": description, "check_name": check, "fingerprint": fingerprint,
            "severity": severity,
            "location": {"path": repository_path(file), "lines": {"begin": line}}}


def render_gitlab(report: Report) -> str:
    """The Code Quality JSON text, indented, ending in a newline."""
    return orjson.dumps(report_to_gitlab(report), option=orjson.OPT_INDENT_2).decode() + "\n"
