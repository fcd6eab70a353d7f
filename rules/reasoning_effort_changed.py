"""reasoning-effort-changed (PC208): the reasoning effort changes within a session.

## What it detects
Two consecutive requests of one session (the same `prompt_cache_key`, session id or user)
with different reasoning efforts (`reasoning_effort` in Chat Completions, `reasoning.effort`
in the Responses API), where the second re-sends enough of the first to have been served from
the cache had the effort stayed the same. The finding says which efforts, how many re-sent
tokens miss, and whether the session switches back and forth.

## Why it breaks the cache
OpenAI names a reasoning-effort change among the changes that break the cached prefix: the
effort is part of the prompt the model reads, ahead of the conversation, so the request after
a change pays full price for everything it re-sends. Picking the effort per turn (low for
chit-chat, high for hard questions) is a legitimate trade-off, so the rule is informational by
default; configure it as a warning where the effort is meant to stay fixed.

## Example
Turns 1 to 4 of an agent session send `"reasoning_effort": "low"`; turn 5 sends `"high"` and
re-sends 12,000 tokens of tools and history that the cache cannot serve.

## Use instead
Choose the effort once per session. If one step needs deeper reasoning, run it as a separate
request with a short prompt of its own rather than flipping the effort of the long
conversation.

## Will not fire on
- Requests without a session (no cache key, session id or user).
- A change where the second request re-sends less of the first than the model's minimum
  cacheable length, or where the first request was itself below it (1,024 tokens for
  OpenAI): nothing was cached to lose.
- An effort left out on one request and set to `medium` or `none` on the other: those are the
  models' defaults (`medium` for o-series and gpt-5, `none` for gpt-5.1 and later), so the two
  may well be the same setting.

## Options
None.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from promptcache.engine.findings import Hit, Severity
from promptcache.engine.rule_api import Context, Group, Rule
from promptcache.rules._compare import body_path, setting_change
from promptcache.snippets import excerpt
from promptcache.tokens.counting import CountedRequest

_NOT_SET = "not set (the model's default)"
_POSSIBLE_DEFAULTS = frozenset({"'medium'", "'none'"})


def _effort(request: CountedRequest) -> str:
    raw = request.request.settings.get("reasoning_effort")
    if raw is None:
        return _NOT_SET
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    return repr(excerpt(value, 20)) if isinstance(value, str) else excerpt(raw, 40)


def _comparable(old: str, new: str) -> bool:
    if old == _NOT_SET:
        return new not in _POSSIBLE_DEFAULTS
    if new == _NOT_SET:
        return old not in _POSSIBLE_DEFAULTS
    return True


def check(context: Context) -> Iterator[Hit]:
    """A hit when the reasoning effort differs from the previous request of the session."""
    change = setting_change(context, _effort, _comparable)
    if change is None:
        return
    current = context.current.request
    field = "reasoning_effort" if current.api == "openai.chat" else "reasoning.effort"
    yield Hit(
        location=current.location,
        path=f"{body_path(current)}.{field}",
        group=change.group,
        message=(f"the reasoning effort changes from {change.old} to {change.new} in "
                 f"{change.session} since line {change.previous.request.location.line}"
                 f"{change.history_note()}: the effort is part of the cached prefix, so the "
                 f"{change.at_risk:,} tokens this request re-sends miss the cache"),
        fix="Keep one reasoning effort for the whole session; run a step that needs another "
            "effort as a separate, short request.",
        tokens_at_risk=change.at_risk,
        snippet=f"{change.old} -> {change.new}",
        compared_with=change.previous.request.location,
        against=change.previous,
    )


def summarize(group: Group) -> str:
    """The first change, and how many there are."""
    return f"{group.first.message} ({group.occurrences} changes between these efforts)"


RULE = Rule(
    code="PC208",
    name="reasoning-effort-changed",
    severity=Severity.INFO,
    summary="The reasoning effort changes between consecutive requests of a session.",
    check=check,
    summarize=summarize,
)
