"""history-rewritten (PC109): a session's next request rewrites its history instead of appending.

## What it detects
In a session (requests with a `prompt_cache_key`, a session id or a `user`), a request that
continues the conversation of an earlier one (that request's last messages reappear, with new
messages after them) but does not begin with it: messages inside the history were dropped
from the front (naive truncation), dropped from the middle, summarized (several replaced by
fewer), edited, reordered or inserted. The system prompt and the tools are the same in both
requests. The finding says which kind of rewrite it is, where the cache now breaks, and how
many tokens of already-sent history miss the cache because of it.

## Why it breaks the cache
A conversation that only appends keeps its whole history as a cached prefix: each turn pays
full price only for what it adds. Rewriting the history moves the first difference from the
end of the prompt into its middle, so every message after it is billed in full again, on
every turn that rewrites. A sliding window that drops the oldest message each turn is the
worst case: nothing after the system prompt is ever cached. OpenAI names naive front
truncation among the common cache breakers.

## Example
```json
[{"role": "system", "content": "..."},
 {"role": "user", "content": "turn 1"}, {"role": "assistant", "content": "reply 1"},
 {"role": "user", "content": "turn 2"}]
[{"role": "system", "content": "..."},
 {"role": "user", "content": "turn 2"}, {"role": "assistant", "content": "reply 2"},
 {"role": "user", "content": "turn 3"}]
```
The second request dropped the first two messages to stay within a budget: the cache breaks
right after the system prompt.

## Use instead
Append to the history and leave sent messages byte-identical. When the history must shrink,
do it rarely and in large steps: cut (or summarize) a big block at once and keep the result
unchanged for many turns, so one miss buys many cached turns. Put corrections in new messages
rather than editing old ones.

## Will not fire on
- Append-only sessions: each request begins with the whole previous prompt.
- Requests without a session, prompt_cache_key or user (their stream mixes conversations).
- Another conversation in the same session (a shared `prompt_cache_key`), even one that ends
  with the same tool call and result: a rewrite counts only when messages people wrote (user
  or assistant text) are kept, and more of the history is kept than replaced (a summary: at
  most two new messages, with at least three kept messages after them).
- A request whose only change is its last message (a regenerated or edited latest turn).
- A history edited in one short span (a timestamp, an id: the dynamic-content rules report
  those) or only in whitespace (whitespace-drift) or only in an image's settings (the image
  rules).
- A changed system prompt or tool list: system-prompt-changed (PC108) and the tool rules.
- Prompts below the model's minimum cacheable length (1,024 tokens for OpenAI): when the
  earlier request's prompt is shorter than that, nothing of it was cached, so appending to
  its history instead would have saved nothing. (A history cut to stay short is still
  reported when the earlier, uncut prompt reached the minimum.)

## Options
None.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from promptcache.engine.findings import Hit, Severity
from promptcache.engine.rule_api import Context, Looks, Rule
from promptcache.model import Segment, SegmentKind
from promptcache.rules._conversation import (
    Layout,
    Message,
    continued_at,
    in_session,
    message_key,
    message_text,
    request_layout,
    same_message,
    substantially_different,
)
from promptcache.snippets import excerpt
from promptcache.tokens.counting import CountedRequest
from promptcache.tokens.prefix import same_content

_INDEX = re.compile(r"\[(\d+)\]")
_SUMMARY_MESSAGES = 2
"""At most this many new messages in place of more old ones read as a summary..."""
_KEPT_AFTER_SUMMARY = 3
"""...when at least this many messages of the earlier history follow it unchanged."""


@dataclass(frozen=True, slots=True)
class _Rewrite:
    """How the current conversation differs from the earlier one, in messages."""

    kind: str
    """front-truncation, dropped, summarized, edited, reordered, inserted or rewritten."""
    first: int
    """Index, in both conversations, of the first message that differs."""
    removed: int
    """Messages of the earlier history not found in the current one at that place."""
    added: int
    """Messages in their place in the current one."""
    edited: int = 0
    """For edits: how many messages changed."""


_FIXES = {
    "front-truncation": "Append to the history instead of dropping the oldest messages every "
                        "turn; when it must shrink, cut a large block at once (or summarize it "
                        "once) and keep the result unchanged for many turns.",
    "dropped": "Keep sent messages in place; when the history must shrink, cut a large block at "
               "once and keep the result unchanged for many turns.",
    "summarized": "Summarize rarely and in large steps, and keep the summary byte-identical "
                  "afterwards, so the turns after it are cached again.",
    "edited": "Leave sent messages byte-identical; put corrections or updates in a new message "
              "at the end.",
    "reordered": "Keep messages in the order they were first sent; build the history by "
                 "appending.",
    "inserted": "Append new messages at the end of the history instead of inserting them "
                "between earlier ones.",
    "rewritten": "Append to the history instead of rewriting it; when it must shrink, do it "
                 "rarely and in large steps, and keep the result unchanged afterwards.",
}


def check(context: Context) -> Iterator[Hit]:
    """A hit when this request continues an earlier request's conversation of the same
    session but changed its history instead of appending to it."""
    current = context.current
    if not in_session(current.request) or not context.history:
        return
    if context.extends_previous():
        return  # the common case: an append-only next turn
    now = request_layout(current)
    for earlier in reversed(context.history):
        before = request_layout(earlier)
        position = continued_at(before, earlier.request.segments, now,
                                current.request.segments)
        if position is None:
            continue
        # The latest request of this conversation: compare with it, or with nothing.
        if not _cached(earlier, before):
            return  # never cached: appending instead would have saved nothing
        if not _same_instructions(earlier, before, current, now):
            return  # tools or system prompt changed: other rules report that
        rewrite = _classify(earlier, before, current, now, position)
        if rewrite is not None:
            yield _hit(context, earlier, now, position, rewrite)
        return


def _cached(earlier: CountedRequest, before: Layout) -> bool:
    """True when ``earlier``'s prompt, up to its reply priming (what an append-only next turn
    would share with it), reaches the minimum cacheable length."""
    return earlier.cacheable and (sum(earlier.segment_tokens[:before.messages[-1].end])
                                       >= earlier.facts.cache.min_tokens)


def _same_instructions(earlier: CountedRequest, before: Layout, current: CountedRequest,
                       now: Layout) -> bool:
    old, new = earlier.request.segments, current.request.segments
    end_old = before.messages[before.system - 1].end if before.system else before.prelude
    end_new = now.messages[now.system - 1].end if now.system else now.prelude
    return end_old == end_new and all(same_content(old[index], new[index])
                                      for index in range(end_old))


def _classify(earlier: CountedRequest, before: Layout, current: CountedRequest, now: Layout,
              position: int) -> _Rewrite | None:
    old_segments, new_segments = earlier.request.segments, current.request.segments
    old, new = before.conversation, now.conversation[:position + 1]

    def same(left: int, right: int) -> bool:
        return same_message(old_segments, old[left], new_segments, new[right])

    first = 0
    while first < min(len(old), len(new)) and same(first, first):
        first += 1
    limit = min(len(old), len(new)) - first
    same_tail = 0
    while same_tail < limit and same(len(old) - 1 - same_tail, len(new) - 1 - same_tail):
        same_tail += 1
    removed, added = len(old) - same_tail - first, len(new) - same_tail - first
    if removed == 0 and added == 0:
        return None  # nothing changed in the part already sent
    # Every kind must show that this is the same conversation, not another one of the session
    # that happens to end with the same messages: tool calls and their results repeat across
    # conversations (the same lookup for the same customer), what people write does not.
    kept = [*old[:first], *old[len(old) - same_tail:]]
    if not any(_written(old_segments, message) for message in kept):
        return None
    if added == 0:  # what is left is the earlier history in order, minus some messages
        return _Rewrite("front-truncation" if first == 0 else "dropped", first, removed, 0)
    if removed == 0:  # all of the earlier history is there, in order
        return _Rewrite("inserted", first, 0, added)
    old_changed, new_changed = old[first:first + removed], new[first:first + added]
    if removed == added and Counter(message_key(old_segments, message)
                                    for message in old_changed) == Counter(
            message_key(new_segments, message) for message in new_changed):
        return _Rewrite("reordered", first, removed, added)
    if added < removed and added <= _SUMMARY_MESSAGES and same_tail >= _KEPT_AFTER_SUMMARY:
        return _Rewrite("summarized", first, removed, added)
    if first + same_tail <= removed:
        return None  # more of the earlier history replaced than kept: another conversation
    if removed == added:
        edited = sum(1 for left, right in zip(old_changed, new_changed, strict=True)
                     if substantially_different(message_text(old_segments, [left]),
                                                message_text(new_segments, [right])))
        if edited == 0:
            return None  # short spans, whitespace or image settings: other rules' evidence
        return _Rewrite("edited", first, removed, added, edited)
    return _Rewrite("summarized" if added < removed else "rewritten", first, removed, added)


def _written(segments: Sequence[Segment], message: Message) -> bool:
    """A user or assistant message with text (not a tool call or a tool result)."""
    if message.role not in ("user", "assistant"):
        return False
    content = segments[message.start + 1:message.end]
    return all(segment.kind is not SegmentKind.TOOL_CALL for segment in content) and any(
        segment.kind is SegmentKind.TEXT and segment.text.strip() for segment in content)


def _hit(context: Context, earlier: CountedRequest, now: Layout, position: int,
         rewrite: _Rewrite) -> Hit:
    current = context.current
    segments = current.request.segments
    conversation = now.conversation
    first = conversation[min(rewrite.first, len(conversation) - 1)]
    last = conversation[position]
    at_risk = sum(current.segment_tokens[first.start:last.end])
    path = segments[first.start].path
    where = _message_name(path)
    what = _describe(rewrite, where)
    return Hit(
        location=current.request.location,
        path=path,
        group=rewrite.kind,
        message=(f"{what} instead of appending to the history of "
                 f"{earlier.request.location}, so the cache breaks at {where} instead of at "
                 f"the end; {at_risk:,} tokens of history that was already sent miss the cache"),
        fix=_FIXES[rewrite.kind],
        tokens_at_risk=at_risk,
        snippet=_snippet(earlier, current, rewrite, first),
        compared_with=earlier.request.location,
        against=earlier,
    )


def _describe(rewrite: _Rewrite, where: str) -> str:
    removed, added = _count(rewrite.removed), _count(rewrite.added)
    if rewrite.kind == "front-truncation":
        return f"the history was truncated from the front ({removed} dropped)"
    if rewrite.kind == "dropped":
        return f"{removed} dropped from the middle of the history (at {where})"
    if rewrite.kind == "summarized":
        return f"{removed} of the history replaced by {added} (summarized)"
    if rewrite.kind == "edited":
        return f"the history was edited ({_count(rewrite.edited)} changed, the first at {where})"
    if rewrite.kind == "reordered":
        return f"{removed} of the history reordered (from {where})"
    if rewrite.kind == "inserted":
        return f"{added} inserted into the history at {where}"
    return f"{removed} of the history replaced by {added} different ones"


def _count(messages: int) -> str:
    return f"{messages:,} message" + ("" if messages == 1 else "s")


def _message_name(path: str) -> str:
    """``$.request.messages[3].content`` -> ``messages[3]``."""
    found = _INDEX.search(path)
    if found is None:
        return path
    return path[path.rfind(".", 0, found.start()) + 1:found.end()]


def _snippet(earlier: CountedRequest, current: CountedRequest, rewrite: _Rewrite,
             first: Message) -> str:
    new_text = _first_text(current.request.segments, first)
    before = request_layout(earlier).conversation
    if rewrite.first < len(before):
        old_text = _first_text(earlier.request.segments, before[rewrite.first])
        return f"{excerpt(old_text, 28)} -> {excerpt(new_text, 28)}"
    return excerpt(new_text, 60)


def _first_text(segments: Sequence[Segment], message: Message) -> str:
    """The message's content (its first text after the frame), else its header or role."""
    for segment in segments[message.start + 1:message.end]:
        if segment.text:
            return segment.text
    return segments[message.start].text or segments[message.start].role or ""



RULE = Rule(
    code="PC109",
    name="history-rewritten",
    severity=Severity.WARNING,
    summary="A session's next request rewrites earlier messages instead of appending to them.",
    check=check,
    # An append-only next turn returns at once (above): nothing to run there.
    looks_at=Looks.DIVERGENCE,
)
