"""thinking-changed (PC508): extended thinking is switched or resized within a session.

## What it detects
Two consecutive requests of one session (the same session id or user) whose `thinking`
setting differs: enabled on one and not the other, or another `budget_tokens` or type, where
the second re-sends enough of the first to have been read from the cache had the setting
stayed the same. The finding gives the two settings, the message tokens that miss, and
whether the session switches back and forth.

## Why it breaks the cache
Anthropic's "Prompt caching" documentation ("What invalidates the cache"): changing the
thinking parameters (turning it on or off, or changing the budget) invalidates the cached
messages; the tool definitions and the system prompt stay cached. The request after the
change writes the whole conversation again, at the write premium.

## Example
An agent turns thinking on for the turns it judges hard and off for the others: every switch
re-sends the history at 1.25x instead of 0.1x.

## Use instead
Keep one `thinking` setting for the whole session; if some turns need more reasoning, keep
thinking enabled with one budget and let the model use less of it, or run the hard step as a
separate request.

## Will not fire on
- Providers without a `thinking` setting (OpenAI: see reasoning-effort-changed, PC208).
- Requests without a session: consecutive requests may be unrelated.
- A change where the second request re-sends less of the first than the model's minimum, or
  where only the tools and system prompt are re-sent (they stay cached).

## Options
None.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from promptcache.engine.findings import Hit, Severity
from promptcache.engine.rule_api import Context, Group, Rule
from promptcache.rules._breakpoints import explicit, tokens_before_messages
from promptcache.rules._compare import body_path, setting_change
from promptcache.snippets import excerpt
from promptcache.tokens.counting import CountedRequest

_OFF = "disabled"


def _thinking(counted: CountedRequest) -> str | None:
    if not explicit(counted):
        return None
    raw = counted.request.settings.get("thinking")
    if raw is None:
        return _OFF
    try:
        value = json.loads(raw)
    except ValueError:
        return excerpt(raw, 40)
    if not isinstance(value, dict):
        return excerpt(raw, 40)
    kind = str(value.get("type", "enabled"))
    budget = value.get("budget_tokens")
    return f"{kind} (budget {budget:,})" if isinstance(budget, int) else kind


def check(context: Context) -> Iterator[Hit]:
    """A hit when the thinking setting differs from the previous request of the session."""
    change = setting_change(context, _thinking)
    if change is None:
        return
    at_risk = change.at_risk - tokens_before_messages(context.current)
    if at_risk <= 0:
        return
    current = context.current.request
    yield Hit(
        location=current.location,
        path=f"{body_path(current)}.thinking",
        group=change.group,
        message=(f"thinking changes from {change.old} to {change.new} in {change.session} "
                 f"since line {change.previous.request.location.line}{change.history_note()}: "
                 f"the change invalidates the cached messages, so the {at_risk:,} message "
                 "tokens this request re-sends miss the cache"),
        fix="Keep one thinking setting (type and budget) for the whole session.",
        tokens_at_risk=at_risk,
        snippet=f"{change.old} -> {change.new}",
        compared_with=change.previous.request.location,
        against=change.previous,
    )


def summarize(group: Group) -> str:
    """The first change, and how many there are."""
    return f"{group.first.message} ({group.occurrences} changes between these settings)"


RULE = Rule(
    code="PC508",
    name="thinking-changed",
    severity=Severity.INFO,
    summary="Extended thinking is switched on or off, or resized, within a session.",
    check=check,
    summarize=summarize,
)
