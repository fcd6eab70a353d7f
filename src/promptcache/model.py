"""The provider-neutral request model every stage after loading works on.

A loader turns one record of a log into a :class:`Request`: an ordered tuple of
:class:`Segment` objects in the order the provider renders them into the prompt (tools, then
the response format, then the messages with their content parts). Rules compare segments
across requests; the counter tokenizes each segment's text; the cache model hashes the
resulting token stream. Nothing after the loader looks at the raw JSON again.

For an explicit cache (Anthropic Messages), each content block the provider counts in its
20-block lookback (a tool definition, a system block, a message's content block) is one
segment of kind TOOL, TEXT, IMAGE, TOOL_CALL or OTHER; frames (MESSAGE_FRAME, TOOLS_FRAME,
REPLY_PRIMING) are not blocks. A block's ``cache_control`` is the ``breakpoint`` of its
segment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from operator import attrgetter


@dataclass(frozen=True, slots=True)
class Location:
    """Where a record came from."""

    file: str
    """The path as the user gave it (``-`` for standard input)."""
    line: int
    """1-based line of the record (for a JSON file holding one document, the line it starts on)."""
    column: int = 1
    """1-based column (in characters) where the record starts on its line: 1 for a JSONL
    line, where the ``{`` is for a record inside a ``.json`` array."""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class SegmentKind(StrEnum):
    """What part of the prompt a segment is."""

    TOOL = "tool"
    """One tool (function) definition."""
    TOOLS_FRAME = "tools_frame"
    """The fixed text the provider wraps around the tool definitions."""
    RESPONSE_FORMAT = "response_format"
    """A structured-output schema."""
    MESSAGE_FRAME = "message_frame"
    """The framing of one message: its role marker, name and separators."""
    TEXT = "text"
    """Text content of a message."""
    IMAGE = "image"
    """An image content part."""
    TOOL_CALL = "tool_call"
    """A tool call an assistant message made (name and arguments)."""
    OTHER = "other"
    """A content part the counter cannot render exactly (files, audio, refusals)."""
    REPLY_PRIMING = "reply_priming"
    """The tokens the provider appends to start the reply."""


BLOCK_KINDS = frozenset({SegmentKind.TOOL, SegmentKind.TEXT, SegmentKind.IMAGE,
                         SegmentKind.TOOL_CALL, SegmentKind.OTHER})
"""Segment kinds that are content blocks for an explicit cache (the units its lookback
counts, see the module docstring); frames are not blocks."""


@dataclass(frozen=True, slots=True)
class ImageRef:
    """What a rule needs to know about one image content part."""

    identity: str
    """A stable digest of the image source (URL or data), equal for the same image."""
    detail: str
    """The detail setting as the provider applies it: ``low``, ``high`` or ``auto``."""
    detail_explicit: bool
    """False when the request left ``detail`` out (the provider then uses ``auto``)."""
    width: int | None
    """Pixel width when known (read from a ``data:`` URL header), else None."""
    height: int | None
    """Pixel height when known, else None."""
    source_hint: str
    """A short, safe description of the source for reports (host of a URL, or media type)."""


@dataclass(frozen=True, slots=True)
class Estimate:
    """Why a segment's count is an estimate, and the range the true count lies in.

    Set beside ``estimated=True`` where the renderer knows the reason:
    ``Segment(..., estimated=True, estimate=Estimate("file input: not counted offline", 0,
    None))``. A segment marked estimated without one is described from its kind (see
    :mod:`promptcache.estimates`).
    """

    reason: str
    """A short phrase, the same for every segment estimated for the same reason (reports
    group requests by it): ``a remote image of unknown size``."""
    low: int
    """The fewest tokens the segment can cost."""
    high: int | None
    """The most it can cost; None when there is no known upper bound."""


@dataclass(frozen=True, slots=True)
class Segment:
    """One piece of a rendered prompt, in provider order."""

    kind: SegmentKind
    """What part of the prompt this is."""
    path: str
    """JSON path of the source value inside the record, e.g. ``$.messages[0].content``."""
    text: str
    """The text the provider's tokenizer sees for this piece ('' when it has none)."""
    fixed_tokens: int = 0
    """Tokens this piece costs beyond ``text``: framing tokens, image tokens."""
    role: str | None = None
    """The role of the message the segment belongs to, if any."""
    key: str = ""
    """A name that identifies the slot across requests (tool name, image identity)."""
    image: ImageRef | None = None
    """Set for image segments."""
    estimated: bool = False
    """True when ``fixed_tokens`` is an estimate (remote image of unknown size, files, audio)."""
    canonical: str = ""
    """For values rendered from JSON (a tool's definition, a call's arguments, a response
    format): a digest of that JSON with its keys sorted, so two segments whose texts differ
    only in key order have equal ``canonical``. '' for other segments."""
    estimate: Estimate | None = None
    """For an ``estimated`` segment: the reason and the bounds, when the renderer gives them."""
    breakpoint: str = ""
    """The cache breakpoint this segment ends, for providers whose cache is explicit
    (Anthropic's ``cache_control``, OpenAI's ``prompt_cache_breakpoint``): its lifetime,
    ``5m`` or ``1h`` (Anthropic), ``30m`` (OpenAI); '' when none. The
    provider may write the prefix ending with this segment to its cache."""


@dataclass(frozen=True, slots=True)
class ObservedUsage:
    """Token usage the provider reported for the request, when the log carries it."""

    prompt_tokens: int
    """Total input tokens as the provider counted them."""
    cached_tokens: int
    """Input tokens served from the cache (a subset of ``prompt_tokens``)."""
    written_tokens: int | None = None
    """Input tokens written to the cache (a subset of ``prompt_tokens``), for providers that
    report writes (Anthropic's ``cache_creation_input_tokens``); None when not reported."""
    written_1h_tokens: int | None = None
    """Of ``written_tokens``, those written with the 1-hour lifetime (Anthropic's
    ``cache_creation.ephemeral_1h_input_tokens``); None when not reported."""


@dataclass(frozen=True, slots=True)
class Request:
    """One request, normalized and ready to count."""

    location: Location
    """Where the record is."""
    api: str
    """The API the body was written for, e.g. ``openai.chat``."""
    model: str
    """The model named in the request ('' when absent)."""
    segments: tuple[Segment, ...]
    """The prompt, in the order the provider renders it."""
    timestamp: float | None = None
    """Seconds since the epoch when the record says when it was sent."""
    cache_key: str | None = None
    """``prompt_cache_key`` when the request sets it."""
    user: str | None = None
    """The ``user`` / ``safety_identifier`` field when present."""
    session: str | None = None
    """A session or conversation id from the record's metadata, when present."""
    observed: ObservedUsage | None = None
    """The provider's usage for this request, when the log recorded the response."""
    settings: dict[str, str] = field(default_factory=dict)
    """Request settings that affect caching (tool_choice, reasoning effort...), as JSON text."""
    inline_ignore: tuple[str, ...] = ()
    """The record's own ``promptcache.ignore`` list: rules (codes, prefixes, names, ``ALL``)
    whose findings at this record are dropped, as ruff's ``# noqa``."""
    deployment: str = ""
    """The request's own ``model`` when it names no model promptcache knows (an Azure
    deployment name) and ``model`` was taken from the response or the record's metadata."""
    recorded: str = ""
    """The ISO date the record was logged (its ``timestamp``, else ``meta.recorded``), ''
    when it does not say: tells a record that predates a known counting change."""
    partial: tuple[str, ...] = ()
    """What the log did not keep of this request that the provider counted ("tool
    definitions not logged"): the count is then a lower bound, reported as partial."""
    body_path: str = "$"
    """Where the body sits in its record (``$.request``; ``$.log.entries[3].request.postData
    .text`` in a HAR capture): every segment's path starts with it."""
    relocations: tuple[tuple[str, str], ...] = ()
    """Where parts of a body the log keeps in pieces really are in the record, as (the path
    the body gives them, the record's path): a LiteLLM payload keeps ``tools`` under
    ``model_parameters``; a record's send time is its ``startTime``. Findings are shown at
    the record's paths (:meth:`in_record`); rules compare the body's."""

    def with_segments(self, segments: tuple[Segment, ...]) -> Request:
        """This request with other segments (equal ones, interned): built directly, since
        ``dataclasses.replace`` costs several times as much and runs once per request."""
        return Request(self.location, self.api, self.model, segments, self.timestamp,
                       self.cache_key, self.user, self.session, self.observed, self.settings,
                       self.inline_ignore, self.deployment, self.recorded, self.partial,
                       self.body_path, self.relocations)

    def in_record(self, path: str) -> str:
        """``path`` (a segment's, or ``$.timestamp`` for the send time) where the record
        holds it."""
        for given, actual in self.relocations:
            if path == given or (path.startswith(given)
                                 and path[len(given)] in ".["):
                return actual + path[len(given):]
        return path

    def place(self, path: str) -> str:
        """A segment's path from the body on (``$.messages[0].content``), the same for
        requests whose bodies sit at different paths of their records: what findings are
        grouped by."""
        base = self.body_path
        return path if base == "$" else "$" + path[len(base):]

    @property
    def estimated(self) -> bool:
        """True when any segment's token count is an estimate."""
        return any(map(_ESTIMATED, self.segments))


_ESTIMATED = attrgetter("estimated")


def same_place(old: Request, old_path: str, new: Request, new_path: str) -> bool:
    """Whether a segment of ``old`` at ``old_path`` and one of ``new`` at ``new_path`` are at
    the same place of their bodies. Bodies of one log may sit at different paths of their
    records (one per entry of a HAR capture, per span of a trace export), so paths are
    compared from the body on."""
    old_base, new_base = old.body_path, new.body_path
    if old_base == new_base:
        return old_path == new_path
    return old_path[len(old_base):] == new_path[len(new_base):]
