"""model-changed (PC207): the model changes between consecutive requests of a session.

## What it detects
Two consecutive requests of one session (the same `prompt_cache_key`, session id or user)
that name different models, where the second re-sends enough of the first (tools, system
prompt, history) that it would have been served from the cache had the model stayed the same.
The finding says which models, how many re-sent tokens miss, and whether the session switches
back and forth. Names are compared as written: an alias and its dated snapshot (`gpt-4o`,
`gpt-4o-2024-08-06`) count as two models, since whether they share a cache is not documented.

## Why it breaks the cache
Each model has its own cache: a prefix cached for one model is never served to another, so
the first request after a switch pays full price for the whole conversation so far, and a
session that alternates between two models keeps paying it. A deliberate switch (escalating a
hard turn to a larger model) is a trade-off, not a bug, so the rule is informational by
default; configure it as a warning where sessions are meant to stay on one model.

## Example
Turns 1 to 5 of a support chat go to `gpt-4o-mini`; turn 6 is routed to `gpt-4o`. Turn 6
re-sends 9,000 tokens of tools, policy and history, and none of them is cached for `gpt-4o`.

## Use instead
Pick the model once per session. If some turns need a stronger model, route whole sessions
(or a self-contained sub-task with a short prompt of its own), not single turns of a long one.

## Will not fire on
- Requests without a session (no cache key, session id or user): consecutive requests of a
  plain log are unrelated.
- A switch where the second request re-sends less of the first than the model's minimum
  cacheable length, or where the first request was itself below its model's minimum (1,024
  tokens for OpenAI): nothing was cached to lose. Tokenizers differ between model families,
  so the re-sent part may reach the minimum in the new model's tokens while the first
  request, in its own, did not.
- Requests that do not name a model.

## Options
None.
"""

from __future__ import annotations

from collections.abc import Iterator

from promptcache.engine.findings import Hit, Severity
from promptcache.engine.rule_api import Context, Group, Rule
from promptcache.rules._compare import body_path, setting_change
from promptcache.snippets import excerpt
from promptcache.tokens.counting import CountedRequest


def _model(request: CountedRequest) -> str | None:
    return request.request.model or None


def _shown(model: str) -> str:
    return excerpt(model, 60)


def check(context: Context) -> Iterator[Hit]:
    """A hit when the model differs from the previous request of the session."""
    change = setting_change(context, _model)
    if change is None:
        return
    current = context.current.request
    note = change.history_note(repr(_shown(change.new)))
    yield Hit(
        location=current.location,
        path=f"{body_path(current)}.model",
        group=change.group,
        message=(f"the model changes from {_shown(change.old)!r} to {_shown(change.new)!r} in "
                 f"{change.session} since line {change.previous.request.location.line}"
                 f"{note}: each model has its own cache, so the "
                 f"{change.at_risk:,} tokens this request re-sends miss it"),
        fix="Keep one model for the whole session; route whole sessions, not single turns, "
            "to another model.",
        tokens_at_risk=change.at_risk,
        snippet=f"{_shown(change.old)} -> {_shown(change.new)}",
        compared_with=change.previous.request.location,
        against=change.previous,
    )


def summarize(group: Group) -> str:
    """The first switch, and how many there are."""
    return f"{group.first.message} ({group.occurrences} switches between these models)"


RULE = Rule(
    code="PC207",
    name="model-changed",
    severity=Severity.INFO,
    summary="The model changes between consecutive requests of a session.",
    check=check,
    summarize=summarize,
)
