"""Where an audit's time goes: one `promptcache audit` run, in this process, with a clock
around each pipeline stage.

    python bench/stages.py LOG [--cold]

Prints a Markdown table of the seconds each stage took and its share of the run. The stages
are the pipeline's (see src/promptcache/run/audit.py): reading and parsing each line with orjson,
normalizing (validating and rendering the request; new text is tokenized here, when the
normalizer interns its segments), counting, the rules, the cache replay (hashing and every
savings variant) and the tally (rows, sessions, prices). The clocks cost a little themselves
(a few microseconds a call), so the shares are the point, not the last decimal.

By default the cache folder is a fresh temporary one filled by a first, untimed run (a warm
run: tokenization is served from the memo); ``--cold`` times that first run instead.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

_SPENT: defaultdict[str, float] = defaultdict(float)


def clocked(owner: Any, name: str, stage: str,
            spent: defaultdict[str, float] = _SPENT) -> None:
    """Replace ``owner.name`` by the same callable with a clock around it, adding the
    seconds to ``spent[stage]`` (bench/main_half.py clocks its stages the same way)."""
    original: Callable[..., Any] = getattr(owner, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[stage] += time.perf_counter() - start

    setattr(owner, name, timed)


def _instrument() -> None:
    from promptcache.cache.replay import Replayer
    from promptcache.engine.rule_engine import RuleEngine
    from promptcache.load import sources
    from promptcache.run import audit, tally
    from promptcache.tokens.counting import PromptCounter

    clocked(sources, "_decode_line", "read and parse (orjson)")
    clocked(PromptCounter, "count", "count")
    clocked(RuleEngine, "feed", "rules (each request against its stream)")
    clocked(Replayer, "add", "cache replay (hashing, every savings variant)")
    clocked(Replayer, "finish", "cache replay (hashing, every savings variant)")
    clocked(tally.Tally, "take", "tally (rows, sessions, prices)")
    normalize = getattr(audit, "read_requests")  # noqa: B009 - instrumented in place

    def timed_records(*args: Any, **kwargs: Any) -> Iterator[Any]:
        items = normalize(*args, **kwargs)
        while True:
            start = time.perf_counter()
            try:
                item = next(items)
            except StopIteration:
                _SPENT["read, parse and normalize"] += time.perf_counter() - start
                return
            _SPENT["read, parse and normalize"] += time.perf_counter() - start
            yield item

    setattr(audit, "read_requests", timed_records)  # noqa: B010 - likewise


def _audit(log: Path) -> float:
    from promptcache.engine.rule_engine import default_rules
    from promptcache.rules import ALL_RULES
    from promptcache.run.audit import run_audit

    start = time.perf_counter()
    run_audit([str(log)], default_rules(ALL_RULES))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("log", type=Path)
    parser.add_argument("--cold", action="store_true",
                        help="time a run with an empty cache folder")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["PROMPTCACHE_CACHE_DIR"] = folder
        if not options.cold:
            _audit(options.log)  # fills the cache folder; not timed
        _instrument()
        total = _audit(options.log)
    parse = _SPENT.pop("read and parse (orjson)")
    normalize = _SPENT.pop("read, parse and normalize") - parse
    rows = [("read and parse (orjson)", parse),
            ("normalize (validate, render, tokenize new text)", normalize),
            *sorted(_SPENT.items(), key=lambda item: -item[1])]
    rest = total - sum(seconds for _, seconds in rows)
    rows.append(("the rest (start of the run, findings, report)", rest))
    print(f"{options.log.name}: {'cold' if options.cold else 'warm'} run, {total:.2f} s\n")
    print("| stage | s | share |")
    print("| --- | ---: | ---: |")
    for stage, seconds in rows:
        print(f"| {stage} | {seconds:.2f} | {seconds / total:.0%} |")


if __name__ == "__main__":
    main()
