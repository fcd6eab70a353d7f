"""images-changed (PC302): an image in the re-sent history is removed, replaced or moved, or
the images of the newest message are shuffled.

## What it detects
A message of the conversation history that an earlier request of the stream sent with some
images, and that this request re-sends with the same text but with an image left out,
replaced by another image (another URL or other data), the images in another order, or an
image added. The rule looks at the first place where the two prompts differ, and only where
this request continues the earlier conversation: it also re-sends the message that followed
(for example the assistant's answer about the image), so the two are demonstrably the same
conversation. The first request that sent the message (of those long enough to be cached) sets
the form compared against.

In the newest message, where nothing follows, it reports images shuffled: the same text with
as many images, one of which the earlier request sent at another place in the message (a new
first image, the earlier first image moved to second place, as in the third image call of
OpenAI's prompt-caching cookbook). The finding points at the first image that differs. No
saving is claimed for it: the new image is what the request asks about.

## Why it breaks the cache
Images are part of the cached prefix, identified by their URL or data. Changing one in the
middle of the history breaks the prefix there: the image, the rest of the conversation and the
new turn all miss the cache, on every turn that re-sends the history that way. Signed URLs
generated afresh for each request (S3 or GCS pre-signed links with an expiry) are the common
cause: the same picture, a different URL every turn. Dropping old images to save tokens, or
rebuilding messages from an unordered collection, do the same.

## Example
```json
{"type": "image_url", "image_url": {"url": "https://bucket.example/p/1.jpg?X-Amz-Signature=a1..."}}
{"type": "image_url", "image_url": {"url": "https://bucket.example/p/1.jpg?X-Amz-Signature=9f..."}}
```
The second request re-sends turn 1 with a fresh signature: the image and all after it miss.

## Use instead
Send every image of the history exactly as it was first sent: keep the first URL (sign it for
the whole session, or send the data itself), keep the images in their order, and put new
images in a new message at the end. To drop old images, do it once (for example when
summarizing), not a little more each turn. In a message of images that repeat from request to
request, send the repeated ones first, in their first order, and the new ones after them.

## Will not fire on
- The same image with another `detail` (image-detail reports that).
- New images in the newest message where none of the earlier images moved (a new picture
  with the same question, another image added at the end), or a new message with new images
  at the end.
- A history message whose text changed too (a rewrite, not an image change).
- A request that does not re-send what followed the image in an earlier request (another
  conversation that happens to start alike).
- Prompts below the model's minimum cacheable length (1,024 tokens for OpenAI): with the
  images as first sent the request still could not be served from the cache, so the change
  costs nothing yet. An earlier request below the minimum never left a cache entry, so it is
  not compared against either.

## Options
None.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from operator import attrgetter

from promptcache.engine.findings import Hit, Repair, Severity
from promptcache.engine.rule_api import Context, Group, Rule
from promptcache.model import Segment, SegmentKind
from promptcache.tokens.counting import CountedRequest
from promptcache.tokens.prefix import first_divergence, same_content

_KIND = attrgetter("kind")
_MESSAGE = re.compile(r"\.(?:messages|input)\[\d+\]")
_FIXES = {
    "replaced": "Send each image of the history exactly as it was first sent: the same URL "
                "(not a new signed URL per request) or the same data.",
    "removed": "Keep the images of the history once sent; if they must go, drop them once "
               "(for example when summarizing), not a little more each turn.",
    "reordered": "Keep the images of a message in the order they were first sent.",
    "added": "Put new images in a new message at the end, not into earlier messages.",
}
_FIX_NEWEST = ("Send the images that repeat from request to request first, in the order they "
               "were first sent, and new images after them: the cached prefix then reaches "
               "the first new image.")


@dataclass(frozen=True, slots=True)
class _Change:
    kind: str
    message: str
    """JSON path of the message (``$.request.messages[1]``)."""
    begin: int
    """Index of the message's first segment (the same in both requests)."""
    old_end: int
    new_end: int
    old_images: tuple[tuple[int, Segment], ...]
    new_images: tuple[tuple[int, Segment], ...]
    moved: tuple[int, int] | None
    """Set when the message is this request's last, where nothing after it proves the same
    conversation and an image moved within it does: where that image was and is (see
    :func:`_moved`). None for a message of the re-sent history."""

    @property
    def newest(self) -> bool:
        """The message is this request's last."""
        return self.moved is not None


