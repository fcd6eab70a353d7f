"""What anchoring Claude counts on recorded usage gains: the next turn's total predicted from
the previous turn's usage plus the counted delta, against the body alone; and how the cache
predictions change when the replay positions breakpoints with anchored counts.

    python bench/anchoring.py                        # both Anthropic files of ../shared/data
    python bench/anchoring.py --file anthropic-more.jsonl

Pairs: within one cassette (a ``meta.source`` up to its ``#``), consecutive requests to the
same model, both read as requests and both with recorded usage. The next turn's total is
predicted without its own usage, as the audit does when a turn's response was not logged:

- ``body only``: the count from the body (what ``bench/accuracy.py`` measures);
- ``anchored``: :func:`promptcache.anchoring.anchor_on` on the previous turn as the audit
  anchors it (on its own usage): previous usage plus the counted delta when the turn cleanly
  appends to it; the previous turn's anchored tokens for a leading run the two share and the
  body's count for the rest when it does not (:func:`promptcache.anchoring.shared_run`); the
  body count when they share nothing;
- ``previous usage + delta, forced``: the previous usage plus the counted delta for every
  pair, appended or not (the facts file's predictor, for comparison).

Rows: all pairs, the append-only ones (:func:`promptcache.anchoring.appended_at`), those of
them without exotic input (server tools, MCP...: ``accuracy.anthropic_shape``), the pairs
that do not append (an edited or dropped message, changed tools or settings), and those of
them anchored on the leading run they share with the previous turn.

The cache side is ``bench/anthropic_cache.py``'s replay, once with the body counts and once with
the counts anchored as the audit anchors them (its ``--anchored``): both summaries.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

_BENCH = str(Path(__file__).resolve().parent)
if _BENCH not in sys.path:
    sys.path.insert(0, _BENCH)  # the sibling scripts, when loaded by a test

from accuracy import anthropic_shape  # noqa: E402
from anthropic_cache import (  # noqa: E402
    ANTHROPIC_FILES,
    SHARED,
    CacheOutcome,
    Recorded,
    outcomes,
    recorded_usage,
    summary,
)

from promptcache.anchoring import SHARED_USAGE, anchor_on, appended_at  # noqa: E402
from promptcache.load.records import normalize_record  # noqa: E402
from promptcache.load.sources import LoadError, RawRecord, read_records  # noqa: E402
from promptcache.tokens.counting import CountedRequest, PromptCounter  # noqa: E402

SHARES = (0.01, 0.03, 0.05)
"""The tolerances of the rate columns."""


@dataclass(frozen=True, slots=True)
class Turn:
    """One record of a cassette, read and counted from its body."""

    raw: RawRecord
    recorded: Recorded
    counted: CountedRequest | None
    """None when the record did not load."""
    exotic: bool


@dataclass(frozen=True, slots=True)
class Pair:
    """The next turn's total, recorded and predicted each way."""

    recorded: int
    body: int
    anchored: int
    forced: int
    appended: bool
    shared: bool
    """Anchored on a leading run shared with the previous turn, which it does not append to."""
    exotic: bool


def cassettes(path: Path, counter: PromptCounter) -> Iterator[list[Turn]]:
    """Each cassette of ``path``: its records with usage, in file order, counted."""
    grouped: dict[str, list[Turn]] = defaultdict(list)
    for raw in read_records([str(path)]):
        if isinstance(raw, LoadError) or not isinstance(raw.value, dict):
            continue
        recorded = recorded_usage(raw.value)
        if recorded is None:
            continue
        request = normalize_record(raw)
        counted = None if isinstance(request, LoadError) else counter.count(request)
        body = raw.value.get("request") or {}
        source = str((raw.value.get("meta") or {}).get("source", ""))
        grouped[source.split("#", 1)[0]].append(
            Turn(raw, recorded, counted, anthropic_shape(body) == "exotic"))
    yield from grouped.values()


def _unlogged(counted: CountedRequest) -> CountedRequest:
    """``counted`` as if its response had not been logged."""
    return CountedRequest(replace(counted.request, observed=None), counted.facts,
                          counted.segment_tokens, counted.prompt_tokens,
                          counted.image_indexes)


