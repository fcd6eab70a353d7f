"""The audit on a local Dask cluster of 1, 2 and 4 worker processes against one process, in
one run: wall time, the ratio to one process, each worker's peak memory, identical reports.

    python bench/cluster.py LOG [--workers 1,2,4] [--gateway DIR] [--repeat N]

``LOG`` is an agent log (``bench/generate_agent_log.py``; ``bench/throughput.py`` keeps its
250 MB one under /tmp/promptcache-throughput). One application's log is one part (its model
and system prompt tie every request together), so workers can only add their start-up to it;
``--gateway DIR`` also writes, into DIR, the same requests as a gateway in front of four
applications would log them (each session given one of four models and its app's name at
the top of its tools and system prompt, its lines in four files of consecutive lines, as a
gateway that rotates its log writes them, so sessions cross from one file to the next) and
measures that too: four parts.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import orjson

_MODELS = ("gpt-4.1", "gpt-4.1-mini", "gpt-4o", "gpt-4o-mini")


def write_gateway_log(log: Path, folder: Path) -> list[str]:
    """``log``'s requests as four applications' (see the module), in four files."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"gateway-{index}.jsonl" for index in range(4)]
    outs = [path.open("wb") for path in paths]
    with log.open("rb") as lines:
        total = sum(1 for _ in lines)
    try:
        with log.open("rb") as lines:
            for number, line in enumerate(lines):
                record = orjson.loads(line)
                session = str(record.get("meta", {}).get("session", ""))
                app = zlib.crc32(session.encode()) % 4
                body = record["request"]
                body["model"] = _MODELS[app]
                system = body["messages"][0]
                system["content"] = f"Application {app}. " + system["content"]
                for tool in body.get("tools", ())[:1]:  # tools come first in the prompt
                    function = tool["function"]
                    function["description"] = f"Application {app}: {function['description']}"
                # consecutive lines, as a gateway rotating its log every few hours
                outs[number * 4 // total].write(orjson.dumps(record) + b"\n")
    finally:
        for out in outs:
            out.close()
    return [str(path) for path in paths]


def _audit_json(paths: list[str], scheduler: Any) -> tuple[float, str]:
    from promptcache.engine.rule_engine import default_rules
    from promptcache.report.json_format import report_to_dict
    from promptcache.rules import ALL_RULES
    from promptcache.run.audit import run_audit

    began = time.perf_counter()
    report = run_audit(paths, default_rules(ALL_RULES), jobs=1, scheduler=scheduler)
    seconds = time.perf_counter() - began
    return seconds, json.dumps(report_to_dict(report), sort_keys=True)


def _peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _median_run(paths: list[str], scheduler: Any, repeat: int) -> tuple[float, str]:
    """The median wall time of ``repeat`` audits, and the report (the same each time)."""
    runs = [_audit_json(paths, scheduler) for _ in range(repeat)]
    if len({report for _, report in runs}) != 1:
        raise SystemExit("reports differ between runs of the same audit")
    return statistics.median(seconds for seconds, _ in runs), runs[0][1]


def bench(paths: list[str], workers: list[int], label: str, repeat: int) -> list[str]:
    from distributed import Client, LocalCluster

    from promptcache.run.partitions import plan_parts, survey_file

    plan = plan_parts([survey_file(path) for path in paths])
    rows = [f"\n{label}: {len(paths)} file(s), {sum(p.requests for p in plan.parts):,} "
            f"requests, {len(plan.parts)} part(s) (largest "
            f"{max(p.requests for p in plan.parts):,})\n",
            "| run | wall (s) | ratio to one process | peak memory per worker (MB) | "
            "report |", "|---|---|---|---|---|"]
    base_seconds, base = _median_run(paths, None, repeat)
    rows.append(f"| one process (`--jobs 1`) | {base_seconds:.2f} | 1.00 | "
                f"{_peak_kib() / 1024:.0f} (this process) | baseline |")
    for count in workers:
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=count, threads_per_worker=1, processes=True, dashboard_address=":0")
        with Client(cluster) as client:  # type: ignore[no-untyped-call]
            client.wait_for_workers(count)
            seconds, report = _median_run(paths, client, repeat)
            peaks = client.run(_peak_kib)
        cluster.close()
        memory = max(peaks.values()) / 1024
        same = "identical" if report == base else "DIFFERENT"
        rows.append(f"| {count} worker(s) | {seconds:.2f} | {seconds / base_seconds:.2f} | "
                    f"{memory:.0f} | {same} |")
        print(rows[-1], file=sys.stderr)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", type=Path)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--gateway", type=Path)
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per row; the median wall time is shown")
    args = parser.parse_args()
    workers = [int(count) for count in args.workers.split(",")]
    rows = bench([str(args.log)], workers, f"one application's log ({args.log.name})",
                 args.repeat)
    if args.gateway is not None:
        paths = write_gateway_log(args.log, args.gateway)
        rows += bench(paths, workers, "the same requests as four applications behind a "
                                      "gateway", args.repeat)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