def _image_divergence(old: Sequence[Segment], new: Sequence[Segment],
                      positions: set[int]) -> int | None:
    """Index of the first difference between the two prompts when it is at an image (on
    either side, ``positions`` holds both sides' image indexes), else None. Only image
    positions are compared first, so prompts that agree on their images (append-only
    sessions) cost no walk over their text."""
    limit = min(len(old), len(new))
    for position in sorted(positions):
        if position >= limit:
            break
        if not same_content(old[position], new[position]):
            index = first_divergence(old[:position + 1], new[:position + 1])
            return index if index == position else None
    return None


def _message_path(path: str) -> str | None:
    found = _MESSAGE.search(path)
    return path[:found.end()] if found else None


def _in(path: str, message: str) -> bool:
    return path == message or path.startswith(message + ".")


def _end(segments: Sequence[Segment], begin: int, message: str) -> int:
    end = begin
    while end < len(segments) and _in(segments[end].path, message):
        end += 1
    return end


def _images(segments: Sequence[Segment], begin: int,
            end: int) -> tuple[tuple[int, Segment], ...]:
    return tuple((index, segments[index]) for index in range(begin, end)
                 if segments[index].kind is SegmentKind.IMAGE)


def _identity(segment: Segment) -> str:
    return segment.image.identity if segment.image is not None else ""


def check(context: Context) -> Iterator[Hit]:
    """A hit at the first image change in a re-sent history message."""
    segments = context.current.request.segments
    if not context.history:
        return
    # Image indexes were found once, when each request was counted.
    positions = context.current.image_indexes
    # The earliest request that sent the message sets the form a fix converges on.
    for earlier in context.history:
        if not positions and not earlier.image_indexes:
            continue
        if not earlier.cacheable:
            continue  # too short to have left a cache entry: nothing to lose against it
        old = earlier.request.segments
        index = _image_divergence(old, segments, {*positions, *earlier.image_indexes})
        if index is None:
            continue
        change = _change(old, segments, index)
        if change is not None and (change.newest or _continues(context, change)):
            hit = _hit(context, earlier, change)
            if hit is not None:
                yield hit
            return


def _change(old: Sequence[Segment], new: Sequence[Segment], index: int) -> _Change | None:
    """The image change at ``index`` (the first difference), inside a message both requests
    send with the same text and that this request follows with more; else None."""
    before, after = old[index], new[index]
    if before.kind is not SegmentKind.IMAGE and after.kind is not SegmentKind.IMAGE:
        return None
    if before.kind is after.kind and _identity(before) == _identity(after):
        return None  # the same image with another detail: image-detail's finding
    message = _message_path(before.path if before.kind is SegmentKind.IMAGE else after.path)
    if message is None:
        return None
    begin = index
    while begin > 0 and _in(new[begin - 1].path, message):
        begin -= 1
    old_end, new_end = _end(old, begin, message), _end(new, begin, message)
    if begin in (old_end, new_end):
        return None  # the message is not in both
    newest = new_end >= len(new) or new[new_end].kind is SegmentKind.REPLY_PRIMING
    old_rest = [s for s in old[begin:old_end] if s.kind is not SegmentKind.IMAGE]
    new_rest = [s for s in new[begin:new_end] if s.kind is not SegmentKind.IMAGE]
    if len(old_rest) != len(new_rest) or not all(
            same_content(a, b) for a, b in zip(old_rest, new_rest, strict=True)):
        return None  # the message was rewritten, not only its images
    old_images, new_images = _images(old, begin, old_end), _images(new, begin, new_end)
    old_ids = [_identity(segment) for _, segment in old_images]
    new_ids = [_identity(segment) for _, segment in new_images]
    if len(old_ids) == len(new_ids):
        kind = "reordered" if sorted(old_ids) == sorted(new_ids) else "replaced"
    else:
        kind = "removed" if len(new_ids) < len(old_ids) else "added"
    moved = None
    if newest:
        # New pictures with the same question are what a newest message is for; only an
        # image the earlier request sent, now at another place, shows the same prompt with
        # its images shuffled.
        moved = _moved(old_ids, new_ids) if kind in ("replaced", "reordered") else None
        if moved is None:
            return None
    return _Change(kind, message, begin, old_end, new_end, old_images, new_images, moved)


