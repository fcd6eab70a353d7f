"""One line per finding, ``file:line: CODE name message``, for editors, grep and pipes."""

from __future__ import annotations

from promptcache.report.model import Report


def render_concise(report: Report) -> str:
    """Findings, then unreadable records, one line each; a closing count line."""
    lines = [
        f"{finding.location.file}:{finding.location.line}: {finding.code} {finding.name} "
        f"[{finding.severity.value}] {_one_line(finding.message)}"
        for finding in report.findings
    ]
    lines += [f"{error.file}:{error.line}: error: {_one_line(error.message)}"
              for error in report.errors]
    summary = report.summary
    lines.append(f"{len(report.findings)} finding{'s' if len(report.findings) != 1 else ''} in "
                 f"{summary.requests_audited} requests ({summary.invalid_records} invalid)")
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())
