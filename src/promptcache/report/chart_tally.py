"""Fills the report's chart section as the audit runs, in bounded memory: a fixed number of
buckets (merged pairwise as the log grows), a bounded pool of candidate sessions for the
waterfalls, one small tally per model."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from promptcache.model import Location
from promptcache.report.charts import (
    MAX_BUCKETS,
    REQUEST_AXIS,
    TIME_AXIS,
    WATERFALL_REQUESTS,
    WATERFALL_SESSIONS,
    Charts,
    FindingMark,
    ModelTotals,
    TimeBucket,
    WaterfallBar,
    WaterfallSession,
)
from promptcache.report.model import RequestRow

_CANDIDATES = 4 * WATERFALL_SESSIONS
"""Sessions whose bars are kept while the log is read: a session that later outgrows the
cheapest of them takes its place, its bars kept from then on."""


@dataclass(slots=True)
class _Buckets:
    """Sums per span of an axis, all spans of one width: the width doubles (and neighbours
    merge) whenever the spans from the first to the last would be more than
    :data:`MAX_BUCKETS`, so a chart drawn from them shows time evenly, quiet spans as gaps."""

    width: float
    sums: dict[int, list[int]] = field(default_factory=dict)
    low: int = 0
    """The first span's key (valid once a figure is in)."""
    high: int = 0
    """The last span's key."""

    def add(self, at: float, figures: tuple[int, ...]) -> None:
        key = math.floor(at / self.width)
        sums = self.sums.get(key)
        if sums is None:
            if not self.sums:
                self.low = self.high = key
            self.low, self.high = min(self.low, key), max(self.high, key)
            sums = self.sums[key] = [0] * len(figures)
            while self.high - self.low >= MAX_BUCKETS:
                self._coarsen()
            sums = self.sums[math.floor(at / self.width)]
        for index, figure in enumerate(figures):
            sums[index] += figure

    def _coarsen(self) -> None:
        merged: dict[int, list[int]] = {}
        for key, sums in self.sums.items():
            into = merged.get(key // 2)
            if into is None:
                merged[key // 2] = list(sums)
            else:
                for index, figure in enumerate(sums):
                    into[index] += figure
        self.sums = merged
        self.width *= 2
        self.low //= 2
        self.high //= 2

    def result(self) -> tuple[TimeBucket, ...]:
        return tuple(TimeBucket(key * self.width, *sums) for key, sums in sorted(self.sums.items()))


@dataclass(slots=True)
class _Candidate:
    first_request: int
    bars: list[WaterfallBar]


@dataclass(slots=True)
class _ModelSums:
    requests: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0
    observed_requests: int = 0
    observed_predicted_cached_tokens: int = 0
    observed_cached_tokens: int = 0
    cost_usd: float = 0.0
    priced: bool = True


@dataclass(slots=True)
class _Mark:
    code: str
    location: Location
    time: float | None
    index: int


@dataclass(slots=True)
class ChartTally:
    """Accumulates the chart section; :meth:`result` builds it."""

    _by_time: _Buckets | None = field(default_factory=lambda: _Buckets(1.0))
    """None once a request has no time: the axis is then the request order."""
    _by_request: _Buckets = field(default_factory=lambda: _Buckets(1.0))
    _first_time: float = math.inf
    _last_time: float = -math.inf
    _seen_groups: set[tuple[str, str]] = field(default_factory=set)
    _marks: list[_Mark] = field(default_factory=list)
    _uncached: dict[str, int] = field(default_factory=dict)
    _requests: dict[str, int] = field(default_factory=dict)
    _candidates: dict[str, _Candidate] = field(default_factory=dict)
    _floor: int = 0
    """No candidate has fewer uncached tokens than this (a bound, raised lazily)."""
    _models: dict[str, _ModelSums] = field(default_factory=dict)

    def found(self, code: str, group: str, location: Location, time: float | None,
              index: int) -> None:
        """A rule hit on request ``index`` (input order) sent at ``time``: the first hit of a
        finding marks where it first showed."""
        key = (code, group)
        if key not in self._seen_groups:
            self._seen_groups.add(key)
            self._marks.append(_Mark(code, location, time, index))

    def add(self, row: RequestRow, index: int, time: float | None, session: str) -> None:
        """One request's finished row; ``index`` its number in input order."""
        observed = row.observed_cached_tokens is not None
        figures = (1, row.prompt_tokens, row.predicted_cached_tokens, int(observed),
                   (row.observed_prompt_tokens or 0) if observed else 0,
                   row.observed_cached_tokens or 0)
        self._by_request.add(index, figures)
        if time is None:
            self._by_time = None
        elif self._by_time is not None:
            self._by_time.add(time, figures)
            self._first_time = min(self._first_time, time)
            self._last_time = max(self._last_time, time)
        self._add_model(row, observed)
        self._add_bar(row, session)

    def _add_model(self, row: RequestRow, observed: bool) -> None:
        sums = self._models.get(row.model)
        if sums is None:
            sums = self._models[row.model] = _ModelSums()
        sums.requests += 1
        sums.prompt_tokens += row.prompt_tokens
        sums.cached_tokens += row.predicted_cached_tokens
        if observed:
            sums.observed_requests += 1
            sums.observed_predicted_cached_tokens += row.predicted_cached_tokens
            sums.observed_cached_tokens += row.observed_cached_tokens or 0
        if row.cost_usd is None:
            sums.priced = False
        else:
            sums.cost_usd += row.cost_usd

    def _add_bar(self, row: RequestRow, session: str) -> None:
        uncached = self._uncached[session] = (self._uncached.get(session, 0)
                                              + row.prompt_tokens - row.predicted_cached_tokens)
        number = self._requests[session] = self._requests.get(session, 0) + 1
        candidate = self._candidates.get(session)
        if candidate is None:
            if len(self._candidates) >= _CANDIDATES:
                if uncached <= self._floor:
                    return  # the common case on a big log: decided without a scan
                cheapest = min(self._candidates, key=self._uncached.__getitem__)
                self._floor = self._uncached[cheapest]
                if uncached <= self._floor:
                    return
                del self._candidates[cheapest]
            candidate = self._candidates[session] = _Candidate(number - 1, [])
        if len(candidate.bars) < WATERFALL_REQUESTS:
            written = row.explicit_cache.predicted_written_tokens if row.explicit_cache else 0
            candidate.bars.append(WaterfallBar(row.file, row.line, row.prompt_tokens,
                                               row.predicted_cached_tokens, written,
                                               row.observed_cached_tokens))

    def result(self) -> Charts:
        """The chart section of the report."""
        timed = self._by_time is not None and bool(self._by_time.sums)
        buckets = self._by_time if timed and self._by_time is not None else self._by_request
        drawn = sorted(self._candidates, key=lambda label: -self._uncached[label])
        drawn = drawn[:WATERFALL_SESSIONS]
        return Charts(
            axis=TIME_AXIS if timed else REQUEST_AXIS,
            bucket_width=buckets.width,
            first_time=self._first_time if timed else None,
            last_time=self._last_time if timed else None,
            buckets=buckets.result(),
            marks=tuple(FindingMark(mark.code, mark.location.file, mark.location.line,
                                    mark.time if timed and mark.time is not None
                                    else float(mark.index))
                        for mark in self._marks),
            waterfall=tuple(WaterfallSession(label, self._requests[label],
                                             self._candidates[label].first_request,
                                             self._uncached[label],
                                             tuple(self._candidates[label].bars))
                            for label in drawn),
            sessions_left_out=len(self._requests) - len(drawn),
            models=tuple(
                ModelTotals(model, sums.requests, sums.prompt_tokens, sums.cached_tokens,
                            sums.observed_requests, sums.observed_predicted_cached_tokens,
                            sums.observed_cached_tokens,
                            sums.cost_usd if sums.priced else None)
                for model, sums in sorted(self._models.items(),
                                          key=lambda item: (-item[1].prompt_tokens, item[0]))),
        )
