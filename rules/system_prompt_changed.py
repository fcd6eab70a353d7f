"""system-prompt-changed (PC108): the system prompt is rewritten again, or back, mid-session.

## What it detects
In a session (requests with a `prompt_cache_key`, a session id or a `user`), a request that
continues the conversation of an earlier one (the earlier request's messages after the system
prompt are the first messages of this one, and it has more) but whose system prompt (the
leading system and developer messages) is substantially different, when the session's system
prompt had already changed before: it is rewritten a second time, or it goes back to an
earlier version (the versions alternate). A single rewrite is not reported by default (see
`report-single-change`).

The severity is WARNING (one default per rule): what the rule reports is the repeated loss.
A single deliberate change would be INFO at most, so it is left out rather than reported at
the same severity.

## Why it breaks the cache
The system prompt comes before the whole history. Rewriting it makes everything after it, the
entire conversation so far, miss the cache on that turn. Once is the price of a deliberate
change; a prompt that changes again and again, or switches between two versions (two code
paths building it, a feature flag read per turn), pays that price on every switch, and an
alternating prompt also throws away the cache the other version had just built.

## Example
```json
[{"role": "system", "content": "<version A>"}, {"role": "user", "content": "turn 1"}]
[{"role": "system", "content": "<version B>"}, {"role": "user", "content": "turn 1"},
 {"role": "assistant", "content": "..."}, {"role": "user", "content": "turn 2"}]
[{"role": "system", "content": "<version A>"}, {"role": "user", "content": "turn 1"},
 "...", {"role": "user", "content": "turn 3"}]
```
Two code paths build the system prompt and the session alternates between them: each switch
makes the whole conversation miss the cache.

## Use instead
Build the system prompt once per session, in one place, and keep it byte-identical for the
whole conversation; change it between sessions. If part of it must follow the conversation
(a mode, a retrieved note), put that part in a message after the history instead.

## Will not fire on
- A session whose system prompt never changes, or changes once (a deliberate change: one
  miss, not reported unless `report-single-change` is set).
- Requests without a session, prompt_cache_key or user, and different conversations in one
  session (each may have its own system prompt).
- A system prompt that differs in one short span (a timestamp, an id: the dynamic-content
  rules report those) or only in whitespace (whitespace-drift).
- A changed system prompt whose conversation does not continue (parallel requests from one
  template: volatile-before-stable, PC106, reports volatile content there).
- Prompts below the model's minimum cacheable length (1,024 tokens for OpenAI): when the
  previous turn's prompt, up to the end of its conversation, is shorter than that, nothing of
  it was cached, so keeping its system prompt would have saved nothing.

## Options
- `report-single-change` (default false): also report a session's first rewrite of its
  system prompt (an intended change, usually). Configure the rule's severity to `info` if
  you turn this on and only want to see them listed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import pairwise

from promptcache.engine.findings import Hit, Repair, Severity
from promptcache.engine.rule_api import Context, Looks, Rule
from promptcache.model import Segment
from promptcache.rules._conversation import (
    Layout,
    differing_span,
    in_session,
    message_text,
    request_layout,
    same_message,
    substantially_different,
)
from promptcache.snippets import excerpt
from promptcache.tokens.counting import CountedRequest
from promptcache.tokens.prefix import same_content


def check(context: Context) -> Iterator[Hit]:
    """A hit when the conversation continues under a system prompt that differs from the
    previous turn's, after an earlier change in the same conversation."""
    current = context.current
    if not in_session(current.request) or not context.history:
        return
    if context.extends_previous():
        return  # the common case: an append-only next turn
    now = request_layout(current)
    if now.system == 0:
        return
    new = current.request.segments
    conversation = now.conversation
    # The earlier requests of this conversation, oldest first, with their system prompts.
    chain: list[tuple[CountedRequest, Layout, str]] = []
    for earlier in context.history:
        old = earlier.request.segments
        before = request_layout(earlier)
        sent = before.conversation
        if before.system and 0 < len(sent) < len(conversation) and all(
                same_message(old, message, new, other)
                for message, other in zip(sent, conversation, strict=False)):
            chain.append((earlier, before, _system_text(old, before)))
    if not chain:
        return
    previous, before, previous_text = chain[-1]
    # What keeping the previous turn's system prompt would have shared with it: its prompt up
    # to the end of its conversation. Below the minimum it was never cached: nothing to lose.
    if not previous.cacheable or (sum(previous.segment_tokens[:before.conversation[-1].end])
                                       < current.facts.cache.min_tokens):
        return
    text = _system_text(new, now)
    if not substantially_different(previous_text, text):
        return
    changes = [later for (_, _, older), (later, _, newer) in pairwise(chain)
               if substantially_different(older, newer)]
    if not changes and not context.options["report-single-change"]:
        return
    back_to = next((earlier for earlier, _, older in reversed(chain[:-1])
                    if not substantially_different(older, text)), None)
    yield _hit(context, chain, before, now, text, changes, back_to)


