"""Helpers shared by the rules that compare a request with earlier ones of its session.

Not a rule (the leading underscore keeps it out of the registry): what a session is, where the
request body sits in the record, and how many tokens a request would have shared with an
earlier one if one setting or one part of the prompt had stayed the same.

Every comparison rule stays quiet below the provider's minimum cacheable length: a request
shorter than it never leaves a cache entry (so it is never the one a fix is measured
against), and a fix that would not make the request share at least the minimum with the
earlier one wins nothing, however much the two prompts differ.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from promptcache.engine.rule_api import Context
from promptcache.model import Request, Segment, SegmentKind
from promptcache.snippets import excerpt
from promptcache.tokens.counting import CountedRequest
from promptcache.tokens.functions import INSTRUCTIONS_HEADING
from promptcache.tokens.schema_placement import FORMAT_HEADER_KEY

_LABEL_CHARS = 40


def session_label(request: Request) -> str | None:
    """How the log names the request's session, in the engine's order of precedence (the
    stream the history comes from), or None when the request has no session at all."""
    if request.cache_key:
        return f"prompt_cache_key {excerpt(request.cache_key, _LABEL_CHARS)!r}"
    if request.session:
        return f"session {excerpt(request.session, _LABEL_CHARS)!r}"
    if request.user:
        return f"user {excerpt(request.user, _LABEL_CHARS)!r}"
    return None


def body_path(request: Request) -> str:
    """JSON path of the request body inside the record (``$``, ``$.request``, ``$.body``)."""
    segments = request.segments
    if segments and segments[-1].kind is SegmentKind.REPLY_PRIMING:
        return segments[-1].path
    return "$"


def loosely_equal(old: Segment, new: Segment) -> bool:
    """True when two segments carry the same content, whatever framing the model family or
    the presence of tools gives them: frames and priming compare by kind and role only, and
    the blank line the renderer glues to a system message or a schema when tools are merged
    into it (and the "# Instructions" heading gpt-5 models put before such a message) is
    ignored. Used to estimate what would be shared had a setting stayed the same."""
    if old.kind is not new.kind:
        return False
    kind = new.kind
    if kind is SegmentKind.TOOLS_FRAME or kind is SegmentKind.REPLY_PRIMING:
        return True
    if old.role != new.role:
        return False
    if kind is SegmentKind.IMAGE:
        return (old.image is not None and new.image is not None
                and old.image.identity == new.image.identity
                and old.image.detail == new.image.detail)
    if old.text == new.text:
        return True
    if kind is SegmentKind.TEXT:
        return _bare(old.text) == _bare(new.text)
    if kind is SegmentKind.RESPONSE_FORMAT:
        return old.text.removeprefix("\n\n") == new.text.removeprefix("\n\n")
    if kind is SegmentKind.MESSAGE_FRAME:
        # An earlier answer's header naming the response format: the setting, not content.
        return _without_format_name(old) == _without_format_name(new)
    return False


def _without_format_name(frame: Segment) -> str:
    return "" if frame.key == FORMAT_HEADER_KEY else frame.text


def _bare(text: str) -> str:
    """Text without what the renderer adds when it merges a system message with the tools."""
    return text.removeprefix(INSTRUCTIONS_HEADING).removesuffix("\n\n")


def carried_tokens(current: CountedRequest, earlier: CountedRequest,
                   skip: frozenset[SegmentKind] = frozenset()) -> int:
    """Tokens of ``current`` in its longest run of leading segments that match ``earlier``'s
    loosely (:func:`loosely_equal`), leaving segments of the kinds in ``skip`` out of both:
    what ``current`` re-sends of ``earlier``, apart from the part that changed."""
    new = [(index, segment) for index, segment in enumerate(current.request.segments)
           if segment.kind not in skip]
    old = [segment for segment in earlier.request.segments if segment.kind not in skip]
    total = 0
    for (index, segment), before in zip(new, old, strict=False):
        if not loosely_equal(before, segment):
            break
        total += current.segment_tokens[index]
    return total


def served_tokens(context: Context, same: Callable[[CountedRequest], bool]) -> int:
    """The longest prefix an earlier request of the stream for which ``same`` holds (one that
    could have left a usable cache entry) shares with the current request."""
    return max((context.shared_with(earlier).tokens for earlier in context.history
                if same(earlier)), default=0)


def latest_other(history: Sequence[CountedRequest], same: Callable[[CountedRequest], bool],
                 skip_last: bool = True) -> CountedRequest | None:
    """The latest request of ``history`` (before the last one when ``skip_last``) for which
    ``same`` holds: evidence that a setting switches back and forth."""
    candidates = history[:-1] if skip_last else history
    for earlier in reversed(candidates):
        if same(earlier):
            return earlier
    return None


@dataclass(frozen=True, slots=True)
class SettingChange:
    """A setting that differs between the current request and the previous one of its
    session, with what the change costs."""

    previous: CountedRequest
    """The previous request of the session."""
    old: str
    """The setting there, as the rule words it."""
    new: str
    """The setting here."""
    session: str
    """How the log names the session."""
    at_risk: int
    """Tokens re-sent from the previous request that no cache for the new setting can serve."""
    back_to: CountedRequest | None
    """An earlier request of the session that had the new setting already (a switch back)."""

    @property
    def group(self) -> str:
        """The two values, unordered: switching A -> B and back is one finding."""
        return " <-> ".join(sorted((self.old, self.new)))

    def history_note(self, shown: str | None = None) -> str:
        """Words on a switch back to an earlier setting (shown as ``shown`` if given), or ''."""
        if self.back_to is None:
            return ""
        return (f" (the session used {shown or self.new} before, at line "
                f"{self.back_to.request.location.line}: it switches back and forth)")


def setting_change(context: Context, value: Callable[[CountedRequest], str | None],
                   comparable: Callable[[str, str], bool] | None = None,
                   skip: frozenset[SegmentKind] = frozenset(),
                   in_prompt: bool = False) -> SettingChange | None:
    """The change of the setting ``value`` reads (None: not applicable to that request)
    between the previous request of the session and this one, when it costs cached tokens.

    Only sessions count (a cache key, session id or user): without one, consecutive requests
    are unrelated and a different setting is no change. The cost is what this request
    re-sends from the previous one (ignoring ``skip`` kinds and framing), less what an earlier
    request with the new setting already shares, or, for a setting that is a segment of the
    prompt (``in_prompt``: the part before it is unaffected), less what any earlier request
    shares; nothing is reported unless what is re-sent reaches the model's minimum cacheable
    length and the previous request reached it too (below it nothing was cached to lose)."""
    current = context.current
    request = current.request
    if not (request.cache_key or request.session or request.user) or not context.history:
        return None
    previous = context.history[-1]
    if not previous.cacheable:
        return None  # too short to have been cached: the change lost nothing
    new, old = value(current), value(previous)
    if new is None or old is None or new == old:
        return None
    session = session_label(request) or ""
    if comparable is not None and not comparable(old, new):
        return None
    carried = carried_tokens(current, previous, skip)
    if carried < current.facts.cache.min_tokens:
        return None

    def same(earlier: CountedRequest) -> bool:
        return value(earlier) == new

    served = served_tokens(context, same)
    if in_prompt:
        best = context.best_match()
        served = max(served, best[1].tokens if best else 0)
    at_risk = max(0, carried - served)
    if at_risk == 0:
        return None
    return SettingChange(previous, old, new, session, at_risk, latest_other(context.history, same))
