"""Start-up benchmark: how long `promptcache audit` takes on one small file, against
`python -c pass` measured in the same run (the floor any Python tool pays).

    python bench/startup.py [--runs 15]

Prints a table of median wall times and their ratio to the floor, for a cold start (empty
cache folder: the vocabulary is parsed and the price data imported) and a warm one (what a
pre-commit hook sees from its second run on), and the part of every start spent finding the
input formats (``all_formats()``, timed inside a process that has imported the rest of the
audit, as a run does before telling each file's format).

Modules are timed from their compiled bytecode, as an installed promptcache runs (pip writes
the ``.pyc`` files of a wheel at install; an editable install writes them on its first run):
the script compiles the package first and clears ``PYTHONDONTWRITEBYTECODE`` for the commands
it times. (Compiling promptcache's modules from source at every start, which an editable
install under ``PYTHONDONTWRITEBYTECODE=1`` does, costs some 0.3 s more.)

``--against REV`` times that revision's tree (``git archive``) and this checkout in the same
run, table after table alternating (``--repeat``), and prints the ratio of each row.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from revision import extract

ROOT = Path(__file__).resolve().parents[1]
SMALL_LOG = ROOT / "samples" / "tool-order.jsonl"


def _time(command: list[str], env: dict[str, str], runs: int,
          before_each: list[str] | None = None) -> float:
    samples = []
    for _ in range(runs):
        if before_each is not None:
            shutil.rmtree(before_each[0], ignore_errors=True)
        start = time.perf_counter()
        subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _time_edited(env: dict[str, str], runs: int) -> float:
    """A warm run on a fixture that gained a request with text no run has seen (what a
    pre-commit hook meets after an edit: the tokenizer must be built)."""
    folder = Path(tempfile.mkdtemp(prefix="promptcache-bench-edit-"))
    samples = []
    lines = SMALL_LOG.read_text("utf-8").splitlines()
    for run in range(runs):
        record = json.loads(lines[-1])
        edit = {"role": "user", "content": f"edit {run} {time.time()}"}
        record["request"]["messages"].append(edit)
        log = folder / "edited.jsonl"
        log.write_text("\n".join([*lines, json.dumps(record)]) + "\n", "utf-8")
        command = [sys.executable, "-m", "promptcache.cli", "audit", "--isolated", "-f",
                   "concise", str(log)]
        start = time.perf_counter()
        subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
        samples.append(time.perf_counter() - start)
    shutil.rmtree(folder, ignore_errors=True)
    return statistics.median(samples)


_FORMATS_DISCOVERY = """
import time
import promptcache.cli.main, promptcache.run.audit, promptcache.load.records
start = time.perf_counter()
from promptcache.load.formats import all_formats
all_formats()
print(time.perf_counter() - start)
"""


def _time_formats_discovery(env: dict[str, str], runs: int) -> float:
    """The median time ``all_formats()`` takes in a fresh process, the rest imported."""
    samples = [float(subprocess.run([sys.executable, "-c", _FORMATS_DISCOVERY], env=env,
                                    capture_output=True, text=True, check=True).stdout)
               for _ in range(runs)]
    return statistics.median(samples)


_ROWS = ("python -c pass (floor)", "promptcache --version", "promptcache audit, cold cache",
         "promptcache audit, warm cache", "promptcache audit, warm, file edited",
         "  of a start: finding the input formats")


def _table(source: Path | None, runs: int) -> dict[str, float]:
    """Each row's median seconds, importing promptcache from ``source`` (None: as installed),
    with a cache folder of its own."""
    cache = tempfile.mkdtemp(prefix="promptcache-bench-cache-")
    env = {**os.environ, "PROMPTCACHE_CACHE_DIR": cache, "GITHUB_ACTIONS": "false"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if source is not None:
        env["PYTHONPATH"] = str(source)
    audit = [sys.executable, "-m", "promptcache.cli", "audit", "--isolated", "-f", "concise",
             str(SMALL_LOG)]
    floor = _time([sys.executable, "-c", "pass"], env, runs)
    version = _time([sys.executable, "-m", "promptcache.cli", "--version"], env, runs)
    cold = _time(audit, env, max(3, runs // 3), before_each=[cache])
    subprocess.run(audit, env=env, capture_output=True, check=False)  # fill the cache
    warm = _time(audit, env, runs)
    edited = _time_edited(env, runs)
    discovery = _time_formats_discovery(env, runs)
    shutil.rmtree(cache, ignore_errors=True)
    return dict(zip(_ROWS, (floor, version, cold, warm, edited, discovery), strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--against", help="a revision to time in the same run, table by "
                                          "table, with the ratio of this checkout to it")
    parser.add_argument("--repeat", type=int, default=3,
                        help="with --against: tables of each, alternating (medians shown)")
    args = parser.parse_args()
    import promptcache

    compileall.compile_dir(Path(promptcache.__file__).parent, quiet=1)
    size = SMALL_LOG.stat().st_size
    print(f"promptcache start-up, {args.runs} runs each, median wall time "
          f"({SMALL_LOG.name}: {size:,} bytes, {sum(1 for _ in SMALL_LOG.open())} requests; "
          "modules from bytecode)")
    if args.against is None:
        table = _table(None, args.runs)
        print(f"{'command':<42}{'seconds':>9}{'x floor':>9}")
        for label, seconds in table.items():
            print(f"{label:<42}{seconds:>9.3f}{seconds / table[_ROWS[0]]:>9.1f}")
        return
    with tempfile.TemporaryDirectory() as folder:
        other = extract(args.against, Path(folder))
        compileall.compile_dir(other, quiet=1)
        tables: dict[str, list[dict[str, float]]] = {args.against: [], "this checkout": []}
        for _ in range(args.repeat):
            tables[args.against].append(_table(other, args.runs))
            tables["this checkout"].append(_table(None, args.runs))
    medians = {name: {row: statistics.median(table[row] for table in runs)
                      for row in _ROWS} for name, runs in tables.items()}
    before, after = medians[args.against], medians["this checkout"]
    print(f"{args.repeat} tables of each, alternating; medians of the tables' medians")
    print(f"{'command':<42}{args.against[:12]:>13}{'this':>9}{'ratio':>8}")
    for row in _ROWS:
        print(f"{row:<42}{before[row]:>13.3f}{after[row]:>9.3f}{after[row] / before[row]:>8.2f}")


if __name__ == "__main__":
    main()
