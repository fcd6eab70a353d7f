"""LangSmith runs merged (a post and its later patch) and put back in the order they started.

The LangSmith client sends a run when it starts (``post``) and again when it ends
(``patch``: outputs, end time, usage), unless it ended before the first batch left, when the
post carries everything. Batching writes these operations out of start order. This module
holds, per file:

* the posts still waiting for their patch (a post without ``end_time``) and the patches
  whose post has not come yet, each until its partner arrives;
* up to :data:`WINDOW` finished runs, released in start order once more than that many wait:
  a run that arrives more than :data:`WINDOW` finished runs after later-started ones is
  released out of order (order only shapes the cache replay of its session);
* the ids of the runs released and of the other runs (chains, tools: a patch need not say
  its run's type), so a patch arriving after its run was released, or a batch
  sent twice, is not read as a second call. (A patch for a run still held is merged into it,
  even when its post looked finished.)
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from promptcache.load.formats._times import iso_seconds
from promptcache.model import Location

WINDOW = 512
"""Finished runs held to restore start order (a few MB for typical chat runs)."""


@dataclass(frozen=True, slots=True)
class Run:
    """One LLM run as finally known, and where its post was read."""

    location: Location
    path: str
    """The JSON path of the run in its record (``$.run``, ``$``, ``$.post[2]``)."""
    fields: Mapping[str, Any]


@dataclass(order=True)
class _Waiting:
    start: float
    dotted_order: str
    sequence: int
    run: Run = field(compare=False)


class RunOrder:
    """Feed operations with :meth:`post` and :meth:`patch`; take finished runs from
    :meth:`ready` as they may go, and the rest from :meth:`drain` at the end of the file."""

    def __init__(self) -> None:
        self._posts: dict[str, Run] = {}
        self._patches: dict[str, Run] = {}
        self._finished: list[_Waiting] = []
        self._finished_by_id: dict[str, _Waiting] = {}
        self._released: set[str] = set()
        self._other: set[str] = set()
        self._sequence = 0

    def skip(self, run_id: str) -> None:
        """A run that is not an LLM call (a chain, a tool): its patch, which may not say its
        type, is dropped on arrival rather than held."""
        self._other.add(run_id)
        self._patches.pop(run_id, None)

    def post(self, run: Run) -> None:
        run_id = str(run.fields.get("id"))
        if run_id in self._released or run_id in self._finished_by_id:
            return  # a batch sent twice
        patch = self._patches.pop(run_id, None)
        if patch is not None:
            self._finish(_merged(run, patch))
        elif run.fields.get("end_time") is None:
            self._posts[run_id] = run
        else:
            self._finish(run)

    def patch(self, run: Run) -> None:
        run_id = str(run.fields.get("id"))
        if run_id in self._released or run_id in self._other:
            return
        finished = self._finished_by_id.get(run_id)
        if finished is not None:
            # A post that looked finished and is patched after all: its place stays.
            finished.run = _merged(finished.run, run)
            return
        post = self._posts.pop(run_id, None)
        if post is None:
            self._patches[run_id] = run
        else:
            self._finish(_merged(post, run))

    def ready(self) -> Iterator[Run]:
        """Finished runs beyond the window, earliest first."""
        while len(self._finished) > WINDOW:
            yield self._release()

    def drain(self) -> tuple[list[Run], list[Run]]:
        """Every run left (posts whose patch never came included, as they are), in start
        order, and the patches whose post never came (their run's inputs are not in the
        file)."""
        for run in self._posts.values():
            self._finish(run)
        self._posts.clear()
        runs = [self._release() for _ in range(len(self._finished))]
        orphans = list(self._patches.values())
        self._patches.clear()
        return runs, orphans

    def _finish(self, run: Run) -> None:
        self._sequence += 1
        waiting = _Waiting(iso_seconds(run.fields.get("start_time")) or 0.0,
                           str(run.fields.get("dotted_order") or ""), self._sequence, run)
        heapq.heappush(self._finished, waiting)
        self._finished_by_id[str(run.fields.get("id"))] = waiting

    def _release(self) -> Run:
        run = heapq.heappop(self._finished).run
        run_id = str(run.fields.get("id"))
        del self._finished_by_id[run_id]
        self._released.add(run_id)
        return run


def _merged(post: Run, patch: Run) -> Run:
    """The post's fields updated by the patch's (which has no inputs, but the outputs, the end
    time and the final metadata), kept at the post's place."""
    fields = {**post.fields, **{key: value for key, value in patch.fields.items()
                                if value is not None and key != "inputs"}}
    return Run(post.location, post.path, fields)

