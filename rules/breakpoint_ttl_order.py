"""breakpoint-ttl-order (PC505): a 1-hour breakpoint comes after a 5-minute one.

## What it detects
An Anthropic Messages request with a `cache_control` of `"ttl": "1h"` later in the prompt
(tools, then system, then messages) than one with the default 5-minute lifetime. Automatic
caching's breakpoint on the last block counts, with the lifetime of the top-level
`cache_control`.

## Why it breaks the cache
Anthropic's "Prompt caching" documentation ("Mixing different TTLs"): entries with the longer
lifetime must come before those with the shorter one, so a 1-hour breakpoint may not follow a
5-minute breakpoint. The API refuses such a request, so nothing of it is cached or answered.
The mistake is easy to make by marking the stable head of the prompt "5m" and a long
document further down "1h".

## Example
```json
{"system": [{"type": "text", "text": "...", "cache_control": {"type": "ephemeral"}}],
 "messages": [{"role": "user", "content": [
   {"type": "text", "text": "<a long document>",
    "cache_control": {"type": "ephemeral", "ttl": "1h"}}]}]}
```

## Use instead
Give the 1-hour lifetime to the earlier breakpoints (the part that changes least) and the
5-minute one to the later ones; or give every breakpoint the same lifetime.

## Will not fire on
- Providers whose cache is implicit (OpenAI): they have no breakpoints.
- 1-hour breakpoints followed by 5-minute ones (the documented order), or a single lifetime.
- A request whose record holds the provider's usage: the API answered it, so its lifetimes
  were in an order it accepts.

## Options
None.
"""

from __future__ import annotations

from collections.abc import Iterator

from promptcache.engine.findings import Hit, Severity
from promptcache.engine.rule_api import Context, Rule
from promptcache.rules._breakpoints import LONG_TTL, SHORT_TTL, explicit, layout, remarked


def check(context: Context) -> Iterator[Hit]:
    """A hit at the first 1-hour breakpoint that follows a 5-minute one."""
    current = context.current
    if not explicit(current) or current.request.observed is not None:
        return  # a recorded usage means the API answered: the order here is misread, not it
    marks = layout(current).breakpoints
    short = next((mark for mark in marks if mark.ttl == SHORT_TTL), None)
    if short is None:
        return
    late = next((mark for mark in marks if mark.ttl == LONG_TTL
                 and mark.segment > short.segment), None)
    if late is None:
        return
    request = current.request
    yield Hit(
        location=request.location,
        path=late.reported_path,
        group=f"{request.place(short.path)} -> {request.place(late.path)}",
        message=(f"a 1-hour breakpoint (prefix of {late.prefix_tokens:,} tokens) follows the "
                 f"5-minute one at {request.place(short.path)}: 1-hour entries must come "
                 f"first, and the API refuses the request, so none of its "
                 f"{current.prompt_tokens:,} tokens is cached"),
        fix=("Put the 1-hour breakpoints before the 5-minute ones (the stable head of the "
             "prompt lives longest), or use one lifetime for every breakpoint."),
        tokens_at_risk=current.prompt_tokens,
        snippet=f"5m at block {short.block}, then 1h at block {late.block}",
        # The fix: the 1-hour breakpoints after a 5-minute one become 5-minute ones.
        repair=remarked(current, {mark.segment: SHORT_TTL for mark in marks
                                  if mark.ttl == LONG_TTL and mark.segment > short.segment}),
    )


RULE = Rule(
    code="PC505",
    name="breakpoint-ttl-order",
    severity=Severity.ERROR,
    summary="A 1-hour cache breakpoint comes after a 5-minute one (1-hour entries go first).",
    check=check,
)
