"""breakpoint-beyond-lookback (PC502): a breakpoint is too far past the previous write.

## What it detects
A request that re-sends, unchanged, a prefix the previous request of its stream wrote to the
cache (ending at one of its breakpoints), but whose nearest breakpoint after the end of that
prefix is 20 blocks or more further on, with no breakpoint in between. The finding gives the
distance in blocks, the tokens that miss, and where the missing breakpoint should go.

## Why it breaks the cache
Anthropic's "Prompt caching" documentation: at each breakpoint the cache looks for an earlier
entry by checking the block boundaries from it back, 20 blocks at most counting its own: an
entry 20 blocks back is out of reach. An agent that
appends 20 or more blocks per turn (tool calls and their results, many documents) and marks
only the last one moves its breakpoint out of reach of the previous turn's entry: the whole
prefix is written again at 1.25x instead of read at 0.1x.

## Example
Turn 1 marks its last block (block 12). Turn 2 adds 11 tool calls and 11 results (22 blocks)
and marks its new last block (block 34): 22 blocks from the entry at block 12, so nothing is
read.

## Use instead
Keep a breakpoint less than 20 blocks after the previous turn's: mark the last block of the
previous turn as well as the newest one (a request may carry up to 4 breakpoints), or mark
a block every 20 in a long run of appended blocks.

## Will not fire on
- Providers whose cache is implicit (OpenAI): they have no breakpoints.
- A breakpoint fewer than 20 blocks after the previous entry, or exactly on it.
- Requests that change the prefix the previous request wrote (that entry is gone for another
  reason: see the content and tools rules), and entries below the model's minimum (nothing was
  written).
- Requests with no breakpoint after the previous entry (see breakpoint-missing, PC507).

## Options
None.
"""

from __future__ import annotations

from collections.abc import Iterator

from promptcache.engine.findings import Hit, Severity
from promptcache.engine.rule_api import Context, Group, Rule
from promptcache.rules._breakpoints import (
    explicit,
    layout,
    measure_range,
    reader,
    remarked,
    resent_entries,
)


def check(context: Context) -> Iterator[Hit]:
    """A hit when the previous request's longest entry is re-sent but out of reach."""
    current = context.current
    if not explicit(current) or not context.history:
        return
    previous = context.history[-1]
    shared = context.shared_with(previous)
    rules = current.facts.cache
    entries = resent_entries(previous, shared.segments)
    if not entries:
        return
    marks = layout(current)
    longest = max(entries, key=lambda mark: mark.prefix_tokens)
    entry_block = marks.block_at(longest.segment)
    if entry_block is None or reader(marks, entry_block, rules.lookback_blocks) is not None:
        return
    beyond = next((mark for mark in marks.breakpoints if mark.block > entry_block), None)
    if beyond is None:
        return
    found = [entry.prefix_tokens for entry in entries
             if (block := marks.block_at(entry.segment)) is not None
             and reader(marks, block, rules.lookback_blocks) is not None]
    lost = longest.prefix_tokens - max(found, default=0)
    distance = beyond.block - entry_block
    request = current.request
    entry_path = request.place(request.segments[longest.segment].path)
    # The fix: a breakpoint on the previous entry's block too, while a slot is free.
    repair = (remarked(current, {longest.segment: beyond.ttl})
              if len(marks.breakpoints) < rules.max_breakpoints else None)
    yield Hit(
        location=request.location,
        path=beyond.reported_path,
        group=request.model or "an unnamed model",
        message=(f"the previous request (line {previous.request.location.line}) cached "
                 f"{longest.prefix_tokens:,} tokens through {entry_path}, which this request "
                 f"re-sends unchanged, but its next breakpoint is {distance} blocks later, "
                 f"beyond the {rules.lookback_blocks}-block lookback: {lost:,} tokens are "
                 "written again instead of read"),
        fix=(f"Also mark a block fewer than {rules.lookback_blocks} blocks after the previous "
             f"entry (the last block of the previous turn, {entry_path})."),
        tokens_at_risk=lost,
        snippet=f"{distance} blocks >= lookback {rules.lookback_blocks}",
        compared_with=previous.request.location,
        measure=distance,
        repair=repair,
        against=previous,
    )


def summarize(group: Group) -> str:
    """How many requests put their breakpoint out of reach, and how far."""
    if group.occurrences == 1:
        return group.first.message
    return (f"{group.occurrences:,} requests put their next breakpoint {measure_range(group)} "
            "blocks after "
            "the previous request's entry, beyond the lookback: the prefix is written again "
            "instead of read")


RULE = Rule(
    code="PC502",
    name="breakpoint-beyond-lookback",
    severity=Severity.WARNING,
    summary="A breakpoint is 20 or more blocks past the previous write, so it misses.",
    check=check,
    summarize=summarize,
)
