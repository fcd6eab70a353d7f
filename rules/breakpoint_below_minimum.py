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
pays full price for its whole prompt on every call.

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
- A prefix short of the minimum by less than the margin: Claude counts are estimates, and an
  OpenAI vocabulary used as a proxy undercounts Claude text by up to about 19%
  (shared/anthropic-counting-facts.md, o200k ratio 1.00-1.19).
- Partial records (the log did not keep part of the prompt): their count is only the least
  the prompt can be.

## Options
- `margin-percent` (default 20): how far below the minimum, as a share of the counted
  prefix, a prefix must be before the rule speaks.
"""

from __future__ import annotations

from collections.abc import Iterator

from promptcache.engine.findings import Hit, Severity
from promptcache.engine.rule_api import Context, Rule
from promptcache.rules._breakpoints import (
    explicit,
    layout,
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
    margin = 1.0 + float(context.options["margin-percent"]) / 100.0
    short = [mark for mark in marks.breakpoints if mark.prefix_tokens * margin < minimum]
    if not short:
        return
    # Only when no breakpoint reaches the minimum is anything lost: a breakpoint at the end
    # of the prompt would then have cached it.
    nothing_cached = all(mark.prefix_tokens < minimum for mark in marks.breakpoints)
    cacheable = (tokens_through(current, marks.blocks[-1])
                 if nothing_cached and current.prompt_tokens >= minimum else 0)
    model = current.request.model or "an unnamed model"
    for mark in short:
        lost = cacheable if mark is short[-1] else 0
        consequence = (f"; no breakpoint of the request reaches it, so none of the "
                       f"{lost:,} tokens a breakpoint on the last block would cache is cached"
                       if lost else "")
        yield Hit(
            location=current.request.location,
            path=mark.path,
            group=current.request.place(mark.path),
            message=(f"the breakpoint ends a prefix of {mark.prefix_tokens:,} tokens, below "
                     f"the {minimum:,}-token minimum for caching on {model}: it writes "
                     f"nothing, and the API does not say so{consequence}"),
            fix=("Move the breakpoint to a later block whose prefix reaches the minimum (the "
                 "end of the documents or of the newest turn)."),
            tokens_at_risk=lost,
            snippet=f"{mark.prefix_tokens:,} < {minimum:,} tokens",
            measure=minimum - mark.prefix_tokens,
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
