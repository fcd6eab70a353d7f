"""cache-key-hot (PC405): one `prompt_cache_key` carries more requests than a machine serves.

## What it detects
A `prompt_cache_key` whose requests, sharing a cacheable prefix and coming from more than one
conversation, arrive faster than `max-per-minute`, measured over the key's latest eight
requests (eight within 28 s is 15 a minute).

## Why it breaks the cache
OpenAI routes by the prompt's first ~256 tokens together with `prompt_cache_key`, and one
machine serves about 15 requests a minute for one prefix and key. Beyond that, requests
overflow to other machines that do not hold the prefix: each overflow is a miss, and the
conversations under the key no longer return to the machine holding their history. A single
key for a whole application (`"support-bot"`) concentrates all of its traffic on one route.

## Example
```text
prompt_cache_key "support-bot": 8 requests from 8 conversations in 14 s (about 30 a minute)
```

## Use instead
Split the key so each part stays under the limit and still groups requests that share a
prefix: add the user, tenant or conversation id (`"support-bot:" + user_id`), keeping each
part stable across that user's requests.

## Will not fire on
- Providers whose cache is explicit (Anthropic): they route no `prompt_cache_key`.
- Logs without timestamps, and requests without `prompt_cache_key` (see cache-key-missing,
  PC403).
- Keys at or below `max-per-minute`, or with fewer than eight requests so far.
- Requests under the key that do not share a cacheable prefix with the current one (they
  route separately).
- A single conversation sending fast (each request continues the previous ones): splitting the
  key would not spread it.

## Options
- `max-per-minute` (default 15): the rate one prefix and key can carry before requests
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
from promptcache.snippets import excerpt
from promptcache.tokens.counting import CountedRequest
from promptcache.tokens.prefix import SharedPrefix


def check(context: Context) -> Iterator[Hit]:
    """A hit when the key's latest requests sharing this prefix came faster than the limit."""
    current = context.current
    key = current.request.cache_key
    now = timestamp(current)
    if not key or now is None or explicit(current):
        return  # an explicit cache (Anthropic) has no prompt_cache_key routing to overload
    limit = float(context.options["max-per-minute"])
    window = (RATE_SAMPLE - 1) * 60.0 / limit
    # The stream is the key's requests; its history ends with the latest ones.
    recent = [(earlier, sent) for earlier in context.history
              if (sent := timestamp(earlier)) is not None and 0 <= now - sent < window]
    if len(recent) < RATE_SAMPLE - 1:
        return
    recent = recent[-(RATE_SAMPLE - 1):]
    # Another model, or a prompt that does not share a cacheable prefix, routes elsewhere.
    model = current.request.model
    if any(earlier.request.model != model for earlier, _ in recent):
        return
    rules = current.facts.cache
    sample: list[tuple[CountedRequest, SharedPrefix]] = []
    for earlier, _ in recent:
        shared = context.shared_with(earlier)
        if not cacheable(shared.tokens, rules):
            return
        sample.append((earlier, shared))
    span = now - min(sent for _, sent in recent)
    rate = per_minute(RATE_SAMPLE, span)
    if rate <= limit:
        return
    if all(continues(earlier, shared) for earlier, shared in sample):
        return
    shown = excerpt(key, 40)
    yield Hit(
        location=current.request.location,
        path=f"{body_path(current.request)}.prompt_cache_key",
        group=f"key {key}",
        message=(f"prompt_cache_key '{shown}' carried {RATE_SAMPLE} requests sharing a "
                 f"cacheable prefix in {span:,.0f} s (about {rate:,.0f} per minute), above the "
                 f"{limit:g} per minute one machine serves for a prefix and key: the rest "
                 "overflow to machines that do not hold the prefix"),
        fix=(f"Split the key so each part stays under {limit:g} requests per minute: add a "
             "user, tenant or conversation id to it, stable across that user's requests."),
        tokens_at_risk=cacheable(max(shared.tokens for _, shared in sample), rules),
        snippet=f"{shown}: {RATE_SAMPLE} requests in {span:,.0f} s",
        measure=round(rate),
    )


def summarize(group: Group) -> str:
    """The key, how many requests came over the limit, and at what rates."""
    key = group.first.snippet.rsplit(": ", 1)[0]
    if group.measure_min == group.measure_max:
        rates = f"about {group.measure_min:,}"
    else:
        rates = f"{group.measure_min:,} to {group.measure_max:,}"
    return (f"{group.occurrences:,} requests came while prompt_cache_key '{key}' carried "
            f"{rates} requests per minute with a shared prefix, more than one machine serves "
            "for a prefix and key: the excess overflows to machines that do not hold the prefix")


RULE = Rule(
    code="PC405",
    name="cache-key-hot",
    severity=Severity.WARNING,
    summary="One prompt_cache_key carries more requests per minute than one machine serves.",
    check=check,
    options={"max-per-minute": 15},
    options_schema={"max-per-minute": {"type": "number", "exclusiveMinimum": 0}},
    summarize=summarize,
)
