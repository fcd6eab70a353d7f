"""The pipeline: read records -> normalize -> count -> rules -> report, one request at a time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from promptcache import __version__
from promptcache.catalog import CATALOG_DATE
from promptcache.counting import CountedRequest, PromptCounter
from promptcache.engine import ActiveRule, RuleEngine
from promptcache.findings import Finding, Severity
from promptcache.load.records import normalize_records
from promptcache.load.sources import LoadError, read_records
from promptcache.report.model import ErrorRow, Report, RequestRow, Summary


def run_audit(paths: Sequence[str], rules: Sequence[ActiveRule]) -> Report:
    """Audit the logs at ``paths`` (already expanded) with ``rules``."""
    counter = PromptCounter()
    engine = RuleEngine(rules, counter)
    tally = _Tally()
    for item in normalize_records(read_records(paths)):
        if isinstance(item, LoadError):
            tally.errors.append(ErrorRow(item.location.file, item.location.line, item.message))
            continue
        counted = counter.count(item)
        engine.feed(counted)
        tally.add(counted)
    return tally.report(engine.findings())


class _Tally:
    """Running totals for the summary."""

    def __init__(self) -> None:
        self.rows: list[RequestRow] = []
        self.errors: list[ErrorRow] = []
        self.prompt_tokens = 0
        self.cacheable = 0
        self.estimated = 0
        self.unknown_models: set[str] = set()
        self.observed = 0
        self.observed_exact = 0

    def add(self, counted: CountedRequest) -> None:
        request = counted.request
        observed = request.observed
        estimated = request.estimated
        self.rows.append(RequestRow(
            file=request.location.file,
            line=request.location.line,
            model=request.model,
            prompt_tokens=counted.prompt_tokens,
            observed_prompt_tokens=observed.prompt_tokens if observed else None,
            observed_cached_tokens=observed.cached_tokens if observed else None,
            estimated=estimated,
        ))
        self.prompt_tokens += counted.prompt_tokens
        self.cacheable += counted.prompt_tokens >= counted.facts.cache.min_tokens
        self.estimated += estimated
        if not counted.facts.known:
            self.unknown_models.add(request.model or "(none)")
        if observed is not None:
            self.observed += 1
            self.observed_exact += observed.prompt_tokens == counted.prompt_tokens

    def report(self, findings: Iterable[Finding]) -> Report:
        findings = tuple(findings)
        by_rule = Counter(finding.name for finding in findings)
        by_severity = Counter(finding.severity for finding in findings)
        summary = Summary(
            records_read=len(self.rows) + sum(1 for error in self.errors if error.line > 0),
            requests_audited=len(self.rows),
            invalid_records=sum(1 for error in self.errors if error.line > 0),
            prompt_tokens=self.prompt_tokens,
            requests_cacheable=self.cacheable,
            estimated_requests=self.estimated,
            unknown_models=tuple(sorted(self.unknown_models)),
            observed_requests=self.observed,
            observed_exact=self.observed_exact,
            findings_by_rule=tuple(
                (finding.name, by_rule[finding.name])
                for finding in _first_per_rule(findings)),
            findings_by_severity=tuple(
                (severity.value, by_severity[severity])
                for severity in sorted(Severity, reverse=True)),
            catalog_date=CATALOG_DATE,
        )
        return Report(__version__, summary, tuple(self.rows), findings, tuple(self.errors))


def _first_per_rule(findings: tuple[Finding, ...]) -> list[Finding]:
    seen: dict[str, Finding] = {}
    for finding in findings:
        seen.setdefault(finding.code, finding)
    return list(seen.values())
