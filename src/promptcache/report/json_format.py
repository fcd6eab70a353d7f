"""The JSON report: the documented machine-readable shape (schemas/report.schema.json)."""

from __future__ import annotations

from typing import Any

import orjson

from promptcache.findings import Finding
from promptcache.model import Location
from promptcache.report.model import Report


def report_to_dict(report: Report) -> dict[str, Any]:
    """The report as plain JSON data, keys in a fixed order."""
    summary = report.summary
    return {
        "promptcache": report.version,
        "summary": {
            "records_read": summary.records_read,
            "requests_audited": summary.requests_audited,
            "invalid_records": summary.invalid_records,
            "prompt_tokens": summary.prompt_tokens,
            "requests_cacheable": summary.requests_cacheable,
            "share_cacheable": _share(summary.requests_cacheable, summary.requests_audited),
            "estimated_requests": summary.estimated_requests,
            "unknown_models": list(summary.unknown_models),
            "observed_requests": summary.observed_requests,
            "observed_exact": summary.observed_exact,
            "findings": sum(count for _, count in summary.findings_by_rule),
            "findings_by_rule": dict(summary.findings_by_rule),
            "findings_by_severity": dict(summary.findings_by_severity),
            "catalog_date": summary.catalog_date,
        },
        "requests": [
            {
                "file": row.file,
                "line": row.line,
                "model": row.model,
                "prompt_tokens": row.prompt_tokens,
                "observed_prompt_tokens": row.observed_prompt_tokens,
                "observed_cached_tokens": row.observed_cached_tokens,
                "estimated": row.estimated,
            }
            for row in report.requests
        ],
        "findings": [_finding(finding) for finding in report.findings],
        "errors": [
            {"file": error.file, "line": error.line, "message": error.message}
            for error in report.errors
        ],
    }


def _finding(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity.value,
        "file": finding.location.file,
        "line": finding.location.line,
        "path": finding.path,
        "message": finding.message,
        "fix": finding.fix,
        "snippet": finding.snippet,
        "tokens_at_risk": finding.tokens_at_risk,
        "occurrences": finding.occurrences,
        "compared_with": _location(finding.compared_with),
        "last": _location(finding.last_location),
    }


def _location(location: Location | None) -> dict[str, Any] | None:
    return None if location is None else {"file": location.file, "line": location.line}


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def render_json(report: Report) -> str:
    """The report as indented JSON text ending in a newline."""
    return orjson.dumps(report_to_dict(report), option=orjson.OPT_INDENT_2).decode() + "\n"
