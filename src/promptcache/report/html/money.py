"""Dollars at the log's traffic rate: what the log cost over the span it covers, projected per
day and per month."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SECONDS_PER_DAY = 86_400.0
DAYS_PER_MONTH = 30.0
"""A billing month, as providers' usage pages show one."""


def log_days(document: Mapping[str, Any]) -> float | None:
    """The days between the log's first and last request; None when the log does not say
    when its requests were sent, or they were all sent at one moment (no rate to project)."""
    charts = document.get("charts")
    if not charts or charts["first_time"] is None or charts["last_time"] is None:
        return None
    span = float(charts["last_time"]) - float(charts["first_time"])
    return span / SECONDS_PER_DAY if span > 0 else None


def per_day(usd: float, days: float | None) -> float | None:
    """``usd`` spent over ``days`` as dollars per day (None without a rate)."""
    return None if days is None else usd / days


def dollars(value: float | None) -> str:
    """A dollar figure as the report prints it: cents, or four places below a dollar."""
    if value is None:
        return "n/a"
    return f"${value:,.2f}" if abs(value) >= 1 else f"${value:.4f}"


def span_text(days: float) -> str:
    """How long the log covers, in the unit that reads best: ``40 seconds``, ``3.5 hours``."""
    seconds = days * SECONDS_PER_DAY
    for unit, size in (("days", SECONDS_PER_DAY), ("hours", 3_600.0), ("minutes", 60.0)):
        if seconds >= size:
            return f"{seconds / size:,.1f} {unit}"
    return f"{seconds:,.0f} seconds"
