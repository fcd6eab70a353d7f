"""``promptcache report REPORT.json``: draw a saved JSON report as the HTML report, without
the log."""

from __future__ import annotations

import sys
from typing import Any

import orjson

from promptcache.cli.exit_codes import ExitCode
from promptcache.cli.messages import say
from promptcache.cli.report_files import (
    STDOUT,
    OutputFailed,
    OutputRefused,
    check_outputs,
    write_report,
)
from promptcache.load.validator import compiled, format_path
from promptcache.redaction import redact
from promptcache.report.phrases import one_line


class ReportUnreadable(Exception):
    """The saved report cannot be drawn; the message is one line."""


def read_saved_report(path: str) -> dict[str, Any]:
    """The JSON report at ``path`` (``-`` for stdin), checked against the report schema."""
    try:
        if path == STDOUT:
            data = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as handle:
                data = handle.read()
    except OSError as problem:
        raise ReportUnreadable(f"cannot read {path}: {problem.strerror or problem}") from None
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as problem:
        raise ReportUnreadable(f"{path}: not JSON ({problem}): expected the report of "
                               "`promptcache audit --format json`") from None
    wrong = compiled("report.schema.json")(document)
    if wrong is not None:
        raise ReportUnreadable(f"{path}: not a promptcache JSON report: "
                               f"{format_path('$', wrong.path)}: {wrong.message}")
    assert isinstance(document, dict)  # the schema's top level is an object
    return document


def report_command(path: str, output: str | None) -> ExitCode:
    """Write the HTML report of the saved JSON report at ``path`` to ``output`` (None or
    ``-``: stdout)."""
    destination = output if output is not None else STDOUT
    try:
        check_outputs([destination], [path])
        document = read_saved_report(path)
    except (OutputRefused, ReportUnreadable) as problem:
        say(f"promptcache: {one_line(redact(str(problem)))}")  # a file name may hold a key
        return ExitCode.USAGE
    from promptcache.report.html.page import report_page

    return write_text(report_page(document), destination)


def write_text(text: str, destination: str) -> ExitCode:
    """Write a finished page to stdout (``-``) or a file; USAGE (said on stderr, one line)
    when the file cannot be written."""
    if destination == STDOUT:
        sys.stdout.write(text)
        sys.stdout.flush()
        return ExitCode.CLEAN
    try:
        write_report(destination, lambda out: out.write(text))
    except OutputFailed as problem:
        say(f"promptcache: {problem}")
        return ExitCode.USAGE
    return ExitCode.CLEAN