def _system_text(segments: Sequence[Segment], shape: Layout) -> str:
    return message_text(segments, shape.messages[:shape.system])


def _hit(context: Context, chain: list[tuple[CountedRequest, Layout, str]], before: Layout,
         now: Layout, text: str, changes: list[CountedRequest],
         back_to: CountedRequest | None) -> Hit:
    current = context.current
    previous, _, previous_text = chain[-1]
    segments = current.request.segments
    # Tokens this request would have read from the previous turn's cache: everything up to
    # the end of that turn's conversation, beyond what it shares with it now.
    end = now.conversation[len(before.conversation) - 1].end
    at_risk = max(0, sum(current.segment_tokens[:end]) - context.shared_with(previous).tokens)
    path = _first_changed_path(previous, before, current, now)
    where = f"{previous.request.location}"
    if back_to is not None:
        group = "alternating"
        message = (f"the system prompt went back to the version of {back_to.request.location} "
                   f"after {where} had changed it: it alternates within the session, and each "
                   f"switch makes {at_risk:,} tokens the previous turn had sent (from the change "
                   "through the conversation) miss the cache")
        fix = ("Build the system prompt one way for the whole session: the versions alternate, "
               "so keep one of them (the session's first) for every turn.")
    elif changes:
        group = "rewritten-again"
        message = (f"the system prompt was rewritten again mid-session ({len(changes) + 1} "
                   f"changes in the session's recent turns, this one against {where}); each "
                   f"rewrite makes {at_risk:,} tokens the previous turn had sent (from the change "
                   "through the conversation) miss the cache")
        fix = ("Settle the system prompt before the session starts, or change it only between "
               "sessions; put any part that must follow the conversation in a message after "
               "the history.")
    else:
        group = "rewritten"
        message = (f"the system prompt was rewritten mid-session (against {where}); "
                   f"{at_risk:,} tokens the previous turn had sent (from the change through the "
                   "conversation) miss the cache once")
        fix = ("If the change was intended, nothing to do; otherwise keep the system prompt "
               "byte-identical for the whole session.")
    return Hit(
        location=current.request.location,
        path=path,
        group=group,
        message=message,
        fix=fix,
        tokens_at_risk=at_risk,
        snippet=_snippet(previous_text, text),
        compared_with=previous.request.location,
        against=previous,
        repair=_back_to_first(chain, now, segments, text) if back_to is not None else None,
    )


def _first_changed_path(previous: CountedRequest, before: Layout, current: CountedRequest,
                        now: Layout) -> str:
    old, new = previous.request.segments, current.request.segments
    old_start, new_start = before.messages[0].start, now.messages[0].start
    new_end = now.messages[now.system - 1].end
    for offset in range(new_end - new_start):
        index = old_start + offset
        if index >= len(old) or not same_content(old[index], new[new_start + offset]):
            return new[new_start + offset].path
    return new[new_start].path


def _back_to_first(chain: list[tuple[CountedRequest, Layout, str]], now: Layout,
                   segments: Sequence[Segment], text: str) -> Repair | None:
    """The session's first system prompt in place of this one (the form a fix converges on),
    when both have the same number of segments; None when this already is that version."""
    first, shape, first_text = chain[0]
    if not substantially_different(first_text, text):
        return None
    old = first.request.segments
    old_start, old_end = shape.messages[0].start, shape.messages[shape.system - 1].end
    new_start, new_end = now.messages[0].start, now.messages[now.system - 1].end
    if old_end - old_start != new_end - new_start:
        return None
    return Repair(replace=tuple(
        (new_start + offset, old[old_start + offset]) for offset in range(new_end - new_start)
        if not same_content(old[old_start + offset], segments[new_start + offset])))


def _snippet(old: str, new: str) -> str:
    start, old_end, new_end = differing_span(old, new)
    left = old[start:old_end].replace("\x00", "\n\n").strip()
    right = new[start:new_end].replace("\x00", "\n\n").strip()
    return f"{excerpt(left, 28) or '(nothing)'} -> {excerpt(right, 28) or '(nothing)'}"



RULE = Rule(
    code="PC108",
    name="system-prompt-changed",
    severity=Severity.WARNING,
    summary="The system prompt is rewritten again, or back, within a session.",
    check=check,
    options={"report-single-change": False},
    options_schema={"report-single-change": {"type": "boolean"}},
    # An append-only next turn returns at once (above): nothing to run there.
    looks_at=Looks.DIVERGENCE,
)
