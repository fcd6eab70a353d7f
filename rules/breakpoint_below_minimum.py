"""breakpoint-below-minimum (PC504): a breakpoint ends a prefix shorter than the minimum.

## What it detects
A `cache_control` breakpoint whose prefix (everything from the first tool definition through
the marked block) has fewer tokens than the model's minimum cacheable length (1,024, 2,048 or
4,096 tokens, by model; see the catalogue), by more than the margin the offline count may be
off. The finding gives the prefix's length, the minimum, and, when no breakpoint of the
request reaches the minimum although the prompt does, the tokens a breakpoint at the end
would have cached.

## Why it breaks the cache
Anthropic's "Prompt caching" documentation: a prefix shorter than the model's minimum is not
cached, even when marked, and the request succeeds without an error; the usage then shows no
cache write at all. A breakpoint on a short tool list or a short system prompt takes one of
the 4 breakpoint slots and caches nothing, and a request whose only breakpoint sits there
pays full price for its whole prompt on every call. A recorded call shows it (shared/data,
`meta.source` Mirascope/mirascope `.../test_call_with_strict_tool_and_optional_properties/
anthropic_beta_claude_sonnet_4_5.yaml#0`): a breakpoint on its one tool definition, 677
input tokens in all on a 1,024-token model, and the usage records no cache write.

## Example
A 600-token system prompt marked with `cache_control`, followed by 3,000 tokens of
documents in the first user message: nothing is cached. Marking the last document instead
caches all 3,600 tokens.

## Use instead
Move the breakpoint to a later block, so that its prefix reaches the minimum (the end of the
documents, the end of the newest turn), or add one there: the shorter prefix is read through
the lookback anyway, once a longer entry exists.

## Will not fire on
- Providers whose cache is implicit (OpenAI): they have no breakpoints.
- A prefix short of the minimum by less than the margin, when the log has no usage for the
  request: Claude counts are estimates, and an OpenAI vocabulary used as a proxy undercounts
  Claude text by up to about 19% (shared/anthropic-counting-facts.md, o200k ratio
  1.00-1.19). Counted offline with the margin (counts as of 2026-12-05), 303 of the 327
  shared recordings whose breakpoints all fell below the minimum recorded no cache write or
  read (93%; a wider margin barely helps: 20 of 265 wrong at 70%). Where the log records
  usage, each prefix is scaled to the recorded total instead: 311 such requests recorded no
  cache write or read, 6 did (all claude-sonnet-4-6, next item).
- A request whose recorded usage shows a cache write or read although no breakpoint seems
  to reach the minimum: the usage is the truth, so the count or the catalogue's minimum is
  off (the shared recordings showed claude-sonnet-4-6 writing 1,143 tokens, below the 2,048
  the catalogue listed for it until that evidence set its row to 1,024).
- Partial records (the log did not keep part of the prompt): their count is only the least
  the prompt can be.

## Options
- `margin-percent` (default 20): how far below the minimum, as a share of the counted
  prefix, a prefix counted offline (no usage in the log) must be before the rule speaks.
"""

from __future__ import annotations

from collections.abc import Iterator

from promptcache.engine.findings import Hit, Severity
from promptcache.engine.rule_api import Context, Rule
from promptcache.rules._breakpoints import (
    cache_used,
    calibrated,
    explicit,
    layout,
    remarked,
    summarize_in_requests,
    tokens_through,
)


def check(context: Context) -> Iterator[Hit]:
    """A hit for each breakpoint whose prefix is clearly below the model's minimum."""
    current = context.current
    if not explicit(current) or current.request.partial:
        return
    marks = layout(current)
    minimum = current.facts.cache.min_tokens
    prefixes = [calibrated(current, mark.prefix_tokens) for mark in marks.breakpoints]
    nothing_reaches = all(prefix < minimum for prefix in prefixes)
    if nothing_reaches and cache_used(current):
        return  # the usage shows a write or a read: the count or the minimum is off, not it
    # A count from usage is the provider's; an offline count needs the margin.
    margin = 1.0 if current.request.observed else (
        1.0 + float(context.options["margin-percent"]) / 100.0)
    short = [(mark, prefix) for mark, prefix in zip(marks.breakpoints, prefixes, strict=True)
             if prefix * margin < minimum]
    if not short:
        return
    # Only when no breakpoint reaches the minimum is anything lost: a breakpoint at the end
    # of the prompt would then have cached it.
    whole = calibrated(current, tokens_through(current, marks.blocks[-1]))
    cacheable = whole if nothing_reaches and whole >= minimum else 0
    model = current.request.model or "an unnamed model"
    source = " (scaled to the recorded usage)" if current.request.observed else ""
    for mark, prefix in short:
        lost = cacheable if mark is short[-1][0] else 0
        # The fix, where it wins something: the breakpoint moves to the last block.
        repair = remarked(current, {mark.segment: "", marks.blocks[-1]: mark.ttl}) if lost else None
        consequence = (f"; no breakpoint of the request reaches it, so none of the "
                       f"{lost:,} tokens a breakpoint on the last block would cache is cached"
                       if lost else "")
        yield Hit(
            location=current.request.location,
            path=mark.reported_path,
            group=current.request.place(mark.path),
            message=(f"the breakpoint ends a prefix of {prefix:,} tokens{source}, below the "
                     f"{minimum:,}-token minimum for caching on {model}: it writes nothing, "
                     f"and the API does not say so{consequence}"),
            fix=("Move the breakpoint to a later block whose prefix reaches the minimum (the "
                 "end of the documents or of the newest turn)."),
            tokens_at_risk=lost,
            snippet=f"{prefix:,} < {minimum:,} tokens",
            measure=minimum - prefix,
            repair=repair,
        )



RULE = Rule(
    code="PC504",
    name="breakpoint-below-minimum",
    severity=Severity.WARNING,
    summary="A breakpoint ends a prefix below the model's minimum, so it caches nothing.",
    check=check,
    options={"margin-percent": 20},
    options_schema={"margin-percent": {"type": "number", "minimum": 0, "maximum": 100}},
    summarize=summarize_in_requests,
)
