"""user-data-in-prefix (PC104): per-user data in the instructions, in front of shared content.

## What it detects
Two requests of the same stream whose system or developer prompt (or a tool definition, or
the response format) is equal up to a short span that differs, and equal again after it,
where the span is data about the person being served: an email address, a name ("You are
helping Alice Smith" / "... Bob Jones"), a phone number or an account number. The finding
names the kind of data, where it sits, and how many tokens after it could have come from the
cache.

## Why it breaks the cache
Providers cache exact prefixes, and the instructions come first. Personalizing them puts a
different prefix in front of every user's requests: the instructions, the tool definitions
and everything after them are cached per user at best, never shared across users, although
they are the same text for all of them.

## Example
```json
{"role": "system", "content": "You are helping Alice Smith.\n\nYou are the support agent for..."}
{"role": "system", "content": "You are helping Bob Jones.\n\nYou are the support agent for..."}
```

## Use instead
Keep the instructions the same for every user and pass who the user is after them: in a
short message after the system prompt ("The customer is Alice Smith, alice@example.com"), or
through a tool the model calls when it needs the details.

## Will not fire on
- Instructions that name the same user in every request compared (one user's own session).
- User data at the end of the prompt, where nothing shared follows it.
- User data in conversation messages (a user's first message): part of the conversation,
  reported by dynamic-prefix (PC101) if shared content follows it.
- A single capitalized word with no cue before it ("Plan: Basic" / "Plan: Premium"): not
  taken for a name (dynamic-prefix reports it).
- Fewer than `min-shared-tokens` equal tokens after the data.
- Prompts below the model's minimum cacheable length (1,024 tokens for OpenAI), and user data
  where, even with it moved, the requests would share less than that minimum (what precedes
  the data plus the equal tokens after it): the fix would not make anything cacheable. Nor
  when the earlier request that shares the most with this one is itself below the minimum: it
  never left a cache entry.

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
    """A hit when this request's instructions differ from the best-matching earlier request's
    in one short span that holds per-user data."""
    span = find_dynamic_span(context)
    if span is None or span.family is not ValueFamily.USER_DATA:
        return
    yield span_hit(context, span, f"per-user data ({with_article(span.kind)})",
                   f"Keep {span.where} the same for every user: pass the user's {span.kind} in "
                   "a message after the shared instructions (or through a tool).")


RULE = Rule(
    code="PC104",
    name="user-data-in-prefix",
    severity=Severity.WARNING,
    summary="Per-user data in the instructions changes in front of content that is shared.",
    check=check,
    options=SPAN_OPTIONS,
    options_schema=SPAN_OPTIONS_SCHEMA,
    summarize=summarize,
)
