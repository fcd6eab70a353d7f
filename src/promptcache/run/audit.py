"""The pipeline: read records -> normalize -> count -> anchor on usage -> rules -> replay ->
savings -> report.

One request at a time: nothing holds the log. What is kept grows with the number of requests
only as one small row each (for the report's request list) and with the cache entries still
within their lifetime. The per-request stages are :class:`promptcache.run.part.PartAuditor`'s,
the sums :class:`promptcache.run.tally.Tally`'s: here the whole log is one part.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from promptcache.engine.rule_engine import ActiveRule
from promptcache.load.formats.base import Skipped
from promptcache.load.records import read_requests
from promptcache.load.sources import LoadError, Position
from promptcache.pricing import save_price_cache
from promptcache.report.model import Report
from promptcache.run.collector import fewer_collections
from promptcache.run.parallel import Reader, use_reader
from promptcache.run.part import PartAuditor
from promptcache.run.tally import Tally
from promptcache.tokens.counting import CountedRequest, PromptCounter

if TYPE_CHECKING:
    from distributed import Client


class ClusterError(RuntimeError):
    """The cluster cannot run the audit: the dask extra missing, a scheduler not reached."""


def run_audit(paths: Sequence[str], rules: Sequence[ActiveRule],
              lifetime_seconds: float | None = None,
              ignored: Callable[[str, str], bool] | None = None,
              on_position: Position | None = None, jobs: int | None = 1,
              project_path: Callable[[str], str] | None = None,
              input_format: str | None = None, scheduler: str | Client | None = None,
              on_tasks: Callable[[str, int, int], None] | None = None) -> Report:
    """Audit the logs at ``paths`` (already expanded) with ``rules``; ``ignored(code, file)``
    drops a rule's hits in a file (per-file ignores); ``on_position`` hears how far each file
    has been read (for a progress bar); ``jobs`` is how many processes may share the work
    (None: as many as there are cores, for a log big enough to gain from them; see
    :mod:`promptcache.run.parallel`); ``project_path`` spells a file for fingerprints (relative
    to the project root); ``input_format`` names the logs' format (None: told per file, see
    :mod:`promptcache.load.calls`). ``scheduler`` runs the audit on a Dask cluster instead
    (see :mod:`promptcache.run.dask_engine`), ``on_tasks`` hearing its progress. The report is
    the same whatever ``jobs`` and ``scheduler`` are."""
    if scheduler is not None:
        from promptcache.run.dask_engine import run_on_dask
        from promptcache.run.partitioned import Settings

        settings = Settings(rules, lifetime_seconds, ignored, project_path, input_format)
        return run_on_dask(paths, settings, scheduler, on_tasks)
    with fewer_collections():  # before the reader forks: it runs with them too
        counter = PromptCounter()
        reader = (Reader(paths, counter, on_position, input_format)
                  if use_reader(paths, jobs) else None)
        try:
            counted = (reader if reader is not None
                       else counted_records(paths, counter, on_position, input_format))
            return _audit(counted, rules, lifetime_seconds, ignored, counter, project_path)
        finally:
            if reader is not None:
                reader.close()


def counted_records(paths: Sequence[str], counter: PromptCounter,
                    on_position: Position | None, input_format: str | None
                    ) -> Iterator[CountedRequest | LoadError | Skipped]:
    """The log's records read, normalized and counted, in order: the first half of the
    pipeline (which :class:`promptcache.run.parallel.Reader` runs in a process of its own)."""
    for item in read_requests(paths, input_format, on_position, counter.intern):
        yield item if isinstance(item, LoadError | Skipped) else counter.count(item)


def _audit(records: Iterable[CountedRequest | LoadError | Skipped], rules: Sequence[ActiveRule],
           lifetime_seconds: float | None, ignored: Callable[[str, str], bool] | None,
           counter: PromptCounter, project_path: Callable[[str], str] | None = None) -> Report:
    part = PartAuditor(rules, counter, lifetime_seconds, ignored, project_path)
    tally = Tally.for_run(lifetime_seconds)
    take = tally.take
    for outcome in part.audit(enumerate(records)):
        take(outcome)
    report = tally.report(part.engine_state(), rules, project_path)
    save_price_cache()  # after the report: it looks up the price data's date too
    counter.flush()
    return report

