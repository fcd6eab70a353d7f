"""A one-line chart of the cache hit rate over time, for the terminal report."""

from __future__ import annotations

from collections.abc import Sequence

from promptcache.report.charts import Charts, even_spans

BLOCKS = "▁▂▃▄▅▆▇█"
"""Eight heights: a share of 0 is the lowest block, 1 the full one."""
GAP = "·"
"""A span with no requests (not a space: the line must not wrap there)."""


def sparkline(shares: Sequence[float | None]) -> str:
    """One character per share (0 to 1): a block as high as the share, or a gap for None."""
    top = len(BLOCKS) - 1
    return "".join(GAP if share is None
                   else BLOCKS[min(top, max(0, round(share * top)))] for share in shares)


def hit_rate_line(charts: Charts) -> str | None:
    """The predicted hit rate per span of the log as a sparkline (one character a span, a dot
    for a span without requests), then a line with its lowest and highest values and the
    spans' width; None when there are fewer than two spans (nothing to see over time)."""
    buckets = charts.buckets
    if len(buckets) < 2:
        return None
    known = [bucket.predicted_cached_tokens / bucket.prompt_tokens if bucket.prompt_tokens
             else None for bucket in buckets]
    slots = even_spans([bucket.start for bucket in buckets], charts.bucket_width)
    shares: list[float | None] = [None] * (slots[-1] + 1)  # quiet spans as gaps
    for slot, share in zip(slots, known, strict=True):
        shares[slot] = share
    rates = [share for share in known if share is not None]
    if not rates:
        return None
    axis = "over time" if charts.axis == "time" else "in log order"
    return (f"{sparkline(shares)}\n{min(rates):.0%} to {max(rates):.0%} predicted, {axis}, "
            f"{len(shares)} spans of {_width(charts)}")


def _width(charts: Charts) -> str:
    """A span's width as people say it: ``32 s``, ``17 min``, ``1.5 h``, ``3 requests``."""
    width = charts.bucket_width
    if charts.axis != "time":
        return f"{width:g} request{'s' if width != 1 else ''}"
    for unit, size in (("d", 86_400.0), ("h", 3_600.0), ("min", 60.0)):
        if width >= size:
            return f"{width / size:.3g} {unit}"
    return f"{width:g} s"
