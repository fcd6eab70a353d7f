"""Dated per-model input prices, from genai-prices' bundled (offline) data.

Only input is priced: promptcache sees requests, and caching changes nothing about output.
An unknown model is priced as unknown (None), never as $0. Prices are looked up once per model
and date and kept as floats per token, so pricing millions of requests costs arithmetic only;
lookups are also kept in the cache folder per genai-prices version, so a later run on a small
file need not import the price data at all.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from promptcache.cachedir import cache_dir, write_atomically
from promptcache.catalog import is_fine_tuned, resolve_model, without_provider

Price = tuple[float, tuple[tuple[int, float], ...]]
"""USD per million tokens: the base rate, and (threshold, rate) tiers that apply to a whole
request once its input exceeds the threshold (genai-prices' "cliff" tiers)."""


@dataclass(frozen=True, slots=True)
class CachePremiums:
    """What a provider bills cache reads and writes at, as multiples of its input price."""

    checked: str
    """When the multipliers were last checked against the provider's pricing."""
    read: float
    """A token read from the cache."""
    write: float
    """A token written with the default (short) lifetime."""
    write_long: float
    """A token written with the long lifetime."""


CACHE_PREMIUMS: dict[str, CachePremiums] = {
    # Anthropic "Prompt caching" guide, Pricing (checked 2026-12): 5-minute writes 1.25x the
    # base input price, 1-hour writes 2x, reads 0.1x. genai-prices 0.2.5 bundles the same
    # ratios for Claude (claude-sonnet-4-5: input 3, read 0.3, write 3.75, 1h write 6 per
    # MTok; claude-haiku-4-5: 1, 0.1, 1.25, 2), so its prices are used and these multipliers
    # only fill what a price row leaves out (a row with no 1-hour write price).
    "anthropic": CachePremiums("2026-12", read=0.1, write=1.25, write_long=2.0),
}
"""Cache premiums by provider, for prices the price data does not carry."""


@dataclass(frozen=True, slots=True)
class InputRates:
    """Input prices for one model, at one date."""

    model: str
    """The model id genai-prices matched."""
    input: Price
    """Uncached input."""
    cache_read: Price | None
    """Cached input; None when the provider gives no discount (then ``input`` applies)."""
    cache_write: Price | None
    """Writing to the cache, where the provider charges for it; None when writes are free."""
    cache_write_long: Price | None = None
    """Writing with the long lifetime (Anthropic's 1 hour); None when there is none."""


def _per_token(price: Price | None, total_input: int) -> float:
    """One token's price in USD at the tier the request's total input selects."""
    if price is None:
        return 0.0
    base, tiers = price
    applicable = base
    for start, rate in reversed(tiers):
        if total_input > start:
            applicable = rate
            break
    return applicable / 1_000_000


class Pricer:
    """Prices the input side of requests."""

    def __init__(self, when: datetime | None = None) -> None:
        # Prices as of the log's time would need per-request lookups; one date per run keeps
        # the figures comparable. Default: today.
        self._when = when or datetime.now(tz=UTC)
        self._known: dict[tuple[str, str], InputRates | None] = {}
        self._base_priced: dict[str, str] = {}

    @staticmethod
    def data_label() -> str:
        """Which price data this run uses, for the report."""
        return (f"genai-prices {genai_prices_version()}, bundled offline data "
                f"(newest price change in effect: {latest_price_date()})")

    def rates(self, provider: str, model: str) -> InputRates | None:
        """The rates for ``model``, or None when the price data does not know it."""
        # Asked for every request and variant of the replay: looked up once per model.
        key = (provider, model)
        if key not in self._known:
            self._known[key] = self._find(provider, model)
        return self._known[key]

    def base_priced(self) -> tuple[tuple[str, str], ...]:
        """(fine-tuned model, the model it was priced as) for each fine-tuned model the price
        data has no price for, sorted."""
        return tuple(sorted(self._base_priced.items()))

    def _find(self, provider: str, model: str) -> InputRates | None:
        on_date = self._when.date().isoformat()
        # The price data knows fine-tuned names (``ft:gpt-4o-mini-2024-``...), not gateway
        # prefixes: ask for the name without its provider prefix first.
        named = without_provider(model)
        found = _rates(provider, named, on_date)
        base = resolve_model(model)
        if found is None and base != named:
            found = _rates(provider, base, on_date)
            if found is not None and is_fine_tuned(model):
                self._base_priced[model] = found.model
        return found

    def input_cost(self, provider: str, model: str, prompt_tokens: int, cached_tokens: int,
                   written_tokens: int = 0, written_long_tokens: int = 0) -> float | None:
        """USD for the input of one request; None for an unknown model. Of
        ``written_tokens``, ``written_long_tokens`` were written with the long lifetime."""
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
            write_rate = _per_token(rates.cache_write, prompt_tokens)
            cost += written_tokens * (write_rate - input_rate)
            if written_long_tokens and rates.cache_write_long is not None:
                cost += written_long_tokens * (
                    _per_token(rates.cache_write_long, prompt_tokens) - write_rate)
        return cost


def _rates(provider: str, model: str, on_date: str) -> InputRates | None:
    key = f"{provider}|{model}|{on_date}"
    store = _store()
    if key not in store.rates:
        store.rates[key] = _lookup(provider, model, on_date)
        store.dirty = True
    entry = store.rates[key]
    base = None if entry is None else _price(entry["input"])
    if entry is None or base is None:
        return None
    long_write = _price(entry.get("cache_write_1h"))
    premiums = CACHE_PREMIUMS.get(provider)
    if long_write is None and premiums is not None:
        long_write = _scaled(base, premiums.write_long)
    return InputRates(entry["model"], base, _price(entry["cache_read"]),
                      _price(entry["cache_write"]), long_write)


def _scaled(price: Price, factor: float) -> Price:
    base, tiers = price
    return base * factor, tuple((start, rate * factor) for start, rate in tiers)


def _price(value: Any) -> Price | None:
    if value is None:
        return None
    base, tiers = value
    return float(base), tuple((int(start), float(rate)) for start, rate in tiers)


def _lookup(provider: str, model: str, on_date: str) -> dict[str, Any] | None:
    """Ask genai-prices (a third of a second to import: only on a cache miss)."""
    from genai_prices.data_snapshot import get_snapshot

    try:
        _, info = get_snapshot().find_provider_model(model, None, provider, None)
    except LookupError:
        return None
    prices = info.get_prices(datetime.fromisoformat(on_date).replace(tzinfo=UTC))
    if getattr(prices, "input_mtok", None) is None:
        return None
    return {
        "model": info.id,
        "input": _plain(prices.input_mtok),
        "cache_read": _plain(getattr(prices, "cache_read_mtok", None)),
        "cache_write": _plain(getattr(prices, "cache_write_mtok", None)),
        "cache_write_1h": _plain(getattr(prices, "cache_write_1h_mtok", None)),
    }


@cache
def genai_prices_version() -> str:
    """The installed genai-prices' version (it names the price cache and the report's data)."""
    return installed_version("genai-prices", "genai_prices")


def installed_version(distribution: str, package: str) -> str:
    """The version of ``distribution``, which installs ``package``: read from the name of its
    ``.dist-info`` folder beside the package, as pip writes it. Only where there is none (an
    egg, a zip) from importlib.metadata, which costs an import and a scan of every path entry
    (35-52 ms in a fresh process, against 0.3-0.55 ms here: a tenth of a pre-commit run)."""
    spec = find_spec(package)
    if spec is not None and spec.submodule_search_locations:
        site = Path(next(iter(spec.submodule_search_locations))).parent
        prefix = f"{distribution.replace('-', '_')}-"
        try:
            with os.scandir(site) as entries:
                for entry in entries:
                    name = entry.name
                    if name.startswith(prefix) and name.endswith(".dist-info"):
                        return name[len(prefix):-len(".dist-info")]
        except OSError:
            pass
    from importlib.metadata import version

    return version(distribution)


def _plain(price: Any) -> list[Any] | None:
    if price is None:
        return None
    if isinstance(price, Decimal):
        return [str(price), []]
    return [str(price.base), [[tier.start, str(tier.price)] for tier in price.tiers]]


class _Store:
    """Price lookups remembered across runs, per genai-prices version."""

    def __init__(self) -> None:
        self.version = genai_prices_version()
        folder = cache_dir()
        self.path = None if folder is None else folder / f"prices-genai-{self.version}.json"
        self.rates: dict[str, dict[str, Any] | None] = {}
        self.latest: str | None = None
        self.dirty = False
        if self.path is not None:
            try:
                saved = json.loads(self.path.read_text("utf-8"))
                self.rates = dict(saved["rates"])
                self.latest = saved.get("latest")
            except (OSError, ValueError, KeyError, TypeError):
                self.rates, self.latest = {}, None

    def save(self) -> None:
        if self.dirty and self.path is not None:
            text = json.dumps({"rates": self.rates, "latest": self.latest}, sort_keys=True)
            write_atomically(self.path, text.encode())
            self.dirty = False


@cache
def _store() -> _Store:
    return _Store()


def save_price_cache() -> None:
    """Keep this run's lookups for the next run."""
    _store().save()


def latest_price_date() -> str:
    """The newest price change in the bundled data that is already in effect (the data also
    carries announced future changes)."""
    store = _store()
    if store.latest is None:
        store.latest = _latest_price_date()
        store.dirty = True
    return store.latest


def _latest_price_date() -> str:
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
