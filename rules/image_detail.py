"""image-detail (PC301): the same image is sent with different `detail` settings.

## What it detects
An image (the same URL or the same data) that an earlier request of the stream sent with one
`detail` value and this request sends with another. A missing `detail` counts as `auto`,
which is what the provider applies.

## Why it breaks the cache
The image's tokens depend on `detail` (85 tokens at `low`, up to about 1,100 at `high` for
gpt-4o), and the provider caches the image as rendered. A different `detail` is a different
prefix from the image on: the image and everything after it miss the cache.

## Example
```json
{"type": "image_url", "image_url": {"url": "https://cdn.example.com/p/123.png", "detail": "high"}}
{"type": "image_url", "image_url": {"url": "https://cdn.example.com/p/123.png"}}
```

## Use instead
Set `detail` explicitly and the same way every time an image is sent, for example in the one
function that builds image parts.

## Will not fire on
- Different images with different settings.
- The same image always sent with the same setting, explicit or not.
- Prompts below the model's minimum cacheable length (1,024 tokens for OpenAI): with the
  earlier `detail` the request still could not be served from the cache, so the setting
  costs no cached tokens yet. An earlier request below the minimum never left a cache entry,
  so it does not set the `detail` compared against either; the first one at or above the
  minimum that sent the image does.

## Options
None.
"""

from __future__ import annotations

from collections.abc import Iterator

from promptcache.engine.findings import Hit, Repair, Severity
from promptcache.engine.rule_api import Context, Group, Rule
from promptcache.model import ImageRef
from promptcache.tokens.counting import CountedRequest


def _images(request: CountedRequest) -> Iterator[tuple[int, ImageRef]]:
    segments = request.request.segments
    for index in request.image_indexes:
        image = segments[index].image
        if image is not None:
            yield index, image


def check(context: Context) -> Iterator[Hit]:
    """A hit for each image this request sends with another detail than before."""
    current = context.current
    if not current.image_indexes:
        return  # the common case: no image to compare
    reported: set[str] = set()
    seen: dict[str, tuple[int, ImageRef, CountedRequest]] = {}
    for earlier in context.history:
        if not earlier.image_indexes or not earlier.cacheable:
            continue  # no image, or too short to have left a cache entry
        for position, image in _images(earlier):
            # The first time the stream sent the image sets the detail the fix converges on.
            seen.setdefault(image.identity, (position, image, earlier))
    for index, image in _images(current):
        previous = seen.get(image.identity)
        if previous is None or image.identity in reported:
            continue
        position, before, where = previous
        if before.detail == image.detail:
            continue
        # What sending the image as the earlier request did would have shared with it.
        as_before = where.request.segments[position]
        at_risk = context.tokens_gained(where, {index: (as_before, where.segment_tokens[position])})
        if at_risk is None:
            continue  # as before it would still share less than the minimum
        reported.add(image.identity)
        segment = current.request.segments[index]
        yield Hit(
            location=current.request.location,
            path=segment.path,
            group=image.identity,
            message=(f"an image ({image.source_hint}) is sent with detail {_label(image)} "
                     f"here and {_label(before)} in {where.request.location}; "
                     f"{at_risk:,} tokens from it on miss the cache"),
            fix="Set `detail` explicitly, to the same value, wherever this image is sent.",
            tokens_at_risk=at_risk,
            snippet=f"detail {_label(before)} -> {_label(image)}",
            compared_with=where.request.location,
            against=where,
            repair=Repair(replace=((index, as_before),)),
        )


def _label(image: ImageRef) -> str:
    return repr(image.detail) if image.detail_explicit else f"'{image.detail}' (not set)"


def summarize(group: Group) -> str:
    """How many requests disagree on the image's detail."""
    if group.occurrences == 1:
        return group.first.message
    return f"{group.first.message} ({group.occurrences} requests)"


RULE = Rule(
    code="PC301",
    name="image-detail",
    severity=Severity.WARNING,
    summary="The same image is sent with different `detail` settings across requests.",
    check=check,
    summarize=summarize,
)
