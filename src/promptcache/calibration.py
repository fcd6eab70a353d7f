"""Predicted vs observed prompt tokens, per model: how far to trust every other figure.

Each request whose log carries the provider's usage is compared with promptcache's count.
Per model: requests, exact, within 1%, the mean error (predicted minus observed: positive
means promptcache counts more) and the worst miss with its location. (The cache side of
calibration, cached tokens, is :class:`promptcache.savings.Calibration`.)
"""

from __future__ import annotations

from dataclasses import dataclass

from promptcache.model import Location


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
    """Mean of counted minus observed prompt tokens (positive: promptcache counts more)."""
    worst_error: int
    """The largest miss (counted minus observed), 0 when every count is exact."""
    worst: Location | None
    """Where that miss is; None when every count is exact."""


@dataclass(slots=True)
class _Totals:
    requests: int = 0
    exact: int = 0
    within: int = 0
    error_sum: int = 0
    worst_error: int = 0
    worst: Location | None = None


class TokenCalibrationTally:
    """Collects (counted, observed) per model as requests are audited."""

    def __init__(self) -> None:
        self._models: dict[str, _Totals] = {}

    def add(self, model: str, location: Location, counted: int, observed: int) -> None:
        """Compare one request's count with the provider's."""
        totals = self._models.get(model)
        if totals is None:
            totals = self._models[model] = _Totals()
        error = counted - observed
        totals.requests += 1
        totals.exact += error == 0
        totals.within += abs(error) <= observed / 100
        totals.error_sum += error
        if abs(error) > abs(totals.worst_error):
            totals.worst_error, totals.worst = error, location

    def result(self) -> tuple[ModelCalibration, ...]:
        """One row per model, by name."""
        return tuple(
            ModelCalibration(model or "(none)", totals.requests, totals.exact, totals.within,
                             round(totals.error_sum / totals.requests, 2), totals.worst_error,
                             totals.worst)
            for model, totals in sorted(self._models.items()))
