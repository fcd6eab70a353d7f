"""How well the explicit-cache model predicts Anthropic's cache reads and writes: the shared
recordings replayed, predicted against recorded ``cache_read_input_tokens`` and
``cache_creation_input_tokens``.

    python bench/anthropic_cache.py                    # both Anthropic files of ../shared/data
    python bench/anthropic_cache.py --list             # and every disagreement, one line each
    python bench/anthropic_cache.py --file anthropic-more.jsonl
    python bench/anthropic_cache.py --anchored         # counts anchored on usage, as audited

Each cassette (a ``meta.source`` up to its ``#``) is one recorded session: it is replayed on
its own, in file order, through a fresh cache (the recordings carry no times, so nothing
expires inside a cassette, and one cassette never warms another). The requests are read,
normalized and counted as ``promptcache audit`` does (with ``--anchored``, the counts also
anchored on the recorded usage, as the audit anchors them: see promptcache.anchoring); a record
the pipeline cannot read is counted, and said, as unreadable.

Agreement is given three ways: exact tokens, within 5%, and within 5% once the prediction is
scaled by the recorded total over the counted one (the count of a Claude prompt is itself an
estimate: the scaled figure is the cache model's own error, the raw one the product's).
Requests where neither side reads or writes anything agree trivially and are counted apart.
Every other disagreement is given the likeliest reason:

- ``unreadable``: the record did not load;
- ``rejected``: the model predicts an API error (more than 4 breakpoints, 1h after 5m);
- ``not-in-body``: the provider read or wrote though the body has no breakpoint (caching
  the body does not show: a gateway, an SDK default, a mocked usage);
- ``far-count``: the count is more than 25% from the recorded total (server tools, files by
  id, compaction: input the body does not show), so no token figure can agree;
- ``table-minimum``: the provider cached a prompt shorter than the catalogue's minimum for
  the model: evidence that the table's minimum is too high;
- ``minimum``: one side wrote and the other did not, and the model's minimum lies between the
  counted and the recorded totals: the count, not the cache model, crossed it;
- ``warm-start``: the provider read where the replay has nothing to read: a cache warmed by
  earlier runs of the same test suite (the first request of a cassette reading);
- ``best-effort``: predicted a read the provider did not serve (another machine, an eviction);
- ``count``: both sides agree on what happens, the tokens differ (counting error);
- ``other``: none of these.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promptcache.anchoring import Anchorer
from promptcache.cache.replay import BASE, Replayed, Replayer
from promptcache.counting import CountedRequest, PromptCounter
from promptcache.load.records import normalize_record
from promptcache.load.sources import LoadError, RawRecord, read_records

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
ANTHROPIC_FILES = ("anthropic-cassettes.jsonl", "anthropic-more.jsonl")
NEAR = 0.05
"""Within 5%: the tolerance of the agreement columns."""
FAR = 0.25
"""A count further than this from the recorded total is not the cache model's to explain."""


@dataclass(frozen=True, slots=True)
class Recorded:
    """One record's usage: the truth."""

    total: int
    read: int
    written: int


