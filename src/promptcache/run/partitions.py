"""Split a log into parts that can be audited apart and merged into the same report.

Two requests must be audited in one part when anything the audit does connects them:
- the same model: the replay keeps a model's caches, and rules compare a request with the
  model's recent requests from every stream (a missing or random ``prompt_cache_key``);
- the same ``prompt_cache_key``, session id or user: a stream the rules follow across models,
  and the session anchoring and the report's per-session figures follow;
- the same first segment of text or image (what the prompt begins with: the first tool, the
  system prompt or the first message, past the role markers and the fixed text around tools
  that every prompt of its shape begins with): a session inferred from the prompt
  (:mod:`promptcache.sessions`) continues a request whose whole prompt the next one begins
  with, whatever its model, and the two then begin with the same text; a prompt of framing
  alone (no text: a file input the log left out) is tied to the requests that begin with
  exactly that framing, and only when such a prompt was read, so the framing every prompt
  begins with ties nothing else together.
A part is a connected component of these relations (union-find over the keys), so it is exact
by construction: nothing in one part can change what the audit says of another. An
application on one model is one part; a gateway's log of many applications on many models is
many.

The survey reads each file once, on its own, with no counting, and returns per request which
keys it has (as an index into the file's distinct key sets: an agent log has a handful). Files
of a format that joins records across files (a batch's requests and results, OpenTelemetry
spans and their events) are not split: with one, the whole log is one part.
"""

from __future__ import annotations

import hashlib
import math
from array import array
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from promptcache.cache.replay import REORDER_SECONDS, REORDER_WINDOW
from promptcache.engine.rule_engine import MAX_STREAMS, STREAM_IDLE_SECONDS
from promptcache.load.calls import tell_format
from promptcache.load.formats import all_formats
from promptcache.load.formats.base import Skipped
from promptcache.load.records import read_requests
from promptcache.load.sources import LoadError
from promptcache.model import Request, SegmentKind

_WEAK = "weak\0"
"""A key that ties a request to a prompt of role markers alone only where one was read."""
_BARE = "bare\0"
"""The key of a prompt of role markers alone (no text, no image)."""
_FRAMING = frozenset({SegmentKind.MESSAGE_FRAME, SegmentKind.TOOLS_FRAME})
"""Segments of the provider's own text, the same in every prompt of their shape."""
_NONE = 0xFFFFFFFF
"""A record's key-set index when it is not a request (a load error, a skipped call)."""


@dataclass(frozen=True, slots=True)
class FileSurvey:
    """What the survey learned of one file."""

    path: str
    items: int
    """Records read (requests, load errors and skipped calls: each takes a position)."""
    key_sets: tuple[tuple[str, ...], ...]
    """The distinct key sets of its requests."""
    key_of: bytes
    """Per record, the index of its key set, as an ``array("I")``'s bytes (``_NONE`` for a
    record that is not a request)."""
    times: bytes
    """Per record, its request's time, as an ``array("d")``'s bytes (NaN: none, or not a
    request)."""
    unaudited: tuple[tuple[int, LoadError | Skipped], ...]
    """(record index, what) of each record that is not a request."""
    joins_files: bool
    """Read in a format whose calls may join records of other files."""


@dataclass(frozen=True, slots=True)
class PartFile:
    """One file of a part: which of its records the part audits."""

    path: str
    file: int
    """The index of the file in the log's list of files."""
    first_seq: int
    """The position of the file's first record in the whole log."""
    wanted: bytes
    """The record indexes the part audits, ascending, as an ``array("I")``'s bytes."""


@dataclass(frozen=True, slots=True)
class Part:
    """One part of the log: its files, in log order, and their records in it."""

    index: int
    files: tuple[PartFile, ...]
    requests: int


@dataclass(frozen=True, slots=True)
class Plan:
    """How a log splits: its parts (ordered by where each first shows) and what is not a
    request, with positions; no parts when it must be read in one piece."""

    parts: tuple[Part, ...]
    unaudited: tuple[tuple[int, LoadError | Skipped], ...]
    records: int
    why_whole: str = ""
    """Why the log must be read in one piece ('' when it may split)."""

    @property
    def whole(self) -> bool:
        """Whether the log must be read in one piece."""
        return bool(self.why_whole)


