"""``promptcache audit``: run the pipeline and render the report."""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from promptcache.audit import run_audit
from promptcache.cli.exit_codes import ExitCode
from promptcache.cli.messages import say, silence_closed_stdout
from promptcache.engine import default_rules
from promptcache.findings import Severity
from promptcache.load.sources import InputError, expand_paths
from promptcache.report.json_format import render_json
from promptcache.report.model import Report
from promptcache.report.rich_format import render_rich
from promptcache.rules import ALL_RULES


def audit_command(paths: Sequence[str], output_format: str, fail_on: Severity,
                  output: Path | None, cache_lifetime: float | None = None) -> ExitCode:
    """Audit ``paths`` and write the report; return the exit status."""
    try:
        files = expand_paths(paths)
    except InputError as problem:
        say(f"promptcache: {problem}")
        return ExitCode.USAGE
    report = run_audit(files, default_rules(ALL_RULES), lifetime_seconds=cache_lifetime)
    if output_format != "rich":
        # Machine-readable output goes to stdout; say what could not be read on stderr too.
        for error in report.errors:
            say(f"{error.file}:{error.line}: {error.message}")
    status = exit_code(report, fail_on)
    if output is None:
        try:
            text = _render(report, output_format, to_terminal=True)
            if text:
                sys.stdout.write(text)
                sys.stdout.flush()
        except BrokenPipeError:
            return ExitCode(silence_closed_stdout(status))
        return status
    try:
        output.write_text(_render(report, output_format, to_terminal=False), encoding="utf-8")
    except OSError as problem:
        say(f"promptcache: cannot write {output}: {problem.strerror}")
        return ExitCode.USAGE
    return status


def _render(report: Report, output_format: str, *, to_terminal: bool) -> str:
    if output_format == "json":
        return render_json(report)
    if to_terminal:
        render_rich(report, Console(highlight=False))
        return ""
    buffer = io.StringIO()
    render_rich(report, Console(file=buffer, highlight=False, no_color=True, width=100))
    return buffer.getvalue()


def exit_code(report: Report, fail_on: Severity) -> ExitCode:
    """FINDINGS when a finding reaches ``fail_on``, else CLEAN."""
    failing = any(finding.severity >= fail_on for finding in report.findings)
    return ExitCode.FINDINGS if failing else ExitCode.CLEAN
