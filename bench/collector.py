"""The audit with CPython's default cycle-collector thresholds against the audit's own
(``promptcache.run.collector``), in one run.

    python bench/collector.py LOG [--repeat N] [--jobs N]

Each measurement is a process of its own running ``run_audit`` on a warm token memo (one
untimed run first), alternating the two settings, the median of ``--repeat`` runs each:
wall seconds, the collections each generation ran (in the main process), the peak resident
memory of the main process and of the reader process (``--jobs 2``) and the ratio of the two
walls. The JSON reports of the two are compared (they must be equal). ``--jobs 1`` (the
default here) is one process, where every collection is counted; ``--jobs 2`` is the
default audit's reader and main process.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_SETTINGS = {"default": (700, 10, 10), "audit": None}


def _one(log: str, setting: str, jobs: int) -> None:
    """Audit ``log`` once with ``setting``'s thresholds; print what was measured as JSON."""
    import gc
    import hashlib

    from promptcache.engine.rule_engine import default_rules
    from promptcache.report.json_format import report_to_dict
    from promptcache.rules import ALL_RULES
    from promptcache.run import audit, collector

    thresholds = _SETTINGS[setting]
    if thresholds is not None:
        collector.AUDIT_THRESHOLDS = thresholds  # type: ignore[misc]
    before = [generation["collections"] for generation in gc.get_stats()]
    start = time.perf_counter()
    report = audit.run_audit([log], default_rules(ALL_RULES), jobs=jobs)
    wall = time.perf_counter() - start
    after = [generation["collections"] for generation in gc.get_stats()]
    digest = hashlib.sha256(repr(report_to_dict(report)).encode()).hexdigest()
    collections = [b - a for a, b in zip(before, after, strict=True)]
    print(json.dumps({"wall": wall, "collections": collections,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "reader_peak_mb":
                          resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                      "report": digest}))


def _measure(log: str, setting: str, jobs: int) -> dict[str, object]:
    output = subprocess.run([sys.executable, __file__, log, "--one", setting,
                             "--jobs", str(jobs)], check=True, capture_output=True,
                            text=True).stdout
    result: dict[str, object] = json.loads(output.splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("log", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--one", choices=sorted(_SETTINGS), help=argparse.SUPPRESS)
    options = parser.parse_args()
    log = str(options.log)
    if options.one:
        _one(log, options.one, options.jobs)
        return
    with tempfile.TemporaryDirectory() as folder:
        os.environ["PROMPTCACHE_CACHE_DIR"] = folder
        _measure(log, "audit", options.jobs)  # fills the token memo; not timed
        runs: dict[str, list[dict[str, object]]] = {name: [] for name in _SETTINGS}
        for _ in range(options.repeat):
            for name in _SETTINGS:
                runs[name].append(_measure(log, name, options.jobs))
    walls = {name: statistics.median(float(str(run["wall"])) for run in runs[name])
             for name in runs}
    reports = {str(run["report"]) for name in runs for run in runs[name]}
    print(f"{options.log.name}: --jobs {options.jobs}, median of {options.repeat}, "
          f"alternating; reports {'identical' if len(reports) == 1 else 'DIFFER'}\n")
    print("| thresholds | wall s | x default | collections (young, middle, old) | peak MB "
          "| reader's peak MB |")
    print("| --- | ---: | ---: | --- | ---: | ---: |")
    for name in runs:
        last = runs[name][-1]
        shown = _SETTINGS[name] or _audit_thresholds()
        peak, reader_peak = (statistics.median(float(str(run[key])) for run in runs[name])
                             for key in ("peak_mb", "reader_peak_mb"))
        print(f"| {name} {shown} | {walls[name]:.2f} | {walls[name] / walls['default']:.2f} "
              f"| {last['collections']} | {peak:.0f} | {reader_peak:.0f} |")


def _audit_thresholds() -> tuple[int, int, int]:
    from promptcache.run.collector import AUDIT_THRESHOLDS

    return AUDIT_THRESHOLDS


if __name__ == "__main__":
    main()
