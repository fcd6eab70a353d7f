"""Two cores: a reader process reads, validates, renders and counts the log while the main
process runs the rules, the cache replay and the report.

Every stage after reading depends on the order of the log (rules compare a request with the
ones before it; the replay is a simulation in time), so the log is not split. The pipeline is
cut in two instead, where the work divides about evenly on an agent log: the reader (a forked
process) does what turns lines into counted requests, and streams them in batches to the main
process, which does the rest exactly as a single process would. The report is therefore the
one a single process writes (a test compares the bytes).

What crosses the pipe is small: a request's segments are the counter's interned objects, each
shipped once with a number, then named by that number (an agent's request is mostly the
history the previous request already shipped); with each batch come the token ids of the
texts the reader tokenized, so the main process, which hashes prompts and compares them token
by token, never tokenizes them again. The reader tells which numbers it has forgotten, and the
main process forgets them too, so both hold a bounded set.

The reader is forked, so it inherits the paths and settings as they are; where ``fork`` is
unavailable, and for standard input (read once, by the main process), the audit runs in one
process.
"""

from __future__ import annotations

import contextlib
import os
from array import array
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING, Any, cast

from promptcache.catalog import FALLBACK, facts_for
from promptcache.load.formats.base import Skipped
from promptcache.load.records import read_requests
from promptcache.load.sources import LoadError, Position
from promptcache.model import Estimate, ImageRef, Location, ObservedUsage, Request, Segment
from promptcache.tokens.counting import CountedRequest, PromptCounter
from promptcache.tokens.disk_memo import memo_path

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

# multiprocessing is imported where the reader starts: it costs 30 ms of every run's start-up.

PARALLEL_MIN_BYTES = 16 * 1024 * 1024
"""Automatically (``--jobs 0``, the default), inputs smaller than this are audited in one
process: starting the reader and shipping its requests cost more than they save on a small
log."""
SHARED_VOCABULARY_BYTES = 96 * 1024 * 1024
"""From this much input on, the vocabulary is built before the reader starts, to be shared.
The disk memo serves at most 5,000 texts a run (see tokens.disk_memo), and an agent log holds
about 60 distinct texts a megabyte: past this size the reader builds the vocabulary anyway,
while a smaller log seen before is often served whole from the memo, and neither process
needs it (0.3 s and 70 MB saved). Without any memo (a first run) it is built whatever the
size."""
_BATCH = 64
"""Requests (and errors) per message: large enough that the pipe's cost per message does not
matter, small enough that the main process starts on the first batch soon."""
PIPE_BYTES = 1024 * 1024
"""Buffer asked for the pipe between the processes: several batches (Linux's default
pipe-max-size)."""
SHIPPED_SEGMENTS = 16_384
"""Segments the reader keeps numbered (holding them alive, so their ids stay theirs)..."""
SHIPPED_CHARS = 8_000_000
"""...and at most this much text among them; the oldest are forgotten first."""


class WorkerFailed(RuntimeError):
    """The reader process stopped with an error (a bug: reported as an internal error)."""


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def use_reader(paths: Sequence[str], jobs: int | None) -> bool:
    """Whether to read in a process of its own: not for one job, stdin or without ``fork``;
    with ``jobs`` None (automatic) when there are two cores or more and the input is big
    enough to gain (:data:`PARALLEL_MIN_BYTES`)."""
    wanted = usable_cores() if jobs is None else jobs
    if wanted <= 1:
        return False
    if any(path == "-" for path in paths):
        return False  # stdin can be read once only, here
    if jobs is None and _input_bytes(paths) < PARALLEL_MIN_BYTES:
        return False  # before importing multiprocessing: 30 ms of a small run's start-up
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _vocabulary_needed(paths: Sequence[str]) -> bool:
    """Whether the reader will surely build the vocabulary (see
    :data:`SHARED_VOCABULARY_BYTES`)."""
    if _input_bytes(paths) >= SHARED_VOCABULARY_BYTES:
        return True
    memo = memo_path(FALLBACK.encoding)
    return memo is None or not memo.exists()


def _input_bytes(paths: Sequence[str]) -> int:
    """The size of the inputs; 0 when one cannot be read (the reader reports it)."""
    try:
        return sum(os.stat(path).st_size for path in paths)
    except OSError:
        return 0


