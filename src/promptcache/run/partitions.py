"""Split a log into parts that can be audited apart and merged into the same report.

Two requests must be audited in one part when anything the audit does connects them:
- the same model: the replay keeps a model's caches, and rules compare a request with the
  model's recent requests from every stream (a missing or random ``prompt_cache_key``);
- the same ``prompt_cache_key``, session id or user: a stream the rules follow across models,
  and the session anchoring and the report's per-session figures follow;
- the same first segment of text or image (what the prompt begins with, the system prompt or
  the first message, past the role markers every prompt begins with): a session inferred
  from the prompt (:mod:`promptcache.sessions`) continues a request whose whole prompt the
  next one begins with, whatever its model, and the two then begin with the same text; a
  prompt of role markers alone (no text: a file input the log left out) is tied to the
  requests that begin with exactly those markers, and only when such a prompt was read, so
  the markers every prompt begins with tie nothing else together.
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
from array import array
from collections.abc import Sequence
from dataclasses import dataclass

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
    unaudited: tuple[tuple[int, LoadError | Skipped], ...]
    """(record index, what) of each record that is not a request."""
    joins_files: bool
    """Read in a format whose calls may join records of other files."""


@dataclass(frozen=True, slots=True)
class PartFile:
    """One file of a part: which of its records the part audits."""

    path: str
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
    request, with positions; ``whole`` when it must be read in one piece."""

    parts: tuple[Part, ...]
    unaudited: tuple[tuple[int, LoadError | Skipped], ...]
    whole: bool
    records: int


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
        if not segment.text and image is None:
            # Framing alone (a role marker) is what every prompt begins with: no key of its
            # own, but a prompt of nothing more may be what this one continues.
            keys.append(_WEAK + chain.hexdigest())
            leading = True
            continue
        keys.append("head\0" + hashlib.blake2b(described, digest_size=12).hexdigest())
        headed = True
        break
    if leading and not headed:
        keys.append(_BARE + chain.hexdigest())
    return tuple(keys)


def survey_file(path: str, input_format: str | None = None) -> FileSurvey:
    """Read the file at ``path`` alone (no counting): the keys of its requests."""
    name = input_format if input_format is not None else tell_format(path)
    joins = isinstance(name, str) and any(fmt.name == name and fmt.joins_files
                                          for fmt in all_formats())
    sets: dict[tuple[str, ...], int] = {}
    key_of = array("I")
    unaudited: list[tuple[int, LoadError | Skipped]] = []
    for index, item in enumerate(read_requests([path], input_format)):
        if isinstance(item, LoadError | Skipped):
            key_of.append(_NONE)
            unaudited.append((index, item))
            continue
        keys = scope_keys(item)
        known = sets.get(keys)
        if known is None:
            known = sets[keys] = len(sets)
        key_of.append(known)
    return FileSurvey(path, len(key_of), tuple(sets), key_of.tobytes(), tuple(unaudited),
                      joins)


def plan_parts(surveys: Sequence[FileSurvey]) -> Plan:
    """The parts of a log whose files, in log order, were surveyed as ``surveys``."""
    records = sum(survey.items for survey in surveys)
    if any(survey.joins_files for survey in surveys):
        return Plan((), (), whole=True, records=records)
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
        Part(index, tuple(PartFile(surveys[file_index].path, starts[file_index],
                                   indexes.tobytes())
                          for file_index, indexes in sorted(files.items())), counts[index])
        for index, files in enumerate(wanted))
    return Plan(parts, tuple(unaudited), whole=False, records=records)


def _starts(surveys: Sequence[FileSurvey]) -> list[int]:
    starts, seq = [], 0
    for survey in surveys:
        starts.append(seq)
        seq += survey.items
    return starts
