"""Audit the parts of a log (:mod:`promptcache.run.partitions`) apart, then merge them into the
report one pass over the whole log writes.

:func:`audit_part` is what a worker runs (a process, a Dask task on another machine): it takes
its part's requests as the survey kept them, or reads the files its part has records in
again, counts and audits those requests, and returns their outcomes and its finding groups.
:func:`merge` takes the outcomes of every part in input order (each part's are in order
already: a k-way merge by position) through the tally, and folds the finding groups as one
engine would have kept them. Nothing but the positions decides the order, so the report does
not depend on how many workers ran, in what order they finished, or how often a failed one
was retried.
"""

from __future__ import annotations

import functools
import heapq
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from promptcache.engine.rule_engine import Accumulator, ActiveRule
from promptcache.load.calls import read_calls
from promptcache.load.formats.base import Skipped
from promptcache.load.records import normalize_call
from promptcache.load.sources import LoadError
from promptcache.model import Request
from promptcache.normalize.reuse import TurnMemory
from promptcache.pricing import save_price_cache
from promptcache.report.model import Report
from promptcache.run.audit import counted_records
from promptcache.run.collector import fewer_collections
from promptcache.run.part import EngineState, Outcome, PartAuditor, Unaudited
from promptcache.run.partitions import FileSurvey, Part, Plan, plan_parts, survey_file
from promptcache.run.tally import Tally, take_all
from promptcache.tokens.counting import CountedRequest, PromptCounter


@dataclass(frozen=True, slots=True)
class Settings:
    """What every part is audited with (shipped to each worker)."""

    rules: Sequence[ActiveRule]
    lifetime_seconds: float | None = None
    ignored: Callable[[str, str], bool] | None = None
    project_path: Callable[[str], str] | None = None
    input_format: str | None = None


@dataclass(frozen=True, slots=True)
class PartResult:
    """What a worker returns for one part."""

    index: int
    outcomes: list[Outcome]
    """In input order."""
    engine: EngineState


def audit_part(part: Part, settings: Settings,
               taken: Sequence[Sequence[Request] | None] | None = None) -> PartResult:
    """Count and audit the records of ``part``. ``taken`` holds, per file of the part, its
    requests as the survey kept them (:func:`~promptcache.run.partitions.picked`); a file
    without them is read again: every record parsed, only the part's own validated, rendered
    and counted."""

    def requests(counter: PromptCounter) -> Iterator[tuple[int, CountedRequest]]:
        turns = TurnMemory(intern=counter.intern)
        for number, part_file in enumerate(part.files):
            wanted = array("I")
            wanted.frombytes(part_file.wanted)
            kept = None if taken is None else taken[number]
            mine = (kept if kept is not None
                    else _read_again(part_file.path, wanted, turns, settings.input_format))
            for index, request in zip(wanted, mine, strict=True):
                yield part_file.first_seq + index, counter.count(request)

    return _audited_part(part.index, settings, requests)


def audit_whole(paths: Sequence[str], settings: Settings) -> PartResult:
    """The whole log as one part (files that cannot be read apart)."""
    return _audited_part(0, settings, lambda counter: enumerate(
        counted_records(paths, counter, None, settings.input_format)))


def _audited_part(index: int, settings: Settings, items: Callable[
        [PromptCounter], Iterable[tuple[int, CountedRequest | LoadError | Skipped]]]
                  ) -> PartResult:
    """Part ``index`` audited from the (position, item) pairs ``items`` gives with the
    part's counter."""
    with fewer_collections():
        counter = PromptCounter()
        auditor = PartAuditor(settings.rules, counter, settings.lifetime_seconds,
                              settings.ignored, settings.project_path)
        outcomes = list(auditor.audit(items(counter)))
        counter.flush()
    return PartResult(index, outcomes, auditor.engine_state())


def _read_again(path: str, wanted: Sequence[int], turns: TurnMemory,
                input_format: str | None) -> Iterator[Request]:
    """The requests at the record indexes ``wanted`` (ascending) of the file at ``path``,
    normalized; the file is read no further than the last of them."""
    pending = iter(wanted)
    next_index = next(pending, None)
    # A call is one record of read_requests (normalize_calls maps them one to one): the
    # survey's record indexes hold here.
    for index, call in enumerate(read_calls([path], input_format)):
        if next_index is None:
            return
        if index != next_index:
            continue
        item = call if isinstance(call, LoadError | Skipped) else normalize_call(call, turns)
        if isinstance(item, LoadError | Skipped):  # the survey read it as a request
            raise RuntimeError(f"{path}: record {index} read differently")
        yield item
        next_index = next(pending, None)


