"""``promptcache``: the console script."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError

from promptcache import __version__
from promptcache.cli.arguments import (
    choice_completion,
    choice_metavar,
    choice_parser,
    duration_parser,
    output_specs,
)
from promptcache.cli.exit_codes import ExitCode
from promptcache.cli.messages import say, silence_closed_stdout
from promptcache.report.output_format import OutputFormat

app = typer.Typer(
    # --install-completion / --show-completion: typer imports its completion code anyway, so
    # offering them costs no measurable start-up (two more options to build, 0.1-0.4 ms).
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},  # every command, as in ruff
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="Audit LLM request logs for prompt-cache misses.",
)


class FailOn(StrEnum):
    """Severities ``--fail-on`` accepts."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class DiffFormat(StrEnum):
    """Formats ``promptcache diff --format`` accepts."""

    TEXT = "text"
    HTML = "html"


# Options audit and lint share, spelled once.
Format = Annotated[OutputFormat, typer.Option(
    "--format", "-f", parser=choice_parser(OutputFormat, "--format"),
    metavar=choice_metavar(OutputFormat), autocompletion=choice_completion(OutputFormat),
    help="Report format; auto: github in GitHub Actions, rich on a terminal, concise "
         "otherwise.")]
FailOnOption = Annotated[FailOn | None, typer.Option(
    parser=choice_parser(FailOn, "--fail-on"), metavar=choice_metavar(FailOn),
    autocompletion=choice_completion(FailOn),
    help="Exit 1 when a finding is at least this severe [default: warning].",
    show_default=False)]
Select = Annotated[list[str] | None, typer.Option(
    help="Only these rules (code, code prefix or name; repeat or comma-separate).",
    show_default=False)]
Ignore = Annotated[list[str] | None, typer.Option(
    help="Not these rules (code, code prefix or name; repeat or comma-separate).",
    show_default=False)]
ConfigFile = Annotated[Path | None, typer.Option(
    help="Read this configuration file instead of looking for one.",
    dir_okay=False, show_default=False)]
Isolated = Annotated[bool, typer.Option(help="Ignore configuration files.")]
Exclude = Annotated[list[str] | None, typer.Option(
    help="Files and folders a folder walk skips, replacing the defaults (.git, .venv, "
         "node_modules, ...; repeat or comma-separate).", show_default=False)]
ExtendExclude = Annotated[list[str] | None, typer.Option(
    help="More files and folders a folder walk skips (repeat or comma-separate).",
    show_default=False)]
RespectGitignore = Annotated[bool | None, typer.Option(
    "--respect-gitignore/--no-respect-gitignore",
    help="Skip what .gitignore files ignore when walking a folder [default: on].",
    show_default=False)]
ForceExclude = Annotated[bool, typer.Option(
    help="Apply the excludes to files named on the command line too (for pre-commit, "
         "which names files).")]
ExitZero = Annotated[bool, typer.Option(
    help="Exit 0 even when findings reach --fail-on.")]


class UsageError(Exception):
    """The command cannot run as asked (exit 2)."""