def scope_keys(request: Request) -> tuple[str, ...]:
    """The keys that tie ``request`` to others it must be audited with (see the module)."""
    keys = [f"model\0{request.model}"]
    if request.cache_key:
        keys.append(f"key\0{request.cache_key}")
    if request.session:
        keys.append(f"session\0{request.session}")
    if request.user:
        keys.append(f"user\0{request.user}")
    # Digests stable across processes (``hash`` of a str is salted per process).
    chain = hashlib.blake2b(digest_size=12)
    leading, headed = False, False
    for segment in request.segments:
        if segment.kind is SegmentKind.REPLY_PRIMING:
            break
        image = segment.image
        described = "\0".join((segment.kind, segment.role or "", str(segment.fixed_tokens),
                               segment.text, "" if image is None else image.identity,
                               "" if image is None else image.detail)).encode(
                                   "utf-8", "surrogatepass")
        chain.update(described + b"\1")
        if segment.kind in _FRAMING or (not segment.text and image is None):
            # Framing (a role marker, the provider's fixed text around tools) is what every
            # prompt of its shape begins with: no key of its own, but a prompt of nothing
            # more may be what this one continues.
            keys.append(_WEAK + chain.hexdigest())
            leading = True
            continue
        keys.append("head\0" + hashlib.blake2b(described, digest_size=12).hexdigest())
        headed = True
        break
    if leading and not headed:
        keys.append(_BARE + chain.hexdigest())
    return tuple(keys)


HOLD_MAX_CHARS = 200_000_000
"""The most text :func:`survey_and_hold` keeps of one file's requests (each shared segment
once: an agent's turns share their history), about as many bytes; a file with more is
dropped from memory and read again by its parts."""


@dataclass(frozen=True, slots=True)
class HeldFile:
    """A file's survey and, when small enough, its normalized requests, kept where it was
    surveyed for the parts to take their own from (a shuffle with no second read)."""

    survey: FileSurvey
    requests: tuple[Request | None, ...] | None
    """Per record, its request (None: not a request); None when the file was too large."""


def survey_of(held: HeldFile) -> FileSurvey:
    """The survey of ``held`` (a task's result: what the plan needs of it)."""
    return held.survey


def survey_file(path: str, input_format: str | None = None) -> FileSurvey:
    """Read the file at ``path`` alone (no counting): the keys of its requests."""
    return survey_and_hold(path, input_format, hold_max_chars=0).survey


def survey_and_hold(path: str, input_format: str | None = None,
                    hold_max_chars: int = HOLD_MAX_CHARS) -> HeldFile:
    """:func:`survey_file`, keeping the requests read while their text (each segment object
    once) stays within ``hold_max_chars``."""
    held: list[Request | None] | None = [] if hold_max_chars > 0 else None
    seen: set[int] = set()  # ids of the segments counted; held requests keep them alive
    chars = 0
    name = input_format if input_format is not None else tell_format(path)
    joins = isinstance(name, str) and any(fmt.name == name and fmt.joins_files
                                          for fmt in all_formats())
    sets: dict[tuple[str, ...], int] = {}
    key_of = array("I")
    times = array("d")
    unaudited: list[tuple[int, LoadError | Skipped]] = []
    for index, item in enumerate(read_requests([path], input_format)):
        if isinstance(item, LoadError | Skipped):
            key_of.append(_NONE)
            times.append(math.nan)
            unaudited.append((index, item))
            if held is not None:
                held.append(None)
            continue
        keys = scope_keys(item)
        known = sets.get(keys)
        if known is None:
            known = sets[keys] = len(sets)
        key_of.append(known)
        times.append(math.nan if item.timestamp is None else item.timestamp)
        if held is not None:
            held.append(item)
            for segment in item.segments:
                if id(segment) not in seen:
                    seen.add(id(segment))
                    chars += len(segment.text)
            if chars > hold_max_chars:
                held, seen = None, set()
    survey = FileSurvey(path, len(key_of), tuple(sets), key_of.tobytes(), times.tobytes(),
                        tuple(unaudited), joins)
    return HeldFile(survey, None if held is None else tuple(held))


def picked(held: HeldFile, wanted: bytes) -> tuple[Request, ...] | None:
    """The requests at the record indexes ``wanted`` (an ``array("I")``'s bytes) of ``held``,
    or None when it keeps none (the part then reads the file)."""
    if held.requests is None:
        return None
    indexes = array("I")
    indexes.frombytes(wanted)
    requests = held.requests
    chosen = tuple(requests[index] for index in indexes)
    if None in chosen:  # the plan lists requests only
        raise RuntimeError(f"{held.survey.path}: a wanted record is not a request")
    return cast("tuple[Request, ...]", chosen)


