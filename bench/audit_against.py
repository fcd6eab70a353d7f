"""The whole audit of a log by this checkout and by another revision, in one run.

    python bench/audit_against.py LOG [--against REV] [--repeat N] [--jobs N]

Each audit is ``promptcache audit --format json`` in a process of its own (the default runs
the reader process beside it; ``--jobs 1`` one process), this checkout's ``src/`` or REV's
(extracted with ``git archive``, first on ``PYTHONPATH``), alternating, with the token memo
as each left it (one untimed run of each first). The orjson parse floor of the log is
measured in the same run, so the ratios are the point: a busy machine moves every row.
Both revisions' reports must be byte-identical (they are compared, and the run fails if
they differ).
"""

from __future__ import annotations

import argparse
import filecmp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from revision import ROOT, extract


def _audit(src: Path, log: str, out: Path, jobs: str | None) -> tuple[float, float]:
    """(wall, CPU) seconds of one audit run by the tree at ``src``."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    command = [sys.executable, "-m", "promptcache.cli", "audit", "--format", "json",
               "-o", str(out), log, *(["--jobs", jobs] if jobs else [])]
    before = os.times()
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = os.times()
    if done.returncode not in (0, 1):  # 1: findings
        raise SystemExit(f"audit failed ({done.returncode}): {done.stderr.strip()[-400:]}")
    cpu = (after.children_user - before.children_user
           + after.children_system - before.children_system)
    return wall, cpu


def _floor(log: str) -> float:
    """Seconds to read and parse every line of ``log`` with orjson, in a fresh process."""
    script = ("import orjson, sys, time\nstart = time.perf_counter()\n"
              "with open(sys.argv[1], 'rb') as f:\n    for line in f: orjson.loads(line)\n"
              "print(time.perf_counter() - start)")
    done = subprocess.run([sys.executable, "-c", script, log], check=True,
                          capture_output=True, text=True)
    return float(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("log")
    parser.add_argument("--against", default="HEAD", help="the revision to compare with")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--jobs", help="passed to promptcache audit (default: automatic)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="promptcache-against-") as folder:
        trees = {args.against: extract(args.against, Path(folder)), "this checkout":
                 ROOT / "src"}
        outs = {name: Path(folder) / f"{index}.json" for index, name in enumerate(trees)}
        for name, src in trees.items():  # untimed: memo and bytecode as a rerun finds them
            _audit(src, args.log, outs[name], args.jobs)
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
        floors = []
        for _ in range(args.repeat):
            floors.append(_floor(args.log))
            for name, src in trees.items():
                runs[name].append(_audit(src, args.log, outs[name], args.jobs))
        if not filecmp.cmp(outs[args.against], outs["this checkout"], shallow=False):
            raise SystemExit("the two revisions' reports differ")
    floor = statistics.median(floors)
    base = statistics.median(wall for wall, _ in runs[args.against])
    print(f"{Path(args.log).name}, jobs {args.jobs or 'automatic'}, median of {args.repeat} "
          "(reports identical)\n")
    print("| tree | wall s | CPU s | x orjson floor | x " + args.against + " |")
    print("| --- | ---: | ---: | ---: | ---: |")
    print(f"| orjson: read and parse every line (floor) | {floor:.2f} | | 1.0 | |")
    for name, measured in runs.items():
        wall = statistics.median(w for w, _ in measured)
        cpu = statistics.median(c for _, c in measured)
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {wall / floor:.1f} | {wall / base:.2f} |")


if __name__ == "__main__":
    main()
