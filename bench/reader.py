"""The reader half of the pipeline (read, decode, validate, normalize, intern and count: what
the reader process runs) against the same half at another revision, in one run.

    python bench/reader.py LOG [--against REV] [--repeat N]
    python bench/reader.py LOG --by-length

Each measurement is a process of its own: this checkout's ``src/``, or ``REV``'s ``src/``
(with the ``cli/`` and ``rules/`` it links to, extracted with ``git archive`` into a
temporary folder and put first on ``PYTHONPATH``), run alternately on a warm token memo
(one untimed pass first), the median of ``--repeat`` runs each. The orjson parse floor of
the same log is measured in the same processes, so the ratios are the point: the machine
may be busy. ``--by-length`` shows instead how this checkout's cost per request grows with
the history a request resends.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from revision import extract

_HERE = Path(__file__).resolve().parent.parent


def _reader_half(log: str) -> tuple[float, int]:
    """Seconds to read, normalize and count every request of ``log``, and how many."""
    from promptcache.load.formats.base import Skipped
    from promptcache.load.records import read_requests
    from promptcache.load.sources import LoadError
    from promptcache.tokens.counting import PromptCounter

    counter = PromptCounter()
    requests = 0
    start = time.perf_counter()
    for item in read_requests([log], None, None, counter.intern):
        if not isinstance(item, LoadError | Skipped):
            counter.count(item)
            requests += 1
    seconds = time.perf_counter() - start
    counter.flush()
    return seconds, requests


def _by_length(log: str) -> None:
    """Microseconds per request to normalize and count it, by its number of messages: a flat
    row means the cost follows what is new in a request, not its history."""
    from promptcache.load.calls import read_calls
    from promptcache.load.formats.base import Skipped
    from promptcache.load.records import normalize_call
    from promptcache.load.sources import LoadError
    from promptcache.normalize.reuse import TurnMemory
    from promptcache.tokens.counting import PromptCounter

    for _ in range(2):  # the first pass fills the token memo; the second is shown
        counter = PromptCounter()
        turns = TurnMemory(intern=counter.intern)
        spent: dict[int, list[float]] = {}
        for call in read_calls([log]):
            if isinstance(call, LoadError | Skipped):
                continue
            start = time.perf_counter()
            request = normalize_call(call, turns)
            if not isinstance(request, LoadError):
                counter.count(request)
            messages = call.body.get("messages")
            size = len(messages) if isinstance(messages, list) else 0
            spent.setdefault(size // 10 * 10, []).append(time.perf_counter() - start)
        counter.flush()
    print("| messages | requests | normalize and count, us/request |")
    print("| --- | ---: | ---: |")
    for size, seconds in sorted(spent.items()):
        print(f"| {size}-{size + 9} | {len(seconds)} | {sum(seconds) / len(seconds) * 1e6:.0f} |")


def _floor(log: str) -> float:
    """Seconds to read the log line by line and decode each line with orjson."""
    import orjson

    start = time.perf_counter()
    with open(log, "rb", buffering=1 << 20) as lines:
        for line in lines:
            if line.strip():
                orjson.loads(line)
    return time.perf_counter() - start


def _child(log: str) -> None:
    import promptcache

    _reader_half(log)  # fills the token memo; not timed
    seconds, requests = _reader_half(log)
    print(json.dumps({"seconds": seconds, "requests": requests, "floor": _floor(log),
                      "source": str(Path(promptcache.__file__).parent)}))


def _measure(log: str, source: Path, memo: str) -> dict[str, object]:
    environment = {**os.environ, "PYTHONPATH": str(source), "PROMPTCACHE_CACHE_DIR": memo}
    output = subprocess.run([sys.executable, __file__, "--child", log], env=environment,
                            check=True, capture_output=True, text=True).stdout
    result: dict[str, object] = json.loads(output)
    if not str(result["source"]).startswith(str(source)):
        raise SystemExit(f"measured {result['source']}, not {source}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("log")
    parser.add_argument("--against", default="HEAD", help="the revision to compare with")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--by-length", action="store_true",
                        help="only this checkout: us/request by the request's message count")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.by_length:
        with tempfile.TemporaryDirectory() as memo:
            os.environ["PROMPTCACHE_CACHE_DIR"] = memo
            _by_length(options.log)
        return
    if options.child:
        _child(options.log)
        return
    with tempfile.TemporaryDirectory() as folder:
        sources = {options.against: extract(options.against, Path(folder)),
                   "this checkout": _HERE / "src"}
        runs: dict[str, list[dict[str, object]]] = {name: [] for name in sources}
        for _ in range(options.repeat):
            for name, source in sources.items():
                with tempfile.TemporaryDirectory() as memo:
                    runs[name].append(_measure(options.log, source, memo))
    print(f"{Path(options.log).name}: reader half, median of {options.repeat}\n")
    print("| source | s | us/request | x floor | x " + options.against + " |")
    print("| --- | ---: | ---: | ---: | ---: |")
    baseline = statistics.median(float(str(run["seconds"])) for run in runs[options.against])
    for name, measured in runs.items():
        seconds = statistics.median(float(str(run["seconds"])) for run in measured)
        floor = statistics.median(float(str(run["floor"])) for run in measured)
        requests = int(str(measured[0]["requests"]))
        print(f"| {name} | {seconds:.2f} | {seconds / requests * 1e6:.0f} "
              f"| {seconds / floor:.1f} | {seconds / baseline:.2f} |")


if __name__ == "__main__":
    main()
