"""idle-gap (PC401): a stream paused longer than the cache lifetime, so its prefix expired.

## What it detects
Consecutive requests of one stream (a conversation, session, user or cache key) that share a
cacheable prefix but were sent further apart than the cache lifetime (300 s for OpenAI's
in-memory retention, or the lifetime the run is given). The finding gives the gap and the
tokens the later request paid in full. All such gaps to one model are one finding.

## Why it breaks the cache
The provider evicts a prefix nobody has used for a while. A conversation picked up after a
ten-minute pause pays its whole shared history again, as if it had never been sent. Gaps are
usually the shape of the traffic (a user thinking, a nightly job), not a bug: this is advice
on what the pauses cost, not a fault in the prompts.

## Example
```text
10:00:00  session s-17, 3,200 tokens (policy + conversation so far)
10:12:30  session s-17, 3,450 tokens: 750 s later, past 300 s; 3,200 tokens paid in full
```

## Use instead
Nothing, if the pauses are real. If the prefix must stay warm: on models that offer it, ask
for extended retention (`prompt_cache_retention: "24h"`); or schedule the work so requests
sharing a prefix come together. A keep-alive request only pays off when it costs less than
the misses it saves.

## Will not fire on
- Providers whose cache is explicit (Anthropic): each breakpoint sets its own lifetime, 5
  minutes or 1 hour; breakpoint-lifetime-mismatch (PC506) judges those gaps.
- Logs without timestamps (nothing says when requests were sent).
- Gaps within the lifetime.
- Requests that share less than the model's minimum with the previous request of their
  stream (there was nothing cacheable to lose).
- A prefix kept warm by other streams: when recent requests to the same model (within the
  lifetime) share as much of it, only the part that did expire is counted, and nothing is
  reported when none did.

## Options
None.
"""

from __future__ import annotations

from collections.abc import Iterator

from promptcache.engine.findings import Hit, Severity
from promptcache.engine.rule_api import Context, Group, Rule
from promptcache.rules._breakpoints import explicit
from promptcache.rules._traffic import cacheable, duration, timestamp


def check(context: Context) -> Iterator[Hit]:
    """A hit when the previous request of the stream is older than the cache lifetime."""
    current = context.current
    now = timestamp(current)
    if now is None or not context.history or explicit(current):
        return  # an explicit cache's lifetime is the breakpoint's own: see PC506
    previous = context.history[-1]
    then = timestamp(previous)
    lifetime = context.lifetime_seconds
    if then is None or now - then <= lifetime:
        return
    rules = current.facts.cache
    expired = cacheable(context.shared_with(previous).tokens, rules)
    if expired == 0:
        return
    # The cache is shared by the organization: another stream may have kept part of the
    # prefix (a common system prompt) warm; only what nobody used in time is lost.
    warm = 0
    for neighbor in context.neighbors:
        sent = timestamp(neighbor)
        if sent is not None and 0 <= now - sent <= lifetime:
            warm = max(warm, cacheable(context.shared_with(neighbor).tokens, rules))
    lost = expired - warm
    if lost <= 0:
        return
    gap = now - then
    model = current.request.model or "an unnamed model"
    yield Hit(
        location=current.request.location,
        path="$.timestamp",
        group=model,
        message=(f"sent {duration(gap)} after the previous request of its stream, past the "
                 f"{duration(lifetime)} cache lifetime: {lost:,} tokens it shares with that "
                 "request had expired and were paid in full (idle gaps are usually traffic, "
                 "not a bug)"),
        fix=("Nothing to fix if the pause is real. To keep the prefix warm, use extended "
             "retention where the model offers it (prompt_cache_retention: \"24h\"), or "
             "schedule requests that share a prefix close together."),
        tokens_at_risk=lost,
        snippet=f"idle {gap:,.0f} s > lifetime {lifetime:,.0f} s",
        compared_with=previous.request.location,
        measure=round(gap),
        against=previous,
    )


def summarize(group: Group) -> str:
    """How many requests came after a gap, and how long the gaps were."""
    if group.measure_min == group.measure_max:
        gaps = duration(group.measure_min)
    else:
        gaps = f"{duration(group.measure_min)} to {duration(group.measure_max)}"
    return (f"{group.occurrences:,} requests were sent {gaps} after the previous request of "
            "their stream, past the cache lifetime: the prefixes they shared had expired and "
            "were paid in full (idle gaps are usually traffic, not a bug)")


RULE = Rule(
    code="PC401",
    name="idle-gap",
    severity=Severity.INFO,
    summary="A stream paused longer than the cache lifetime, so its shared prefix expired.",
    check=check,
    summarize=summarize,
)
