"""A one-line chart of the cache hit rate over time, for the terminal report."""

from __future__ import annotations

from collections.abc import Sequence

from promptcache.report.charts import Charts

BLOCKS = "▁▂▃▄▅▆▇█"
"""Eight heights: a share of 0 is the lowest block, 1 the full one."""
GAP = " "
"""A span with no prompt tokens."""


def sparkline(shares: Sequence[float | None]) -> str:
    """One character per share (0 to 1): a block as high as the share, or a gap for None."""
    top = len(BLOCKS) - 1
    return "".join(GAP if share is None
                   else BLOCKS[min(top, max(0, round(share * top)))] for share in shares)


def hit_rate_line(charts: Charts) -> str | None:
    """The predicted hit rate per span of the log as a sparkline, with its lowest and highest
    values; None when there are fewer than two spans (nothing to see over time)."""
    buckets = charts.buckets
    if len(buckets) < 2:
        return None
    shares = [bucket.predicted_cached_tokens / bucket.prompt_tokens if bucket.prompt_tokens
              else None for bucket in buckets]
    known = [share for share in shares if share is not None]
    if not known:
        return None
    axis = "over time" if charts.axis == "time" else "in log order"
    return (f"{sparkline(shares)} {min(known):.0%} to {max(known):.0%}, predicted, "
            f"{axis} ({len(buckets)} spans)")