def pairs(turns: Sequence[Turn]) -> Iterator[Pair]:
    """The consecutive same-model pairs of one cassette."""
    latest: dict[str, tuple[CountedRequest, CountedRequest]] = {}
    """model -> (the previous turn's body count, as the audit anchors it)."""
    for turn in turns:
        counted = turn.counted
        if counted is None:
            continue
        model = counted.request.model
        before = latest.get(model)
        if before is not None:
            body_before, anchored_before = before
            probe = anchor_on(anchored_before, _unlogged(counted))
            yield Pair(
                recorded=turn.recorded.total,
                body=counted.prompt_tokens,
                anchored=counted.prompt_tokens if probe is None else probe.prompt_tokens,
                forced=(anchored_before.prompt_tokens + counted.prompt_tokens
                        - body_before.prompt_tokens),
                appended=appended_at(anchored_before, counted) is not None,
                shared=probe is not None and probe.anchoring is not None
                and probe.anchoring.reason == SHARED_USAGE,
                exotic=turn.exotic)
        # The turn as the audit anchors it (on its own usage), for the next one to extend.
        latest[model] = (counted, anchor_on(before[1] if before else None, counted) or counted)


def _error(predicted: int, recorded: int) -> float:
    return abs(predicted - recorded) / max(recorded, 1)


def rates(group: Sequence[Pair], predicted: Callable[[Pair], int]) -> str:
    """``n | within 1% | 3% | 5% | median`` cells of one predictor over ``group``."""
    errors = [_error(predicted(pair), pair.recorded) for pair in group]
    if not errors:
        return "0 | - | - | - | -"
    cells = [f"{sum(error <= share for error in errors) / len(errors):.0%}"
             for share in SHARES]
    return f"{len(errors)} | " + " | ".join(cells) + f" | {statistics.median(errors):.1%}"


PREDICTORS: tuple[tuple[str, Callable[[Pair], int]], ...] = (
    ("body only", lambda pair: pair.body),
    ("anchored", lambda pair: pair.anchored),
    ("previous usage + delta, forced", lambda pair: pair.forced),
)


def pair_table(every: Sequence[Pair]) -> list[str]:
    """Markdown rows: each predictor on each group of pairs."""
    groups = (
        ("all pairs", list(every)),
        ("append-only", [pair for pair in every if pair.appended]),
        ("append-only, non-exotic", [pair for pair in every
                                     if pair.appended and not pair.exotic]),
        ("not appended", [pair for pair in every if not pair.appended]),
        ("not appended, a shared run anchored", [pair for pair in every if pair.shared]),
    )
    rows = ["| pairs | predictor | n | within 1% | within 3% | within 5% | median error |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, group in groups:
        for label, predicted in PREDICTORS:
            rows.append(f"| {name} | {label} | {rates(group, predicted)} |")
    return rows


def measure(data: Path, names: Sequence[str],
            ) -> tuple[list[Pair], dict[bool, list[CacheOutcome]]]:
    """Every pair of the files ``names`` of ``data``, and their cache outcomes
    (``bench/anthropic_cache.py``) with body counts (False) and anchored ones (True)."""
    counter = PromptCounter()
    every: list[Pair] = []
    caches: dict[bool, list[CacheOutcome]] = {False: [], True: []}
    for name in names:
        for turns in cassettes(data / name, counter):
            every += pairs(turns)
        for anchored in (False, True):
            caches[anchored] += outcomes(data / name, anchored=anchored)
    return every, caches


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED, help="folder of the shared files")
    parser.add_argument("--file", action="append", help="only these files (repeatable)")
    arguments = parser.parse_args(argv)
    if not arguments.data.is_dir():
        print(f"{arguments.data}: no such folder (the shared data is not beside this clone)",
              file=sys.stderr)
        return 2
    every, caches = measure(arguments.data, arguments.file or ANTHROPIC_FILES)
    print("The next turn's total input, predicted without its own usage:")
    print("\n".join(pair_table(every)))
    for anchored, label in ((False, "body counts"), (True, "counts anchored on usage")):
        print()
        print(f"Cache predictions with {label}:")
        print("\n".join(summary(caches[anchored])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
