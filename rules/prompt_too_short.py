"""prompt-too-short (PC001): the prompt is below the model's minimum cacheable length.

## What it detects
Requests whose prompt has fewer tokens than the provider's minimum for caching (1024 tokens
for OpenAI models). Requests to the same model are reported together as one finding that
says how many were short and by how much.

## Why it breaks the cache
The provider caches nothing below the minimum and says nothing about it: every token of a
short prompt is billed at the full input price on every request, and the first token takes as
long as if the prefix had never been seen.

## Example
A classifier sends a 600-token system prompt and a 40-token message 50,000 times a day:
640 tokens, 384 short of 1024. None of it is ever cached.

## Use instead
If the requests share a stable prefix, make that prefix cacheable: move stable material
(few-shot examples, reference text, tool definitions) to the front so the shared part reaches
the minimum, or batch several inputs into one request. If the prompts are short and unrelated,
there is nothing to gain: ignore the rule for that log.

## Will not fire on
Prompts at or above the minimum; models whose minimum the catalogue does not list are checked
against the OpenAI default and say so. Partial records (a log that did not keep part of the
prompt, such as the tool definitions): their count is only the least the prompt can be.

## Options
None.
"""

from __future__ import annotations

from collections.abc import Iterator

from promptcache.engine.findings import Hit, Severity
from promptcache.engine.rule_api import Context, Group, Rule


def check(context: Context) -> Iterator[Hit]:
    """One hit for a request below its model's minimum."""
    current = context.current
    minimum = current.facts.cache.min_tokens
    if current.prompt_tokens >= minimum or current.request.partial:
        return
    short_by = minimum - current.prompt_tokens
    model = current.request.model or "an unnamed model"
    if not current.facts.known:
        model += " (not in the catalogue: OpenAI's default minimum)"
    match = context.best_match()
    # What an earlier request already shares with this one is what a cache would have served.
    repeated = match[1].tokens if match else 0
    yield Hit(
        location=current.request.location,
        path="$",
        group=model,
        message=(f"the prompt has {current.prompt_tokens} tokens, {short_by} short of the "
                 f"{minimum}-token minimum for caching on {model}"),
        fix="Put stable content (instructions, examples, tools) first until the shared prefix "
            f"reaches {minimum} tokens, or accept that these requests are not cacheable.",
        tokens_at_risk=repeated,
        snippet=f"{current.prompt_tokens} < {minimum} tokens",
        measure=short_by,
    )


def summarize(group: Group) -> str:
    """One sentence for all the short requests to one model."""
    minimum_phrase = group.first.message.rsplit(" of the ", 1)[-1]
    if group.occurrences == 1:
        return group.first.message
    if group.measure_min == group.measure_max:
        shortfall = f"{group.measure_min} tokens"
    else:
        shortfall = f"{group.measure_min} to {group.measure_max} tokens"
    return f"{group.occurrences} prompts are short of the {minimum_phrase} (by {shortfall})"


RULE = Rule(
    code="PC001",
    name="prompt-too-short",
    severity=Severity.INFO,
    summary="The prompt is below the model's minimum cacheable length.",
    check=check,
    summarize=summarize,
)
