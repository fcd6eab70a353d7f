"""The last pass over a report before any format writes it: no secret, and on request no
prompt text, in any field a person or a code-scanning service will read.

Snippets are redacted where they are cut (:mod:`promptcache.snippets`) and where a finding is
made (:mod:`promptcache.engine.evidence`); this pass covers the text that reaches a report by other
roads: session labels (a ``user`` id is often an email address), load errors that quote a bad
value, JSON paths, model names. With snippets off (``--no-snippets``) it also drops the quoted
evidence, turns session labels into digests and takes the quoted values out of load errors,
so the report keeps its locations, rules, JSON paths and token counts and nothing the prompts
said.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace

from promptcache.divergence import Divergence
from promptcache.engine.findings import Finding
from promptcache.redaction import redact
from promptcache.report.model import ErrorRow, Report, RequestRow, SessionRow
from promptcache.snippets import OMITTED

_LABEL_DIGEST_CHARS = 12
_ENUM_VALUE = re.compile(r"^(?P<path>\$\S*: )(?P<value>.+)(?P<rest> is not one of .*)$",
                         re.DOTALL)
_TIME_VALUE = re.compile(r"(?P<head>not an ISO 8601 time): .*$", re.DOTALL)


def private_report(report: Report, *, snippets: bool = True) -> Report:
    """``report`` with every secret redacted; with ``snippets`` False, with no prompt text."""
    text: Callable[[str], str] = redact if snippets else _without_values
    return replace(
        report,
        summary=replace(report.summary,
                        unknown_models=tuple(map(redact, report.summary.unknown_models)),
                        savings=replace(report.summary.savings, unpriced_models=tuple(
                            map(redact, report.summary.savings.unpriced_models)))),
        requests=_RedactedRows(report.requests),
        findings=tuple(_finding(finding, snippets) for finding in report.findings),
        errors=tuple(ErrorRow(error.file, error.line, text(error.message))
                     for error in report.errors),
        sessions=tuple(_session(row, snippets) for row in report.sessions),
        warnings=tuple(ErrorRow(warning.file, warning.line, redact(warning.message))
                       for warning in report.warnings),
    )


def _finding(finding: Finding, snippets: bool) -> Finding:
    return replace(
        finding,
        path=redact(finding.path),
        message=redact(finding.message),
        fix=redact(finding.fix),
        snippet=redact(finding.snippet) if snippets else "",
        divergence=_divergence(finding.divergence, snippets),
    )


def _divergence(divergence: Divergence | None, snippets: bool) -> Divergence | None:
    if divergence is None:
        return None
    if not snippets:
        return replace(divergence, path=redact(divergence.path), before="", after="")
    return replace(divergence, path=redact(divergence.path), before=redact(divergence.before),
                   after=redact(divergence.after))


def _session(row: SessionRow, snippets: bool) -> SessionRow:
    if row.inferred:
        return row  # auto:N, made up by promptcache
    if snippets:
        return replace(row, session=redact(row.session))
    kind, _, label = row.session.partition(":")
    digest = hashlib.sha256(label.encode("utf-8", "surrogatepass")).hexdigest()
    return replace(row, session=f"{kind}:#{digest[:_LABEL_DIGEST_CHARS]}")


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


class _RedactedRows:
    """The request rows, read lazily (a large log's rows come back from a temporary file),
    with their model names redacted; a log has few models, so each is redacted once."""

    def __init__(self, rows: Iterable[RequestRow]) -> None:
        self._rows = rows
        self._models: dict[str, str] = {}

    def __iter__(self) -> Iterator[RequestRow]:
        models = self._models
        for row in self._rows:
            model = models.get(row.model)
            if model is None:
                model = models[row.model] = redact(row.model)
            yield row if model == row.model else replace(row, model=model)