@dataclass(frozen=True, slots=True)
class CacheOutcome:
    """One record: the model's prediction against the provider's usage."""

    file: str
    line: int
    source: str
    model: str
    recorded: Recorded
    counted: int | None
    """Prompt tokens promptcache counts; None when the record did not load."""
    read: int = 0
    written: int = 0
    breakpoints: int = 0
    rejected: str = ""
    min_tokens: int = 0

    @property
    def active(self) -> bool:
        """Either side reads or writes something."""
        return bool(self.read or self.written or self.recorded.read or self.recorded.written)

    def scaled(self, tokens: int) -> float:
        """``tokens`` of the prediction scaled to the recorded total."""
        return tokens * self.recorded.total / self.counted if self.counted else float(tokens)

    def agrees(self, predicted: int, recorded: int, *, scale: bool = False,
               tolerance: float = NEAR) -> bool:
        value = self.scaled(predicted) if scale else float(predicted)
        return abs(value - recorded) <= tolerance * recorded if recorded else value == 0

    @property
    def reason(self) -> str:
        """Why the prediction and the usage differ ('' when they agree within 5% scaled)."""
        if self.counted is None:
            return "unreadable"
        recorded = self.recorded
        if (self.agrees(self.read, recorded.read, scale=True)
                and self.agrees(self.written, recorded.written, scale=True)):
            return ""
        if self.rejected:
            return "rejected"
        if not self.breakpoints:
            return "not-in-body"
        if abs(self.counted - recorded.total) > FAR * recorded.total:
            return "far-count"
        if (recorded.written or recorded.read) and recorded.total < self.min_tokens:
            return "table-minimum"
        low, high = sorted((self.counted, recorded.total))
        if low < self.min_tokens <= high:
            return "minimum"
        if recorded.read and not self.read:
            return "warm-start"
        if self.read and not recorded.read:
            return "best-effort"
        if (bool(self.read) == bool(recorded.read)
                and bool(self.written) == bool(recorded.written)):
            return "count"
        return "other"


def recorded_usage(record: Mapping[str, Any]) -> Recorded | None:
    """The record's usage, None when it has none."""
    usage = (record.get("response") or {}).get("usage") or {}
    uncached = usage.get("input_tokens")
    if not isinstance(uncached, int):
        return None
    read = usage.get("cache_read_input_tokens") or 0
    written = usage.get("cache_creation_input_tokens") or 0
    return Recorded(uncached + read + written, read, written)


def _cassette(source: str) -> str:
    return source.split("#", 1)[0]


def outcomes(path: Path, *, anchored: bool = False) -> Iterator[CacheOutcome]:
    """Every record of ``path`` with recorded usage, each cassette replayed on its own, with
    counts ``anchored`` on the usage or from the bodies alone."""
    cassettes: dict[str, list[tuple[RawRecord, Recorded]]] = defaultdict(list)
    for raw in read_records([str(path)]):
        if isinstance(raw, LoadError) or not isinstance(raw.value, dict):
            continue
        recorded = recorded_usage(raw.value)
        if recorded is not None:
            source = str((raw.value.get("meta") or {}).get("source", ""))
            cassettes[_cassette(source)].append((raw, recorded))
    counter = PromptCounter()
    for records in cassettes.values():
        yield from _replay(path.name, records, counter, anchored)


def _replay(file: str, records: list[tuple[RawRecord, Recorded]],
            counter: PromptCounter, anchored: bool) -> Iterator[CacheOutcome]:
    replayer = Replayer(counter)
    anchorer = Anchorer()
    loaded: dict[int, CountedRequest] = {}
    verdicts: list[Replayed] = []
    for row, (raw, _) in enumerate(records):
        request = normalize_record(raw)
        if isinstance(request, LoadError):
            continue
        from_body = counter.count(request)
        loaded[row] = anchorer.anchor(from_body, "cassette") if anchored else from_body
        verdicts += replayer.add(row, loaded[row], [])
    verdicts += replayer.finish()
    by_row = {verdict.row: verdict for verdict in verdicts}
    for row, (raw, recorded) in enumerate(records):
        meta = raw.value.get("meta") or {}
        body = raw.value.get("request") or {}
        common = (file, raw.location.line, str(meta.get("source", "")),
                  str(body.get("model", "")), recorded)
        counted = loaded.get(row)
        if counted is None:
            yield CacheOutcome(*common, counted=None)
            continue
        verdict = by_row[row]
        prediction = verdict.predictions[BASE][1]
        yield CacheOutcome(
            *common, counted=counted.prompt_tokens, read=prediction.cached_tokens,
            written=prediction.written_tokens,
            breakpoints=sum(1 for segment in counted.request.segments if segment.breakpoint),
            rejected=prediction.rejected, min_tokens=counted.facts.cache.min_tokens)


