"""One line per finding, ``file:line: CODE name message``, for editors, grep and pipes."""

from __future__ import annotations

from promptcache.report.model import Report
from promptcache.report.phrases import accounting, error_location, one_line


def render_concise(report: Report) -> str:
    """Findings, then unreadable records, one line each; a closing count line."""
    lines = [
        f"{finding.location.file}:{finding.location.line}: {finding.code} {finding.name} "
        f"[{finding.severity.value}] {_one_line(finding.message)}"
        for finding in report.findings
    ]
    lines += [f"{error_location(error)}: error: {_one_line(error.message)}"
              for error in report.errors]
    count = len(report.findings)
    lines.append(f"{count} finding{'s' if count != 1 else ''} in {accounting(report.summary)}")
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return one_line(text, limit=None)
