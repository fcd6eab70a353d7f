"""``promptcache``: the console script."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from promptcache import __version__
from promptcache.cli.exit_codes import ExitCode
from promptcache.cli.messages import say, silence_closed_stdout
from promptcache.report.output_format import OutputFormat

app = typer.Typer(
    add_completion=False,
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
        help="Log files (.json, .jsonl, optionally .gz), directories, or - for stdin.",
        show_default=False, metavar="PATHS...")] = None,
    output_format: Annotated[OutputFormat, typer.Option(
        "--format", "-f", case_sensitive=False,
        help="Report format; auto: github in GitHub Actions, rich on a terminal, concise "
             "otherwise.")] = OutputFormat.AUTO,
    fail_on: Annotated[FailOn | None, typer.Option(
        help="Exit 1 when a finding is at least this severe [default: warning].",
        case_sensitive=False, show_default=False)] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write the report to this file instead of stdout.",
        dir_okay=False)] = None,
    cache_lifetime: Annotated[float | None, typer.Option(
        help="Seconds a cached prefix survives without use (default: each model family's "
             "documented lifetime, from the model table).", min=1, show_default=False)] = None,
    select: Annotated[list[str] | None, typer.Option(
        help="Only these rules (code, code prefix or name; repeat or comma-separate).",
        show_default=False)] = None,
    ignore: Annotated[list[str] | None, typer.Option(
        help="Not these rules (code, code prefix or name; repeat or comma-separate).",
        show_default=False)] = None,
    config: Annotated[Path | None, typer.Option(
        help="Read this configuration file instead of looking for one.",
        dir_okay=False, show_default=False)] = None,
    isolated: Annotated[bool, typer.Option(
        help="Ignore configuration files.")] = False,
    show_settings: Annotated[bool, typer.Option(
        help="Print the settings in force and the file they come from, then exit without "
             "auditing.")] = False,
    exclude: Annotated[list[str] | None, typer.Option(
        help="Files and folders a folder walk skips, replacing the defaults (.git, .venv, "
             "node_modules, ...; repeat or comma-separate).", show_default=False)] = None,
    extend_exclude: Annotated[list[str] | None, typer.Option(
        help="More files and folders a folder walk skips (repeat or comma-separate).",
        show_default=False)] = None,
    respect_gitignore: Annotated[bool | None, typer.Option(
        "--respect-gitignore/--no-respect-gitignore",
        help="Skip what .gitignore files ignore when walking a folder [default: on].",
        show_default=False)] = None,
    force_exclude: Annotated[bool, typer.Option(
        help="Apply the excludes to files named on the command line too (for pre-commit, "
             "which names files).")] = False,
    exit_zero: Annotated[bool, typer.Option(
        help="Exit 0 even when findings reach --fail-on.")] = False,
    baseline: Annotated[Path | None, typer.Option(
        help="Report only findings not recorded in this baseline file.", dir_okay=False,
        show_default=False)] = None,
    write_baseline: Annotated[Path | None, typer.Option(
        help="Record this run's findings as a baseline file.", dir_okay=False,
        show_default=False)] = None,
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
        fetch_images=fetch_images,
        fetch_timeout=fetch_timeout,
        fetch_max_images=fetch_max_images,
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
) -> None:
    """Explain where the later request stops sharing the earlier one's cached prefix."""
    from promptcache.cli.diff_command import diff_command

    raise typer.Exit(int(diff_command(earlier, later, snippets=snippets)))


@app.command("rules")
def list_rules() -> None:
    """List every rule: code, name, default severity, summary."""
    from rich.console import Console

    from promptcache.cli.rules_command import print_rule_list

    print_rule_list(Console())


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
        # Standalone mode lets typer report bad arguments itself (usage line, exit 2).
        app(args=list(argv) if argv is not None else None, prog_name="promptcache")
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else ExitCode.USAGE
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
    return ExitCode.CLEAN


def run() -> None:
    """Entry point of the ``promptcache`` console script."""
    sys.exit(main())
