"""``promptcache audit``: resolve settings, run the pipeline, render, decide the exit status."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from promptcache.cli.exit_codes import ExitCode
from promptcache.cli.messages import say, silence_closed_stdout
from promptcache.cli.progress import cluster_progress, progress_bar
from promptcache.cli.report_files import (
    STDOUT,
    OutputFailed,
    OutputRefused,
    Writer,
    check_outputs,
    write_report,
)
from promptcache.config import (
    Config,
    ConfigError,
    PathOptions,
    RunSettings,
    settings_from,
)
from promptcache.config_files import run_config
from promptcache.engine.findings import Severity
from promptcache.load.calls import UnknownFormatName, check_format_name
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
from promptcache.run.audit import ClusterError, run_audit
from promptcache.snippets import prompt_text_hidden


@dataclass(frozen=True, slots=True)
class AuditOptions:
    """What the user asked ``promptcache audit`` for."""

    paths: Sequence[str]
    output_format: OutputFormat = OutputFormat.AUTO
    output: str | None = None
    """The main report's file; None or ``-`` for stdout."""
    extra_outputs: Sequence[tuple[OutputFormat, str]] = ()
    """More reports of the same run (``--output-format FORMAT=PATH``)."""
    statistics: bool = False
    """Counts per rule instead of the main report (``--statistics``)."""
    allow_empty: bool = False
    """Exit as usual when no request was audited (``--allow-empty``)."""
    fail_on: str | None = None
    exit_zero: bool = False
    cache_lifetime: float | None = None
    config: Path | None = None
    isolated: bool = False
    select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    baseline: Path | None = None
    write_baseline: str | None = None
    quiet: bool = False
    snippets: bool | None = None
    jobs: int = 0
    """Processes to use; 0 to decide by cores and input size (see promptcache.run.parallel)."""
    scheduler: str | None = None
    """A Dask scheduler to run on (``--scheduler``; see promptcache.run.dask_engine)."""
    fetch_images: bool | None = None
    fetch_timeout: float | None = None
    fetch_max_images: int | None = None
    input_format: str | None = None
    """Every log's format (``--input-format``); None to tell each file's from its records."""
    paths_options: PathOptions = field(default_factory=PathOptions)
    """--exclude, --extend-exclude, --respect-gitignore, --force-exclude."""
    show_settings: bool = False


def audit_command(options: AuditOptions) -> ExitCode:
    """Audit the paths and write the reports; return the exit status."""
    try:
        config = _config(options)
        settings = _settings(config, options)
        if options.show_settings:
            from promptcache.cli.show_settings import settings_text

            sys.stdout.write(settings_text(settings))
            return ExitCode.CLEAN
        if options.input_format is not None:
            check_format_name(options.input_format)
        files = expand_paths(options.paths, settings.path_filter)
        known = read_baseline(options.baseline) if options.baseline else frozenset[str]()
        outputs = _outputs(options)
        check_outputs([*(destination for _, destination in outputs),
                       *([options.write_baseline] if options.write_baseline else [])],
                      files)
    except (ConfigError, InputError, BaselineError, OutputRefused, UnknownFormatName) as problem:
        say(f"promptcache: {redact(str(problem))}")  # a file name may hold a key
        return ExitCode.USAGE
    if not files and not options.quiet:
        say("promptcache: every path given is excluded (--force-exclude): nothing to audit")
    if any(destination == STDOUT for _, destination in outputs) and sys.stdout is None:
        say("promptcache: cannot write the report: standard output is closed")
        return ExitCode.USAGE
    if options.scheduler is not None and settings.image_fetch is not None:
        say("promptcache: --fetch-images runs in one process: it cannot go with --scheduler")
        return ExitCode.USAGE
    try:
        with progress_bar(files, quiet=options.quiet or options.scheduler is not None
                          ) as on_position, \
                cluster_progress(quiet=options.quiet or options.scheduler is None
                                 ) as on_tasks, \
                _image_fetching(settings, quiet=options.quiet), \
                prompt_text_hidden(not settings.snippets):
            report = run_audit(files, settings.rules,
                               lifetime_seconds=settings.cache_lifetime,
                               ignored=settings.ignored, on_position=on_position,
                               project_path=settings.project_path,
                               input_format=settings.input_format,
                               # Images are sized where requests are read: in this process,
                               # which keeps the per-run fetch limits and warnings.
                               jobs=1 if settings.image_fetch is not None
                               else options.jobs or None,
                               scheduler=options.scheduler, on_tasks=on_tasks)
    except ClusterError as problem:
        say(f"promptcache: {redact(str(problem))}")
        return ExitCode.USAGE
    # Every output below (baseline, stderr, each format) reads this one, private, report.
    report = printable_errors(private_report(report, snippets=settings.snippets))
    written = True
    if options.write_baseline is not None:
        text = baseline_text(report, settings.project_path)
        written = _written(options.write_baseline, lambda out: out.write(text))
    if known:
        report = without_baseline(report, known)
    main_format, main_destination = outputs[0]
    lists_errors = (main_format is OutputFormat.RICH and main_destination == STDOUT
                    and not options.statistics)
    if not options.quiet and not lists_errors:
        # The reports may be machine-readable: say what could not be read on stderr.
        for error in report.errors:
            say(f"{error_location(error)}: {error.message}")
    if not options.quiet:
        for warning in report.warnings:
            say(f"{error_location(warning)}: warning: {one_line(warning.message)}")
    status = (ExitCode.USAGE if report.summary.unread  # an incomplete audit is not a pass
              else ExitCode.CLEAN if options.exit_zero else exit_code(report, settings.fail_on))
    for index, (chosen, destination) in enumerate(outputs):
        statistics = options.statistics and index == 0  # it replaces the main report only
        if destination == STDOUT:
            written &= _to_stdout(report, chosen, statistics=statistics)
        else:
            written &= _written(destination, _renderer(report, chosen, statistics=statistics))
    if not written:
        return ExitCode.USAGE
    empty = audited_nothing(report)
    # Paths that --force-exclude left out entirely (a pre-commit run on excluded files) are
    # nothing to audit by request, not an audit that read nothing.
    if files and empty is not None and not (options.allow_empty or config.allow_empty):
        say(f"promptcache: {empty}; pass --allow-empty (or set allow-empty = true) to "
            "accept a run that audits nothing")
        return ExitCode.USAGE
    return status


