"""The last pass over a report before any format writes it: no secret, and on request no
prompt text, in any field a person or a code-scanning service will read.

Snippets are redacted where they are cut (:mod:`promptcache.snippets`) and where a finding is
made (:mod:`promptcache.engine.evidence`); this pass covers the text that reaches a report by other
roads: file names (a path may hold a key), session labels (a ``user`` id is often an email
address), load errors that quote a bad value, JSON paths, model names (in request rows and the
summary's lists). With snippets off (``--no-snippets``) it also drops the quoted evidence,
turns session labels into digests, shows model names in their public form (a catalogue name,
``gpt-4o-mini (fine-tuned)`` or ``[omitted]``) and takes the quoted values out of load errors,
so the report keeps its locations, rules, JSON paths and token counts and nothing the prompts
said. ``promptcache diff`` shows its locations, models and divergence through the same
functions.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import overload

from promptcache.divergence import Divergence
from promptcache.engine.findings import Finding
from promptcache.model import Location
from promptcache.redaction import redact
from promptcache.report.charts import Charts
from promptcache.report.model import ErrorRow, Report, RequestRow, SessionRow
from promptcache.savings import Savings
from promptcache.vocabulary import OMITTED, public_model_name

_LABEL_DIGEST_CHARS = 12
_ENUM_VALUE = re.compile(r"^(?P<path>\$\S*: )(?P<value>.+)(?P<rest> is not one of .*)$",
                         re.DOTALL)
_TIME_VALUE = re.compile(r"(?P<head>not an ISO 8601 time): .*$", re.DOTALL)


def private_report(report: Report, *, snippets: bool = True) -> Report:
    """``report`` with every secret redacted; with ``snippets`` False, with no prompt text."""
    text: Callable[[str], str] = redact if snippets else _without_values
    names = _Names(snippets)
    summary = report.summary
    return replace(
        report,
        summary=replace(summary, unknown_models=names.models(summary.unknown_models),
                        resolved_models=tuple(dict.fromkeys(
                            (names.model(model), names.model(counted), why)
                            for model, counted, why in summary.resolved_models)),
                        token_calibration=tuple(
                            replace(row, model=names.model(row.model),
                                    worst=None if row.worst is None
                                    else names.location(row.worst))
                            for row in summary.token_calibration),
                        savings=_savings(summary.savings, names),
                        unread=tuple(replace(part, file=names.file(part.file))
                                     for part in summary.unread)),
        requests=_PrivateRows(report.requests, names),
        findings=tuple(_finding(finding, names) for finding in report.findings),
        errors=tuple(ErrorRow(names.file(error.file), error.line, text(error.message))
                     for error in report.errors),
        sessions=tuple(replace(_session(row, snippets), first=names.location(row.first))
                       for row in report.sessions),
        warnings=tuple(ErrorRow(names.file(warning.file), warning.line, redact(warning.message))
                       for warning in report.warnings),
        charts=None if report.charts is None else _charts(report.charts, names),
    )


def _charts(charts: Charts, names: _Names) -> Charts:
    """The chart section with its file names, session labels and models as the rest of the
    report shows them (a waterfall names its session as the sessions list does)."""
    return replace(
        charts,
        marks=tuple(replace(mark, file=names.file(mark.file)) for mark in charts.marks),
        waterfall=tuple(
            replace(session, session=_label(session.session, names.snippets),
                    bars=tuple(replace(bar, file=names.file(bar.file)) for bar in session.bars))
            for session in charts.waterfall),
        models=tuple(replace(row, model=names.model(row.model)) for row in charts.models))


class _Names:
    """File and model names as a report shows them, each worked out once (a log has few
    files and models, and every request row names one of each)."""

    def __init__(self, snippets: bool) -> None:
        self.snippets = snippets
        self.files: dict[str, str] = {}
        self.shown_models: dict[str, str] = {}

    def file(self, name: str) -> str:
        shown = self.files.get(name)
        if shown is None:
            shown = self.files[name] = redact(name)
        return shown

    def location(self, location: Location) -> Location:
        shown = self.file(location.file)
        return location if shown == location.file else replace(location, file=shown)

    def model(self, name: str) -> str:
        shown = self.shown_models.get(name)
        if shown is None:
            shown = self.shown_models[name] = shown_model(name, snippets=self.snippets)
        return shown

    def models(self, names: Iterable[str]) -> tuple[str, ...]:
        """``names`` shown, once each (two fine-tuned models may both show as ``[omitted]``)."""
        return tuple(dict.fromkeys(map(self.model, names)))


def shown_model(model: str, *, snippets: bool = True) -> str:
    """A model name as a report shows it: redacted; with ``snippets`` False, its public form."""
    return redact(model) if snippets else public_model_name(model)


def shown_location(location: Location) -> str:
    """``file:line`` with any secret in the file name redacted."""
    return redact(str(location))


def _finding(finding: Finding, names: _Names) -> Finding:
    compared_with = finding.compared_with
    return replace(
        finding,
        location=names.location(finding.location),
        compared_with=None if compared_with is None else names.location(compared_with),
        last_location=names.location(finding.last_location),
        path=redact(finding.path),
        message=redact(finding.message),
        fix=redact(finding.fix),
        snippet=redact(finding.snippet) if names.snippets else "",
        divergence=private_divergence(finding.divergence, snippets=names.snippets),
    )


@overload
def private_divergence(divergence: Divergence, *, snippets: bool = True) -> Divergence: ...
@overload
def private_divergence(divergence: None, *, snippets: bool = True) -> None: ...
def private_divergence(divergence: Divergence | None, *,
                       snippets: bool = True) -> Divergence | None:
    """``divergence`` with its path and values redacted; with ``snippets`` False, without the
    values."""
    if divergence is None:
        return None
    earlier = divergence.compared_with
    return replace(divergence, compared_with=replace(earlier, file=redact(earlier.file)),
                   path=redact(divergence.path),
                   before=redact(divergence.before) if snippets else "",
                   after=redact(divergence.after) if snippets else "")


def _session(row: SessionRow, snippets: bool) -> SessionRow:
    if row.inferred:
        return row  # auto:N, made up by promptcache
    return replace(row, session=_label(row.session, snippets))


def _label(session: str, snippets: bool) -> str:
    """A session label as reports show it: redacted; with ``snippets`` False, a digest of
    what follows its kind (``auto:N`` labels, made up by promptcache, are kept as they are)."""
    if session.startswith("auto:"):
        return session
    if snippets:
        return redact(session)
    kind, _, label = session.partition(":")
    digest = hashlib.sha256(label.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{kind}:#{digest[:_LABEL_DIGEST_CHARS]}"


def _savings(savings: Savings, names: _Names) -> Savings:
    calibration = savings.calibration
    if calibration is not None:
        calibration = replace(calibration, disagreements=tuple(
            replace(disagreement, location=names.location(disagreement.location))
            for disagreement in calibration.disagreements))
    return replace(savings, unpriced_models=names.models(savings.unpriced_models),
                   base_priced=tuple(dict.fromkeys((names.model(model), priced_as)
                                                   for model, priced_as in savings.base_priced)),
                   calibration=calibration)


def load_error_text(message: str, *, snippets: bool = True) -> str:
    """A load error's message redacted; with ``snippets`` False, without the value it quotes
    from the log (``'...' is not one of ...``)."""
    return redact(message) if snippets else _without_values(message)


def _without_values(message: str) -> str:
    message = redact(message)
    enum = _ENUM_VALUE.match(message)
    if enum is not None:
        return f"{enum['path']}{OMITTED}{enum['rest']}"
    return _TIME_VALUE.sub(rf"\g<head>: {OMITTED}", message)


class _PrivateRows:
    """The request rows, read lazily (a large log's rows come back from a temporary file),
    with their file and model names as the report shows them."""

    def __init__(self, rows: Iterable[RequestRow], names: _Names) -> None:
        self._rows = rows
        self._names = names

    def __iter__(self) -> Iterator[RequestRow]:
        names = self._names
        # The memos looked up inline: this runs once per request of the log.
        files, models = names.files, names.shown_models
        for row in self._rows:
            file = files.get(row.file) or names.file(row.file)
            model = models.get(row.model) or names.model(row.model)
            if file == row.file and model == row.model:
                yield row
            else:
                yield replace(row, file=file, model=model)
