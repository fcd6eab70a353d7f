"""timestamp-in-prefix (PC102): the current time or date sits in front of shared content.

## What it detects
Two requests of the same stream whose prompts are equal up to a short span that differs, and
equal again after it, where the span is a timestamp, a date, a time of day ("10:04",
"evening") or a weekday: typically "Current time: ..." at the top of a system prompt, or a
"records as of ..." stamp in a tool description. The finding names the kind of value, where it
sits, and how many tokens after it could have come from the cache.

## Why it breaks the cache
Providers cache exact prefixes. Everything after the first differing token is a miss, so a
timestamp on the first line of a 3,000-token system prompt makes all 3,000 tokens full price
on every request, although only a dozen of them changed. OpenAI names timestamps in the
prefix among the common cache breakers.

## Example
```json
{"role": "system", "content": "Now: 2025-03-01T10:00:03Z\nYou are the support agent for..."}
{"role": "system", "content": "Now: 2025-03-01T10:00:09Z\nYou are the support agent for..."}
```

## Use instead
Keep the prefix byte-identical: put the time at the end of the prompt (in the last user
message, or a short system message after the history), or leave it out if the model does not
need it. Round it to what the model needs (the date, the hour): a date changes once a day,
but even then put it last, after everything shared.

## Will not fire on
- A date written once into a prompt template that never changes.
- A time at the end of the prompt, where nothing shared follows it.
- A time that changes together with large parts of the prompt (different conversations), or
  requests that differ only in what they append.
- Fewer than `min-shared-tokens` equal tokens after the time.
- Prompts below the model's minimum cacheable length (1,024 tokens for OpenAI), and a time
  where, even with it moved, the requests would share less than that minimum (what precedes
  the time plus the equal tokens after it): the fix would not make anything cacheable. Nor
  when the earlier request that shares the most with this one is itself below the minimum: it
  never left a cache entry.
- Other changing values: identifiers (PC103), per-user data (PC104), counters and anything
  else (PC101).

## Options
- `max-span-chars` (default 64): the longest differing span that still counts as one value.
- `min-shared-tokens` (default 32): how many equal tokens must follow the span.
"""

from __future__ import annotations

from collections.abc import Iterator

from promptcache.engine.detect.dynamic_span import (
    SPAN_OPTIONS,
    SPAN_OPTIONS_SCHEMA,
    ValueFamily,
    find_dynamic_span,
    span_hit,
    summarize,
)
from promptcache.engine.findings import Hit, Severity
from promptcache.engine.rule_api import Context, Rule
from promptcache.values import with_article


def check(context: Context) -> Iterator[Hit]:
    """A hit when this request differs from the best-matching earlier one in one short span
    that holds a time or date."""
    span = find_dynamic_span(context)
    if span is None or span.family is not ValueFamily.TIME:
        return
    yield span_hit(context, span, with_article(span.kind),
                   f"Move the {span.kind} to the end of the prompt (the last user message) or "
                   "leave it out; round it to what the model needs, so the shared prefix stays "
                   "byte-identical.")


RULE = Rule(
    code="PC102",
    name="timestamp-in-prefix",
    severity=Severity.WARNING,
    summary="The current time or date changes in front of content that is shared.",
    check=check,
    options=SPAN_OPTIONS,
    options_schema=SPAN_OPTIONS_SCHEMA,
    summarize=summarize,
)
