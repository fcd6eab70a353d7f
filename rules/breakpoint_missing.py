"""breakpoint-missing (PC507): a long prefix is re-sent unchanged with no breakpoint.

## What it detects
An Anthropic Messages request with no `cache_control` anywhere (no breakpoint on a block and
no top-level automatic caching) that begins with the same blocks as an earlier request of its
stream, at least the model's minimum cacheable length of them. The finding gives how many
tokens are re-sent, the request they repeat, and the block a breakpoint should go on.

## Why it breaks the cache
Anthropic caches only what a request marks: its "Prompt caching" documentation has the
request place `cache_control` on a block (or set it at the top level for automatic caching),
and a request without one neither reads nor writes the cache. Every re-sent token is billed at
the full input price, where a cache read costs a tenth of it (a write costs 1.25x once, for
the 5-minute lifetime). The recorded calls agree (shared/data, `meta.source`
Mirascope/mirascope `.../test_caching_multi_turn_conversation/anthropic_claude_sonnet_4_0
.yaml#0`): it re-sends 4,168 of its 4,173 input tokens from an earlier recorded call, with
no `cache_control`, and records no cache write or read.

## Example
An agent sends the same 5,000 tokens of tool definitions and instructions on every turn,
without `cache_control`: 5,000 tokens at full price per turn, where one write and then reads
would cost about 6,250 once and 500 per turn after.

## Use instead
Add `"cache_control": {"type": "ephemeral"}` on the last block that stays the same (the last
system block, or the last tool), or set a top-level `cache_control` so the API marks the last
block of each request (automatic caching: right for conversations that grow turn by turn).

## Will not fire on
- Providers whose cache is implicit (OpenAI): they cache without being asked.
- Requests with any breakpoint, or with automatic caching (a misplaced breakpoint has rules of
  its own: PC501, PC502, PC504), and requests whose recorded usage shows a cache read or
  write all the same.
- A shared prefix below the model's minimum (1,024 to 4,096 tokens by model): nothing could
  be cached. The prefix is counted to the end of its last whole block, since the cache is
  read at block boundaries, and scaled to the request's recorded usage where the log has it
  (an offline count can be far off for documents and images).
- Requests that share nothing with the earlier ones of their stream: a breakpoint would cost
  a write premium and never be read.

## Options
None.
"""

from __future__ import annotations

from collections.abc import Iterator

from promptcache.engine.findings import Hit, Severity
from promptcache.engine.rule_api import Context, Group, Rule
from promptcache.rules._breakpoints import (
    READ_PRICE,
    SHORT_TTL,
    cache_used,
    calibrated,
    explicit,
    layout,
    measure_range,
    readable_tokens,
    remarked,
)


def check(context: Context) -> Iterator[Hit]:
    """A hit when the request has no breakpoint but repeats a cacheable prefix."""
    current = context.current
    if not explicit(current):
        return
    marks = layout(current)
    if marks.breakpoints or marks.automatic or cache_used(current):
        return  # (a read or write in the usage: the request is cached in a way not seen here)
    match = context.best_match()
    if match is None:
        return
    earlier, shared = match
    repeated = calibrated(current, readable_tokens(current, shared.segments))
    minimum = current.facts.cache.min_tokens
    if repeated < minimum:
        return
    last = marks.last_block_before(shared.segments)
    assert last is not None  # a readable prefix ends with a block
    block = current.request.segments[last]
    saved = round(repeated * (1.0 - READ_PRICE))
    yield Hit(
        location=current.request.location,
        path=block.path,
        group=current.request.model or "an unnamed model",
        message=(f"the request re-sends {repeated:,} tokens unchanged from line "
                 f"{earlier.request.location.line} with no cache_control and no automatic "
                 f"caching: all of them are paid at the full input price, where reading them "
                 f"from the cache would save {saved:,} input-token equivalents"),
        fix=('Add "cache_control": {"type": "ephemeral"} on the last block that stays the '
             "same, or set a top-level cache_control (automatic caching)."),
        tokens_at_risk=repeated,
        snippet=f"{repeated:,} shared tokens, no breakpoint",
        compared_with=earlier.request.location,
        measure=repeated,
        repair=remarked(current, {last: SHORT_TTL}),
        against=earlier,
    )


def summarize(group: Group) -> str:
    """How many requests re-send a cacheable prefix without a breakpoint."""
    if group.occurrences == 1:
        return group.first.message
    return (f"{group.occurrences:,} requests re-send {measure_range(group)} tokens of an "
            "earlier prompt with "
            "no cache_control and no automatic caching: all at the full input price")


RULE = Rule(
    code="PC507",
    name="breakpoint-missing",
    severity=Severity.WARNING,
    summary="A long prefix is re-sent unchanged with no cache breakpoint.",
    check=check,
    summarize=summarize,
)
