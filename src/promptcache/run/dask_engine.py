"""The audit on a Dask cluster (the ``promptcache[dask]`` extra).

The work is the partitioned audit's (:mod:`promptcache.run.partitioned`), as Dask tasks:
1. one survey task per file (reading it where it is stored, through fsspec for ``s3://``...);
2. on the client, the parts: union-find over the surveys' keys (small: one key set index
   per record);
3. one task per part, which reads the files its part has records in and audits those records
   (the shuffle by cache scope is each task reading its own records from storage, so no
   request crosses the network between workers);
4. on the client, the merge by input position into the report.

Tasks are pure functions of their arguments: a task lost with its worker is run again by
Dask's scheduler on another (``allowed-failures``), and the merge orders by position only, so
the report is the same however the tasks were placed, finished or retried.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from promptcache.report.model import Report
from promptcache.run.audit import ClusterError
from promptcache.run.partitioned import Settings, audit_whole, run_parts
from promptcache.run.partitions import Plan

if TYPE_CHECKING:
    from distributed import Client

SPECULATE_MAX_BYTES = 2 * 1024**3
"""A one-file log up to this size is audited whole beside its survey (a task Dask cannot
stop once running: a larger one would hold a worker too long when the log splits)."""
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
        whole = None
        if _speculate(paths, client):
            # One application's log is one part, found only once the survey has read it
            # all: audited whole meanwhile on another worker, it then costs no more time
            # than in one process. A log that splits cancels it (small enough to waste).
            whole = client.submit(audit_whole, list(paths), settings, pure=False)
        stages = deque(["surveying files"])

        def name_the_audit(plan: Plan) -> None:
            stages.append(f"auditing the log whole ({plan.why_whole})" if plan.why_whole
                          else f"auditing {len(plan.parts)} part(s)")

        return run_parts(paths, settings, _mapper(client, stages, on_progress), whole,
                         name_the_audit)
    except KilledWorker as lost:
        # Dask ran the task again on other workers until allowed-failures: each one died.
        raise ClusterError(f"the cluster lost every worker that ran one task ({lost}); "
                           "a worker short of memory is the usual cause") from None
    except (CommClosedError, FutureCancelledError) as lost:
        raise ClusterError(f"lost the Dask scheduler mid-run: {lost or type(lost).__name__}"
                           ) from None
    finally:
        close()


def _speculate(paths: Sequence[str], client: Client) -> bool:
    """Whether to audit the log whole beside its survey: one local file of at most
    :data:`SPECULATE_MAX_BYTES`, and a worker free for it."""
    if len(paths) != 1 or len(client.scheduler_info()["workers"]) < 2:
        return False
    try:
        return os.path.getsize(paths[0]) <= SPECULATE_MAX_BYTES
    except OSError:
        return False  # remote, or gone: the survey says what


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


def _mapper(client: Client, stages: deque[str], on_progress: Progress | None
            ) -> Callable[[Callable[[Any], Any], Sequence[Any]], list[Any]]:
    """Maps tasks on ``client``, each map named (for progress) by the next of ``stages``."""
    from distributed import as_completed

    def map_tasks(function: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
        stage = stages.popleft() if stages else "auditing"
        futures = client.map(function, tasks, pure=False)
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

    return map_tasks
