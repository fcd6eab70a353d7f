"""Dated per-model input prices, from genai-prices' bundled (offline) data.

Only input is priced: promptcache sees requests, and caching changes nothing about output.
An unknown model is priced as unknown (None), never as $0. Prices are looked up once per model
and date and kept as floats per token, so pricing millions of requests costs arithmetic only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from importlib.metadata import version
from typing import Any


@dataclass(frozen=True, slots=True)
class InputRates:
    """USD per million input tokens for one model, at one date."""

    model: str
    """The model id genai-prices matched."""
    input: Any
    """Uncached input (a Decimal, or genai-prices' TieredPrices)."""
    cache_read: Any
    """Cached input; None when the provider gives no discount (then ``input`` applies)."""
    cache_write: Any
    """Writing to the cache, where the provider charges for it; None when writes are free."""


def _per_token(price: Any, total_input: int) -> float:
    """One token's price in USD at a tier chosen by the request's total input."""
    if price is None:
        return 0.0
    if isinstance(price, Decimal):
        return float(price) / 1_000_000
    applicable = price.base
    for tier in reversed(price.tiers):  # genai-prices' "cliff" tiers: the whole request moves
        if total_input > tier.start:
            applicable = tier.price
            break
    return float(applicable) / 1_000_000


class Pricer:
    """Prices the input side of requests."""

    def __init__(self, when: datetime | None = None) -> None:
        # Prices as of the log's time would need per-request lookups; one date per run keeps
        # the figures comparable. Default: today.
        self._when = when or datetime.now(tz=UTC)

    @staticmethod
    def data_label() -> str:
        """Which price data this run uses, for the report."""
        return (f"genai-prices {version('genai-prices')}, bundled offline data "
                f"(newest price change in effect: {latest_price_date()})")

    def rates(self, provider: str, model: str) -> InputRates | None:
        """The rates for ``model``, or None when the price data does not know it."""
        return _rates(provider, model.strip().lower(), self._when.date().isoformat())

    def input_cost(self, provider: str, model: str, prompt_tokens: int, cached_tokens: int,
                   written_tokens: int = 0) -> float | None:
        """USD for the input of one request; None for an unknown model."""
        rates = self.rates(provider, model)
        if rates is None:
            return None
        uncached = prompt_tokens - cached_tokens
        input_rate = _per_token(rates.input, prompt_tokens)
        read_rate = (_per_token(rates.cache_read, prompt_tokens)
                     if rates.cache_read is not None else input_rate)
        cost = uncached * input_rate + cached_tokens * read_rate
        if rates.cache_write is not None and written_tokens:
            # A written token is billed at the write price instead of the input price.
            cost += written_tokens * (_per_token(rates.cache_write, prompt_tokens) - input_rate)
        return cost


@cache
def _rates(provider: str, model: str, on_date: str) -> InputRates | None:
    from genai_prices.data_snapshot import get_snapshot

    snapshot = get_snapshot()
    try:
        _, info = snapshot.find_provider_model(model, None, provider, None)
    except LookupError:
        return None
    prices = info.get_prices(datetime.fromisoformat(on_date).replace(tzinfo=UTC))
    if getattr(prices, "input_mtok", None) is None:
        return None
    return InputRates(
        model=info.id,
        input=prices.input_mtok,
        cache_read=getattr(prices, "cache_read_mtok", None),
        cache_write=getattr(prices, "cache_write_mtok", None),
    )


@cache
def latest_price_date() -> str:
    """The newest price change in the bundled data that is already in effect (the data also
    carries announced future changes)."""
    from genai_prices import data

    source = open(data.__file__, encoding="utf-8").read()  # noqa: SIM115 - read once
    dates = re.findall(r"date\((\d{4}), (\d{1,2}), (\d{1,2})\)", source)
    if not dates:
        return "undated"
    today = datetime.now(tz=UTC).date()
    effective = [(int(y), int(m), int(d)) for y, m, d in dates
                 if (int(y), int(m), int(d)) <= (today.year, today.month, today.day)]
    if not effective:
        return "undated"
    year, month, day = max(effective)
    return f"{year:04d}-{month:02d}-{day:02d}"
