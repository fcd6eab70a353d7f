"""One line per finding, ``file:line:column: CODE name message``, for editors, grep and pipes
(the ``file:line:col:`` prefix editors and ruff use)."""

from __future__ import annotations

from promptcache.engine.findings import Finding
from promptcache.report.model import ErrorRow, Report
from promptcache.report.phrases import error_location, estimates_line, findings_count, one_line


def finding_line(finding: Finding) -> str:
    """``file:line:col: CODE name [severity] message``."""
    location = finding.location
    return (f"{location.file}:{location.line}:{location.column}: {finding.code} "
            f"{finding.name} [{finding.severity.value}] {_one_line(finding.message)}")


def error_line(error: ErrorRow) -> str:
    """``file:line: error: message``."""
    return f"{error_location(error)}: error: {_one_line(error.message)}"


def render_concise(report: Report) -> str:
    """Findings, then unreadable records, one line each; a line saying which counts are
    estimates, if any; a closing count line."""
    lines = [finding_line(finding) for finding in report.findings]
    lines += [error_line(error) for error in report.errors]
    estimates = estimates_line(report.summary)
    if estimates:
        lines.append(f"note: {estimates}")
    lines.append(findings_count(report))
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return one_line(text, limit=None)
