"""Turn replay verdicts into money, hit rates and a calibration against observed usage.

- Current cost: each request priced with the provider's usage where the log has it, with the
  model's prediction otherwise.
- Savings: the predicted cost as logged minus the predicted cost with fixes applied. Both
  sides come from the same model, so calibration error cancels out; the cost after fixes is
  the current cost minus the savings.
- Per rule: the same difference with only that rule's fixes. A rule's saving is shared among
  its findings in proportion to their tokens at risk.
- Explicit caches (Anthropic's): every cost counts the write premium, so a fix is worth the
  reads it gains minus the writes it adds, each write priced at its lifetime's rate. The log
  is also priced with every breakpoint at 5 minutes and at 1 hour, to say which lifetime pays
  for this traffic; and predicted reads and writes are compared with the usage per model.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from promptcache.cache.replay import BASE, FIXED, Replayed
from promptcache.cache.simulator import Prediction
from promptcache.calibration import CacheCalibration, CacheCalibrationTally
from promptcache.model import Location, ObservedUsage
from promptcache.pricing import Pricer
from promptcache.vocabulary import NO_MODEL

MAX_DISAGREEMENTS_LISTED = 1000


@dataclass(frozen=True, slots=True)
class RowFacts:
    """What pricing and calibration need to know about one request."""

    location: Location
    provider: str
    model: str
    observed: ObservedUsage | None


@dataclass(frozen=True, slots=True)
class Disagreement:
    """A request whose observed cached tokens contradict the prediction."""

    location: Location
    """The request."""
    observed_cached_tokens: int
    """What the provider reported."""
    predicted_cached_tokens: int
    """What the model predicted."""
    reason: str
    """Short code: warm-start, outlived-lifetime, longer-match, best-effort-miss,
    shorter-match, image-boundary, rejected."""
    explanation: str
    """The likely cause, in a sentence."""


@dataclass(frozen=True, slots=True)
class Calibration:
    """How the model's predictions compare with the provider's reported usage."""

    requests: int
    """Requests whose log carries cached-token usage."""
    exact: int
    """Of those, requests where prediction and observation agree exactly."""
    mean_error: float
    """Mean of predicted minus observed cached tokens (positive: the model is optimistic)."""
    mean_absolute_error: float
    """Mean of the absolute difference, in tokens."""
    by_reason: tuple[tuple[str, int], ...]
    """(reason, requests) for the disagreements."""
    disagreements: tuple[Disagreement, ...]
    """The disagreements, in input order (at most MAX_DISAGREEMENTS_LISTED)."""


@dataclass(frozen=True, slots=True)
class Savings:
    """The money side of the report."""

    price_data: str
    """Which price data was used."""
    lifetime_note: str
    """The idle lifetime the cache model assumed."""
    cost_usd: float
    """Input cost of the log as it is (priced requests only)."""
    cost_after_fixes_usd: float
    """Input cost if every finding were fixed."""
    savings_usd: float
    """The difference."""
    unpriced_requests: int
    """Requests whose model the price data does not know (not in any dollar figure)."""
    unpriced_models: tuple[str, ...]
    """Those models."""
    hit_rate_predicted: float
    """Predicted cached share of prompt tokens, as logged."""
    hit_rate_after_fixes: float
    """Predicted cached share of prompt tokens with every fix applied."""
    hit_rate_observed: float | None
    """Observed cached share over requests with usage; None when the log has none."""
    savings_by_rule: tuple[tuple[str, float, int], ...]
    """(rule code, USD saved, cached tokens gained) for rules whose fixes change the replay."""
    calibration: Calibration | None
    """None when no request carries usage."""
    hit_rate_predicted_low: float | None = None
    """The predicted share with every prediction that is a range at its low end (a cached
    prefix running into an image); None when no prediction is a range."""
    base_priced: tuple[tuple[str, str], ...] = ()
    """(fine-tuned model, the price data's model it is priced as): models the price data
    has no price for, priced at their base model's rates."""
    lifetime_costs: tuple[tuple[str, float], ...] = ()
    """Explicit caches: (lifetime, USD) for the priced requests with every breakpoint at
    that lifetime (``5m``, ``1h``), as predicted; empty when no request has one."""
    cache_calibration: tuple[CacheCalibration, ...] = ()
    """Explicit caches: predicted against observed cache reads and writes per model."""

    @property
    def lifetime_that_pays(self) -> str | None:
        """The lifetime whose predicted cost is lower (``5m`` on a tie: no premium for
        nothing); None without explicit caches."""
        if not self.lifetime_costs:
            return None
        return min(self.lifetime_costs, key=lambda item: item[1])[0]


@dataclass(slots=True)
class SavingsTally:
    """Accumulates verdicts as the replay hands them over."""

    pricer: Pricer
    lifetime_note: str
    _cost: float = 0.0
    _cost_predicted: float = 0.0
    _cost_fixed: float = 0.0
    _by_rule: dict[str, list[float]] = field(default_factory=dict)
    _unpriced: Counter[str] = field(default_factory=Counter)
    _prompt: int = 0
    _cached: int = 0
    _cached_low: int = 0
    """Below ``_cached`` exactly when some prediction is a range (its low end is below it)."""
    _fixed_prompt: int = 0
    _fixed_cached: int = 0
    _observed_prompt: int = 0
    _observed_cached: int = 0
    _observed_rows: int = 0
    _exact: int = 0
    _error_sum: int = 0
    _abs_error_sum: int = 0
    _reasons: Counter[str] = field(default_factory=Counter)
    _disagreements: list[Disagreement] = field(default_factory=list)
    _lifetime_costs: dict[str, float] = field(default_factory=dict)
    _cache_calibration: CacheCalibrationTally = field(default_factory=CacheCalibrationTally)

    def add(self, replayed: Replayed, facts: RowFacts) -> tuple[int, float | None]:
        """Price and calibrate one replayed request; return its predicted cached tokens and
        its cost (None when unpriced)."""
        base_prompt, base = replayed.predictions[BASE]
        fixed_prompt, fixed = replayed.predictions.get(FIXED, (base_prompt, base))
        self._prompt += base_prompt
        self._cached += base.cached_tokens
        self._cached_low += base.cached_tokens_low
        self._fixed_prompt += fixed_prompt
        self._fixed_cached += fixed.cached_tokens
        observed = facts.observed
        if observed is not None:
            self._calibrate(replayed, facts, observed, base.cached_tokens)
            if replayed.lifetimes:
                self._cache_calibration.add(facts.model, base.cached_tokens,
                                            observed.cached_tokens, base.written_tokens,
                                            observed.written_tokens)

        def price(prompt: int, prediction: Prediction) -> float | None:
            return self.pricer.input_cost(facts.provider, facts.model, prompt,
                                          prediction.cached_tokens, prediction.written_tokens,
                                          prediction.written_1h_tokens)

        for lifetime in replayed.lifetimes:
            # Known even when unpriced: the report then says the comparison has no price.
            self._lifetime_costs.setdefault(lifetime, 0.0)
        predicted_cost = price(base_prompt, base)
        if predicted_cost is None:
            self._unpriced[facts.model or NO_MODEL] += 1
            return base.cached_tokens, None
        actual = (self._observed_cost(facts, observed, base) if observed is not None
                  else predicted_cost)
        self._cost += actual or 0.0
        self._cost_predicted += predicted_cost
        self._cost_fixed += price(fixed_prompt, fixed) or 0.0
        for lifetime, prediction in replayed.lifetimes.items():
            self._lifetime_costs[lifetime] = (self._lifetime_costs.get(lifetime, 0.0)
                                              + (price(base_prompt, prediction) or 0.0))
        for variant, (prompt, prediction) in replayed.predictions.items():
            if variant in (BASE, FIXED):
                continue
            totals = self._by_rule.setdefault(variant, [0.0, 0.0])
            if prediction is base and prompt == base_prompt:
                continue  # the base's own verdict (most requests): it saves nothing
            cost = price(prompt, prediction) or 0.0
            totals[0] += predicted_cost - cost
            totals[1] += prediction.cached_tokens - base.cached_tokens
        return base.cached_tokens, actual

    def _observed_cost(self, facts: RowFacts, observed: ObservedUsage,
                       predicted: Prediction) -> float | None:
        """The request priced with its usage: the reported writes where the usage has them,
        else the predicted ones."""
        if observed.written_tokens is None:
            written, written_1h = predicted.written_tokens, predicted.written_1h_tokens
        else:
            written, written_1h = observed.written_tokens, observed.written_1h_tokens or 0
        return self.pricer.input_cost(facts.provider, facts.model, observed.prompt_tokens,
                                      observed.cached_tokens, written, written_1h)

    def _calibrate(self, replayed: Replayed, facts: RowFacts, observed: ObservedUsage,
                   predicted: int) -> None:
        self._observed_rows += 1
        self._observed_prompt += observed.prompt_tokens
        self._observed_cached += observed.cached_tokens
        error = predicted - observed.cached_tokens
        self._error_sum += error
        self._abs_error_sum += abs(error)
        if error == 0:
            self._exact += 1
            return
        reason, explanation = _explain(replayed, observed, predicted, self.lifetime_note)
        self._reasons[reason] += 1
        if len(self._disagreements) < MAX_DISAGREEMENTS_LISTED:
            self._disagreements.append(Disagreement(facts.location, observed.cached_tokens,
                                                    predicted, reason, explanation))

    def result(self) -> Savings:
        """The totals."""
        savings = self._cost_predicted - self._cost_fixed
        calibration = None
        if self._observed_rows:
            rows = self._observed_rows
            calibration = Calibration(
                requests=rows,
                exact=self._exact,
                mean_error=round(self._error_sum / rows, 2),
                mean_absolute_error=round(self._abs_error_sum / rows, 2),
                by_reason=tuple(sorted(self._reasons.items())),
                disagreements=tuple(sorted(self._disagreements,
                                           key=lambda d: (d.location.file, d.location.line))),
            )
        return Savings(
            price_data=self.pricer.data_label(),
            lifetime_note=self.lifetime_note,
            cost_usd=self._cost,
            cost_after_fixes_usd=self._cost - savings,
            savings_usd=savings,
            unpriced_requests=sum(self._unpriced.values()),
            unpriced_models=tuple(sorted(self._unpriced)),
            hit_rate_predicted=_share(self._cached, self._prompt),
            hit_rate_after_fixes=_share(self._fixed_cached, self._fixed_prompt),
            hit_rate_observed=(_share(self._observed_cached, self._observed_prompt)
                               if self._observed_rows else None),
            savings_by_rule=tuple(sorted((code, usd, int(tokens))
                                         for code, (usd, tokens) in self._by_rule.items())),
            calibration=calibration,
            hit_rate_predicted_low=(_share(self._cached_low, self._prompt)
                                    if self._cached_low != self._cached else None),
            base_priced=self.pricer.base_priced(),
            lifetime_costs=tuple(sorted(self._lifetime_costs.items())),
            cache_calibration=self._cache_calibration.result(),
        )


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _explain(replayed: Replayed, observed: ObservedUsage, predicted: int,
             lifetime_note: str) -> tuple[str, str]:
    counted = ""
    if observed.prompt_tokens != replayed.prompt_tokens:
        counted = (f" (promptcache counts {replayed.prompt_tokens} prompt tokens, the provider "
                   f"{observed.prompt_tokens})")
    rejected = replayed.predictions[BASE][1].rejected
    if rejected:
        return "rejected", (
            f"promptcache predicts the API rejects this request's cache settings ({rejected}), "
            "so nothing is read or written" + counted)
    if observed.cached_tokens > predicted:
        if not replayed.prefix_seen_before:
            return "warm-start", (
                "the provider already held this prefix, cached before the log begins or by "
                "traffic not in the log" + counted)
        if replayed.prefix_expired:
            why = (" (an explicit cache entry lives its lifetime from its last use; a "
                   "breakpoint's ttl sets 5m or 1h)" if replayed.lifetimes
                   else " (OpenAI keeps prefixes up to an hour off-peak)")
            return "outlived-lifetime", (
                f"the provider kept the prefix longer than the {lifetime_note} the model "
                "assumes" + why + counted)
        return "longer-match", "the provider matched a longer prefix than predicted" + counted
    if observed.cached_tokens == 0:
        return "best-effort-miss", (
            "an identical prefix was sent within the lifetime but not served from the cache "
            "(another machine, an eviction, or a request in flight): provider caches are "
            "best-effort" + counted)
    low = replayed.predictions[BASE][1].cached_tokens_low
    if low <= observed.cached_tokens:  # and above 0, below the prediction
        return "image-boundary", (
            "the cached prefix runs into an image, where the provider's cache boundary is not "
            f"known: promptcache predicts {low:,} to {predicted:,} cached tokens (the low end "
            "stops before the first image, the high end is the 128-token floor of the shared "
            "prefix), and the provider's figure is in that range" + counted)
    return "shorter-match", "the provider served a shorter prefix than predicted" + counted
