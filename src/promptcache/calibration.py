"""Predicted vs observed prompt tokens, per model: how far to trust every other figure.

Each request whose log carries the provider's usage is compared with promptcache's count.
Per model: requests, exact, within 1%, the mean error (predicted minus observed: positive
means promptcache counts more) and the worst miss with its location. promptcache counts as the
API does today: a record logged before a known change in counting (see
:data:`promptcache.catalog.COUNTING_CHANGES`) whose miss is exactly that change is said to
predate it, and left out of the mean error and the worst miss. (The cache side of
calibration, cached tokens, is :class:`promptcache.savings.Calibration`.)
"""

from __future__ import annotations

from dataclasses import dataclass

from promptcache.catalog import CountingChange
from promptcache.model import Location
from promptcache.vocabulary import NO_MODEL


@dataclass(frozen=True, slots=True)
class ModelCalibration:
    """Prompt-token counts against the provider's usage for one model."""

    model: str
    """The model as the requests name it."""
    requests: int
    """Requests to it whose log carries usage."""
    exact: int
    """Of those, counted exactly as the provider reported."""
    within_1pct: int
    """Of those, counted within 1% of the provider's figure (exact ones included)."""
    mean_error: float
    """Mean of counted minus observed prompt tokens (positive: promptcache counts more), over
    the requests that do not predate a known change."""
    worst_error: int
    """The largest miss (counted minus observed), 0 when every count is exact."""
    worst: Location | None
    """Where that miss is; None when every count is exact."""
    predating: int = 0
    """Requests whose miss is a known counting change they were logged before (not
    exact, not within 1% unless the change is; not in the mean error or the worst miss)."""
    estimated: int = 0
    """Requests whose count is an estimate (a remote image, a file...): their misses say
    little about the counter."""


@dataclass(frozen=True, slots=True)
class ChangeSeen:
    """A known counting change that explains misses in this log."""

    change: CountingChange
    """The change."""
    requests: int
    """Requests logged before it whose miss it explains."""


@dataclass(slots=True)
class _Totals:
    requests: int = 0
    exact: int = 0
    within: int = 0
    error_sum: int = 0
    worst_error: int = 0
    worst: Location | None = None
    predating: int = 0
    estimated: int = 0


class TokenCalibrationTally:
    """Collects (counted, observed) per model as requests are audited."""

    def __init__(self) -> None:
        self._models: dict[str, _Totals] = {}
        self._changes: dict[CountingChange, int] = {}

    def add(self, model: str, location: Location, counted: int, observed: int, *,
            estimated: bool = False, change: CountingChange | None = None) -> None:
        """Compare one request's count with the provider's; ``estimated`` when the count is
        an estimate; ``change`` is the known counting change the request predates and that
        explains its miss, if any."""
        totals = self._models.get(model)
        if totals is None:
            totals = self._models[model] = _Totals()
        error = counted - observed
        totals.requests += 1
        totals.estimated += estimated
        totals.exact += error == 0
        totals.within += abs(error) <= observed / 100
        if change is not None:
            totals.predating += 1
            self._changes[change] = self._changes.get(change, 0) + 1
            return
        totals.error_sum += error
        if abs(error) > abs(totals.worst_error):
            totals.worst_error, totals.worst = error, location

    def result(self) -> tuple[ModelCalibration, ...]:
        """One row per model, by name."""
        return tuple(
            ModelCalibration(model or NO_MODEL, totals.requests, totals.exact, totals.within,
                             _mean(totals.error_sum, totals.requests - totals.predating),
                             totals.worst_error, totals.worst, totals.predating,
                             totals.estimated)
            for model, totals in sorted(self._models.items()))

    def changes(self) -> tuple[ChangeSeen, ...]:
        """The known changes that explain misses here, by date."""
        return tuple(ChangeSeen(change, requests) for change, requests
                     in sorted(self._changes.items(), key=lambda item: item[0].since))


def _mean(total: int, count: int) -> float:
    return round(total / count, 2) if count else 0.0


@dataclass(frozen=True, slots=True)
class CacheCalibration:
    """Predicted against observed cache reads and writes for one model with an explicit
    cache (Anthropic's), over its requests whose log carries usage."""

    model: str
    """The model as the requests name it."""
    requests: int
    """Requests to it whose log carries usage."""
    reads_exact: int
    """Of those, predicted cache reads equal to ``cache_read_input_tokens``."""
    reads_within_5pct: int
    """Of those, predicted reads within 5% of the provider's (exact ones included)."""
    predicted_read_tokens: int
    """Cache reads promptcache predicts, summed."""
    observed_read_tokens: int
    """Cache reads the provider reported, summed."""
    writes_requests: int
    """Requests whose usage reports cache writes (``cache_creation_input_tokens``)."""
    writes_exact: int
    """Of those, predicted writes equal to the provider's."""
    writes_within_5pct: int
    """Of those, predicted writes within 5% of the provider's (exact ones included)."""
    predicted_written_tokens: int
    """Cache writes promptcache predicts for those requests, summed."""
    observed_written_tokens: int
    """Cache writes the provider reported, summed."""


def _within_5pct(predicted: int, observed: int) -> bool:
    return abs(predicted - observed) <= observed * 0.05


class CacheCalibrationTally:
    """Collects predicted and observed cache reads and writes per model."""

    def __init__(self) -> None:
        self._models: dict[str, list[int]] = {}

    def add(self, model: str, predicted_read: int, observed_read: int, predicted_written: int,
            observed_written: int | None) -> None:
        """One request's prediction and usage; ``observed_written`` None when the usage does
        not report writes."""
        totals = self._models.setdefault(model, [0] * 10)
        totals[0] += 1
        totals[1] += predicted_read == observed_read
        totals[2] += _within_5pct(predicted_read, observed_read)
        totals[3] += predicted_read
        totals[4] += observed_read
        if observed_written is not None:
            totals[5] += 1
            totals[6] += predicted_written == observed_written
            totals[7] += _within_5pct(predicted_written, observed_written)
            totals[8] += predicted_written
            totals[9] += observed_written

    def result(self) -> tuple[CacheCalibration, ...]:
        """One row per model, by name."""
        return tuple(CacheCalibration(model or NO_MODEL, *totals)
                     for model, totals in sorted(self._models.items()))