def merge(results: Sequence[PartResult],
          unaudited: Sequence[tuple[int, LoadError | Skipped]],
          settings: Settings) -> Report:
    """The report of the parts' ``results`` and the records that are not requests."""
    tally = Tally.for_run(settings.lifetime_seconds)
    streams = [_tagged(result.index, result.outcomes) for result in results]
    streams.append(_tagged(-1, [Unaudited(seq, item) for seq, item in unaudited]))
    take_all(tally, heapq.merge(*streams, key=lambda pair: pair[1].seq))
    report = tally.report(merge_engines([result.engine for result in results]),
                          settings.rules, settings.project_path)
    save_price_cache()
    return report


def _tagged(part: int, outcomes: Sequence[Outcome]) -> Iterator[tuple[int, Outcome]]:
    for outcome in outcomes:
        yield part, outcome


def merge_engines(states: Sequence[EngineState]) -> EngineState:
    """The finding groups of ``states`` as one engine fed every part's requests in input order
    would hold them: each group's hits folded, groups in the order they first showed."""
    merged: dict[tuple[str, str], tuple[Accumulator, int]] = {}
    for state in states:
        for rank, (key, accumulator) in enumerate(state.groups.items()):
            known = merged.get(key)
            if known is None:
                merged[key] = (accumulator, rank)
                continue
            folded = known[0].merged(accumulator)
            # The rank among groups first shown by the same request: the earlier part's.
            merged[key] = (folded, known[1] if folded.first is known[0].first else rank)
    ordered = sorted(merged.items(), key=lambda item: (item[1][0].first_seq, item[1][1]))
    return EngineState(
        {key: accumulator for key, (accumulator, _) in ordered},
        sum(state.suppressed_inline for state in states),
        sorted((warning for state in states for warning in state.warnings),
               key=lambda warning: warning[0]))


Mapper = Callable[[Callable[[Any], Any], Sequence[Any]], Sequence[Any]]
"""Runs a function over tasks (on workers) and returns the results in the tasks' order."""


class Engine(Protocol):
    """Where the survey and the parts run (this process, a pool, a cluster)."""

    def survey(self, paths: Sequence[str], settings: Settings) -> Sequence[FileSurvey]: ...

    def audit_parts(self, parts: Sequence[Part], settings: Settings
                    ) -> Sequence[PartResult]: ...

    def audit_whole(self, paths: Sequence[str], settings: Settings) -> PartResult: ...


@dataclass(frozen=True, slots=True)
class Mapped:
    """The engine that runs each stage's tasks through a :data:`Mapper`; a part reads its
    files again."""

    map_tasks: Mapper

    def survey(self, paths: Sequence[str], settings: Settings) -> Sequence[FileSurvey]:
        return self.map_tasks(functools.partial(survey_file,
                                                input_format=settings.input_format),
                              list(paths))

    def audit_parts(self, parts: Sequence[Part], settings: Settings) -> Sequence[PartResult]:
        return self.map_tasks(functools.partial(audit_part, settings=settings), list(parts))

    def audit_whole(self, paths: Sequence[str], settings: Settings) -> PartResult:
        [result] = self.map_tasks(functools.partial(audit_whole, settings=settings),
                                  [list(paths)])
        return cast(PartResult, result)


def run_parts(paths: Sequence[str], settings: Settings, engine: Engine,
              on_plan: Callable[[Plan], None] | None = None) -> Report:
    """Survey ``paths``, audit each part, merge: the report of one pass over the log, with
    the work done by ``engine``. ``on_plan`` hears how the log splits before the parts are
    audited."""
    surveys = engine.survey(paths, settings)
    plan = plan_parts(surveys)
    if on_plan is not None:
        on_plan(plan)
    if plan.whole:
        return merge([engine.audit_whole(paths, settings)], (), settings)
    return merge(engine.audit_parts(plan.parts, settings), plan.unaudited, settings)


def _here(function: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
    return [function(task) for task in tasks]


in_process = Mapped(_here)
"""The engine that runs every task here, one after the other (tests, one core)."""
