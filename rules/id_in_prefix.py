"""id-in-prefix (PC103): a per-request identifier sits in front of shared content.

## What it detects
Two requests of the same stream whose prompts are equal up to a short span that differs, and
equal again after it, where the span is an identifier minted per request or per session: a
UUID, a request, trace or session id ("req_7Hq2LmZ9xC4v", "Trace ID: 4bf92f35..."), a long
hex id or a nonce. The finding names the kind of id, where it sits, and how many tokens after
it could have come from the cache.

## Why it breaks the cache
Providers cache exact prefixes. An id is different on every request by design, so everything
after it is a miss on every request: a trace id above a 3,000-token system prompt makes all
3,000 tokens full price each time. OpenAI names ids in the prefix among the common cache
breakers.

## Example
```json
{"role": "system", "content": "Request ID: req_7Hq2LmZ9xC4v\nYou are the support agent for..."}
{"role": "system", "content": "Request ID: req_Pw3eR8tY1uKd\nYou are the support agent for..."}
```

## Use instead
Keep ids out of the prompt: send them as request metadata (`metadata`, a header, your own
logs keyed by the response id). If the model must see one (to quote it back), put it at the
very end, after everything shared.

## Will not fire on
- An id that stays the same across the requests compared (one fixed tenant or deployment id).
- An id at the end of the prompt, where nothing shared follows it.
- Requests that differ in large parts, or only in what they append.
- Fewer than `min-shared-tokens` equal tokens after the id.
- Prompts below the model's minimum cacheable length (1,024 tokens for OpenAI), and an id
  where, even with it moved, the requests would share less than that minimum (what precedes
  the id plus the equal tokens after it): the fix would not make anything cacheable. Nor when
  the earlier request that shares the most with this one is itself below the minimum: it never
  left a cache entry.
- Other changing values: times (PC102), per-user data (PC104), counters and random tokens
  with no id label (PC101).

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
    that holds an identifier."""
    span = find_dynamic_span(context)
    if span is None or span.family is not ValueFamily.ID:
        return
    yield span_hit(context, span, with_article(span.kind),
                   f"Send the {span.kind} as request metadata instead of prompt text (or put "
                   "it at the very end) so the shared prefix stays byte-identical.")


RULE = Rule(
    code="PC103",
    name="id-in-prefix",
    severity=Severity.WARNING,
    summary="A per-request identifier changes in front of content that is shared.",
    check=check,
    options=SPAN_OPTIONS,
    options_schema=SPAN_OPTIONS_SCHEMA,
    summarize=summarize,
)
