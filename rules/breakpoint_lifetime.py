"""breakpoint-lifetime-mismatch (PC506): the cache lifetime does not fit the traffic.

## What it detects
Two ways the lifetime a request asks for (`cache_control`'s `ttl`) costs more than the other
would, each seen between a request and the previous one of its stream, which re-sends the
previous request's cached prefix unchanged:
- the previous request's 5-minute entry had expired: the request came more than 5 minutes
  but at most an hour later, so it writes again at 1.25x what a 1-hour entry (2x once) would
  have served at 0.1x;
- 1-hour entries in a stream whose requests all come well within 5 minutes of each other:
  each 1-hour write pays 2x where a 5-minute one pays 1.25x and would be read just the same.

The finding gives the gap, the tokens and what the other lifetime would have saved.

## Why it breaks the cache
Anthropic's "Prompt caching" documentation: an entry lives 5 minutes by default, or 1 hour
with `"ttl": "1h"`, each refreshed when read; 1-hour writes cost 2x the input price,
5-minute writes 1.25x, reads 0.1x. A chat whose user answers after 10 minutes loses its
5-minute entry on every turn, while a 1-hour entry pays back its premium from the first
turn it survives; an agent loop that calls back within seconds pays the 1-hour premium for
nothing.

## Example
A support session: turns 7, 12 and 20 minutes apart, each re-sending 8,000 tokens marked with
the default lifetime. Every turn writes 8,000 tokens at 1.25x (10,000 input-token equivalents);
with `"ttl": "1h"` the first writes 8,000 at 2x and later turns read them at 0.1x (800).

## Use instead
`"cache_control": {"type": "ephemeral", "ttl": "1h"}` on the stable part when the gaps between
turns are minutes to an hour (put 1-hour breakpoints before 5-minute ones); the default
5-minute lifetime when the requests come within 5 minutes of each other.

## Will not fire on
- Providers whose cache is implicit (OpenAI: see idle-gap, PC401), and logs without
  timestamps.
- Gaps longer than an hour (no lifetime survives them; idle gaps are traffic, not a bug), and
  requests that do not re-send the previous request's cached prefix.
- 1-hour entries in a stream where any of the gaps it shows (up to the last 8 requests) is
  longer than `short-gap-seconds`, or with fewer than `min-requests` requests seen: the
  1-hour lifetime may be what keeps those alive. An entry that is never read at all is
  breakpoint-on-volatile's (PC501).

## Options
- `short-gap-seconds` (default 240): gaps at most this long count as "well within" the
  5-minute lifetime.
- `min-requests` (default 3): requests of a stream that must be seen, all that close together,
  before 1-hour entries are called unnecessary.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import pairwise

from promptcache.engine.findings import Hit, Severity
from promptcache.engine.rule_api import Context, Rule
from promptcache.rules._breakpoints import (
    LONG_TTL,
    READ_PRICE,
    SHORT_TTL,
    WRITE_PREMIUM,
    Breakpoint,
    explicit,
    layout,
    reader,
    remarked,
    resent_entries,
    summarize_in_requests,
)
from promptcache.rules._traffic import duration, timestamp
from promptcache.tokens.counting import CountedRequest

_EXPIRED = "5-minute entries expire between requests"
_UNUSED = "1-hour entries in a stream that never waits 5 minutes"


def _read_entries(context: Context, previous: CountedRequest) -> list[Breakpoint]:
    """The previous request's entries the current request re-sends and has a breakpoint to
    read (within the lookback)."""
    current = context.current
    marks = layout(current)
    lookback = current.facts.cache.lookback_blocks
    entries = resent_entries(previous, context.shared_with(previous).segments)
    return [entry for entry in entries
            if (block := marks.block_at(entry.segment)) is not None
            and reader(marks, block, lookback) is not None]


def check(context: Context) -> Iterator[Hit]:
    """A hit when the previous request's entries expired within an hour, or when 1-hour
    entries serve a stream that never pauses."""
    current = context.current
    now = timestamp(current)
    if not explicit(current) or now is None or not context.history:
        return
    previous = context.history[-1]
    then = timestamp(previous)
    if then is None or now < then:
        return
    gap = now - then
    rules = current.facts.cache
    entries = _read_entries(context, previous)
    if not entries:
        return
    if rules.lifetime_seconds < gap <= rules.long_lifetime_seconds:
        hit = _expired(context, previous, entries, gap)
    else:
        hit = _unused(context, previous, entries, gap)
    if hit is not None:
        yield hit


def _expired(context: Context, previous: CountedRequest, entries: Sequence[Breakpoint],
             gap: float) -> Hit | None:
    alive = max((entry.prefix_tokens for entry in entries if entry.ttl == LONG_TTL), default=0)
    expired = max((entry.prefix_tokens for entry in entries if entry.ttl == SHORT_TTL),
                  default=0)
    lost = expired - alive
    if lost <= 0:
        return None
    current = context.current
    # Per request like this one: rewriting at the 5-minute price versus reading.
    saved = round(lost * (WRITE_PREMIUM[SHORT_TTL] - READ_PRICE))
    return Hit(
        location=current.request.location,
        path=_first_short_path(current),
        group=_EXPIRED,
        message=(f"sent {duration(gap)} after the previous request (line "
                 f"{previous.request.location.line}), past the 5-minute lifetime of its "
                 f"entry: {lost:,} tokens it re-sends are written again at 1.25x; a 1-hour "
                 f"entry would have been read at 0.1x, {saved:,} input-token equivalents "
                 "less for each turn like this one"),
        fix=('Use "cache_control": {"type": "ephemeral", "ttl": "1h"} on the stable part '
             "when turns come minutes to an hour apart."),
        tokens_at_risk=lost,
        snippet=f"gap {gap:,.0f} s > 5m entry",
        compared_with=previous.request.location,
        measure=round(gap),
        repair=remarked(current, {mark.segment: LONG_TTL
                                  for mark in layout(current).breakpoints}),
        against=previous,
    )


def _first_short_path(counted: CountedRequest) -> str:
    marks = layout(counted).breakpoints
    short = next((mark for mark in marks if mark.ttl == SHORT_TTL), None)
    return (short or marks[0]).reported_path


def _unused(context: Context, previous: CountedRequest, entries: Sequence[Breakpoint],
            gap: float) -> Hit | None:
    current = context.current
    limit = float(context.options["short-gap-seconds"])
    long_marks = [mark for mark in layout(current).breakpoints if mark.ttl == LONG_TTL]
    if not long_marks or gap > limit or not _always_close(context, limit):
        return None
    read = max(entry.prefix_tokens for entry in entries)
    written = max(mark.prefix_tokens for mark in long_marks) - read
    if written <= 0:
        return None  # this request only reads: no premium paid here
    extra = round(written * (WRITE_PREMIUM[LONG_TTL] - WRITE_PREMIUM[SHORT_TTL]))
    seen = len(context.history) + 1
    return Hit(
        location=current.request.location,
        path=long_marks[-1].reported_path,
        group=_UNUSED,
        message=(f"writes {written:,} tokens with the 1-hour lifetime (2x) although each of "
                 f"the last {seen} requests of its stream came within {duration(limit)} of "
                 f"the one before: a 5-minute entry (1.25x) would be read just the same, "
                 f"{extra:,} input-token equivalents less"),
        fix='Use the default 5-minute lifetime ("ttl": "5m") for traffic this close together.',
        tokens_at_risk=0,
        snippet=f"1h writes, gaps <= {limit:,.0f} s",
        compared_with=previous.request.location,
        measure=extra,
        repair=remarked(current, {mark.segment: SHORT_TTL for mark in long_marks}),
        against=previous,
    )


def _always_close(context: Context, limit: float) -> bool:
    """True when the stream shows at least ``min-requests`` requests, each at most ``limit``
    seconds after the one before."""
    requests = [*context.history, context.current]
    if len(requests) < int(context.options["min-requests"]):
        return False
    times = [timestamp(request) for request in requests]
    if any(time is None for time in times):
        return False
    known = [time for time in times if time is not None]
    return all(0 <= later - earlier <= limit for earlier, later in pairwise(known))



RULE = Rule(
    code="PC506",
    name="breakpoint-lifetime-mismatch",
    severity=Severity.INFO,
    summary="The cache lifetime does not fit the traffic: 5m entries expire, or 1h never pays.",
    check=check,
    options={"short-gap-seconds": 240, "min-requests": 3},
    options_schema={"short-gap-seconds": {"type": "number", "minimum": 0, "maximum": 300},
                    "min-requests": {"type": "integer", "minimum": 2}},
    summarize=summarize_in_requests,
)
