"""The pipeline: read records -> normalize -> count -> anchor on usage -> rules -> replay ->
savings -> report.

One request at a time: nothing holds the log. What is kept grows with the number of requests
only as one small row each (for the report's request list) and with the cache entries still
within their lifetime.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from promptcache import __version__
from promptcache.anchoring import Anchorer, anchored_bounds
from promptcache.cache.replay import BASE, Replayed, Replayer
from promptcache.calibration import TokenCalibrationTally
from promptcache.catalog import CATALOG_DATE, counted_as, counting_change, lifetimes_note
from promptcache.engine.findings import Finding, Severity
from promptcache.engine.rule_engine import ActiveRule, RuleEngine
from promptcache.estimates import Certainty, EstimateTally
from promptcache.load.formats.base import Skipped
from promptcache.load.records import read_requests
from promptcache.load.sources import LoadError, Position
from promptcache.model import Estimate, Location
from promptcache.pricing import Pricer, save_price_cache
from promptcache.report.chart_tally import ChartTally
from promptcache.report.model import (
    ErrorRow,
    Report,
    RequestRow,
    RuleInfo,
    SessionRow,
    Summary,
    UnreadPart,
)
from promptcache.report.rows import RequestRows, explicit_cache_row
from promptcache.rules import ALL_RULES
from promptcache.run.parallel import Reader, use_reader
from promptcache.savings import RowFacts, Savings, SavingsTally
from promptcache.sessions import SessionId, SessionTracker
from promptcache.tokens.counting import CountedRequest, PromptCounter
from promptcache.vocabulary import NO_MODEL


def run_audit(paths: Sequence[str], rules: Sequence[ActiveRule],
              lifetime_seconds: float | None = None,
              ignored: Callable[[str, str], bool] | None = None,
              on_position: Position | None = None, jobs: int | None = 1,
              project_path: Callable[[str], str] | None = None,
              input_format: str | None = None) -> Report:
    """Audit the logs at ``paths`` (already expanded) with ``rules``; ``ignored(code, file)``
    drops a rule's hits in a file (per-file ignores); ``on_position`` hears how far each file
    has been read (for a progress bar); ``jobs`` is how many processes may share the work
    (None: as many as there are cores, for a log big enough to gain from them; see
    :mod:`promptcache.run.parallel`); ``project_path`` spells a file for fingerprints (relative
    to the project root); ``input_format`` names the logs' format (None: told per file, see
    :mod:`promptcache.load.calls`). The report is the same whatever ``jobs`` is."""
    counter = PromptCounter()
    reader = (Reader(paths, counter, on_position, input_format)
              if use_reader(paths, jobs) else None)
    try:
        counted = (reader if reader is not None
                   else _counted(paths, counter, on_position, input_format))
        return _audit(counted, rules, lifetime_seconds, ignored, counter, project_path)
    finally:
        if reader is not None:
            reader.close()


def _counted(paths: Sequence[str], counter: PromptCounter, on_position: Position | None,
             input_format: str | None) -> Iterator[CountedRequest | LoadError | Skipped]:
    """The log's records read, normalized and counted, in order: the first half of the
    pipeline (which :class:`promptcache.run.parallel.Reader` runs in a process of its own)."""
    for item in read_requests(paths, input_format, on_position, counter.intern):
        yield item if isinstance(item, LoadError | Skipped) else counter.count(item)


def _audit(records: Iterable[CountedRequest | LoadError | Skipped], rules: Sequence[ActiveRule],
           lifetime_seconds: float | None, ignored: Callable[[str, str], bool] | None,
           counter: PromptCounter, project_path: Callable[[str], str] | None = None) -> Report:
    engine = RuleEngine(rules, counter, lifetime_seconds, ignored, project_path,
                        catalogue=ALL_RULES)
    replayer = Replayer(counter, lifetime_seconds)
    lifetime = (f"documented idle lifetime ({lifetimes_note()})" if lifetime_seconds is None
                else f"{lifetime_seconds:g} s idle lifetime")
    savings = SavingsTally(Pricer(), lifetime)
    tally = _Tally(savings, SessionTracker(lifetime_seconds))
    anchorer = Anchorer()
    for counted in records:
        if isinstance(counted, Skipped):
            tally.skipped[counted.reason] = tally.skipped.get(counted.reason, 0) + 1
            continue
        if isinstance(counted, LoadError):
            tally.errors.append(ErrorRow(counted.location.file, counted.location.line,
                                         counted.message))
            if counted.unread is not None:
                tally.unread.append(UnreadPart(counted.location.file, counted.unread.line,
                                               counted.unread.size))
            continue
        # The session first: a turn is anchored on the usage of the one it extends in it.
        session = tally.sessions.assign(counted)
        counted = anchorer.anchor(counted, session.label)
        hits = engine.feed(counted)
        fixes = [(code, hit.repair) for code, hit in hits if hit.repair is not None]
        row = tally.add(counted, len(hits), session)
        for code, hit in hits:
            tally.charts.found(code, hit.group, hit.location, counted.request.timestamp, row)
        tally.replayed(replayer.add(row, counted, fixes, session.label))
    tally.replayed(replayer.finish())
    used = tuple(RuleInfo(active.rule.code, active.rule.name, active.severity,
                          active.rule.summary, active.rule.doc) for active in rules)
    findings = engine.findings()
    report = tally.report(findings, savings.result())
    report = replace(report, rules=used,
                     summary=replace(report.summary, suppressed_inline=engine.suppressed_inline),
                     warnings=tuple(ErrorRow(location.file, location.line, message)
                                    for location, message in engine.warnings))
    save_price_cache()  # after the report: it looks up the price data's date too
    counter.flush()
    return report


@dataclass(slots=True)
class _Pending:
    """What a request's row needs until its replay verdict arrives."""

    facts: RowFacts
    prompt_tokens: int
    body_prompt_tokens: int | None
    """The body's own count when ``prompt_tokens`` is anchored on usage, else None."""
    certainty: Certainty
    session: _SessionStats
    timestamp: float | None
    """When the request was sent (for the charts' time axis)."""


