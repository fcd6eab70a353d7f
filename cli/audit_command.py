"""``promptcache audit``: resolve settings, run the pipeline, render, decide the exit status."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from promptcache.cli.exit_codes import ExitCode
from promptcache.cli.messages import say, silence_closed_stdout
from promptcache.cli.progress import progress_bar
from promptcache.config import (
    Config,
    ConfigError,
    PathOptions,
    RunSettings,
    settings_from,
)
from promptcache.config_files import discover_config, load_config
from promptcache.engine.findings import Severity
from promptcache.load.paths import InputError, expand_paths
from promptcache.redaction import redact
from promptcache.report.baseline import (
    BaselineError,
    baseline_text,
    read_baseline,
    without_baseline,
)
from promptcache.report.formats import RENDERERS, resolve
from promptcache.report.json_format import write_json
from promptcache.report.model import Report
from promptcache.report.output_format import OutputFormat
from promptcache.report.phrases import error_location, one_line, printable_errors
from promptcache.report.privacy import private_report
from promptcache.rules import ALL_RULES
from promptcache.run.audit import run_audit
from promptcache.snippets import prompt_text_hidden


@dataclass(frozen=True, slots=True)
class AuditOptions:
    """What the user asked ``promptcache audit`` for."""

    paths: Sequence[str]
    output_format: OutputFormat = OutputFormat.AUTO
    output: Path | None = None
    fail_on: str | None = None
    exit_zero: bool = False
    cache_lifetime: float | None = None
    config: Path | None = None
    isolated: bool = False
    select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    baseline: Path | None = None
    write_baseline: Path | None = None
    quiet: bool = False
    snippets: bool | None = None
    jobs: int = 0
    """Processes to use; 0 to decide by cores and input size (see promptcache.run.parallel)."""
    fetch_images: bool | None = None
    fetch_timeout: float | None = None
    fetch_max_images: int | None = None
    paths_options: PathOptions = field(default_factory=PathOptions)
    """--exclude, --extend-exclude, --respect-gitignore, --force-exclude."""
    show_settings: bool = False


def resolve_settings(options: AuditOptions) -> RunSettings:
    """The configuration file (found or named) combined with the command line."""
    config = Config()
    if options.config is not None:
        config = load_config(options.config, ALL_RULES)
    elif not options.isolated:
        found = discover_config(options.paths, Path.cwd())
        if found is not None:
            config = load_config(found, ALL_RULES)
    return settings_from(config, ALL_RULES, select=options.select, ignore=options.ignore,
                         fail_on=options.fail_on, cache_lifetime=options.cache_lifetime,
                         fetch_images=options.fetch_images, fetch_timeout=options.fetch_timeout,
                         fetch_max_images=options.fetch_max_images,
                         snippets=options.snippets, paths=options.paths_options)


def audit_command(options: AuditOptions) -> ExitCode:
    """Audit the paths and write the report; return the exit status."""
    try:
        settings = resolve_settings(options)
        if options.show_settings:
            from promptcache.cli.show_settings import settings_text

            sys.stdout.write(settings_text(settings))
            return ExitCode.CLEAN
        files = expand_paths(options.paths, settings.path_filter)
        known = read_baseline(options.baseline) if options.baseline else frozenset[str]()
    except (ConfigError, InputError, BaselineError) as problem:
        say(f"promptcache: {redact(str(problem))}")  # a file name may hold a key
        return ExitCode.USAGE
    if not files and not options.quiet:
        say("promptcache: every path given is excluded (--force-exclude): nothing to audit")
    if options.output is None and sys.stdout is None:  # started with stdout closed (`>&-`)
        say("promptcache: cannot write the report: standard output is closed")
        return ExitCode.USAGE
    with progress_bar(files, quiet=options.quiet) as on_position, \
            _image_fetching(settings, quiet=options.quiet), \
            prompt_text_hidden(not settings.snippets):
        report = run_audit(files, settings.rules, lifetime_seconds=settings.cache_lifetime,
                           ignored=settings.ignored, on_position=on_position,
                           project_path=settings.project_path,
                           # Images are sized where requests are read: in this process, which
                           # keeps the per-run fetch limits and warnings.
                           jobs=1 if settings.image_fetch is not None
                           else options.jobs or None)
    # Every output below (baseline, stderr, each format) reads this one, private, report.
    report = printable_errors(private_report(report, snippets=settings.snippets))
    if options.write_baseline is not None:
        text = baseline_text(report, settings.project_path)
        if not _write(options.write_baseline, lambda out: out.write(text)):
            return ExitCode.USAGE
    if known:
        report = without_baseline(report, known)
    chosen = resolve(options.output_format, os.environ,
                     options.output is None and sys.stdout is not None and sys.stdout.isatty())
    if not options.quiet and (chosen is not OutputFormat.RICH or options.output is not None):
        # The report itself may be machine-readable: say what could not be read on stderr.
        for error in report.errors:
            say(f"{error_location(error)}: {error.message}")
    if not options.quiet:
        for warning in report.warnings:
            say(f"{error_location(warning)}: warning: {one_line(warning.message)}")
    status = (ExitCode.USAGE if report.summary.unread  # an incomplete audit is not a pass
              else ExitCode.CLEAN if options.exit_zero else exit_code(report, settings.fail_on))
    if options.output is not None:
        written = _write(options.output, lambda out: emit(report, chosen, out))
        return status if written else ExitCode.USAGE
    try:
        if chosen is OutputFormat.RICH and sys.stdout.isatty():
            from rich.console import Console

            from promptcache.report.rich_format import render_rich

            render_rich(report, Console(highlight=False))
        else:
            emit(report, chosen, sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:
        return ExitCode(silence_closed_stdout(status))
    except OSError as problem:  # a full disk under a redirection, an I/O error
        say(f"promptcache: cannot write the report: {problem.strerror or problem}")
        return ExitCode(silence_closed_stdout(ExitCode.USAGE))
    return status


def _image_fetching(settings: RunSettings, *, quiet: bool) -> contextlib.AbstractContextManager[
        object]:
    """Remote images' sizes fetched for the run when asked (``--fetch-images``); otherwise
    nothing, and urllib (the network code) is never imported."""
    if settings.image_fetch is None:
        return contextlib.nullcontext()
    from promptcache.tokens.remote_images import fetching_images

    return fetching_images(settings.image_fetch, None if quiet else say)


def emit(report: Report, chosen: OutputFormat, out: TextIO) -> None:
    """Render ``report`` to ``out``; JSON streams its request rows instead of building the
    whole text first."""
    if chosen is OutputFormat.JSON:
        write_json(report, out)
    else:
        out.write(RENDERERS[chosen](report))


def _write(path: Path, writer: Callable[[TextIO], object]) -> bool:
    """Write to ``path`` whole or not at all (a reader never sees half a report)."""
    folder = path.parent if str(path.parent) else Path(".")
    name = None
    try:
        descriptor, name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            writer(handle)
        os.replace(name, path)
    except OSError as problem:
        if name is not None:
            with contextlib.suppress(OSError):
                os.unlink(name)
        say(f"promptcache: cannot write {path}: {problem.strerror or problem}")
        return False
    return True


def exit_code(report: Report, fail_on: Severity) -> ExitCode:
    """FINDINGS when a finding reaches ``fail_on``, else CLEAN."""
    failing = any(finding.severity >= fail_on for finding in report.findings)
    return ExitCode.FINDINGS if failing else ExitCode.CLEAN