def _settings(config: Config, options: AuditOptions) -> RunSettings:
    """The configuration combined with the command line (which wins)."""
    return settings_from(config, ALL_RULES, select=options.select, ignore=options.ignore,
                         fail_on=options.fail_on, cache_lifetime=options.cache_lifetime,
                         fetch_images=options.fetch_images, fetch_timeout=options.fetch_timeout,
                         fetch_max_images=options.fetch_max_images,
                         snippets=options.snippets, paths=options.paths_options,
                         input_format=options.input_format)


def _config(options: AuditOptions) -> Config:
    return run_config(options.config, options.paths, ALL_RULES, isolated=options.isolated)


def _outputs(options: AuditOptions) -> list[tuple[OutputFormat, str]]:
    """Each report to write, the main one (``--format``, ``--output``) first; ``auto``
    resolved by where the main report goes."""
    destination = options.output if options.output is not None else STDOUT
    to_terminal = (destination == STDOUT and sys.stdout is not None
                   and sys.stdout.isatty())
    chosen = resolve(options.output_format, os.environ, to_terminal)
    return [(chosen, destination), *options.extra_outputs]


def audited_nothing(report: Report) -> str | None:
    """Why a run audited no request (all records invalid, or none at all), or None."""
    summary = report.summary
    if summary.requests_audited:
        return None
    skipped = sum(count for _, count in summary.skipped)
    if skipped:
        return (f"no request audited: of {summary.records_read:,} record"
                f"{'s' if summary.records_read != 1 else ''} read, {summary.invalid_records:,} "
                f"invalid and {skipped:,} skipped (calls not to audit: "
                f"{', '.join(reason for reason, _ in summary.skipped)})")
    if summary.records_read:
        count = summary.records_read
        return (f"no request audited: {'the' if count == 1 else f'all {count:,}'} "
                f"record{'s' if count != 1 else ''} read {'is' if count == 1 else 'are'} "
                "invalid")
    return "no request audited: the input holds no records"


def _to_stdout(report: Report, chosen: OutputFormat, *, statistics: bool) -> bool:
    """Write a report to stdout; False (said on stderr) when it cannot be written. A reader
    that leaves early (``| head -1``) is no failure: the run ends with its own status."""
    try:
        if chosen is OutputFormat.RICH and not statistics and sys.stdout.isatty():
            from rich.console import Console

            from promptcache.report.rich_format import render_rich

            render_rich(report, Console(highlight=False))
        else:
            _render(report, chosen, sys.stdout, statistics=statistics)
        sys.stdout.flush()
    except BrokenPipeError:
        silence_closed_stdout(0)
    except OSError as problem:  # a full disk under a redirection, an I/O error
        say(f"promptcache: cannot write the report: {problem.strerror or problem}")
        silence_closed_stdout(0)
        return False
    return True


def _renderer(report: Report, chosen: OutputFormat, *, statistics: bool) -> Writer:
    return lambda out: _render(report, chosen, out, statistics=statistics)


def _written(path: str, writer: Writer) -> bool:
    """Write one report file; on failure say why (one line) and return False."""
    try:
        write_report(path, writer)
    except OutputFailed as problem:
        say(f"promptcache: {problem}")
        return False
    return True


def _image_fetching(settings: RunSettings, *, quiet: bool) -> contextlib.AbstractContextManager[
        object]:
    """Remote images' sizes fetched for the run when asked (``--fetch-images``); otherwise
    nothing, and urllib (the network code) is never imported."""
    if settings.image_fetch is None:
        return contextlib.nullcontext()
    from promptcache.tokens.remote_images import fetching_images

    return fetching_images(settings.image_fetch, None if quiet else say)


def _render(report: Report, chosen: OutputFormat, out: TextIO, *, statistics: bool) -> None:
    """Render ``report`` to ``out`` (as the ``--statistics`` table when asked); JSON streams
    its request rows instead of building the whole text first."""
    if statistics:
        from promptcache.report.statistics_format import render_statistics

        out.write(render_statistics(report))
    elif chosen is OutputFormat.JSON:
        write_json(report, out)
    else:
        out.write(RENDERERS[chosen](report))


def exit_code(report: Report, fail_on: Severity) -> ExitCode:
    """FINDINGS when a finding reaches ``fail_on``, else CLEAN."""
    failing = any(finding.severity >= fail_on for finding in report.findings)
    return ExitCode.FINDINGS if failing else ExitCode.CLEAN
