"""parallel-burst (PC402): requests sharing a prefix are sent at once, before it is cached.

## What it detects
Requests to the same model that share a cacheable prefix and were sent less than
`window-seconds` apart: a fan-out (parallel tool calls, a batch of documents against one long
instruction, several agents started together). The first request of such a burst writes the
prefix to the cache only as it is processed, so the others, already on their way, miss it.

## Why it breaks the cache
A prefix is cached once a request carrying it has been processed. Ten requests fired in the
same second with a shared 5,000-token preamble pay for all ten preambles in full; fired one
after the first has come back, nine of them would read it from the cache.

## Example
```text
12:00:00.05  summarize chunk 1 of report.pdf   (4,800-token instructions + chunk)
12:00:00.07  summarize chunk 2 of report.pdf   (same 4,800 tokens + chunk)
12:00:00.08  summarize chunk 3 of report.pdf   ...
```

## Use instead
Send one request first and start the rest when its response (or its first streamed token)
arrives, or warm the cache with one small request carrying the shared prefix before the
fan-out. For large offline fan-outs, the Batch API is cheaper still.

## Will not fire on
- Logs without timestamps.
- Requests sent `window-seconds` or more apart.
- Requests that share less than the model's minimum with the earlier one (nothing cacheable).
- A prefix already cached: when a request sent earlier than the burst, and still within the
  cache lifetime, shares as much of it, nothing was lost.
- A next turn that carries the earlier request's reply (an agent loop answering fast): it was
  sent after that request finished, so the prefix was already written.

## Options
- `window-seconds` (default 1.0): requests less than this far apart count as sent at once.
"""

from __future__ import annotations

from collections.abc import Iterator

from promptcache.engine.findings import Hit, Severity
from promptcache.engine.rule_api import Context, Group, Rule
from promptcache.rules._traffic import cacheable, replies_to, timestamp
from promptcache.tokens.counting import CountedRequest
from promptcache.tokens.prefix import SharedPrefix


def check(context: Context) -> Iterator[Hit]:
    """A hit when an earlier request with the same cacheable prefix is still in flight."""
    current = context.current
    now = timestamp(current)
    if now is None:
        return
    window = float(context.options["window-seconds"])
    # Logs in completion order may list a burst out of send order: either side counts.
    in_flight = [(neighbor, sent) for neighbor in context.neighbors
                 if (sent := timestamp(neighbor)) is not None and abs(now - sent) < window]
    if not in_flight:
        return
    rules = current.facts.cache
    burst: tuple[CountedRequest, float, SharedPrefix] | None = None
    for neighbor, sent in in_flight:
        shared = context.shared_with(neighbor)
        if replies_to(current, neighbor, shared):
            continue
        if burst is None or shared.tokens > burst[2].tokens:
            burst = (neighbor, sent, shared)
    if burst is None:
        return
    earlier, earlier_sent, shared = burst
    in_burst = cacheable(shared.tokens, rules)
    if in_burst == 0:
        return
    # What requests sent before the burst, still within the lifetime, had already cached.
    written = 0
    lifetime = context.lifetime_seconds
    seen: set[int] = set()
    for before in (*context.history, *context.neighbors):
        sent = timestamp(before)
        if sent is None or id(before) in seen or not window <= now - sent <= lifetime:
            continue
        seen.add(id(before))
        written = max(written, cacheable(context.shared_with(before).tokens, rules))
    lost = in_burst - written
    if lost <= 0:
        return
    delay = abs(now - earlier_sent)
    when = "at the same time as" if delay < 0.005 else f"{delay:.2f} s apart from"
    model = current.request.model or "an unnamed model"
    yield Hit(
        location=current.request.location,
        path="$.timestamp",
        group=model,
        message=(f"sent {when} a request that shares its first "
                 f"{shared.tokens:,} tokens, before that one could write them to the cache: "
                 f"{lost:,} tokens paid in full (parallel fan-out)"),
        fix=("Send one request first and start the others when its response arrives (or warm "
             "the cache with one request carrying the shared prefix), so they read the prefix "
             "it wrote."),
        tokens_at_risk=lost,
        snippet=f"{delay:.2f} s apart, {shared.tokens:,} tokens shared",
        compared_with=earlier.request.location,
        measure=shared.tokens,
        against=earlier,
    )


def summarize(group: Group) -> str:
    """How many requests were sent while a request with their prefix was still in flight."""
    if group.measure_min == group.measure_max:
        shared = f"{group.measure_min:,} tokens"
    else:
        shared = f"{group.measure_min:,} to {group.measure_max:,} tokens"
    return (f"{group.occurrences:,} requests were sent while an earlier request sharing "
            f"{shared} of their prefix was still in flight (parallel fan-out): what was not "
            "already cached was paid in full")


RULE = Rule(
    code="PC402",
    name="parallel-burst",
    severity=Severity.WARNING,
    summary="Requests sharing a cacheable prefix are sent at once, before it is cached.",
    check=check,
    options={"window-seconds": 1.0},
    options_schema={"window-seconds": {"type": "number", "exclusiveMinimum": 0}},
    summarize=summarize,
)