@dataclass(frozen=True, slots=True)
class _Shipped:
    """A counted request as it crosses the pipe."""

    fields: tuple[Any, ...]
    """The request's fields but its segments (see :func:`_request_fields`)."""
    numbers: bytes
    """Its segments' numbers, as the bytes of an ``array("I")``."""
    new: tuple[tuple[int, tuple[Any, ...], int], ...]
    """(number, the segment's fields, tokens) of its segments not shipped before."""
    image_indexes: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class _Batch:
    items: list[_Shipped | LoadError | Skipped]
    learned: list[tuple[str, str, array[int]]]
    """(encoding, text, ids) of the texts tokenized for these items."""
    forgotten: list[int]
    """Numbers no later item uses: forget them after these items."""
    positions: list[tuple[str, int]]
    """(file, bytes read) after each record read for these items, in order: what
    ``on_position`` hears in one process, heard here record by record too (a progress bar
    counts records by them and moves with them)."""


class Reader:
    """The reader process, seen from the main process as an iterator of counted requests
    and load errors, in the order of the log."""

    def __init__(self, paths: Sequence[str], counter: PromptCounter,
                 on_position: Position | None, input_format: str | None = None) -> None:
        import multiprocessing

        if _vocabulary_needed(paths):
            # Both processes will tokenize (the reader the texts the disk memo lacks, this
            # one the snippets and fixes the rules compare): built before the fork, the
            # vocabulary's 70 MB are one copy the two share, not one each.
            counter.counter_for(FALLBACK.encoding).encoding  # noqa: B018 - built on first use
        context = multiprocessing.get_context("fork")
        receiver, sender = context.Pipe(duplex=False)
        _widen(sender.fileno())
        self._process = context.Process(target=_read, name="promptcache-reader", daemon=True,
                                        args=(list(paths), sender, input_format))
        self._process.start()
        sender.close()
        self._link: Connection = receiver
        self._counter = counter
        self._on_position = on_position
        self._segments: dict[int, tuple[Segment, int]] = {}

    def __iter__(self) -> Iterator[CountedRequest | LoadError | Skipped]:
        segments = self._segments
        while True:
            batch = self._receive()
            if batch is None:
                break
            for encoding, text, ids in batch.learned:
                self._counter.counter_for(encoding).learn(text, ids)
            ready: list[CountedRequest | LoadError | Skipped] = []
            for item in batch.items:
                if isinstance(item, LoadError | Skipped):
                    ready.append(item)
                    continue
                for number, fields, tokens in item.new:
                    segments[number] = (_segment(fields), tokens)
                numbers = array("I")
                numbers.frombytes(item.numbers)
                known = list(map(segments.__getitem__, numbers))
                counted_tokens = tuple(map(_second, known))
                request = _request(item.fields, tuple(map(_first, known)))
                ready.append(CountedRequest(request, facts_for(request.model), counted_tokens,
                                            sum(counted_tokens), item.image_indexes))
            for number in batch.forgotten:
                del segments[number]
            if self._on_position is not None:
                for path, done in batch.positions:
                    self._on_position(path, done)
            yield from ready
        self._process.join()

    def close(self) -> None:
        """Stop the reader (after an error in the main process, or when done)."""
        self._link.close()
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()

    def _receive(self) -> _Batch | None:
        try:
            tag, payload = self._link.recv()
        except EOFError:
            raise WorkerFailed("the reader process stopped without a word") from None
        if tag == "error":
            raise WorkerFailed(f"the reader process failed: {payload}")
        return payload if tag == "batch" else None


def _widen(descriptor: int) -> None:
    """Give the pipe :data:`PIPE_BYTES` of buffer where the system allows (Linux): with the
    default 64 KiB, less than a batch, the reader stalls in every send until the main process
    has read the batch before, and the main process then waits for the next; both halves
    idle in turn."""
    import fcntl

    setting = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setting is None:  # not Linux
        return
    with contextlib.suppress(OSError):  # above the system's pipe-max-size: keep the default
        fcntl.fcntl(descriptor, setting, PIPE_BYTES)