def _moved(old_ids: Sequence[str], new_ids: Sequence[str]) -> tuple[int, int] | None:
    """(old position, new position) of the first image, in the earlier order, that both
    requests send at different places in the message; None when there is none."""
    for before, identity in enumerate(old_ids):
        if identity in new_ids and new_ids.index(identity) != before:
            return before, new_ids.index(identity)
    return None


def _continues(context: Context, change: _Change) -> bool:
    """True when some earlier request sent, after this message, the very message this request
    sends after it: the same conversation, not one that starts alike."""
    new = context.current.request.segments
    following = _message_path(new[change.new_end].path)
    if following is None:
        return False
    wanted = new[change.new_end:_end(new, change.new_end, following)]
    for earlier in context.history:
        old = earlier.request.segments
        if change.begin >= len(old) or not _in(old[change.begin].path, change.message):
            continue
        start = _end(old, change.begin, change.message)
        sent = old[start:start + len(wanted)]
        if len(sent) == len(wanted) and all(
                same_content(a, b) for a, b in zip(sent, wanted, strict=True)):
            return True
    return False


def _hit(context: Context, earlier: CountedRequest, change: _Change) -> Hit | None:
    at_risk = _gain(context, change)
    if at_risk is None:
        return None  # with the images as before it would still share less than the minimum
    if change.moved is not None:
        return _newest_hit(context, earlier, change, change.moved, at_risk)
    request = context.current.request
    new = request.segments
    repair: Repair | None = None
    if change.kind in ("replaced", "reordered"):
        replacements = {
            index: replace(before, path=after.path)
            for (_, before), (index, after) in zip(change.old_images, change.new_images,
                                                    strict=True)
            if _identity(before) != _identity(after)}
        repair = Repair(replace=tuple(replacements.items()))
        where = min(replacements)
        shown_old = next(before for (_, before), (index, _) in zip(
            change.old_images, change.new_images, strict=True) if index == where)
        shown_new = new[where]
    elif change.kind == "removed":
        gone = _surplus(change.old_images, change.new_images)
        where = gone[0][0]  # what now sits where the image was, if still in the message
        shown_old, shown_new = gone[0][1], None
    else:
        extra = _surplus(change.new_images, change.old_images)
        repair = Repair(
            replace=tuple((index, Segment(SegmentKind.OTHER, segment.path, "", role=segment.role))
                          for index, segment in extra),
            append=tuple(segment for _, segment in extra))
        where = extra[0][0]
        shown_old, shown_new = None, extra[0][1]
    path = new[where].path if where < change.new_end else change.message
    name = change.message[change.message.rfind(".") + 1:]  # messages[1], input[3]
    role = new[change.begin].role or "a"
    line = earlier.request.location.line
    return Hit(
        location=request.location,
        path=path,
        group=change.kind,
        message=(f"{_what(change.kind, role, name, line)} "
                 f"({_name(shown_old)} -> {_name(shown_new)}); {at_risk:,} tokens from there "
                 "on miss the cache"
                 + (" (a new URL for the same picture, such as a signed URL made per request, "
                    "is another image)" if change.kind == "replaced" else "")),
        fix=_FIXES[change.kind],
        tokens_at_risk=at_risk,
        snippet=f"{_name(shown_old)} -> {_name(shown_new)}",
        compared_with=earlier.request.location,
        against=earlier,
        repair=repair,
    )


def _newest_hit(context: Context, earlier: CountedRequest, change: _Change,
                moved: tuple[int, int], at_risk: int) -> Hit:
    """The hit for images shuffled in the newest message. No repair is replayed: the new
    images are what the request asks about, so no saving is claimed, only the miss explained."""
    request = context.current.request
    first = next(position for position, ((_, before), (_, after))
                 in enumerate(zip(change.old_images, change.new_images, strict=True))
                 if _identity(before) != _identity(after))
    where, shown_new = change.new_images[first]
    shown_old = change.old_images[first][1]
    line = earlier.request.location.line
    name = change.message[change.message.rfind(".") + 1:]
    role = request.segments[change.begin].role or "a"
    what = ("come in another order than at line" if change.kind == "reordered"
            else "are replaced and reordered since line")
    return Hit(
        location=request.location,
        path=request.segments[where].path,
        group=change.kind,
        message=(f"the images of the {role} message at {name} {what} {line}: the "
                 f"{_ordinal(first)} image is {_name(shown_new)} where line {line} sent "
                 f"{_name(shown_old)}, and line {line}'s {_ordinal(moved[0])} image now comes "
                 f"{_ordinal(moved[1])}; the prompt stops matching there, {at_risk:,} tokens "
                 "from there on miss the cache"),
        fix=_FIX_NEWEST,
        tokens_at_risk=at_risk,
        snippet=f"{_name(shown_old)} -> {_name(shown_new)}",
        compared_with=earlier.request.location,
        against=earlier,
        repair=None,
    )


