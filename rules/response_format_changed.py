"""response-format-changed (PC206): the structured-output schema changes within a session.

## What it detects
Two consecutive requests of one session (the same `prompt_cache_key`, session id or user)
whose `json_schema` response format differs: another schema, a schema added, or a schema
dropped, where the second request re-sends enough of the first to have been served from the
cache had the format stayed the same. The finding names the schemas, says how many re-sent
tokens miss, and whether the session switches back and forth.

## Why it breaks the cache
The schema is rendered into the prompt after the tool definitions and before the system
message and the history. Another schema is another prefix from there on: the instructions and
the whole conversation after it pay full price. Asking for a different structure on some turns
is often deliberate, so the rule is informational by default; configure it as a warning where
the format is meant to stay fixed.

## Example
A claims assistant answers in free text, but on the turn that files the claim it sends
`"response_format": {"type": "json_schema", "json_schema": {"name": "claim", ...}}`: that
turn re-sends 6,000 tokens of policy and history that the cache cannot serve.

## Use instead
Keep one response format for the session. If one step needs structured output, use a tool
(kept in the tool list every turn) whose arguments carry the structure, or make the extraction
a separate request with a short prompt of its own.

## Will not fire on
- Requests without a session (no cache key, session id or user).
- The same schema with its keys in another order (tool-schema-key-order reports that) or with
  changes the provider leaves out of the prompt (`required`, `additionalProperties`, `strict`).
- Switching between no response format, `text` and `json_object`: they add nothing to the
  prompt.
- A change where the second request re-sends less of the first than the model's minimum
  cacheable length, or where the first request was itself below it (1,024 tokens for
  OpenAI): nothing was cached to lose.

## Options
None.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from promptcache.engine.findings import Hit, Severity
from promptcache.engine.rule_api import Context, Group, Rule
from promptcache.model import Segment, SegmentKind
from promptcache.rules._compare import body_path, setting_change
from promptcache.snippets import excerpt
from promptcache.tokens.counting import CountedRequest

_NONE = "no json_schema"
_HEADER = "## "
_SKIP = frozenset({SegmentKind.RESPONSE_FORMAT})


def _format_segment(request: CountedRequest) -> Segment | None:
    for segment in request.request.segments:
        if segment.kind is SegmentKind.RESPONSE_FORMAT:
            return segment
        if segment.kind is not SegmentKind.TOOL and segment.kind is not SegmentKind.TOOLS_FRAME:
            return None  # the schema comes right after the tools, before any message
    return None


def _body(segment: Segment) -> str:
    # After tools the renderer starts the section with a blank line: not part of the schema.
    return segment.text.removeprefix("\n\n")


def _label(request: CountedRequest) -> str:
    """The schema's name and a short digest of its rendering (equal renderings, equal labels),
    worked out once per request (each is compared again with the next)."""
    return request.derived(_make_label)


def _make_label(request: CountedRequest) -> str:
    segment = _format_segment(request)
    if segment is None:
        return _NONE
    body = _body(segment)
    start = body.find(_HEADER)
    name = body[start + len(_HEADER):body.find("\n", start)] if start >= 0 else ""
    digest = hashlib.blake2b(body.encode("utf-8", "replace"), digest_size=3).hexdigest()
    return f"schema {excerpt(name, 40)!r} #{digest}"


def check(context: Context) -> Iterator[Hit]:
    """A hit when the response format differs from the previous request of the session."""
    change = setting_change(context, _label, skip=_SKIP, in_prompt=True)
    if change is None:
        return
    current = context.current
    new, old = _format_segment(current), _format_segment(change.previous)
    if new is not None and old is not None and new.canonical and new.canonical == old.canonical:
        return  # only the keys' order differs: tool-schema-key-order's finding
    request = current.request
    path = new.path if new is not None else (
        f"{body_path(request)}.response_format" if request.api == "openai.chat"
        else f"{body_path(request)}.text.format")
    yield Hit(
        location=request.location,
        path=path,
        group=change.group,
        message=(f"the response format changes from {change.old} to {change.new} in "
                 f"{change.session} since line {change.previous.request.location.line}"
                 f"{change.history_note()}: the schema sits ahead of the messages, so the "
                 f"{change.at_risk:,} tokens this request re-sends after it miss the cache"),
        fix="Keep one response format for the whole session; get other structures through a "
            "tool that is always sent, or from a separate short request.",
        tokens_at_risk=change.at_risk,
        snippet=f"{change.old} -> {change.new}",
        compared_with=change.previous.request.location,
        against=change.previous,
    )


def summarize(group: Group) -> str:
    """The first change, and how many there are."""
    return f"{group.first.message} ({group.occurrences} changes between these formats)"


RULE = Rule(
    code="PC206",
    name="response-format-changed",
    severity=Severity.INFO,
    summary="The structured-output schema changes between consecutive requests of a session.",
    check=check,
    summarize=summarize,
)
