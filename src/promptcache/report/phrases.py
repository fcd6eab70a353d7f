"""Wording the text formats share, so they state the same figures the same way, and the one
rule for text that comes from a log: it shows as one printable line."""

from __future__ import annotations

import re
from dataclasses import replace

from promptcache.calibration import CacheCalibration, ChangeSeen, ModelCalibration
from promptcache.catalog import FINE_TUNED
from promptcache.estimates import EstimateGroup
from promptcache.report.model import ErrorRow, Report, Summary
from promptcache.savings import Savings

MAX_MESSAGE_CHARS = 300
"""An error message is cut after this many characters (a record's keys, or a value quoted in
a message, can be any length)."""

_SPACE = re.compile(r"\s+")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def plural(count: int, noun: str, *, grouped: bool = False) -> str:
    """``1 finding``, ``2 findings``, ``0 findings``; ``grouped`` writes thousands separators
    (for people, not for grep)."""
    number = f"{count:,}" if grouped else str(count)
    return f"{number} {noun}" if count == 1 else f"{number} {noun}s"


def accounting(summary: Summary, *, grouped: bool = False) -> str:
    """``2 requests audited of 3 records read (1 invalid)``: every record is audited, invalid
    or a call deliberately skipped (``(1 invalid, 2 skipped: answered by LiteLLM's cache)``).
    ``grouped`` writes thousands separators (for people, not for grep)."""
    invalid = f"{summary.invalid_records:,}" if grouped else str(summary.invalid_records)
    skipped = ""
    if summary.skipped:
        total = sum(count for _, count in summary.skipped)
        skipped = (f", {total:,}" if grouped else f", {total}") + " skipped: " + "; ".join(
            f"{reason} {count:,}" if grouped else f"{reason} {count}"
            for reason, count in summary.skipped)
    phrase = (f"{plural(summary.requests_audited, 'request', grouped=grouped)} audited of "
              f"{plural(summary.records_read, 'record', grouped=grouped)} read "
              f"({invalid} invalid{skipped})")
    if summary.unread:
        phrase += f"; {not_read(summary, grouped=grouped)}"
    if summary.suppressed_inline:
        phrase += (f"; {plural(summary.suppressed_inline, 'finding', grouped=grouped)} "
                   "suppressed inline")
    return phrase


def findings_count(report: Report) -> str:
    """``1 finding in 1 request audited of 1 record read (0 invalid)``: the closing line of
    the line-oriented formats."""
    return f"{plural(len(report.findings), 'finding')} in {accounting(report.summary)}"


def unpriced_note(summary: Summary) -> str:
    """``totals leave out 3 requests to unpriced models: my-model`` ('' when every request
    has a price): dollar totals count priced requests only, and say so."""
    savings = summary.savings
    if not savings.unpriced_requests:
        return ""
    return (f"totals leave out {plural(savings.unpriced_requests, 'request', grouped=True)} to "
            f"unpriced models: {', '.join(savings.unpriced_models)}")


def token_range(low: int | None, high: int | None) -> str:
    """``85 to 1,445 tokens``, ``at least 10 tokens``, ``no bound``: the range an estimated
    count (or part) lies in."""
    if low is None:
        return "no bound"
    if high is None:
        return f"at least {low:,} tokens" if low else "no upper bound"
    return f"{low:,} tokens" if low == high else f"{low:,} to {high:,} tokens"


def estimate_group(group: EstimateGroup) -> str:
    """``a remote image of unknown size: 2 requests (85 to 1,445 tokens each)``."""
    each = token_range(group.low, group.high)
    each += " each" if each.endswith("tokens") else ""
    return f"{group.reason}: {plural(group.requests, 'request', grouped=True)} ({each})"


def estimates_line(summary: Summary) -> str:
    """``2 requests counted by estimate: <group>; <group>`` ('' when every count is exact):
    the one summary line of the line-oriented formats."""
    if not summary.estimated_requests:
        return ""
    return (f"{plural(summary.estimated_requests, 'request', grouped=True)} counted by "
            "estimate: " + "; ".join(map(estimate_group, summary.estimates)))


def worst_miss(row: ModelCalibration) -> str:
    """``log.jsonl:3 (+12)``, or ``none`` when every count is exact."""
    return "none" if row.worst is None else f"{row.worst} ({row.worst_error:+,})"