def plan_parts(surveys: Sequence[FileSurvey]) -> Plan:
    """The parts of a log whose files, in log order, were surveyed as ``surveys``."""
    records = sum(survey.items for survey in surveys)
    joined = next((survey.path for survey in surveys if survey.joins_files), None)
    why = (f"{joined}: its format joins records across files" if joined is not None
           else _one_process_problem(surveys))
    if why:
        return Plan((), (), records, why)
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        root = key
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[key] != root:  # path compression
            parent[key], key = root, parent[key]
        return root

    bare = {key for survey in surveys for keys in survey.key_sets for key in keys
            if key.startswith(_BARE)}
    for survey in surveys:
        for keys in survey.key_sets:
            root = find(keys[0])
            for key in keys[1:]:
                if key.startswith(_WEAK):
                    key = _BARE + key[len(_WEAK):]
                    if key not in bare:
                        continue
                other = find(key)
                if other != root:
                    parent[other] = root
    # Parts numbered by where they first show; each file's records listed per part.
    part_of_root: dict[str, int] = {}
    wanted: list[dict[int, array[int]]] = []
    counts: list[int] = []
    unaudited: list[tuple[int, LoadError | Skipped]] = []
    first_seq = 0
    for file_index, survey in enumerate(surveys):
        roots = [find(keys[0]) for keys in survey.key_sets]
        key_of = array("I")
        key_of.frombytes(survey.key_of)
        for index, set_index in enumerate(key_of):
            if set_index == _NONE:
                continue
            root = roots[set_index]
            part = part_of_root.get(root)
            if part is None:
                part = part_of_root[root] = len(wanted)
                wanted.append({})
                counts.append(0)
            wanted[part].setdefault(file_index, array("I")).append(index)
            counts[part] += 1
        unaudited.extend((first_seq + index, item) for index, item in survey.unaudited)
        first_seq += survey.items
    starts = _starts(surveys)
    parts = tuple(
        Part(index, tuple(PartFile(surveys[file_index].path, file_index, starts[file_index],
                                   indexes.tobytes())
                          for file_index, indexes in sorted(files.items())), counts[index])
        for index, files in enumerate(wanted))
    return Plan(parts, tuple(unaudited), records)


def _one_process_problem(surveys: Sequence[FileSurvey]) -> str:
    """Why parts could say other things than one process ('' when they cannot).

    Two bounds of one process depend on the whole log, not only on a part of it:
    - the replay goes in time order through a window of
      :data:`~promptcache.cache.replay.REORDER_WINDOW` requests, and gives a request without
      a time the latest time it has seen. A part, holding fewer requests, would replay a
      request later than that window in its true place, or give an untimed one its own
      latest time. So a log splits only when every request's time is at least every time
      more than a window before it (then no request is ever late, in the whole log or in any
      part: a part's window spans at least as many of the whole log's requests), no request
      comes :data:`~promptcache.cache.replay.REORDER_SECONDS` or more before the latest time
      seen (a part, still in time order where the whole log is not, may have replayed a
      request that much older than its latest one already), and its requests are all timed or
      all untimed;
    - the rules keep :data:`~promptcache.engine.rule_engine.MAX_STREAMS` streams, forgetting
      those idle for :data:`~promptcache.engine.rule_engine.STREAM_IDLE_SECONDS` and, beyond
      the bound, the least recently active. That is followed here, request by request (with
      the stream of each from its keys, as :func:`~promptcache.engine.rule_engine.stream_key`
      tells it): while the whole log never goes beyond the bound, a part, whose streams
      alive at any of its requests are among the whole log's then, does not either."""
    recent: deque[float] = deque()
    settled = -math.inf  # the latest time of the requests more than a window back
    latest = -math.inf
    timed = untimed = ""
    alive: OrderedDict[str, float] = OrderedDict()  # stream -> its latest request's time
    for survey in surveys:
        key_of, times = array("I"), array("d")
        key_of.frombytes(survey.key_of)
        times.frombytes(survey.times)
        streams = [_stream_of(keys) for keys in survey.key_sets]
        for set_index, time in zip(key_of, times, strict=True):
            if set_index == _NONE:
                continue
            if math.isnan(time):
                untimed = untimed or survey.path
            else:
                timed = timed or survey.path
                if time < settled or time < latest - REORDER_SECONDS:
                    return (f"{survey.path}: requests more than {REORDER_WINDOW:,} requests "
                            f"or {REORDER_SECONDS / 60:g} minutes out of time order (files "
                            "given in time order split)")
                latest = max(latest, time)
                recent.append(time)
                if len(recent) > REORDER_WINDOW:
                    settled = max(settled, recent.popleft())
                while alive:
                    last = next(iter(alive.values()))
                    if math.isnan(last) or time - last <= STREAM_IDLE_SECONDS:
                        break
                    alive.popitem(last=False)
            stream = streams[set_index]
            if stream in alive:
                alive.move_to_end(stream)
            elif len(alive) == MAX_STREAMS:
                return (f"{survey.path}: more than {MAX_STREAMS:,} streams (cache keys, "
                        "sessions, users) active at once, beyond what one process keeps")
            alive[stream] = time
    if timed and untimed:
        return (f"{untimed}: requests without a time in a log whose other requests have one "
                f"({timed})")
    return ""


def _stream_of(keys: tuple[str, ...]) -> str:
    """The stream of a request with scope keys ``keys``: its cache key, session or user when
    it has one, else its model (``keys[0]``)."""
    for kind in ("key\0", "session\0", "user\0"):
        for key in keys:
            if key.startswith(kind):
                return key
    return keys[0]


def _starts(surveys: Sequence[FileSurvey]) -> list[int]:
    starts, seq = [], 0
    for survey in surveys:
        starts.append(seq)
        seq += survey.items
    return starts
