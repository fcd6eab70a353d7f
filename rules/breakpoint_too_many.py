"""too-many-breakpoints (PC503): a request marks more than 4 cache breakpoints.

## What it detects
An Anthropic Messages request whose `cache_control` breakpoints (on tool definitions, system
blocks and message content blocks, plus the one automatic caching adds when the request sets
a top-level `cache_control`) number more than the 4 the API accepts. The finding names the
first breakpoint over the limit.

## Why it breaks the cache
Anthropic's "Prompt caching" documentation allows at most 4 cache breakpoints per request;
the API answers a request with more with an error (400 invalid_request_error), so it is not
cached, nor answered at all. Automatic caching counts: its breakpoint on the last block takes
one of the 4 slots, so three explicit breakpoints plus a top-level `cache_control` is the
most a request can carry. Code that marks "the system prompt, the tools, and the last two
messages" and then turns on automatic caching crosses the line without noticing.

## Example
```json
{"cache_control": {"type": "ephemeral"},
 "system": [{"type": "text", "text": "...", "cache_control": {"type": "ephemeral"}}],
 "messages": [... three content blocks each with "cache_control" ...]}
```
Four explicit breakpoints and automatic caching: five.

## Use instead
Keep at most 4: one at the end of each part that changes at a different rate (tools and
system prompt, the history of earlier turns, the newest turn). The cache also reads the
blocks before a breakpoint (up to 20 of them), so one breakpoint at the end of a stable run
serves every shorter prefix of it that an earlier request wrote.

## Will not fire on
- Providers whose cache is implicit (OpenAI): they have no breakpoints.
- A `cache_control` on the block automatic caching would mark anyway: counted once.
- A request whose record holds the provider's usage: the API answered it, so it did not
  carry more breakpoints than allowed, whatever the count here says.

## Options
None.
"""

from __future__ import annotations

from collections.abc import Iterator

from promptcache.engine.findings import Hit, Severity
from promptcache.engine.rule_api import Context, Group, Rule
from promptcache.rules._breakpoints import explicit, layout, measure_range, remarked


def check(context: Context) -> Iterator[Hit]:
    """A hit when the request has more breakpoints than its model allows."""
    current = context.current
    if not explicit(current) or current.request.observed is not None:
        return  # a recorded usage means the API answered: the count here is off, not it
    marks = layout(current)
    found = marks.breakpoints
    limit = current.facts.cache.max_breakpoints
    if len(found) <= limit:
        return
    extra = found[limit]
    model = current.request.model or "an unnamed model"
    automatic = " (one of them automatic caching's)" if marks.automatic else ""
    yield Hit(
        location=current.request.location,
        path=extra.reported_path,
        group=model,
        message=(f"the request marks {len(found)} cache breakpoints{automatic}, more than the "
                 f"{limit} the API accepts: it is rejected with an error, so none of its "
                 f"{current.prompt_tokens:,} tokens is cached or answered"),
        fix=(f"Keep at most {limit} breakpoints: one at the end of each part that changes at "
             "its own rate; the cache reads shorter prefixes through the lookback."),
        tokens_at_risk=current.prompt_tokens,
        snippet=f"{len(found)} breakpoints > {limit}",
        measure=len(found),
        # The fix: keep the last four, which end the longest prefixes.
        repair=remarked(current, {mark.segment: "" for mark in found[:len(found) - limit]}),
    )


def summarize(group: Group) -> str:
    """How many requests carry too many breakpoints."""
    if group.occurrences == 1:
        return group.first.message
    return (f"{group.occurrences:,} requests mark {measure_range(group)} cache breakpoints, "
            "more than the "
            "API accepts: each is rejected with an error")


RULE = Rule(
    code="PC503",
    name="too-many-breakpoints",
    severity=Severity.ERROR,
    summary="A request marks more than 4 cache breakpoints (the API rejects it).",
    check=check,
    summarize=summarize,
)
