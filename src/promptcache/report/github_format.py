"""GitHub Actions workflow commands: one annotation per finding on the log file's line."""

from __future__ import annotations

from promptcache.engine.findings import Severity
from promptcache.report.model import Report
from promptcache.report.phrases import accounting

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(text: str) -> str:
    # The escaping GitHub's toolkit applies to a command's message.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: Report) -> str:
    """``::warning file=…,line=…,title=…::message`` lines, then the unreadable records, then
    a plain summary line (shown in the log, not as an annotation)."""
    lines = []
    for finding in report.findings:
        title = _property(f"{finding.code} {finding.name}")
        message = f"{finding.message}. Fix: {finding.fix}"
        if finding.estimated_savings_usd:
            message += f" (fixing it saves about ${finding.estimated_savings_usd:,.4f} on this log)"
        lines.append(f"::{_COMMAND[finding.severity]} file={_property(finding.location.file)},"
                     f"line={finding.location.line},title={title}::{_data(message)}")
    for error in report.errors:
        location = f"file={_property(error.file)}"
        if error.line:
            location += f",line={error.line}"
        lines.append(f"::error {location},title=promptcache::{_data(error.message)}")
    count = len(report.findings)
    lines.append(f"promptcache: {count} finding{'s' if count != 1 else ''} in "
                 f"{accounting(report.summary)}")
    return "\n".join(lines) + "\n"
