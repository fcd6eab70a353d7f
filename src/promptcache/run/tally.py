"""The audit's last stage: the outcomes of the requests (:mod:`promptcache.run.part`), taken in
input order, summed into the report.

Everything here is a sum, a count or a list in input order, taken one outcome at a time in
the order of ``seq``: the report is therefore the same whether the outcomes come from one part
or from many merged (:mod:`promptcache.run.partitioned`). Even the dollar sums, floating point and
so sensitive to the order of addition, are added in input order either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from promptcache import __version__
from promptcache.cache.replay import BASE, Replayed
from promptcache.calibration import TokenCalibrationTally
from promptcache.catalog import CATALOG_DATE, counted_as, counting_change, lifetimes_note
from promptcache.engine.findings import Finding, Severity
from promptcache.engine.rule_engine import ActiveRule, fold_findings
from promptcache.estimates import EstimateTally
from promptcache.load.formats.base import Skipped
from promptcache.load.sources import LoadError
from promptcache.model import Location
from promptcache.pricing import Pricer
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
from promptcache.run.part import Audited, EngineState, Outcome
from promptcache.savings import RowFacts, Savings, SavingsTally
from promptcache.sessions import SessionId
from promptcache.vocabulary import NO_MODEL


class Tally:
    """Running totals for the summary, and the rows, taken in input order.

    Finished rows go to :class:`RequestRows`, which spills to disk for large logs: memory
    holds the sessions, not the log.
    """

    def __init__(self, savings: SavingsTally) -> None:
        self.savings = savings
        self.session_stats: dict[str, _SessionStats] = {}
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
        self._inferred: dict[tuple[int, str], str] = {}
        """(part, the part's label) -> the run's label of each inferred session."""

    @classmethod
    def for_run(cls, lifetime_seconds: float | None) -> Tally:
        """A tally for a run that assumes ``lifetime_seconds`` of idle cache lifetime (None:
        each model's documented one)."""
        return cls(SavingsTally(Pricer(), lifetime_note(lifetime_seconds)))

    def take(self, outcome: Outcome, part: int = 0) -> None:
        """One more outcome, in input order; ``part`` tells which part of the log it comes
        from (an inferred session's label is numbered within its part)."""
        if not isinstance(outcome, Audited):
            self._unaudited(outcome.item)
            return
        verdict = outcome.verdict
        assert verdict is not None, "the part releases a request once replayed"
        stats = self._session(outcome.session, part, outcome.location)
        stats.requests += 1
        stats.prompt_tokens += outcome.prompt_tokens
        stats.hits += len(outcome.hits)
        row = self.requests
        self.requests += 1
        self._count(outcome)
        for code, group, location in outcome.hits:
            self.charts.found(code, group, location, outcome.timestamp, row)
        facts = RowFacts(outcome.location, outcome.provider, outcome.model, outcome.observed)
        predicted, cost = self.savings.add(verdict, facts)
        stats.cached_tokens += predicted
        if cost is None:
            stats.unpriced = True
        else:
            stats.cost_usd += cost
        observed = outcome.observed
        certainty = outcome.certainty
        finished = RequestRow(
            file=outcome.location.file,
            line=outcome.location.line,
            model=outcome.model,
            prompt_tokens=outcome.prompt_tokens,
            observed_prompt_tokens=observed.prompt_tokens if observed else None,
            observed_cached_tokens=observed.cached_tokens if observed else None,
            predicted_cached_tokens=predicted,
            cost_usd=cost,
            estimated=not certainty.exact,
            estimate_reasons=certainty.reasons,
            low=certainty.low,
            high=certainty.high,
            predicted_cached_tokens_low=_low_end(verdict),
            explicit_cache=(explicit_cache_row(verdict.predictions[BASE][1], observed)
                            if verdict.lifetimes else None),
            body_prompt_tokens=outcome.body_prompt_tokens if outcome.anchored else None,
        )
        self.charts.add(finished, row, outcome.timestamp, stats.label)
        self.rows.append(finished)

    def _unaudited(self, item: LoadError | Skipped) -> None:
        if isinstance(item, Skipped):
            self.skipped[item.reason] = self.skipped.get(item.reason, 0) + 1
            return
        self.errors.append(ErrorRow(item.location.file, item.location.line, item.message))
        if item.unread is not None:
            self.unread.append(UnreadPart(item.location.file, item.unread.line,
                                          item.unread.size))

    def _session(self, session: SessionId, part: int, first: Location) -> _SessionStats:
        label = session.label
        if session.inferred:
            # Each part numbers the sessions it infers from 1: the run numbers them by where
            # they first show in the whole log, as one part would have.
            key = (part, label)
            known = self._inferred.get(key)
            if known is None:
                known = self._inferred[key] = f"auto:{len(self._inferred) + 1}"
            label = known
        stats = self.session_stats.get(label)
        if stats is None:
            stats = self.session_stats[label] = _SessionStats(label, session.inferred, first)
        return stats

    def _count(self, outcome: Audited) -> None:
        self.prompt_tokens += outcome.prompt_tokens
        self.cacheable += outcome.cacheable
        certainty = outcome.certainty
        self.estimated += not certainty.exact
        note = outcome.anchoring_note
        # The anchoring's reason comes last, beside the body's own (see run.part._audited).
        self.estimates.record(outcome.estimate_parts,
                              certainty.reasons[:-1] if note is not None else certainty.reasons)
        if note is not None:
            self.estimates.note(note)
        observed = outcome.observed
        if observed is not None:
            # Calibration judges the count from the body, not one anchored on this usage.
            body = outcome.body_prompt_tokens
            self.observed += 1
            self.observed_exact += observed.prompt_tokens == body
            self.calibration.add(outcome.model, outcome.location, body,
                                 observed.prompt_tokens, estimated=not certainty.exact,
                                 change=counting_change(outcome.model, outcome.api,
                                                        outcome.recorded,
                                                        body - observed.prompt_tokens))
        if not outcome.known:
            self.unknown_models.add(outcome.model or NO_MODEL)
        resolved = counted_as(outcome.model, outcome.deployment)
        if resolved is not None:
            self.resolved_models.add(resolved)

    def report(self, engine: EngineState, rules: Sequence[ActiveRule],
               project_path: Callable[[str], str] | None) -> Report:
        """The report of everything taken, with the findings of ``engine``."""
        savings = self.savings.result()
        findings = fold_findings(engine.groups, rules, project_path)
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
            suppressed_inline=engine.suppressed_inline,
        )
        sessions = tuple(stats.row() for stats in self.session_stats.values())
        used = tuple(RuleInfo(active.rule.code, active.rule.name, active.severity,
                              active.rule.summary, active.rule.doc) for active in rules)
        return Report(__version__, summary, self.rows, tuple(priced), tuple(self.errors),
                      sessions, charts=self.charts.result(), rules=used,
                      warnings=tuple(ErrorRow(location.file, location.line, message)
                                     for _, location, message in engine.warnings))


def lifetime_note(lifetime_seconds: float | None) -> str:
    """How the report names the idle lifetime the replay assumed."""
    return (f"documented idle lifetime ({lifetimes_note()})" if lifetime_seconds is None
            else f"{lifetime_seconds:g} s idle lifetime")


def take_all(tally: Tally, outcomes: Iterable[tuple[int, Outcome]]) -> None:
    """Take (part, outcome) pairs, in input order."""
    take = tally.take
    for part, outcome in outcomes:
        take(outcome, part)


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
