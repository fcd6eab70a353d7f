"""``promptcache lint``: resolve settings, lint the source files, render, decide the exit
status (the audit's codes: 0 clean, 1 findings at or above the fail level, 2 usage/input)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from promptcache.cli.exit_codes import ExitCode
from promptcache.cli.messages import say, silence_closed_stdout
from promptcache.cli.report_files import (
    STDOUT,
    OutputFailed,
    OutputRefused,
    check_outputs,
    write_report,
)
from promptcache.config import ConfigError, PathOptions, settings_from
from promptcache.config_files import run_config
from promptcache.lint.formats import LINT_RENDERERS
from promptcache.lint.run import lint_files
from promptcache.lint.sources import SOURCE_SUFFIXES
from promptcache.load.paths import InputError, expand_paths
from promptcache.redaction import redact
from promptcache.report.formats import resolve
from promptcache.report.output_format import OutputFormat
from promptcache.rules import ALL_RULES


@dataclass(frozen=True, slots=True)
class LintOptions:
    """What the user asked ``promptcache lint`` for."""

    paths: Sequence[str]
    output_format: OutputFormat = OutputFormat.AUTO
    output: str | None = None
    """The report's file; None or ``-`` for stdout."""
    fail_on: str | None = None
    exit_zero: bool = False
    config: Path | None = None
    isolated: bool = False
    select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    quiet: bool = False
    paths_options: PathOptions = field(default_factory=PathOptions)
    """--exclude, --extend-exclude, --respect-gitignore, --force-exclude."""


def lint_command(options: LintOptions) -> ExitCode:
    """Lint the paths and write the report; return the exit status."""
    try:
        config = run_config(options.config, options.paths, ALL_RULES,
                            isolated=options.isolated)
        settings = settings_from(config, ALL_RULES, select=options.select,
                                 ignore=options.ignore, fail_on=options.fail_on,
                                 paths=options.paths_options)
        files = expand_paths(options.paths, settings.path_filter, SOURCE_SUFFIXES)
        destination = options.output if options.output is not None else STDOUT
        check_outputs([destination], files)
    except (ConfigError, InputError, OutputRefused) as problem:
        say(f"promptcache: {redact(str(problem))}")
        return ExitCode.USAGE
    report = lint_files(files, settings)
    if not options.quiet:
        for error in report.errors:  # the report may be machine-readable: say it on stderr
            where = f"{error.file}:{error.line}" if error.line else error.file
            say(f"{where}: {error.message}")
    to_terminal = destination == STDOUT and sys.stdout is not None and sys.stdout.isatty()
    chosen = resolve(options.output_format, os.environ, to_terminal)
    text = LINT_RENDERERS[chosen](report)
    if destination == STDOUT:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            silence_closed_stdout(0)
    else:
        try:
            write_report(destination, lambda out: out.write(text))
        except OutputFailed as problem:
            say(f"promptcache: {problem}")
            return ExitCode.USAGE
    if report.errors:  # a file not linted is not a pass
        return ExitCode.USAGE
    if options.exit_zero:
        return ExitCode.CLEAN
    failing = any(finding.severity >= settings.fail_on for finding in report.findings)
    return ExitCode.FINDINGS if failing else ExitCode.CLEAN