class _Numbering:
    """The reader's side of the segment numbers: each interned segment object gets one the
    first time it is shipped, kept (with the object, so its id is not reused) until the
    oldest are forgotten beyond :data:`SHIPPED_SEGMENTS` or :data:`SHIPPED_CHARS`.

    Oldest by when first shipped, not last used: touching a hundred segments per request to
    keep an order of use costs more than shipping again, now and then, a segment still in
    use (the main process then holds an equal object of a new number: the same report)."""

    def __init__(self) -> None:
        self._numbers: OrderedDict[int, tuple[int, Segment]] = OrderedDict()
        self._next = 0
        self._chars = 0
        self.forgotten: list[int] = []

    def ship(self, counted: CountedRequest) -> _Shipped:
        segments = counted.request.segments
        numbers = self._numbers
        # An id here is its segment's (the entry holds the object): one pass in C finds the
        # numbers of the segments shipped before, usually all of them but the new turn's.
        known = list(map(numbers.get, map(id, segments)))
        new: list[tuple[int, tuple[Any, ...], int]] = []
        if None in known:
            for index, entry in enumerate(known):
                if entry is None:
                    segment = segments[index]
                    entry = numbers.get(id(segment))  # an earlier segment of this request
                    if entry is None:
                        entry = numbers[id(segment)] = (self._next, segment)
                        self._next += 1
                        self._chars += len(segment.text)
                        new.append((entry[0], _segment_fields(segment),
                                    counted.segment_tokens[index]))
                    known[index] = entry
            self._forget_oldest(segments)
        found = array("I", map(_first, cast("list[tuple[int, Segment]]", known)))
        return _Shipped(_request_fields(counted.request), found.tobytes(), tuple(new),
                        counted.image_indexes)

    def _forget_oldest(self, segments: tuple[Segment, ...]) -> None:
        """Forget the oldest numbers beyond the limits, but none the request in hand uses."""
        numbers = self._numbers
        in_hand: set[int] | None = None
        kept = 0
        while (len(numbers) > SHIPPED_SEGMENTS or self._chars > SHIPPED_CHARS) and (
                kept < len(numbers)):
            key, (number, segment) = numbers.popitem(last=False)
            if in_hand is None:
                in_hand = set(map(id, segments))
            if key in in_hand:
                numbers[key] = (number, segment)  # to the back: it is this request's
                kept += 1
                continue
            self._chars -= len(segment.text)
            self.forgotten.append(number)


# Segments and requests cross as tuples of their fields: pickling a slotted dataclass takes
# several times as long, and the reader is the busier of the two processes.


def _segment_fields(segment: Segment) -> tuple[Any, ...]:
    image = segment.image
    return (segment.kind, segment.path, segment.text, segment.fixed_tokens, segment.role,
            segment.key, None if image is None else (
                image.identity, image.detail, image.detail_explicit, image.width,
                image.height, image.source_hint),
            segment.estimated, segment.canonical,
            None if segment.estimate is None else (
                segment.estimate.reason, segment.estimate.low, segment.estimate.high),
            segment.breakpoint)


def _segment(fields: tuple[Any, ...]) -> Segment:
    (kind, path, text, fixed_tokens, role, key, image, estimated, canonical, estimate,
     breakpoint) = fields
    return Segment(kind, path, text, fixed_tokens, role, key,
                   None if image is None else ImageRef(*image), estimated, canonical,
                   None if estimate is None else Estimate(*estimate), breakpoint)


def _request_fields(request: Request) -> tuple[Any, ...]:
    observed = request.observed
    location = request.location
    return (location.file, location.line, location.column, request.api, request.model,
            request.timestamp, request.cache_key, request.user, request.session,
            None if observed is None else (observed.prompt_tokens, observed.cached_tokens,
                                           observed.written_tokens,
                                           observed.written_1h_tokens),
            request.settings, request.inline_ignore, request.deployment, request.recorded,
            request.partial, request.body_path, request.relocations)


def _request(fields: tuple[Any, ...], segments: tuple[Segment, ...]) -> Request:
    (file, line, column, api, model, timestamp, cache_key, user, session, observed,
     settings, inline_ignore, deployment, recorded, partial, body_path, relocations) = fields
    return Request(Location(file, line, column), api, model, segments, timestamp, cache_key,
                   user, session, None if observed is None else ObservedUsage(*observed),
                   settings, inline_ignore, deployment, recorded, partial, body_path,
                   relocations)


def _read(paths: list[str], link: Connection, input_format: str | None) -> None:
    """The reader's whole life: the log, counted, streamed to the main process in batches."""
    try:
        learned: list[tuple[str, str, array[int]]] = []
        counter = PromptCounter(lambda encoding, text, ids: learned.append(
            (encoding, text, ids)))
        numbering = _Numbering()
        positions: list[tuple[str, int]] = []
        items: list[_Shipped | LoadError | Skipped] = []
        for item in read_requests(paths, input_format, lambda path, done: positions.append(
                (path, done)), counter.intern):
            items.append(item if isinstance(item, LoadError | Skipped)
                         else numbering.ship(counter.count(item)))
            if len(items) >= _BATCH:
                # Sent (pickled) at once, so the lists and the dict can be emptied in place.
                link.send(("batch", _Batch(items, learned, numbering.forgotten, positions)))
                items, numbering.forgotten = [], []
                learned.clear()
                positions.clear()
        link.send(("batch", _Batch(items, learned, numbering.forgotten, positions)))
        link.send(("done", None))
        counter.flush()  # what this process tokenized, for later runs
    except BaseException as error:  # the main process turns it into an internal error
        with contextlib.suppress(OSError, ValueError):  # unless the main process is gone
            link.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        link.close()
        # Skip the exit handlers and buffered output inherited from the parent (temp files,
        # the token memo's flush, unwritten stdout): they belong to the main process.
        os._exit(0)


_first = itemgetter(0)
_second = itemgetter(1)
