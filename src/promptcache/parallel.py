"""Rules on other cores: worker processes run the rules while the main process replays.

Every stage after reading depends on the order of the log (rules compare a request with the
ones before it; the cache replay is a simulation in time), so the log is not split. Instead
each worker reads, normalizes and counts the whole log itself and runs its share of the rules,
streaming back, request by request, how many hits each request had and the repairs the
savings replay needs; the main process does the same reading and counting, the replay, the
totals and the report. Reading twice costs CPU, not wall time, and shipping a few small hits
costs far less than shipping requests. The work is deterministic, so the report is the one a
single process makes (a test compares the bytes).

Workers are forked, so they inherit the configured rules, the per-file ignores and every
setting as they are (nothing is pickled on the way in); where ``fork`` is unavailable the
audit runs in one process.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from promptcache.counting import CountedRequest, PromptCounter
from promptcache.engine import ActiveRule, RuleEngine
from promptcache.findings import Finding, Repair
from promptcache.load.records import normalize_records
from promptcache.load.sources import LoadError, read_records
from promptcache.model import Location

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

# multiprocessing is imported where workers start: it costs 30 ms of every run's start-up,
# and one process is the default.

PARALLEL_MIN_BYTES = 16 * 1024 * 1024
"""With one process per core asked for (``--jobs 0``), inputs smaller than this are still
audited in one process: a worker's start and its second reading of the log cost more than the
rules it takes off the main process.

Why one process is the default: every worker reads, validates and counts the whole log again,
and on an agent log that is about half the work (more on a cold run, which tokenizes every new
text), so on two cores the rules worker finishes little sooner than the main process would
alone (250 MB: 11.4 s and 12.8 s against 13.1 s and 13.0 s in two runs of bench/throughput.py)
and the two hold about 1.7 times the memory. More cores split the rules further; the reading
stays."""
_BATCH = 256
"""Requests' verdicts sent per message: fewer, larger messages through the pipe."""


@dataclass(frozen=True, slots=True)
class RequestHits:
    """What the main process needs of the rules' verdict on one request."""

    location: Location
    """The request (checked against the main process's own reading of the log)."""
    hits: int
    """Hits the worker's rules found on it."""
    fixes: tuple[tuple[int, str, Repair], ...]
    """(rule position, rule code, repair) of each hit with a fix, for the savings replay."""


class WorkerFailed(RuntimeError):
    """A worker process stopped with an error (a bug: reported as an internal error)."""


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worker_count(paths: Sequence[str], jobs: int | None, rules: int) -> int:
    """Rule workers to start: none for one job, stdin, small logs, no rules or no ``fork``;
    with ``jobs`` None (automatic) one less than the usable cores."""
    wanted = usable_cores() if jobs is None else jobs
    if wanted <= 1 or rules == 0:
        return 0
    if any(path == "-" for path in paths):
        return 0  # stdin can be read once only
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return 0
    if jobs is None:
        try:
            size = sum(os.stat(path).st_size for path in paths)
        except OSError:  # the reader reports it
            return 0
        if size < PARALLEL_MIN_BYTES:
            return 0
    return min(wanted - 1, rules)


class RuleWorkers:
    """Worker processes, each running a share of the rules over the whole log."""

    def __init__(self, paths: Sequence[str], rules: Sequence[ActiveRule], workers: int,
                 lifetime_seconds: float | None, ignored: Any) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self._links: list[Connection] = []
        self._processes: list[Any] = []
        self._pending: list[Iterator[RequestHits]] = []
        for share in range(workers):
            positions = list(range(share, len(rules), workers))
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(
                target=_work, name=f"promptcache-rules-{share + 1}", daemon=True,
                args=(list(paths), [rules[position] for position in positions], positions,
                      lifetime_seconds, ignored, sender))
            process.start()
            sender.close()
            self._links.append(receiver)
            self._processes.append(process)
            self._pending.append(iter(()))

    def verdict(self, counted: CountedRequest) -> tuple[int, list[tuple[str, Repair]]]:
        """The hits on ``counted`` (the next request of the log) and their fixes, in the
        order of the rules, as a single engine would give them."""
        hits = 0
        fixes: list[tuple[int, str, Repair]] = []
        for index in range(len(self._links)):
            found = self._next(index)
            if found.location != counted.request.location:
                raise WorkerFailed(
                    f"a rules worker read {found.location.file}:{found.location.line} where "
                    f"this process read {counted.request.location.file}:"
                    f"{counted.request.location.line}: did a file change during the audit?")
            hits += found.hits
            fixes.extend(found.fixes)
        fixes.sort(key=lambda fix: fix[0])
        return hits, [(code, repair) for _, code, repair in fixes]

    def findings(self) -> list[Finding]:
        """Every worker's findings, in the order a single engine reports them."""
        merged: list[Finding] = []
        for index, link in enumerate(self._links):
            leftover = next(self._pending[index], None)
            while leftover is None:
                tag, payload = self._receive(link)
                if tag == "findings":
                    merged.extend(payload)
                    break
                leftover = next(iter(payload), None)
            if leftover is not None:
                raise WorkerFailed("a rules worker read more requests than this process")
        for process in self._processes:
            process.join()
        merged.sort(key=lambda f: (f.code, f.location.file, f.location.line, f.path))
        return merged

    def close(self) -> None:
        """Stop the workers (after an error in the main process, or when done)."""
        for link in self._links:
            link.close()
        for process in self._processes:
            if process.is_alive():
                process.terminate()
            process.join()

    def _next(self, index: int) -> RequestHits:
        found = next(self._pending[index], None)
        while found is None:
            tag, payload = self._receive(self._links[index])
            if tag != "hits":
                raise WorkerFailed("a rules worker read fewer requests than this process")
            self._pending[index] = iter(payload)
            found = next(self._pending[index], None)
        return found

    @staticmethod
    def _receive(link: Connection) -> tuple[str, Any]:
        try:
            tag, payload = link.recv()
        except EOFError:
            raise WorkerFailed("a rules worker stopped without a word") from None
        if tag == "error":
            raise WorkerFailed(f"a rules worker failed: {payload}")
        return tag, payload


def _work(paths: list[str], rules: list[ActiveRule], positions: list[int],
          lifetime_seconds: float | None, ignored: Any, link: Connection) -> None:
    """A worker's whole life: the rules over the log, verdicts streamed in batches."""
    try:
        counter = PromptCounter()
        engine = RuleEngine(rules, counter, lifetime_seconds, ignored)
        position_of = {active.rule.code: position
                       for active, position in zip(rules, positions, strict=True)}
        batch: list[RequestHits] = []
        for item in normalize_records(read_records(paths), counter.intern):
            if isinstance(item, LoadError):
                continue
            hits = engine.feed(counter.count(item))
            batch.append(RequestHits(item.location, len(hits), tuple(
                (position_of[code], code, hit.repair) for code, hit in hits
                if hit.repair is not None)))
            if len(batch) >= _BATCH:
                link.send(("hits", batch))
                batch = []
        link.send(("hits", batch))
        link.send(("findings", engine.findings()))
    except BaseException as error:  # the main process turns it into an internal error
        with contextlib.suppress(OSError, ValueError):  # unless the main process is gone
            link.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        link.close()
        # Skip the exit handlers and buffered output inherited from the parent (temp files,
        # the token memo's flush, unwritten stdout): they belong to the main process.
        os._exit(0)
