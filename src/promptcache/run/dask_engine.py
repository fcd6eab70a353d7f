"""The audit on a Dask cluster (the ``promptcache[dask]`` extra).

The work is the partitioned audit's (:mod:`promptcache.run.partitioned`), as Dask tasks:
1. one survey task per file (reading it where it is stored, through fsspec for ``s3://``...),
   which keeps the file's normalized requests on its worker (up to
   :data:`~promptcache.run.partitions.HOLD_MAX_CHARS` of text; an agent's turns share their
   history, so a 63 MB agent log keeps about 3 MB) and sends the client only the keys;
2. on the client, the parts: union-find over the surveys' keys (small: one key set index
   per record);
3. the shuffle: the parts are dealt to the workers (the largest first, each to the least
   loaded), and each worker fetches the surveys its parts take requests from, while no
   worker is busy auditing; then a task per part picks its requests from them and audits
   them. Each kept request crosses the network at most once per worker, already read and
   normalized (a file too large to keep is read again by its parts);
4. on the client, the merge by input position into the report.

Tasks are pure functions of their arguments: a task lost with its worker is run again by
Dask's scheduler on another (``allowed-failures``), and the merge orders by position only, so
the report is the same however the tasks were placed, finished or retried.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from promptcache.report.model import Report
from promptcache.run.audit import ClusterError
from promptcache.run.partitioned import PartResult, Settings, audit_part, audit_whole, run_parts
from promptcache.run.partitions import (
    HOLD_MAX_CHARS,
    FileSurvey,
    HeldFile,
    Part,
    Plan,
    picked,
    survey_and_hold,
    survey_of,
)

if TYPE_CHECKING:
    from distributed import Client, Future

CONNECT_TIMEOUT = "20s"
"""How long to try reaching a scheduler before saying it cannot be reached."""

Progress = Callable[[str, int, int], None]
"""Hears (stage, tasks done, tasks in the stage) as the cluster works."""


class DaskUnavailable(ClusterError):
    """The ``dask`` extra is not installed, or the scheduler cannot be reached."""


def run_on_dask(paths: Sequence[str], settings: Settings, scheduler: str | Client,
                on_progress: Progress | None = None) -> Report:
    """Audit ``paths`` on the cluster at ``scheduler``: an address (``tcp://host:8786``),
    ``local`` or ``local:N`` (a cluster of N worker processes on this machine, default one
    per core) or a connected ``distributed.Client``."""
    if "-" in paths:
        raise ClusterError("standard input cannot be read by the cluster's workers: give "
                           "the log's files or store paths")
    try:
        from distributed import Client, KilledWorker
        from distributed.client import FutureCancelledError
        from distributed.comm.core import CommClosedError
    except ImportError:
        raise DaskUnavailable(
            "the Dask engine needs the dask extra: pip install 'promptcache[dask]'") from None
    client, close = _connect(scheduler, Client)
    try:
        engine = _OnDask(client, on_progress)

        def name_the_audit(plan: Plan) -> None:
            engine.stage = (f"auditing the log whole ({plan.why_whole})" if plan.why_whole
                            else f"auditing {len(plan.parts)} part(s)")

        try:
            return run_parts(paths, settings, engine, name_the_audit)
        finally:
            engine.release()
    except KilledWorker as lost:
        # Dask ran the task again on other workers until allowed-failures: each one died.
        raise ClusterError(f"the cluster lost every worker that ran one task ({lost}); "
                           "a worker short of memory is the usual cause") from None
    except (CommClosedError, FutureCancelledError) as lost:
        raise ClusterError(f"lost the Dask scheduler mid-run: {lost or type(lost).__name__}"
                           ) from None
    finally:
        close()


def _connect(scheduler: str | Client, client_type: type[Client]
             ) -> tuple[Client, Callable[[], None]]:
    if not isinstance(scheduler, str):
        return scheduler, lambda: None  # the caller's: left open
    if scheduler == "local" or scheduler.startswith("local:"):
        from distributed import LocalCluster

        workers = _workers(scheduler)
        # silence_logs: the workers' own logging (a lost worker, a task's traceback) is not
        # for the user, who gets one line from the client instead.
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
            silence_logs=logging.CRITICAL)
        client = client_type(cluster)

        def close_both() -> None:
            client.close()  # type: ignore[no-untyped-call]
            cluster.close()

        return client, close_both
    try:
        client = client_type(scheduler, timeout=CONNECT_TIMEOUT)
    except OSError as problem:
        raise DaskUnavailable(f"cannot reach the Dask scheduler at {scheduler}: "
                              f"{problem}") from None
    return client, client.close


def _workers(scheduler: str) -> int | None:
    """N of ``local:N`` (None: Dask's default, one per core)."""
    _, _, count = scheduler.partition(":")
    if not count:
        return None
    if not count.isdigit() or int(count) < 1:
        raise DaskUnavailable(f"--scheduler {scheduler}: N in local:N must be 1 or more")
    return int(count)


def _fetched(files: list[HeldFile]) -> int:
    """Nothing but bringing ``files`` to the worker this task runs on (Dask keeps them
    there while they are wanted): how many there are."""
    return len(files)


def _audit_held_part(part: Part, settings: Settings, files: list[HeldFile]) -> PartResult:
    """:func:`~promptcache.run.partitioned.audit_part` with the part's requests picked from
    the surveys of its files (``files``, in the part's order)."""
    return audit_part(part, settings, [picked(held, part_file.wanted)
                                       for held, part_file in zip(files, part.files,
                                                                  strict=True)])


def _balance(sizes: Sequence[int], workers: Sequence[str]) -> list[str]:
    """A worker for each part of ``sizes`` requests: the largest first, each to the worker
    given the fewest requests so far (so no worker waits on another's second part)."""
    load = dict.fromkeys(workers, 0)
    homes = [""] * len(sizes)
    for index in sorted(range(len(sizes)), key=lambda index: -sizes[index]):
        home = min(load, key=load.__getitem__)
        homes[index] = home
        load[home] += sizes[index]
    return homes


class _OnDask:
    """The partitioned audit's stages as Dask tasks (the module says how): the surveys keep
    their files' requests on their workers, each worker fetches those its parts need before
    any part is audited, and each part picks its own there."""

    def __init__(self, client: Client, on_progress: Progress | None) -> None:
        self._client = client
        self._on_progress = on_progress
        self._held: list[Future[HeldFile]] = []
        self.stage = "auditing"
        """What the audit stage is called in progress (set once the plan is known)."""

    def survey(self, paths: Sequence[str], settings: Settings) -> list[FileSurvey]:
        self._held = self._client.map(survey_and_hold, list(paths),
                                      input_format=settings.input_format,
                                      hold_max_chars=HOLD_MAX_CHARS, pure=False)
        return self._gather("surveying files",
                            self._client.map(survey_of, self._held, pure=False))

    def audit_parts(self, parts: Sequence[Part], settings: Settings) -> list[PartResult]:
        from distributed import wait

        submit, held = self._client.submit, self._held
        # The shuffle, before any part is audited: a worker busy auditing holds the GIL and
        # serves the data other workers ask of it slowly (measured: transfers of a few MB
        # taking a second), so each worker first fetches the surveys its parts take requests
        # from while every worker is idle; a worker keeps what it fetched for all its parts.
        homes = _balance([part.requests for part in parts], self._workers())
        needed: dict[str, set[int]] = {}
        for part, home in zip(parts, homes, strict=True):
            needed.setdefault(home, set()).update(part_file.file for part_file in part.files)
        fetches = [submit(_fetched, [held[index] for index in sorted(files)], workers=[home],
                          allow_other_workers=True, pure=False)
                   for home, files in needed.items()]
        wait(fetches)  # type: ignore[no-untyped-call]
        futures = [submit(_audit_held_part, part, settings,
                          [held[part_file.file] for part_file in part.files],
                          workers=[home], allow_other_workers=True, pure=False)
                   for part, home in zip(parts, homes, strict=True)]
        try:
            return self._gather(self.stage, futures)
        finally:
            self.release()

    def audit_whole(self, paths: Sequence[str], settings: Settings) -> PartResult:
        self.release()
        [result] = self._gather(self.stage, [self._client.submit(
            audit_whole, list(paths), settings, pure=False)])
        return cast(PartResult, result)

    def _workers(self) -> list[str]:
        """The workers' addresses, asked now (the client's cached list may be stale)."""
        client = self._client
        workers = list(client.has_what())  # type: ignore[no-untyped-call]
        if not workers:
            client.wait_for_workers(1)
            workers = list(client.has_what())  # type: ignore[no-untyped-call]
        return workers

    def release(self) -> None:
        """Let the workers drop the requests the surveys kept."""
        self._held = []

    def _gather(self, stage: str, futures: Sequence[Future[Any]]) -> list[Any]:
        """The results of ``futures`` in their order, progress heard as each finishes."""
        from distributed import as_completed

        on_progress = self._on_progress
        index_of = {future.key: index for index, future in enumerate(futures)}
        results: list[Any] = [None] * len(futures)
        if on_progress is not None:
            on_progress(stage, 0, len(futures))
        for done, future in enumerate(as_completed(futures),  # type: ignore[no-untyped-call]
                                      start=1):
            results[index_of[future.key]] = future.result()
            if on_progress is not None:
                on_progress(stage, done, len(futures))
        return results
