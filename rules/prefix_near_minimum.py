"""prefix-near-minimum (PC002): the stable part of the prompt is just short of the minimum.

## What it detects
Prompts long enough to be cached whose part that stays the same from request to request (the
prefix they share with the best-matching earlier request of the stream) is a little short of
the model's minimum cacheable length, because the part that varies comes too early. The
finding says by how many tokens the stable prefix falls short.

## Why it breaks the cache
The provider only caches a prefix that reaches the minimum (1024 tokens for OpenAI models) and
only reuses what is identical. A 1,500-token prompt whose first 900 tokens are stable and
whose next 600 vary gets nothing from the cache: the 900 stable tokens are paid in full on
every request. Moving a little more stable content in front of the varying part would make
the whole stable prefix cacheable.

## Example
```json
{"messages": [
  {"role": "system", "content": "<700 tokens of instructions>"},
  {"role": "user", "content": "<the customer's letter, different every time>"},
  {"role": "user", "content": "<500 tokens of fixed examples and output format>"}]}
```
The 700-token stable prefix (plus framing) is short of 1024; the 500 fixed tokens after the
letter would push it past the minimum if they came first.

## Use instead
Order the prompt stable-first: tool definitions, instructions, few-shot examples and reference
text before anything that changes per request (the user's input, retrieved documents, the
date). Once the shared prefix reaches the minimum it is cached.

## Will not fire on
- Requests whose shared prefix already reaches the minimum.
- Prompts below the minimum (prompt-too-short, PC001, reports those).
- The first request of a stream, with no earlier request to compare.
- A conversation that grows by appending: when the earlier request's whole prompt is the
  start of this one, the next turn will share all of it.
- Shared prefixes more than `window` tokens short of the minimum (nothing near reach).
- Partial records (a log that did not keep part of the prompt, such as the tool definitions):
  what they share is only the least they can share.

## Options
- `window` (default 256): how many tokens below the minimum a shared prefix may be and still
  be reported.
"""

from __future__ import annotations

from collections.abc import Iterator

from promptcache.engine.findings import Hit, Severity
from promptcache.engine.rule_api import Context, Group, Rule
from promptcache.rules._traffic import continues, tokens


def check(context: Context) -> Iterator[Hit]:
    """A hit when the prompt is cacheable but its stable prefix is just short of the minimum."""
    current = context.current
    minimum = current.facts.cache.min_tokens
    if current.prompt_tokens < minimum or current.request.partial:
        return
    match = context.best_match()
    if match is None:
        return
    earlier, shared = match
    short_by = minimum - shared.tokens
    if short_by <= 0 or short_by > int(context.options["window"]):
        return
    if continues(earlier, shared):
        return
    segments = current.request.segments
    path = segments[shared.segments].path if shared.segments < len(segments) else "$"
    model = current.request.model or "an unnamed model"
    yield Hit(
        location=current.request.location,
        path=path,
        group=model,
        message=(f"the prompt has {current.prompt_tokens:,} tokens but only its first "
                 f"{shared.tokens:,} are stable (shared with the earlier request), "
                 f"{short_by:,} short of the {minimum:,}-token minimum for caching on {model}: "
                 "none of them is cached"),
        fix=(f"Move at least {tokens(short_by)} of stable content (tool definitions, "
             "instructions, examples) in front of the part that changes, so the shared prefix "
             f"reaches {minimum:,} tokens."),
        tokens_at_risk=shared.tokens,
        snippet=f"{shared.tokens:,} stable < {minimum:,} tokens",
        compared_with=earlier.request.location,
        measure=short_by,
        against=earlier,
    )


def summarize(group: Group) -> str:
    """The first hit's message, with how many requests repeat it and by how much."""
    if group.measure_min == group.measure_max:
        shortfall = tokens(group.measure_min)
    else:
        shortfall = f"{group.measure_min:,} to {group.measure_max:,} tokens"
    return (f"{group.first.message} ({group.occurrences:,} requests, stable prefix short by "
            f"{shortfall})")


RULE = Rule(
    code="PC002",
    name="prefix-near-minimum",
    severity=Severity.INFO,
    summary="The part of the prompt that stays the same is just short of the minimum.",
    check=check,
    options={"window": 256},
    options_schema={"window": {"type": "integer", "minimum": 1}},
    summarize=summarize,
)