class _Tally:
    """Running totals for the summary, and the rows, finished in input order.

    A request waits in ``pending`` only until the replay (which runs in time order, a bounded
    window behind) hands back its verdict; finished rows go to :class:`RequestRows`, which
    spills to disk for large logs. Memory holds the sessions and that window, not the log.
    """

    def __init__(self, savings: SavingsTally, sessions: SessionTracker) -> None:
        self.savings = savings
        self.sessions = sessions
        self.session_stats: dict[str, _SessionStats] = {}
        self.pending: dict[int, _Pending] = {}
        self.finished: dict[int, RequestRow] = {}
        self.rows = RequestRows()
        self.errors: list[ErrorRow] = []
        self.unread: list[UnreadPart] = []
        self.skipped: dict[str, int] = {}
        """Calls deliberately not audited, by reason."""
        self.requests = 0
        self.prompt_tokens = 0
        self.cacheable = 0
        self.estimated = 0
        self.observed = 0
        self.observed_exact = 0
        self.unknown_models: set[str] = set()
        self.estimates = EstimateTally()
        self.calibration = TokenCalibrationTally()
        self.resolved_models: set[tuple[str, str, str]] = set()
        self.charts = ChartTally()

    def add(self, counted: CountedRequest, hits: int, session: SessionId) -> int:
        request = counted.request
        stats = self.session_stats.get(session.label)
        if stats is None:
            stats = self.session_stats[session.label] = _SessionStats(
                session.label, session.inferred, request.location)
        stats.requests += 1
        stats.prompt_tokens += counted.prompt_tokens
        stats.hits += hits
        row = self.requests
        self.requests += 1
        certainty = self._certainty(counted)
        self.pending[row] = _Pending(
            RowFacts(request.location, counted.facts.provider, request.model,
                     request.observed),
            counted.prompt_tokens,
            None if counted.anchoring is None else counted.body_prompt_tokens, certainty,
            stats, request.timestamp)
        self.prompt_tokens += counted.prompt_tokens
        self.cacheable += counted.cacheable
        self.estimated += not certainty.exact
        if request.observed is not None:
            # Calibration judges the count from the body, not one anchored on this usage.
            body = counted.body_prompt_tokens
            self.observed += 1
            self.observed_exact += request.observed.prompt_tokens == body
            observed = request.observed.prompt_tokens
            self.calibration.add(request.model, request.location, body,
                                 observed, estimated=not certainty.exact,
                                 change=counting_change(request.model, request.api,
                                                        request.recorded, body - observed))
        if not counted.facts.known:
            self.unknown_models.add(request.model or NO_MODEL)
        resolved = counted_as(request.model, request.deployment)
        if resolved is not None:
            self.resolved_models.add(resolved)
        return row

    def _certainty(self, counted: CountedRequest) -> Certainty:
        """How sure the count is; for an anchored one, also what it is anchored on (a
        reason whose range is how far anchoring moved the body's estimate)."""
        certainty = self.estimates.add(counted)
        anchoring = counted.anchoring
        if anchoring is None:
            return certainty
        change = counted.prompt_tokens - anchoring.body_prompt_tokens
        self.estimates.note(Estimate(anchoring.reason, change, change))
        # With its own usage the total is the provider's figure (only its split is an
        # estimate); after an earlier turn's, only the new segments are.
        low, high = anchored_bounds(counted)
        return Certainty((*certainty.reasons, anchoring.reason), low, high)

    def replayed(self, verdicts: list[Replayed]) -> None:
        for verdict in verdicts:
            pending = self.pending.pop(verdict.row)
            predicted, cost = self.savings.add(verdict, pending.facts)
            stats = pending.session
            stats.cached_tokens += predicted
            if cost is None:
                stats.unpriced = True
            else:
                stats.cost_usd += cost
            facts, observed = pending.facts, pending.facts.observed
            finished = self.finished[verdict.row] = RequestRow(
                file=facts.location.file,
                line=facts.location.line,
                model=facts.model,
                prompt_tokens=pending.prompt_tokens,
                observed_prompt_tokens=observed.prompt_tokens if observed else None,
                observed_cached_tokens=observed.cached_tokens if observed else None,
                predicted_cached_tokens=predicted,
                cost_usd=cost,
                estimated=not pending.certainty.exact,
                estimate_reasons=pending.certainty.reasons,
                low=pending.certainty.low,
                high=pending.certainty.high,
                predicted_cached_tokens_low=_low_end(verdict),
                explicit_cache=(explicit_cache_row(verdict.predictions[BASE][1], observed)
                                if verdict.lifetimes else None),
                body_prompt_tokens=pending.body_prompt_tokens,
            )
            self.charts.add(finished, verdict.row, pending.timestamp, stats.label)
        # Verdicts come in time order; rows are reported in input order.
        while len(self.rows) in self.finished:
            self.rows.append(self.finished.pop(len(self.rows)))

    def report(self, findings: list[Finding], savings: Savings) -> Report:
        priced = _with_savings(findings, savings)
        by_rule: dict[str, int] = {}
        for finding in priced:
            by_rule[finding.name] = by_rule.get(finding.name, 0) + 1
        invalid = sum(1 for error in self.errors if error.line > 0)
        skipped = tuple(sorted(self.skipped.items(), key=lambda item: (-item[1], item[0])))
        summary = Summary(
            records_read=self.requests + invalid + sum(self.skipped.values()),
            requests_audited=self.requests,
            invalid_records=invalid,
            prompt_tokens=self.prompt_tokens,
            requests_cacheable=self.cacheable,
            estimated_requests=self.estimated,
            unknown_models=tuple(sorted(self.unknown_models)),
            observed_requests=self.observed,
            observed_exact=self.observed_exact,
            findings_by_rule=tuple(by_rule.items()),
            findings_by_severity=tuple(
                (severity.value, sum(1 for finding in priced if finding.severity is severity))
                for severity in sorted(Severity, reverse=True)),
            catalog_date=CATALOG_DATE,
            savings=savings,
            unread=tuple(self.unread),
            estimates=self.estimates.result(),
            token_calibration=self.calibration.result(),
            counting_changes=self.calibration.changes(),
            resolved_models=tuple(sorted(self.resolved_models)),
            skipped=skipped,
        )
        sessions = tuple(stats.row() for stats in self.session_stats.values())
        return Report(__version__, summary, self.rows, tuple(priced), tuple(self.errors),
                      sessions, charts=self.charts.result())


