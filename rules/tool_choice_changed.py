"""tool-choice-changed (PC205): `tool_choice` changes within a session.

## What it detects
Two consecutive requests of one session (the same `prompt_cache_key`, session id or user),
both with tools, whose `tool_choice` differs (a missing `tool_choice` counts as `"auto"`, the
provider's default when tools are sent), where the second re-sends enough of the first to
have been served from the cache had the setting stayed the same. The finding says which
values, how many re-sent tokens miss, and whether the session switches back and forth.

## Why it breaks the cache
`tool_choice` is rendered into the prompt ahead of the conversation. Anthropic documents that
changing it invalidates the cached messages; OpenAI lists tool changes among the prefix
breakers but does not say where it renders `tool_choice`, so promptcache assumes the same: the
request after a change pays full price for everything it re-sends (on Anthropic, for the
messages it re-sends: the tools and the system prompt before them stay cached). Forcing a
tool on one turn is often deliberate, so the rule is informational by default; configure it
as a warning where the setting is meant to stay fixed.

## Example
An agent sends `"tool_choice": "required"` on its planning turns and `"auto"` on the others:
every switch re-sends the tools, the instructions and the history at full price.

## Use instead
Keep `tool_choice` the same for the whole session. To limit which tools one turn may call,
keep the tool list and the setting fixed and say so in the newest message, or use
`{"type": "allowed_tools", ...}` consistently.

## Will not fire on
- Requests without a session, or without tools on either side of the change (without
  tools there is nothing to choose from).
- `"auto"` written out on one request and left out on the other (the same setting).
- Two `allowed_tools` choices with different lists: OpenAI offers `allowed_tools` precisely so
  that the tools, and the cached prefix, stay the same while the callable subset changes.
- A change where the second request re-sends less of the first than the model's minimum
  cacheable length, or where the first request was itself below it (1,024 tokens for
  OpenAI): nothing was cached to lose.

## Options
None.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from promptcache.engine.findings import Hit, Severity
from promptcache.engine.rule_api import Context, Group, Rule
from promptcache.model import SegmentKind
from promptcache.rules._breakpoints import explicit, tokens_before_messages
from promptcache.rules._compare import body_path, setting_change
from promptcache.snippets import excerpt
from promptcache.tokens.counting import CountedRequest

_AUTO = '"auto"'
_ALLOWED = "allowed_tools"


def _choice(request: CountedRequest) -> str | None:
    if not any(segment.kind is SegmentKind.TOOL for segment in request.request.segments):
        return None
    raw = request.request.settings.get("tool_choice")
    return _AUTO if raw is None else _label(raw)


def _label(raw: str) -> str:
    """A short, readable form of a tool_choice value: "auto", function 'x', allowed_tools..."""
    try:
        value = json.loads(raw)
    except ValueError:
        return excerpt(raw, 50)
    if isinstance(value, str):
        return f'"{excerpt(value, 30)}"'
    if not isinstance(value, dict):
        return excerpt(raw, 50)
    kind = value.get("type")
    if kind == _ALLOWED:
        names = [_name(tool) for tool in value.get("tools") or [] if isinstance(tool, dict)]
        return excerpt(f"{_ALLOWED} {value.get('mode', 'auto')} [{', '.join(names)}]", 60)
    name = _name(value)
    return excerpt(f"{kind} {name!r}" if name else str(kind), 50)


def _name(value: dict[str, object]) -> str:
    inner = value.get("function")
    name = inner.get("name") if isinstance(inner, dict) else value.get("name")
    return name if isinstance(name, str) else ""


def _comparable(old: str, new: str) -> bool:
    return not (old.startswith(_ALLOWED) and new.startswith(_ALLOWED))


def check(context: Context) -> Iterator[Hit]:
    """A hit when tool_choice differs from the previous request of the session."""
    change = setting_change(context, _choice, _comparable)
    if change is None:
        return
    at_risk = change.at_risk
    if explicit(context.current):
        # Anthropic's invalidation table: a tool_choice change invalidates the cached
        # messages; the tools and system prompt before them stay cached.
        at_risk -= tokens_before_messages(context.current)
        if at_risk <= 0:
            return
    current = context.current.request
    old, new = change.old, change.new
    yield Hit(
        location=current.location,
        path=f"{body_path(current)}.tool_choice",
        group=change.group,
        message=(f"tool_choice changes from {old} to {new} in {change.session} since line "
                 f"{change.previous.request.location.line}{change.history_note()}: the "
                 f"{at_risk:,} tokens this request re-sends miss the cache"),
        fix="Keep tool_choice the same for the whole session (or restrict tools per turn with "
            "allowed_tools, sent the same way every time).",
        tokens_at_risk=at_risk,
        snippet=f"{old} -> {new}",
        compared_with=change.previous.request.location,
        against=change.previous,
    )


def summarize(group: Group) -> str:
    """The first change, and how many there are."""
    return f"{group.first.message} ({group.occurrences} changes between these values)"


RULE = Rule(
    code="PC205",
    name="tool-choice-changed",
    severity=Severity.INFO,
    summary="tool_choice changes between consecutive requests of a session.",
    check=check,
    summarize=summarize,
)