def _version(value: bool) -> None:
    if value:
        typer.echo(f"promptcache {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Audit LLM request logs for prompt-cache misses."""


@app.command()
def audit(
    paths: Annotated[list[str] | None, typer.Argument(
        help="Log files (.json, .jsonl; .gz, .bz2, .xz, .zst), directories, URLs (s3://...), "
        "or - for stdin.",
        show_default=False, metavar="PATHS...")] = None,
    output_format: Format = OutputFormat.AUTO,
    fail_on: FailOnOption = None,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Write the report to this file instead of stdout (- for "
        "stdout). Never one of the inputs; written whole or not at all; through a symlink "
        "to its target; a device or FIFO directly.", show_default=False)] = None,
    output_formats: Annotated[list[str] | None, typer.Option(
        "--output-format", metavar="FORMAT=PATH",
        help="Also write the report in FORMAT to PATH (- for stdout, once); repeatable, e.g. "
             "--output-format sarif=out.sarif --output-format json=r.json.",
        show_default=False)] = None,
    statistics: Annotated[bool, typer.Option(
        "--statistics", help="Instead of the report, count the findings per rule (count, "
        "code, name, severity), most frequent first; the exit status is unchanged.")] = False,
    allow_empty: Annotated[bool, typer.Option(
        "--allow-empty", help="Exit as usual when no request was audited (every record "
        "invalid, or no records); otherwise such a run exits 2 [default: config "
        "'allow-empty', else off].")] = False,
    cache_lifetime: Annotated[float | None, typer.Option(
        parser=duration_parser("--cache-lifetime"), metavar="DURATION",
        help="How long a cached prefix survives without use: seconds (600) or a duration "
             "(90s, 10m, 1h30m) (default: each model family's documented lifetime, from the "
             "model table).", show_default=False)] = None,
    select: Select = None,
    ignore: Ignore = None,
    config: ConfigFile = None,
    isolated: Isolated = False,
    show_settings: Annotated[bool, typer.Option(
        help="Print the settings in force and the file they come from, then exit without "
             "auditing.")] = False,
    exclude: Exclude = None,
    extend_exclude: ExtendExclude = None,
    respect_gitignore: RespectGitignore = None,
    force_exclude: ForceExclude = False,
    exit_zero: ExitZero = False,
    baseline: Annotated[Path | None, typer.Option(
        help="Report only findings not recorded in this baseline file.", dir_okay=False,
        show_default=False)] = None,
    write_baseline: Annotated[str | None, typer.Option(
        help="Record this run's findings as a baseline file.", show_default=False)] = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="No progress bar, and no echo of unreadable records on stderr "
        "(they stay in the report).")] = False,
    snippets: Annotated[bool | None, typer.Option(
        "--snippets/--no-snippets",
        help="Quote short excerpts of prompt text, with secrets, email addresses and phone "
             "numbers redacted (the default), or no prompt text at all: no snippets, no "
             "values at divergences, names in messages shown as [omitted], session labels as "
             "digests. For reports that leave your machine, such as SARIF for code scanning "
             "[default: config 'snippets', else on].", show_default=False)] = None,
    jobs: Annotated[int, typer.Option(
        "--jobs", "-j", min=0,
        help="Processes sharing the work: 1 for one; 2 (or more) to read and count the log "
             "in a second process while this one runs the rules, the replay and the report; "
             "0 for two on a machine of two cores or more with 16 MB of logs or more, else "
             "one. The report is the same either way.")] = 0,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", metavar="ADDRESS",
        help="Run the audit on a Dask cluster (needs promptcache[dask]): a scheduler's "
             "address (tcp://host:8786), or local / local:N for N worker processes on this "
             "machine. The log is split by cache scope and merged: the report is the same "
             "as one process writes.", show_default=False)] = None,
    fetch_images: Annotated[bool | None, typer.Option(
        "--fetch-images/--no-fetch-images",
        help="Read remote (http/https) images' sizes from their first 64 KiB over the network, "
             "each URL once, instead of counting them as 1024x1024 estimates [default: off, "
             "no network].", show_default=False)] = None,
    fetch_timeout: Annotated[float | None, typer.Option(
        help="Seconds allowed per image URL with --fetch-images [default: 5].", min=0.001,
        show_default=False)] = None,
    fetch_max_images: Annotated[int | None, typer.Option(
        help="Distinct image URLs fetched per run at most with --fetch-images "
             "[default: 100].", min=1, show_default=False)] = None,
    input_format: Annotated[str | None, typer.Option(
        "--input-format", metavar="NAME",
        help="Read every log as this format instead of telling each file's from its first "
             "records (promptcache formats lists them).", show_default=False)] = None,
) -> None:
    """Audit request logs: count tokens, find what breaks the cache, replay the cache, price it."""
    from promptcache.cli.audit_command import AuditOptions, audit_command
    from promptcache.config import PathOptions

    if not paths and not show_settings:
        raise typer.BadParameter("give at least one log file or folder (or - for stdin)",
                                 param_hint="'PATHS...'")
    code = audit_command(AuditOptions(
        paths=paths or [],
        output_format=output_format,
        output=output,
        extra_outputs=output_specs(output_formats or ()),
        statistics=statistics,
        allow_empty=allow_empty,
        fail_on=fail_on.value if fail_on is not None else None,
        cache_lifetime=cache_lifetime,
        config=config,
        isolated=isolated,
        select=_split(select),
        ignore=_split(ignore),
        exit_zero=exit_zero,
        baseline=baseline,
        write_baseline=write_baseline,
        quiet=quiet,
        snippets=snippets,
        jobs=jobs,
        scheduler=scheduler,
        fetch_images=fetch_images,
        fetch_timeout=fetch_timeout,
        fetch_max_images=fetch_max_images,
        input_format=input_format,
        paths_options=PathOptions(
            exclude=_split(exclude) if exclude is not None else None,
            extend_exclude=_split(extend_exclude), respect_gitignore=respect_gitignore,
            force_exclude=force_exclude),
        show_settings=show_settings,
    ))
    raise typer.Exit(int(code))


def _split(values: list[str] | None) -> tuple[str, ...]:
    return tuple(part.strip() for value in values or () for part in value.split(",")
                 if part.strip())


@app.command("diff")
def diff(
    earlier: Annotated[str, typer.Argument(help="The earlier request, as FILE:LINE.")],
    later: Annotated[str, typer.Argument(help="The later request, as FILE:LINE.")],
    snippets: Annotated[bool, typer.Option(
        "--snippets/--no-snippets",
        help="Show the two values where the prefix breaks (redacted), or only where it "
             "breaks.")] = True,
    output_format: Annotated[DiffFormat, typer.Option(
        "--format", "-f", parser=choice_parser(DiffFormat, "--format"),
        metavar=choice_metavar(DiffFormat), autocompletion=choice_completion(DiffFormat),
        help="text, or html: a page with the two requests side by side.")] = DiffFormat.TEXT,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Write to this file instead of stdout.",
        show_default=False)] = None,
) -> None:
    """Explain where the later request stops sharing the earlier one's cached prefix."""
    from promptcache.cli.diff_command import diff_command

    raise typer.Exit(int(diff_command(earlier, later, snippets=snippets,
                                      output_format=output_format.value, output=output)))


