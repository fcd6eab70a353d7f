"""``promptcache audit``: run the pipeline and render the report."""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from promptcache.audit import run_audit
from promptcache.cli.exit_codes import ExitCode
from promptcache.cli.messages import say, silence_closed_stdout
from promptcache.config import (
    Config,
    ConfigError,
    RunSettings,
    find_config,
    load_config,
    settings_from,
)
from promptcache.findings import Severity
from promptcache.load.sources import InputError, expand_paths
from promptcache.report.json_format import render_json
from promptcache.report.model import Report
from promptcache.report.rich_format import render_rich
from promptcache.rules import ALL_RULES


@dataclass(frozen=True, slots=True)
class AuditOptions:
    """What the user asked ``promptcache audit`` for."""

    paths: Sequence[str]
    output_format: str = "rich"
    output: Path | None = None
    fail_on: str | None = None
    cache_lifetime: float | None = None
    config: Path | None = None
    isolated: bool = False
    select: Sequence[str] = ()
    ignore: Sequence[str] = ()


def resolve_settings(options: AuditOptions) -> RunSettings:
    """The configuration file (found or named) combined with the command line."""
    config = Config()
    if options.config is not None:
        config = load_config(options.config, ALL_RULES)
    elif not options.isolated:
        found = find_config(Path.cwd())
        if found is not None:
            config = load_config(found, ALL_RULES)
    return settings_from(config, ALL_RULES, select=options.select, ignore=options.ignore,
                         fail_on=options.fail_on, cache_lifetime=options.cache_lifetime)


def audit_command(options: AuditOptions) -> ExitCode:
    """Audit the paths and write the report; return the exit status."""
    try:
        settings = resolve_settings(options)
        files = expand_paths(options.paths)
    except (ConfigError, InputError) as problem:
        say(f"promptcache: {problem}")
        return ExitCode.USAGE
    report = run_audit(files, settings.rules, lifetime_seconds=settings.cache_lifetime,
                       ignored=settings.ignored)
    output_format, output, fail_on = options.output_format, options.output, settings.fail_on
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
