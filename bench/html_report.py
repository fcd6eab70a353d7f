"""The HTML report's time and size on the benchmark log, against the JSON report of the same
log in the same run.

    python bench/html_report.py                 # the 250 MB log, 3 runs of each command
    python bench/html_report.py --mb 10 --repeat 1

The log is throughput.py's (bench/generate_agent_log.py, reused from the same work folder:
``$TMPDIR/promptcache-throughput``). Each command runs as its own process, each with an
empty cache folder (a cold run, as throughput.py measures), and the median
wall time of the runs is reported:

- ``audit --format json``: the baseline the ratios are against;
- ``audit --format html``: the HTML report instead;
- ``audit --format json --output-format html=PATH``: both from one audit (what the HTML
  costs on top of the JSON);
- ``report REPORT.json``: the HTML drawn from the saved JSON report, without the log.

The commands take turns (one run of each per round) so that the shared machine's busy spells
fall on all of them alike.

The HTML report's size is checked against the budget the README states (``SIZE_BUDGET_BYTES``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import generate_agent_log
import throughput  # bench/throughput.py: the same log, generated or reused

from promptcache.report.html.page import SIZE_BUDGET_BYTES


def run_once(command: list[str]) -> float:
    """Wall seconds of one cold run of ``command`` (an empty cache folder of its own)."""
    cache = tempfile.mkdtemp(prefix="promptcache-bench-cache-")
    env = {**os.environ, "PROMPTCACHE_CACHE_DIR": cache, "GITHUB_ACTIONS": "false"}
    began = time.perf_counter()
    finished = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - began
    shutil.rmtree(cache, ignore_errors=True)
    if finished.returncode not in (0, 1):  # 1: findings, as the log is meant to have
        raise SystemExit(f"{' '.join(command)} failed ({finished.returncode}):\n"
                         f"{finished.stderr}")
    return seconds


def timed(commands: list[list[str]], repeat: int) -> list[float]:
    """The median wall seconds of each command over ``repeat`` rounds; each round runs every
    command once, in turn, so a busy spell of a shared machine falls on all of them alike."""
    seconds: list[list[float]] = [[] for _ in commands]
    for _ in range(repeat):
        for index, command in enumerate(commands):
            seconds[index].append(run_once(command))
    return [statistics.median(runs) for runs in seconds]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=250.0, help="log size (1 MB = 1e6 bytes)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command")
    parser.add_argument("--seed", type=int, default=generate_agent_log.DEFAULT_SEED)
    parser.add_argument("--workdir", type=Path,
                        default=Path(tempfile.gettempdir()) / "promptcache-throughput")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    log, stats, obtained = throughput.ensure_log(args.workdir, args.mb, args.seed)
    tool = [sys.executable, "-m", "promptcache.cli"]
    out = args.workdir / "html-bench"
    out.mkdir(exist_ok=True)
    saved, page, both_json, both_page, redrawn = (
        out / "report.json", out / "report.html", out / "both.json", out / "both.html",
        out / "redrawn.html")
    audit = [*tool, "audit", str(log), "--isolated", "--quiet"]
    commands = [
        ("audit --format json", [*audit, "--format", "json", "-o", str(saved)], saved),
        ("audit --format html", [*audit, "--format", "html", "-o", str(page)], page),
        ("audit --format json --output-format html=...",
         [*audit, "--format", "json", "-o", str(both_json), "--output-format",
          f"html={both_page}"], both_page),
        ("report REPORT.json (no log)", [*tool, "report", str(saved), "-o", str(redrawn)],
         redrawn),
    ]
    medians = timed([command for _, command, _ in commands], args.repeat)
    rows = [(name, seconds, written)
            for (name, _, written), seconds in zip(commands, medians, strict=True)]
    baseline = rows[0][1]
    print(f"log: {log} ({obtained}): {stats['bytes']:,} bytes, {stats['records']:,} "
          f"requests in {stats['sessions']:,} sessions; median of {args.repeat} cold runs\n")
    print("| command | wall s | x json | output bytes |")
    print("| --- | ---: | ---: | ---: |")
    for name, seconds, written in rows:
        print(f"| {name} | {seconds:.2f} | {seconds / baseline:.2f} | "
              f"{written.stat().st_size:,} |")
    size = page.stat().st_size
    verdict = "within" if size <= SIZE_BUDGET_BYTES else "OVER"
    print(f"\nHTML report: {size:,} bytes, {verdict} the {SIZE_BUDGET_BYTES:,}-byte budget; "
          f"drawn from the saved JSON report it is "
          f"{'identical' if redrawn.read_bytes() == page.read_bytes() else 'DIFFERENT'}.")


if __name__ == "__main__":
    main()
