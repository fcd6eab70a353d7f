"""cache-key-missing (PC403): a busy shared prefix is sent without `prompt_cache_key`.

## What it detects
Requests without `prompt_cache_key`, from more than one conversation, that share a cacheable
prefix and arrive faster than `max-per-minute`, measured over the latest eight such requests
to the model (eight within 28 s is 15 a minute).

## Why it breaks the cache
OpenAI routes a request by a hash of its first ~256 tokens, plus `prompt_cache_key` when set.
One machine serves about 15 requests a minute for one prefix and key; beyond that, requests
overflow to other machines, which do not hold the prefix (a miss on each), and every
conversation's later turns land on whichever machine is free rather than the one holding its
history. With a key per conversation or tenant, the traffic of a shared system prompt spreads
over several routes and each conversation keeps returning to its own.

The overflow happens inside the provider and a log does not show it, so this is advice
(info), not a measured loss; when the log records usage, low cached tokens on these requests
confirm it.

## Example
```text
09:00:01  support bot, 2,900-token system prompt + tools, conversation A, no key
09:00:03  same prefix, conversation B, no key
...        eight requests in 20 s: about 21 a minute on one route
```

## Use instead
Set `prompt_cache_key` to something stable that splits the traffic: the conversation, user or
tenant id. Requests with the same key and prefix still share a cache; different keys spread
the load so each stays under the limit.

## Will not fire on
- Providers whose cache is explicit (Anthropic): they have no `prompt_cache_key`.
- Logs without timestamps.
- Requests that set `prompt_cache_key` (see cache-key-hot, PC405, for a key that is too busy).
- Traffic at or below `max-per-minute` for one prefix, or fewer than eight requests sharing a
  cacheable prefix among the latest requests to the model.
- A single conversation sending fast (each request continues the previous ones): a key per
  conversation would not split it.

## Options
- `max-per-minute` (default 15): the rate one prefix (and key) can carry before requests
  overflow to other machines.
"""

from __future__ import annotations

from collections.abc import Iterator

from promptcache.engine.findings import Hit, Severity
from promptcache.engine.rule_api import Context, Group, Rule
from promptcache.rules._breakpoints import explicit
from promptcache.rules._traffic import (
    RATE_SAMPLE,
    body_path,
    cacheable,
    continues,
    per_minute,
    timestamp,
)
from promptcache.tokens.counting import CountedRequest
from promptcache.tokens.prefix import SharedPrefix


def check(context: Context) -> Iterator[Hit]:
    """A hit when keyless requests sharing this request's prefix arrive too fast."""
    current = context.current
    now = timestamp(current)
    if now is None or current.request.cache_key or explicit(current):
        return  # an explicit cache (Anthropic) has no prompt_cache_key to set
    limit = float(context.options["max-per-minute"])
    # Cheap first: enough keyless, timed requests to the model within the window at all.
    window = (RATE_SAMPLE - 1) * 60.0 / limit
    candidates = [(neighbor, sent) for neighbor in context.neighbors
                  if not neighbor.request.cache_key
                  and (sent := timestamp(neighbor)) is not None and 0 <= now - sent < window]
    if len(candidates) < RATE_SAMPLE - 1:
        return
    rules = current.facts.cache
    sharing: list[tuple[CountedRequest, float, SharedPrefix]] = []
    for neighbor, sent in candidates:
        shared = context.shared_with(neighbor)
        if cacheable(shared.tokens, rules):
            sharing.append((neighbor, sent, shared))
    sample = sharing[-(RATE_SAMPLE - 1):]
    if len(sample) < RATE_SAMPLE - 1:
        return
    span = now - min(sent for _, sent, _ in sample)
    rate = per_minute(RATE_SAMPLE, span)
    if rate <= limit:
        return
    if all(continues(neighbor, shared) for neighbor, _, shared in sample):
        return
    common = min(shared.tokens for _, _, shared in sample)
    model = current.request.model or "an unnamed model"
    yield Hit(
        location=current.request.location,
        path=body_path(current.request),
        group=model,
        message=(f"{RATE_SAMPLE} requests without prompt_cache_key sharing their first "
                 f"{common:,}+ tokens were sent in {span:,.0f} s (about {rate:,.0f} per "
                 f"minute), above the {limit:g} per minute one machine serves for a prefix: "
                 "the rest overflow to machines that do not hold it"),
        fix=("Set prompt_cache_key to a stable id that splits the traffic (conversation, user "
             f"or tenant), so each key stays under {limit:g} requests per minute and each "
             "conversation returns to the machine holding its prefix."),
        tokens_at_risk=cacheable(max(shared.tokens for _, _, shared in sample), rules),
        snippet=f"{RATE_SAMPLE} requests in {span:,.0f} s, no prompt_cache_key",
        measure=round(rate),
    )


def summarize(group: Group) -> str:
    """How many keyless requests came at a rate above the limit."""
    if group.measure_min == group.measure_max:
        rates = f"about {group.measure_min:,}"
    else:
        rates = f"{group.measure_min:,} to {group.measure_max:,}"
    return (f"{group.occurrences:,} requests without prompt_cache_key came while their shared "
            f"prefix arrived at {rates} requests per minute, more than one machine serves for "
            "a prefix: the excess overflows to machines that do not hold it")


RULE = Rule(
    code="PC403",
    name="cache-key-missing",
    severity=Severity.INFO,
    summary="A busy shared prefix is sent without prompt_cache_key, so it overflows.",
    check=check,
    options={"max-per-minute": 15},
    options_schema={"max-per-minute": {"type": "number", "exclusiveMinimum": 0}},
    summarize=summarize,
)