@dataclass(slots=True)
class _SessionStats:
    label: str
    inferred: bool
    first: Location
    requests: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: float = 0.0
    unpriced: bool = False
    hits: int = 0

    def row(self) -> SessionRow:
        return SessionRow(
            session=self.label,
            inferred=self.inferred,
            first=self.first,
            requests=self.requests,
            prompt_tokens=self.prompt_tokens,
            predicted_cached_tokens=self.cached_tokens,
            hit_rate=round(self.cached_tokens / self.prompt_tokens, 4) if self.prompt_tokens
            else 0.0,
            cost_usd=None if self.unpriced else self.cost_usd,
            hits=self.hits,
        )


def _with_savings(findings: list[Finding], savings: Savings) -> list[Finding]:
    """Share each rule's replayed saving among its findings by their tokens at risk."""
    by_rule = {code: (usd, tokens) for code, usd, tokens in savings.savings_by_rule}
    at_risk: dict[str, int] = {}
    for finding in findings:
        at_risk[finding.code] = at_risk.get(finding.code, 0) + finding.tokens_at_risk
    priced = []
    for finding in findings:
        usd, tokens = by_rule.get(finding.code, (0.0, 0))
        total = at_risk[finding.code]
        share = finding.tokens_at_risk / total if total else 0.0
        priced.append(replace(finding, estimated_savings_usd=usd * share,
                              estimated_savings_tokens=round(tokens * share)))
    return priced


def _low_end(verdict: Replayed) -> int | None:
    """The prediction's low end when it is a range (a cached run reaching into an image)."""
    prediction = verdict.predictions[BASE][1]
    low = prediction.cached_tokens_low
    return None if low == prediction.cached_tokens else low
