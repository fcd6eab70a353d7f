"""The incremental rule engine against the full one, in one run: the rules stage's seconds
and microseconds per request, and the audit's wall time, with ``--jobs 1`` and the default.

    python bench/incremental.py LOG [--repeat N]

"Full" runs every rule on every request and inherits nothing (``RuleEngine(incremental=
False)``, the engine before issue 18's first item); "incremental" is the default. Both run in
this process one after the other, alternating, on a warm token memo; ratios are the point.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

_RULES = [0.0, 0]


def _clock_feed() -> None:
    from promptcache.engine.rule_engine import RuleEngine

    original = RuleEngine.feed

    def feed(self: Any, counted: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(self, counted)
        finally:
            _RULES[0] += time.perf_counter() - start
            _RULES[1] += 1

    setattr(RuleEngine, "feed", feed)  # noqa: B010 - instrumented in place


def _run(log: Path, incremental: bool, jobs: int | None) -> tuple[float, float, int]:
    from promptcache.engine.rule_engine import RuleEngine, default_rules
    from promptcache.rules import ALL_RULES
    from promptcache.run import audit

    # The engine switch is no user option: the audit's engine is swapped for this run.
    setattr(audit, "RuleEngine",  # noqa: B010
            functools.partial(RuleEngine, incremental=incremental))
    _RULES[0], _RULES[1] = 0.0, 0
    start = time.perf_counter()
    audit.run_audit([str(log)], default_rules(ALL_RULES), jobs=jobs)
    return time.perf_counter() - start, _RULES[0], int(_RULES[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("log", type=Path)
    parser.add_argument("--repeat", type=int, default=1)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["PROMPTCACHE_CACHE_DIR"] = folder
        _clock_feed()
        _run(options.log, True, 1)  # fills the token memo; not timed
        print("| jobs | engine | wall s | rules s | rules us/request | x full (wall) "
              "| x full (rules) |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
        for jobs in (1, None):
            runs: dict[bool, list[tuple[float, float, int]]] = {False: [], True: []}
            for _ in range(options.repeat):
                for incremental in (False, True):
                    runs[incremental].append(_run(options.log, incremental, jobs))
            full_wall = statistics.median(run[0] for run in runs[False])
            full_rules = statistics.median(run[1] for run in runs[False])
            for incremental in (False, True):
                wall = statistics.median(run[0] for run in runs[incremental])
                rules = statistics.median(run[1] for run in runs[incremental])
                requests = runs[incremental][0][2]
                print(f"| {jobs or 'default'} | {'incremental' if incremental else 'full'} "
                      f"| {wall:.2f} | {rules:.2f} | {rules / max(requests, 1) * 1e6:.0f} "
                      f"| {wall / full_wall:.2f} | {rules / full_rules:.2f} |")


if __name__ == "__main__":
    main()
