"""The main half of the audit (rules, replay, tally) with the savings variants' caches
derived from the base cache against without, in one run: microseconds per request of each
stage, the ratios, and the wall.

    python bench/main_half.py LOG [--repeat N]

"before" makes every savings variant a full copy of the base cache that replays every
request (``Replayer(derive=False)``); "after" is the default, where a variant holds only its
differences from the base and skips a request none of whose blocks differ. Both run
``--jobs 1`` in this process, alternating, on a warm token memo; the reports are compared
too (they must be equal).
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from stages import clocked

_SPENT: defaultdict[str, float] = defaultdict(float)
_STAGES = ("rules", "replay", "tally")


def _instrument() -> None:
    from promptcache.cache.replay import Replayer
    from promptcache.engine.rule_engine import RuleEngine
    from promptcache.run import tally

    clocked(RuleEngine, "feed", "rules", _SPENT)
    clocked(Replayer, "add", "replay", _SPENT)
    clocked(Replayer, "finish", "replay", _SPENT)
    clocked(tally.Tally, "take", "tally", _SPENT)


def _run(log: Path, derive: bool) -> tuple[dict[str, float], int, bytes]:
    from promptcache.cache.replay import Replayer
    from promptcache.engine.rule_engine import default_rules
    from promptcache.report.json_format import report_to_dict
    from promptcache.rules import ALL_RULES
    from promptcache.run import audit, part

    # The switch is no user option: the audit's replayer is swapped for this run.
    setattr(part, "Replayer", functools.partial(Replayer, derive=derive))  # noqa: B010
    _SPENT.clear()
    start = time.perf_counter()
    report = audit.run_audit([str(log)], default_rules(ALL_RULES), jobs=1)
    spent = dict(_SPENT, wall=time.perf_counter() - start)
    return spent, report.summary.requests_audited, repr(report_to_dict(report)).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("log", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["PROMPTCACHE_CACHE_DIR"] = folder
        _instrument()
        _run(options.log, True)  # fills the token memo; not timed
        runs: dict[bool, list[dict[str, float]]] = {False: [], True: []}
        reports: dict[bool, bytes] = {}
        requests = 0
        for _ in range(options.repeat):
            for derive in (False, True):
                spent, requests, reports[derive] = _run(options.log, derive)
                runs[derive].append(spent)
    median = {derive: {stage: statistics.median(run.get(stage, 0.0) for run in runs[derive])
                      for stage in (*_STAGES, "wall")} for derive in runs}
    print(f"{options.log.name}: {requests:,} requests, --jobs 1, median of {options.repeat}; "
          f"reports {'identical' if reports[False] == reports[True] else 'DIFFER'}\n")
    print("| stage | before us/request | after us/request | after / before |")
    print("| --- | ---: | ---: | ---: |")
    for stage in (*_STAGES, "wall"):
        before, after = median[False][stage], median[True][stage]
        print(f"| {stage if stage != 'wall' else 'whole audit (wall)'} "
              f"| {before / max(requests, 1) * 1e6:.0f} | {after / max(requests, 1) * 1e6:.0f} "
              f"| {after / before if before else 0.0:.2f} |")


if __name__ == "__main__":
    main()