def _ordinal(position: int) -> str:
    names = ("first", "second", "third", "fourth", "fifth")
    return names[position] if position < len(names) else f"number {position + 1}"


def _what(kind: str, role: str, name: str, line: int) -> str:
    where = f"the {role} message at {name} of the re-sent history"
    if kind == "replaced":
        return f"an image in {where} is another image than at line {line}"
    if kind == "removed":
        return f"an image that line {line} sent in {where} is left out"
    if kind == "reordered":
        return f"the images in {where} come in another order than at line {line}"
    return f"an image is added to {where}, which line {line} sent without it"


def _name(segment: Segment | None) -> str:
    if segment is None or segment.image is None:
        return "no image"
    return f"{segment.image.source_hint or 'image'} #{segment.image.identity[:8]}"


def _surplus(more: Sequence[tuple[int, Segment]],
             fewer: Sequence[tuple[int, Segment]]) -> list[tuple[int, Segment]]:
    """The images of ``more`` that ``fewer`` lacks (counting repeats)."""
    available = Counter(_identity(segment) for _, segment in fewer)
    surplus = []
    for index, segment in more:
        identity = _identity(segment)
        if available[identity] > 0:
            available[identity] -= 1
        else:
            surplus.append((index, segment))
    return surplus


def _gain(context: Context, change: _Change) -> int | None:
    """What the current request would share with the best earlier request of the stream had
    the images of the changed message been as before, beyond what it already shares with any
    earlier request; None when that is below the minimum cacheable length. Every earlier
    request long enough to have been cached counts (one that re-sent the message with other
    images still shows what the fixed prompt would share): replaced or reordered images are
    taken as equal, removed ones as still there, added ones as moved out of the message."""
    current = context.current
    segments = current.request.segments
    message = change.message
    in_place = change.kind in ("replaced", "reordered")
    mine = [(index, segment) for index, segment in enumerate(segments)
            if _image_in(segment, message)]
    most = 0
    for earlier in context.history:
        if not earlier.cacheable:
            continue
        theirs = [(index, segment) for index, segment in enumerate(earlier.request.segments)
                  if _image_in(segment, message)]
        if in_place:
            skip_old, skip_new = {i for i, _ in theirs}, {i for i, _ in mine}
        else:
            skip_old = {i for i, _ in _surplus(theirs, mine)}
            skip_new = {i for i, _ in _surplus(mine, theirs)}
        old = [segment for index, segment in enumerate(earlier.request.segments)
               if index not in skip_old]
        new = [index for index in range(len(segments)) if index not in skip_new]
        shared = 0
        for before, index in zip(old, new, strict=False):
            if not same_content(before, segments[index]):
                break
            shared += current.segment_tokens[index]
        else:
            index = len(segments)
        if in_place and index >= change.new_end:
            # Past the message: its images would have been shared too.
            shared += sum(current.segment_tokens[i] for i, _ in mine)
        most = max(most, shared)
    return context.gain_beyond_best(most)


def _image_in(segment: Segment, message: str) -> bool:
    return segment.kind is SegmentKind.IMAGE and _in(segment.path, message)


def summarize(group: Group) -> str:
    """The first hit, and how many requests show the same kind of change."""
    return f"{group.first.message} ({group.occurrences} requests)"


RULE = Rule(
    code="PC302",
    name="images-changed",
    severity=Severity.WARNING,
    summary=("An image in the re-sent history is removed, replaced, reordered or added, or the "
             "images of the newest message are shuffled."),
    check=check,
    summarize=summarize,
)
