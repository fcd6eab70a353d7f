"""cache-key-random (PC404): `prompt_cache_key` changes from one request to the next.

## What it detects
A request whose `prompt_cache_key` has not been seen before although it continues an earlier
request (it begins with that request's whole prompt, at least the model's minimum) sent under
another key, while the recent requests sharing its prefix all carry different keys, none used
twice: the key is a per-request value (a request id, a UUID, a timestamp), not a stable one.
The rule sees the latest eight requests to the model, so in heavily interleaved traffic it
catches only the requests whose previous turn is among them: enough for the finding, but its
count of occurrences understates the problem.

## Why it breaks the cache
OpenAI routes a request by a hash of its first tokens together with `prompt_cache_key`. A key
that changes on every request sends each one to an arbitrary machine, which usually does not
hold the prefix the previous turn wrote: the conversation pays its whole history again on
every turn, although the prompts are built to be cached.

## Example
```json
{"prompt_cache_key": "req-5f2c9a", "messages": ["<policy>", "<turn 1>"]}
{"prompt_cache_key": "req-81d0e4", "messages": ["<policy>", "<turn 1>", "<reply>", "<turn 2>"]}
```

## Use instead
Derive the key from something that stays the same for requests that should share a cache:
the conversation, user or tenant id (or leave it out), never a per-request id or random value.

## Will not fire on
- Providers whose cache is explicit (Anthropic): they route no `prompt_cache_key`.
- Requests without `prompt_cache_key`, or whose key was used before in the log.
- A new conversation's first request under its own new key (one key per conversation or user
  is the recommended use): the rule needs a request that continues an earlier one under a
  different key.
- Recent requests sharing the prefix that reuse a key (keys are stable, one just changed).
- Prefixes shorter than the model's minimum.

## Options
None.
"""

from __future__ import annotations

from collections.abc import Iterator

from promptcache.engine.findings import Hit, Severity
from promptcache.engine.rule_api import Context, Group, Rule
from promptcache.rules._breakpoints import explicit
from promptcache.rules._traffic import body_path, cacheable, continues
from promptcache.snippets import excerpt
from promptcache.tokens.counting import CountedRequest
from promptcache.tokens.prefix import SharedPrefix

_MIN_KEYS = 2
"""Earlier requests with their own keys that must share the prefix: one key change is not a
pattern."""


def check(context: Context) -> Iterator[Hit]:
    """A hit when a request continues an earlier one under a new key, and keys never repeat."""
    current = context.current
    key = current.request.cache_key
    # The stream is keyed by prompt_cache_key: an earlier request in it means the key repeats.
    if not key or context.history or explicit(current):
        return  # an explicit cache (Anthropic) has no prompt_cache_key routing to scatter
    rules = current.facts.cache
    keyed: list[tuple[CountedRequest, SharedPrefix]] = []
    for neighbor in context.neighbors:
        if not neighbor.request.cache_key:
            continue
        shared = context.shared_with(neighbor)
        if cacheable(shared.tokens, rules):
            keyed.append((neighbor, shared))
    keys = {neighbor.request.cache_key for neighbor, _ in keyed}
    if len(keyed) < _MIN_KEYS or len(keys) < len(keyed):
        return
    continued = [(neighbor, shared) for neighbor, shared in keyed if continues(neighbor, shared)]
    if not continued:
        return
    # The latest on ties: the turn just before this one.
    earlier, shared = max(reversed(continued), key=lambda pair: pair[1].tokens)
    old_key = earlier.request.cache_key or ""
    yield Hit(
        location=current.request.location,
        path=f"{body_path(current.request)}.prompt_cache_key",
        group=current.request.model or "an unnamed model",
        message=(f"prompt_cache_key is new, yet the request continues an earlier one (its first "
                 f"{shared.tokens:,} tokens) sent under another key; the {len(keyed) + 1} "
                 "latest requests sharing this prefix carry as many different keys: a key "
                 "that changes per request scatters them over machines that do not hold the "
                 "prefix"),
        fix=("Derive prompt_cache_key from a stable id (conversation, user or tenant), never a "
             "per-request id or random value, or leave it out."),
        tokens_at_risk=cacheable(shared.tokens, rules),
        snippet=f"{excerpt(old_key, 28)} -> {excerpt(key, 28)}",
        compared_with=earlier.request.location,
        against=earlier,
    )


def summarize(group: Group) -> str:
    """How many requests continued an earlier one under a new key."""
    return (f"{group.occurrences:,} requests continued an earlier request under a new "
            "prompt_cache_key, and no key was used twice: a key that changes per request "
            "scatters them over machines that do not hold the prefix")


RULE = Rule(
    code="PC404",
    name="cache-key-random",
    severity=Severity.WARNING,
    summary="prompt_cache_key changes per request, scattering requests that share a prefix.",
    check=check,
    summarize=summarize,
)
