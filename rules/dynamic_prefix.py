"""dynamic-prefix (PC101): a value that changes per request sits in front of shared content.

## What it detects
Two requests of the same stream whose prompts are equal up to a short span that differs, and
equal again after it, where the span is not a time, an identifier or per-user data in the
instructions (those have rules of their own): a counter, a turn or attempt number, a random
token, a changing word or figure placed before content that is otherwise the same. The
finding names the kind of value, where it sits, and how many tokens after it could have come
from the cache.

## Why it breaks the cache
Providers cache exact prefixes. Everything after the first differing token is a miss, so a
counter on the first line of a 3,000-token system prompt makes all 3,000 tokens full price on
every request, although only one or two of them changed.

## Example
```json
{"role": "system", "content": "Attempt 1 of 3.\nYou are the support agent for..."}
{"role": "system", "content": "Attempt 2 of 3.\nYou are the support agent for..."}
```

## Use instead
Keep the prefix byte-identical: move the changing value after the shared part (into the last
user message, or the end of the prompt), or into request metadata the model does not see.

## Will not fire on
- A fixed value that never changes (a figure written once into a prompt template).
- Per-request data at the end of the prompt, where nothing shared follows it.
- Requests that differ in large parts (different conversations), or that differ only in what
  they append after a shared prefix.
- Timestamps, dates, times of day and weekdays: timestamp-in-prefix (PC102).
- UUIDs, request, trace and session ids, hex ids and nonces: id-in-prefix (PC103).
- Email addresses, names, phone and account numbers in the system or developer prompt or a
  tool definition: user-data-in-prefix (PC104). The same data in a conversation message
  (a user's first message, say) is reported here.
- Text that differs only in whitespace: whitespace-drift (PC105).
- Prompts below the model's minimum cacheable length (1,024 tokens for OpenAI), and a changing
  value where, even with it moved, the requests would share less than that minimum (what
  precedes the value plus the equal tokens after it): the fix would not make anything
  cacheable. Nor when the earlier request that shares the most with this one is itself below
  the minimum: it never left a cache entry.

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
    """A hit when the best-matching earlier request differs from this one in one short span
    that no more specific rule reports."""
    span = find_dynamic_span(context)
    if span is None or span.family is not ValueFamily.OTHER:
        return
    yield span_hit(context, span, with_article(span.kind),
                   f"Move the {span.kind} after the shared part of the prompt (or into "
                   "metadata) so the prefix stays byte-identical.")


RULE = Rule(
    code="PC101",
    name="dynamic-prefix",
    severity=Severity.WARNING,
    summary="A value that changes per request sits in front of content that is shared.",
    check=check,
    options=SPAN_OPTIONS,
    options_schema=SPAN_OPTIONS_SCHEMA,
    summarize=summarize,
)