def resolved_model(model: str, counted_as: str, why: str) -> str:
    """Why ``model`` was counted as ``counted_as``, in a sentence."""
    if why == FINE_TUNED:
        return (f"{model} is fine-tuned from {counted_as}: counted with that model's "
                "tokenizer, framing and cache minimum")
    return (f"{model} is not a model promptcache knows (an Azure deployment name?): counted "
            f"as {counted_as}, the model the response names")


def base_priced(model: str, priced_as: str) -> str:
    """Why ``model`` has ``priced_as``'s price, in a sentence."""
    return (f"{model} is priced at its base model's rates ({priced_as}): the price data has "
            "no price for it, and fine-tuned models usually cost more")


def change_note(seen: ChangeSeen) -> str:
    """``1 request logged before 2026-03-31 misses by +1, a known counting change (<what>):
    counted as the API counts today, not a miscount``."""
    change = seen.change
    return (f"{plural(seen.requests, 'request', grouped=True)} logged before {change.since} "
            f"{'misses' if seen.requests == 1 else 'miss'} by {change.tokens:+,}, a known "
            f"counting change ({change.what}): counted as the API counts today, not a "
            "miscount")


def nothing_priced(summary: Summary) -> bool:
    """True when requests were audited but none has a price: there is no dollar figure."""
    return summary.savings.unpriced_requests >= summary.requests_audited > 0


def not_read(summary: Summary, *, grouped: bool = False) -> str:
    """``not read: 1234 bytes of a.json from line 5``: damaged files' ends, left out of every
    count (the audit is incomplete)."""
    size = "{:,}" if grouped else "{}"
    return "not read: " + ", ".join(
        f"{size.format(part.size)} bytes of {part.file} from line {part.line}"
        for part in summary.unread)


def error_location(error: ErrorRow) -> str:
    """``file:line``, or the file alone for a problem with the whole file (line 0)."""
    return f"{error.file}:{error.line}" if error.line else error.file


def one_line(text: str, limit: int | None = MAX_MESSAGE_CHARS) -> str:
    """``text`` as one printable line: runs of whitespace (newlines too) become one space,
    other control characters (escape sequences that would recolour a terminal or move its
    cursor) are shown as ``\\x1b``, and text past ``limit`` characters is cut, saying how
    much."""
    text = _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}",
                        _SPACE.sub(" ", text).strip())
    if limit is not None and len(text) > limit:
        text = f"{text[:limit]}… ({len(text) - limit:,} more characters)"
    return text


def printable_errors(report: Report) -> Report:
    """``report`` with every error message made :func:`one_line`, for every format alike."""
    return replace(report, errors=tuple(replace(error, message=one_line(error.message))
                                        for error in report.errors))


def lifetime_line(savings: Savings) -> str:
    """Which cache lifetime pays for the traffic, in one sentence ('' without an explicit
    cache)."""
    costs = dict(savings.lifetime_costs)
    if not costs:
        return ""
    five, hour = costs.get("5m", 0.0), costs.get("1h", 0.0)
    pays = savings.lifetime_that_pays
    return (f"with every breakpoint at 5m the input would cost {_dollars(five)}, at 1h "
            f"{_dollars(hour)}: {pays} pays for this traffic")


def _dollars(value: float) -> str:
    # Four decimals below a dollar: a test log's cost is a fraction of a cent.
    return f"${value:,.2f}" if abs(value) >= 1 else f"${value:,.4f}"


CACHE_CALIBRATION_TITLE = ("Cache reads and writes vs the provider's usage (predicted / "
                           "observed tokens)")
CACHE_CALIBRATION_COLUMNS = ("requests", "reads exact", "reads within 5%", "reads",
                             "writes exact", "writes within 5%", "writes")


def cache_calibration_cells(row: CacheCalibration) -> tuple[str, ...]:
    """The cells after the model's for one row of the cache calibration table."""
    writes = f"{row.writes_exact:,} of {row.writes_requests:,}"
    writes_near = f"{row.writes_within_5pct:,} of {row.writes_requests:,}"
    return (f"{row.requests:,}", f"{row.reads_exact:,}", f"{row.reads_within_5pct:,}",
            f"{row.predicted_read_tokens:,} / {row.observed_read_tokens:,}", writes,
            writes_near,
            f"{row.predicted_written_tokens:,} / {row.observed_written_tokens:,}")


def predicted_rate(savings: Savings) -> str:
    """``37.1%``, or ``14.6-37.1%`` when some predictions are ranges (a cached prefix running
    into an image, whose cache boundary is not known)."""
    low = savings.hit_rate_predicted_low
    high = f"{savings.hit_rate_predicted:.1%}"
    return high if low is None else f"{low * 100:.1f}-{high}"