@app.command("report")
def render_report(
    report: Annotated[str, typer.Argument(
        help="A saved JSON report (promptcache audit --format json), or - for stdin.",
        metavar="REPORT.json")],
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Write the HTML report to this file instead of stdout.",
        show_default=False)] = None,
) -> None:
    """Draw a saved JSON report as the HTML report, without reading the log again."""
    from promptcache.cli.report_command import report_command

    raise typer.Exit(int(report_command(report, output)))


@app.command()
def lint(
    paths: Annotated[list[str] | None, typer.Argument(
        help="Source files (.py, .ts, .tsx, .js, .jsx, .mjs, .cjs) and folders.",
        show_default=False, metavar="PATHS...")] = None,
    output_format: Format = OutputFormat.AUTO,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Write the report to this file instead of stdout (- for "
        "stdout).", show_default=False)] = None,
    fail_on: FailOnOption = None,
    select: Select = None,
    ignore: Ignore = None,
    config: ConfigFile = None,
    isolated: Isolated = False,
    exclude: Exclude = None,
    extend_exclude: ExtendExclude = None,
    respect_gitignore: RespectGitignore = None,
    force_exclude: ForceExclude = False,
    exit_zero: ExitZero = False,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="No echo of unparsable files on stderr (they stay in the "
        "report).")] = False,
) -> None:
    """Lint the source code that builds prompts for what breaks the cache."""
    from promptcache.cli.lint_command import LintOptions, lint_command
    from promptcache.config import PathOptions

    if not paths:
        raise typer.BadParameter("give at least one source file or folder",
                                 param_hint="'PATHS...'")
    code = lint_command(LintOptions(
        paths=paths, output_format=output_format, output=output,
        fail_on=fail_on.value if fail_on is not None else None, exit_zero=exit_zero,
        config=config, isolated=isolated, select=_split(select), ignore=_split(ignore),
        quiet=quiet,
        paths_options=PathOptions(
            exclude=_split(exclude) if exclude is not None else None,
            extend_exclude=_split(extend_exclude), respect_gitignore=respect_gitignore,
            force_exclude=force_exclude)))
    raise typer.Exit(int(code))


@app.command("rules")
def list_rules() -> None:
    """List every rule: code, name, default severity, summary."""
    from rich.console import Console

    from promptcache.cli.rules_command import print_rule_list

    print_rule_list(Console())


@app.command("formats")
def list_formats(
    paths: Annotated[list[str] | None, typer.Argument(
        help="Log files: say which format reads each, as audit tells it.",
        show_default=False, metavar="[FILES]...")] = None,
) -> None:
    """List the log formats audit reads, or tell the format of each file given."""
    from rich.console import Console

    from promptcache.cli.formats_command import print_format_list, print_told_formats

    if not paths:
        print_format_list(Console())
    elif not print_told_formats(paths, Console()):
        raise typer.Exit(int(ExitCode.USAGE))


@app.command("rule")
def show_rule(
    code_or_name: Annotated[str, typer.Argument(help="A rule code (PC101) or name.")],
) -> None:
    """Print a rule's documentation."""
    from rich.console import Console

    from promptcache.cli.rules_command import print_rule_doc

    if not print_rule_doc(code_or_name, Console()):
        from promptcache.config import unknown_rule
        from promptcache.rules import ALL_RULES

        raise UsageError(unknown_rule(code_or_name, ALL_RULES))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` and return the exit status; never raises."""
    try:
        # Not standalone: typer hands bad arguments back, to be said on one line like every
        # other error (its own report is a usage block of several lines).
        status = app(args=list(argv) if argv is not None else None, prog_name="promptcache",
                     standalone_mode=False)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else ExitCode.USAGE
    except NoArgsIsHelpError as error:  # `promptcache` alone: the help is the answer
        error.show()
        return ExitCode.USAGE
    except ClickException as error:
        say(f"promptcache: {error.format_message()} (see `promptcache "
            f"{_command_of(error)}-h`)")
        return ExitCode.USAGE
    except UsageError as error:
        say(f"promptcache: {error}")
        return ExitCode.USAGE
    except BrokenPipeError:
        return silence_closed_stdout(ExitCode.CLEAN)
    except Exception as error:  # the last line of defence against tracebacks
        from promptcache.redaction import redact  # an exception may quote the log

        say(f"promptcache: internal error: {type(error).__name__}: {redact(str(error))}")
        say("This is a bug in promptcache; please report it with the command you ran.")
        return ExitCode.INTERNAL
    return status if isinstance(status, int) else ExitCode.CLEAN


def _command_of(error: ClickException) -> str:
    """``audit `` for an error in ``promptcache audit``'s arguments; empty at the top."""
    context = getattr(error, "ctx", None)
    if context is None or context.parent is None:
        return ""
    return f"{context.info_name} "


def run() -> None:
    """Entry point of the ``promptcache`` console script."""
    sys.exit(main())
