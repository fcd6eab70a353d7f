"""GitHub Actions workflow commands: one annotation per finding on the log file's line and
column, in reading order, no more than GitHub shows.

GitHub shows at most 10 error and 10 warning annotations (and 10 notices) per step, 50 per
job, and drops the rest without a word. So each kind stops at its cap; one notice says how
many were left out, and those are printed in the step's log as plain lines.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from promptcache.engine.findings import Finding, Severity
from promptcache.report.concise_format import error_line, finding_line
from promptcache.report.model import ErrorRow, Report
from promptcache.report.phrases import estimates_line, findings_count, plural
from promptcache.report.places import reading_order

ANNOTATIONS_PER_KIND = 10
"""Annotations of one kind (error, warning, notice) GitHub shows per step."""

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(text: str) -> str:
    # The escaping GitHub's toolkit applies to a command's message.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


@dataclass(frozen=True, slots=True)
class _Annotation:
    kind: str
    """error, warning or notice."""
    place: tuple[str, int, int, str]
    """Sort key: file, line, column, code."""
    command: str
    """The workflow command."""
    plain: str
    """The same as a plain log line, for when the cap hides the annotation."""


def _annotations(findings: Iterable[Finding], errors: Iterable[ErrorRow]) -> list[_Annotation]:
    annotations = []
    for finding in findings:
        location = finding.location
        title = _property(f"{finding.code} {finding.name}")
        message = f"{finding.message}. Fix: {finding.fix}"
        if finding.estimated_savings_usd:
            message += f" (fixing it saves about ${finding.estimated_savings_usd:,.4f} on this log)"
        kind = _COMMAND[finding.severity]
        annotations.append(_Annotation(kind, reading_order(finding), (
            f"::{kind} file={_property(location.file)},line={location.line},"
            f"col={location.column},title={title}::{_data(message)}"), finding_line(finding)))
    for error in errors:
        where = f"file={_property(error.file)}" + (f",line={error.line}" if error.line else "")
        annotations.append(_Annotation(
            "error", (error.file, error.line, 0, ""),
            f"::error {where},title=promptcache::{_data(error.message)}", error_line(error)))
    return sorted(annotations, key=lambda annotation: annotation.place)


def _within_caps(annotations: list[_Annotation]) -> tuple[list[_Annotation], list[_Annotation]]:
    """(shown, hidden): the first ``ANNOTATIONS_PER_KIND`` of each kind are shown; when any is
    hidden, the last notice shown makes way for the notice that says so."""
    shown: list[_Annotation] = []
    hidden: list[_Annotation] = []
    per_kind: Counter[str] = Counter()
    for annotation in annotations:
        per_kind[annotation.kind] += 1
        (shown if per_kind[annotation.kind] <= ANNOTATIONS_PER_KIND else hidden).append(
            annotation)
    notices = [annotation for annotation in shown if annotation.kind == "notice"]
    if hidden and len(notices) == ANNOTATIONS_PER_KIND:
        shown.remove(notices[-1])
        hidden.insert(0, notices[-1])
    return shown, hidden


def annotation_lines(findings: Iterable[Finding], errors: Iterable[ErrorRow]) -> list[str]:
    """Annotations (findings and unreadable files or records) sorted by file, line, column
    and code, each kind capped; past a cap, a notice and the rest as plain log lines."""
    shown, hidden = _within_caps(_annotations(findings, errors))
    lines = [annotation.command for annotation in shown]
    if hidden:
        lines.append(
            f"::notice title=promptcache::{plural(len(hidden), 'more annotation')} not shown "
            f"(GitHub shows {ANNOTATIONS_PER_KIND} of each kind per step): they are listed in "
            "this step's log, and --format sarif, json or markdown has them all")
        lines.append(f"::group::{plural(len(hidden), 'more annotation')}")
        lines += [annotation.plain for annotation in hidden]
        lines.append("::endgroup::")
    return lines


def render_github(report: Report) -> str:
    """The annotations (:func:`annotation_lines`), then a summary line (shown in the log,
    not as an annotation). A clean run prints the summary line only."""
    lines = annotation_lines(report.findings, report.errors)
    estimates = estimates_line(report.summary)
    if estimates:  # a log line, not an annotation: it is about the run, not a line of a file
        lines.append(f"promptcache: {estimates}")
    lines.append(f"promptcache: {findings_count(report)}")
    return "\n".join(lines) + "\n"
