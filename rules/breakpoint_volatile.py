"""breakpoint-on-volatile (PC501): a breakpoint ends content that changes every request.

## What it detects
Consecutive requests of a stream with a `cache_control` breakpoint at the same place (the
same block path), where each request's entry there is never read by the next one: a block at
or before the breakpoint differs every time, so every request writes a new entry (at least
`min-writes` of them, none the same). The finding gives what the request writes for
nothing, the premium that costs, which block changed, and how many tokens before it a
breakpoint on the last stable block would have read instead.

## Why it breaks the cache
Anthropic's "Prompt caching" documentation: an entry is the exact prefix through the marked
block, and a write costs more than sending the tokens uncached (1.25x the input price for the
5-minute lifetime, 2x for 1 hour). A breakpoint whose prefix holds a timestamp, a request id
or the user's question changes on every request, so every request pays the write premium
and none reads it back: caching makes such a prompt dearer than not caching at all.

## Example
```json
{"system": [{"type": "text", "text": "<3,000 tokens of instructions>"},
            {"type": "text", "text": "Current time: 2026-12-05 07:31:02",
             "cache_control": {"type": "ephemeral"}}]}
```
Each request writes all 3,000 tokens again, at 1.25x, and never reads them.

## Use instead
Put the breakpoint on the last block that stays the same (here the instructions), and the
changing content after it; or drop the breakpoint when nothing before it repeats.

## Will not fire on
- Providers whose cache is implicit (OpenAI): they have no breakpoints.
- A conversation that grows: a breakpoint on the newest turn is read by the next turn, which
  re-sends it unchanged.
- Breakpoints at a different place in the two requests, or one whose earlier prefix was below
  the model's minimum (it wrote nothing).
- A request whose recorded usage shows it read most of the prefix the rule would call
  rewritten: the provider saw no change there (the usage is the truth).
- Fewer than `min-writes` entries written at that place, or the same entry written twice,
  among the requests the stream shows (up to its last 8): the content there does not change
  on every request; two applications or conversations taking turns each read their own
  entry later.
- Without a session (cache key, session id or user), consecutive requests may come from
  different conversations: then only a change before the first message (in the tools or the
  system prompt) counts.

## Options
- `min-writes` (default 3): how many different entries, none of them read, the stream must
  show at one place (the request's own included) before the rule speaks.
"""

from __future__ import annotations

from collections.abc import Iterator

from promptcache.engine.findings import Hit, Severity
from promptcache.engine.rule_api import Context, Group, Rule
from promptcache.rules._breakpoints import (
    Breakpoint,
    calibrated,
    explicit,
    first_message,
    layout,
    premium_tokens,
    readable_tokens,
    remarked,
    resent_entries,
    ttl_words,
)
from promptcache.snippets import excerpt
from promptcache.tokens.counting import CountedRequest


def _same_place(earlier: CountedRequest, old: Breakpoint, current: CountedRequest,
                new: Breakpoint) -> bool:
    return earlier.request.place(old.path) == current.request.place(new.path)


def check(context: Context) -> Iterator[Hit]:
    """A hit when the previous request's breakpoint at the same place was written for
    nothing: this request changed a block before it."""
    current = context.current
    if not explicit(current) or not context.history:
        return
    previous = context.history[-1]
    shared = context.shared_with(previous)
    request = current.request
    in_session = bool(request.cache_key or request.session or request.user)
    if not in_session and shared.segments >= first_message(current):
        return  # unrelated conversations differ in their messages: no evidence
    minimum = current.facts.cache.min_tokens
    old_marks = layout(previous).breakpoints
    # What this request can read: the longest entry the previous one wrote before the change.
    read = max((mark.prefix_tokens for mark in resent_entries(previous, shared.segments)),
               default=0)
    for mark in layout(current).breakpoints:
        if mark.segment < shared.segments:
            continue  # this prefix is the same in both: read, not rewritten
        unread = next((old for old in old_marks if _same_place(previous, old, current, mark)
                       and old.prefix_tokens >= minimum), None)
        if (unread is None or _read_anyway(current, read, mark)
                or not _always_new(context, mark)):
            continue
        yield _hit(context, previous, mark, shared.segments, read)
        return


def _always_new(context: Context, mark: Breakpoint) -> bool:
    """True when the requests of the stream (up to the last 8) wrote an entry at this
    breakpoint's place at least ``min-writes`` times, this one included, and never the same
    one twice: the content there changes on every request. An entry written twice means two
    conversations or applications taking turns, each reading its own later."""
    current = context.current
    place = current.request.place(mark.path)
    minimum = current.facts.cache.min_tokens
    entries = [old.entry for earlier in context.history for old in layout(earlier).breakpoints
               if earlier.request.place(old.path) == place and old.prefix_tokens >= minimum]
    entries.append(mark.entry)
    return (len(entries) >= int(context.options["min-writes"])
            and len(set(entries)) == len(entries))


def _read_anyway(current: CountedRequest, read: int, mark: Breakpoint) -> bool:
    """True when the recorded usage shows the request read most of what the rule would say it
    writes again: the change it sees is not one the provider saw (the usage is the truth)."""
    observed = current.request.observed
    if observed is None:
        return False
    halfway = (calibrated(current, read) + calibrated(current, mark.prefix_tokens)) / 2
    return observed.cached_tokens >= halfway


def _hit(context: Context, previous: CountedRequest, mark: Breakpoint, changed: int,
         read: int) -> Hit:
    current = context.current
    request = current.request
    written = mark.prefix_tokens - read
    premium = premium_tokens(written, mark.ttl)
    stable = readable_tokens(current, changed)
    gain = stable - read if stable >= current.facts.cache.min_tokens else 0
    block = request.segments[min(changed, len(request.segments) - 1)]
    instead = (f"; a breakpoint on the last block before it would read {gain:,} tokens"
               if gain > 0 else "")
    # The fix: the breakpoint moves to the last block that stays the same, or, when that
    # prefix would be too short to cache, goes.
    moves = {mark.segment: ""}
    stable_block = layout(current).last_block_before(changed)
    if gain > 0 and stable_block is not None:
        moves[stable_block] = request.segments[stable_block].breakpoint or mark.ttl
    return Hit(
        location=request.location,
        path=mark.reported_path,
        group=request.place(mark.path),
        message=(f"the breakpoint writes {written:,} tokens to the {ttl_words(mark.ttl)} cache "
                 f"again (a premium of {premium:,} input-token equivalents), and the entry the "
                 f"previous request (line {previous.request.location.line}) wrote here is never "
                 f"read: {request.place(block.path)} changed between them{instead}"),
        fix=("Put the breakpoint on the last block that stays the same and the changing "
             "content after it, or drop the breakpoint."),
        tokens_at_risk=gain,
        snippet=f"{request.place(block.path)}: {excerpt(block.text, 60)}",
        compared_with=previous.request.location,
        measure=written,
        repair=remarked(current, moves),
        against=previous,
    )


def summarize(group: Group) -> str:
    """The first rewrite, and how many requests rewrote the entry."""
    if group.occurrences == 1:
        return group.first.message
    return (f"{group.first.message} (the same in {group.occurrences:,} requests: written "
            "each time, never read)")


RULE = Rule(
    code="PC501",
    name="breakpoint-on-volatile",
    severity=Severity.WARNING,
    summary="A breakpoint ends content that changes every request: written, never read.",
    check=check,
    options={"min-writes": 3},
    options_schema={"min-writes": {"type": "integer", "minimum": 2}},
    summarize=summarize,
)