def _rate(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole:.0%})" if whole else "0/0"


def summary(results: list[CacheOutcome]) -> list[str]:
    """The headline: how many records read, how many agree, and why the others differ."""
    readable = [o for o in results if o.counted is not None]
    active = [o for o in readable if o.active]
    lines = [f"{len(results)} records with usage; {len(readable)} read as requests; "
             f"{len(readable) - len(active)} with no cache read or write on either side "
             f"(agree trivially); {len(active)} with one:"]
    for side, predicted, recorded in (("reads", "read", "read"), ("writes", "written",
                                                                   "written")):
        def agree(outcome: CacheOutcome, *, scale: bool = False, tolerance: float = NEAR,
                  predicted: str = predicted, recorded: str = recorded) -> bool:
            return outcome.agrees(getattr(outcome, predicted),
                                  getattr(outcome.recorded, recorded), scale=scale,
                                  tolerance=tolerance)
        lines.append(
            f"  {side}: exact {_rate(sum(agree(o, tolerance=0) for o in active), len(active))}"
            f", within 5% {_rate(sum(agree(o) for o in active), len(active))}, within 5% "
            f"scaled to the recorded total "
            f"{_rate(sum(agree(o, scale=True) for o in active), len(active))}")
    reasons = Counter(o.reason for o in results if o.reason)
    lines.append("  disagreements (beyond 5% scaled), by likeliest reason: " + (
        ", ".join(f"{reason} {count}" for reason, count in reasons.most_common()) or "none"))
    return lines


def by_model(results: Iterable[CacheOutcome]) -> list[str]:
    """Markdown rows per model: requests with caching, reads and writes agreeing (scaled)."""
    groups: dict[str, list[CacheOutcome]] = defaultdict(list)
    for outcome in results:
        if outcome.counted is not None and outcome.active:
            groups[outcome.model].append(outcome)
    rows = ["| model | with caching | reads within 5% (scaled) | writes within 5% (scaled) "
            "| predicted / recorded reads | predicted / recorded writes |",
            "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for model, group in sorted(groups.items()):
        reads = sum(o.agrees(o.read, o.recorded.read, scale=True) for o in group)
        writes = sum(o.agrees(o.written, o.recorded.written, scale=True) for o in group)
        rows.append(
            f"| {model} | {len(group)} | {_rate(reads, len(group))} | "
            f"{_rate(writes, len(group))} | {sum(o.read for o in group):,} / "
            f"{sum(o.recorded.read for o in group):,} | {sum(o.written for o in group):,} / "
            f"{sum(o.recorded.written for o in group):,} |")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED, help="folder of the shared files")
    parser.add_argument("--file", action="append", help="only these files (repeatable)")
    parser.add_argument("--list", action="store_true", help="every disagreement, one line each")
    parser.add_argument("--anchored", action="store_true",
                        help="counts anchored on the recorded usage, as the audit does")
    arguments = parser.parse_args(argv)
    if not arguments.data.is_dir():
        print(f"{arguments.data}: no such folder (the shared data is not beside this clone)",
              file=sys.stderr)
        return 2
    every: list[CacheOutcome] = []
    for name in arguments.file or ANTHROPIC_FILES:
        results = list(outcomes(arguments.data / name, anchored=arguments.anchored))
        every += results
        print(f"{name}:")
        print("\n".join(summary(results)))
        print()
    print("\n".join(by_model(every)))
    if arguments.list:
        print()
        for outcome in every:
            if outcome.reason:
                print(f"{outcome.file}:{outcome.line} {outcome.reason}: read "
                      f"{outcome.read} (recorded {outcome.recorded.read}), written "
                      f"{outcome.written} (recorded {outcome.recorded.written}), counted "
                      f"{outcome.counted} of {outcome.recorded.total}, "
                      f"{outcome.breakpoints} breakpoints {outcome.source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
