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
normalized and counted as ``promptcache audit`` does; a record the pipeline cannot read is
counted, and said, as unreadable.

Agreement is given three ways: exact tokens, within 5%, and within 5% once the prediction is
scaled by the recorded total over the counted one (the count of a Claude prompt is itself an
estimate: the scaled figure is the cache model's own error, the raw one the product's).
Requests where neither side reads or writes anything agree trivially and are counted apart.
A usage with ``iterations`` (compaction, advisor turns) is taken from its first iteration:
the sampling pass over the body as sent (the top-level usage is the last pass's, over a
prompt the server built).

Every other disagreement is given the first reason of :data:`REASONS` that fits it, each
said so a reader of the table knows whether the cache model or the recording is at fault.
``bench/accuracy.py`` prints :func:`closing_report` (its Anthropic cache section).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promptcache.anchoring import Anchorer
from promptcache.cache.anthropic import Block, prompt_blocks, read_point
from promptcache.cache.replay import BASE, Replayed, Replayer
from promptcache.load.records import normalize_record
from promptcache.load.sources import LoadError, RawRecord, read_records
from promptcache.tokens.counting import CountedRequest, PromptCounter

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
ANTHROPIC_FILES = ("anthropic-cassettes.jsonl", "anthropic-more.jsonl")
NEAR = 0.05
"""Within 5%: the tolerance of the agreement columns."""
FAR = 0.25
"""A count further than this from the recorded total is not the cache model's to explain."""

REASONS: dict[str, str] = {
    "unreadable": "the record did not load as a request",
    "api-error": "the model predicts the API rejects the breakpoints (more than 4, 1h after "
                 "5m), the provider served the request",
    "no-breakpoint": "the usage reports caching though the body sets no cache_control: a "
                     "mocked usage (a few tokens, or no 5m/1h split) or a gateway's caching",
    "server-input": "the provider's prompt is over 25% above the body's count: input the "
                    "server adds (server tools, code execution, files by id, fetched pages)",
    "over-count": "the body counts over 25% above the provider's prompt",
    "minimum-too-high": "the provider cached a prompt shorter than the catalogue's minimum "
                        "for the model: the table is wrong",
    "count-crosses-minimum": "one side caches, the other not, and the model's minimum lies "
                             "between the counted and the recorded totals: a counting error",
    "warmed-by-sibling": "the provider read what another cassette of the same project "
                         "writes (one session recorded as several cassettes, or a test that "
                         "reads what an earlier test wrote); credited, the read agrees",
    "warm-start": "the provider read where the cassette wrote nothing before: a cache warm "
                  "from runs outside the recording",
    "missed-read": "the model reads what the provider did not serve (eviction, another "
                   "machine)",
    "count-error": "both sides read and write at the same places; the tokens differ by the "
                   "prompt's counting error",
    "other": "none of these: a modelling error to look at",
}
"""Why a prediction and the usage differ, in the order tried, with what each means."""

MODELLING_ERRORS = frozenset({"api-error", "minimum-too-high", "missed-read", "other"})
"""Reasons that put the fault on the cache model."""
NORMALIZER_ERRORS: frozenset[str] = frozenset()
"""Reasons that put the fault on how the body is read; the rest are facts of the recording
or counting errors of the prompt. None at present: Claude Code's billing header, the one
there was, is left out of the prompt by the normalizer (see
``promptcache.tokens.anthropic_framing``)."""


def fault_of(reason: str) -> str:
    """Who a disagreement's reason blames, for the closing table."""
    if reason in MODELLING_ERRORS:
        return "cache model"
    return "normalizer" if reason in NORMALIZER_ERRORS else "recording / count"


@dataclass(frozen=True, slots=True)
class Recorded:
    """One record's usage: the truth."""

    total: int
    read: int
    written: int
    compaction: bool = False
    """Taken from a compaction pass: the server's summarization prompt follows the body."""


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
    sibling_read: int = 0
    """What the model reads with the entries other cassettes of the project write."""
    automatic: bool = False
    """The body asks for automatic caching (a top-level ``cache_control``)."""
    tail: int = 0
    """Counted tokens after the last breakpoint's block: billed as plain input."""

    @property
    def active(self) -> bool:
        """Either side reads or writes something."""
        return bool(self.read or self.written or self.recorded.read or self.recorded.written)

    def scaled(self, tokens: int) -> float:
        """``tokens`` of the prediction scaled to the recorded total."""
        return tokens * self.recorded.total / self.counted if self.counted else float(tokens)

    def agrees(self, predicted: int, recorded: int, *, scale: bool = False,
               tolerance: float = NEAR) -> bool:
        """``predicted`` (scaled when asked) within ``tolerance`` of ``recorded``."""
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
            return "api-error"
        if not self.breakpoints:
            return "no-breakpoint"
        if self.counted < (1 - FAR) * recorded.total:
            return "server-input"
        if self.counted > (1 + FAR) * recorded.total:
            return "over-count"
        if (recorded.written or recorded.read) and recorded.total < self.min_tokens:
            return "minimum-too-high"
        low, high = sorted((self.counted, recorded.total))
        if low < self.min_tokens <= high:
            return "count-crosses-minimum"
        if recorded.read and not self.read:
            if self.sibling_read and self.agrees(self.sibling_read, recorded.read, scale=True):
                return "warmed-by-sibling"
            return "warm-start"
        if self.read and not recorded.read:
            return "missed-read"
        if (bool(self.read) == bool(recorded.read)
                and bool(self.written) == bool(recorded.written)):
            return "count-error"
        return "other"


def recorded_usage(record: Mapping[str, Any]) -> Recorded | None:
    usage = (record.get("response") or {}).get("usage") or {}
    iterations = usage.get("iterations")
    if isinstance(iterations, list) and iterations and isinstance(iterations[0], dict):
        usage = iterations[0]
    uncached = usage.get("input_tokens")
    if not isinstance(uncached, int):
        return None
    read = usage.get("cache_read_input_tokens") or 0
    written = usage.get("cache_creation_input_tokens") or 0
    return Recorded(uncached + read + written, read, written,
                    compaction=usage.get("type") == "compaction")


def _cassette(source: str) -> str:
    return source.split("#", 1)[0]


def _project(source: str) -> str:
    return source.split(":", 1)[0]


@dataclass(frozen=True, slots=True)
class _Loaded:
    """One record read and counted, with its prompt's blocks."""

    raw: RawRecord
    recorded: Recorded
    counted: CountedRequest | None
    blocks: tuple[Block, ...] = ()

    @property
    def body(self) -> Mapping[str, Any]:
        """The request body as recorded."""
        body = self.raw.value.get("request")
        return body if isinstance(body, dict) else {}

    @property
    def model(self) -> str:
        """The model the body names."""
        return str(self.body.get("model", ""))


def _load(raw: RawRecord, recorded: Recorded, counter: PromptCounter,
          anchorer: Anchorer | None) -> _Loaded:
    request = normalize_record(raw)
    if isinstance(request, LoadError):
        return _Loaded(raw, recorded, None)
    counted = counter.count(request)
    if anchorer is not None:
        # As the audit does: the recorded usage is this request's truth, and a later turn
        # appending to it is that usage plus the counted delta (promptcache.anchoring).
        counted = anchorer.anchor(counted, "cassette")
    return _Loaded(raw, recorded, counted, prompt_blocks(
        request.segments, counted.segment_tokens, request.settings))


Writers = dict[tuple[str, str, bytes], set[str]]
"""(project, model, prefix hash) -> the cassettes whose breakpoints write that prefix."""


def _writers(cassettes: Mapping[str, list[_Loaded]]) -> Writers:
    writers: Writers = defaultdict(set)
    for cassette, records in cassettes.items():
        for loaded in records:
            if loaded.counted is None:
                continue
            minimum = loaded.counted.facts.cache.min_tokens
            for block in loaded.blocks:
                if block.breakpoint and block.end >= minimum:
                    writers[(_project(cassette), loaded.model, block.prefix_hash)].add(
                        cassette)
    return writers


def _sibling_read(cassette: str, loaded: _Loaded, writers: Writers) -> int:
    """Tokens the model reads when the entries other cassettes of the project write are
    warm (0: none reachable)."""
    if loaded.counted is None:
        return 0
    project, model = _project(cassette), loaded.model

    def written_elsewhere(prefix_hash: bytes) -> bool:
        return bool(writers.get((project, model, prefix_hash), set()) - {cassette})

    marks = [index for index, block in enumerate(loaded.blocks) if block.breakpoint]
    at = read_point(loaded.blocks, marks, loaded.counted.facts.cache.lookback_blocks,
                    written_elsewhere)
    return loaded.blocks[at].end if at >= 0 else 0


def outcomes(path: Path, *, anchored: bool = False) -> Iterator[CacheOutcome]:
    """Every record of ``path`` with recorded usage, each cassette replayed on its own, with
    counts ``anchored`` on the usage (as the audit has them) or from the bodies alone."""
    counter = PromptCounter()
    anchorers: dict[str, Anchorer] = defaultdict(Anchorer)
    cassettes: dict[str, list[_Loaded]] = defaultdict(list)
    for raw in read_records([str(path)]):
        if isinstance(raw, LoadError) or not isinstance(raw.value, dict):
            continue
        recorded = recorded_usage(raw.value)
        if recorded is not None:
            source = str((raw.value.get("meta") or {}).get("source", ""))
            cassette = _cassette(source)
            cassettes[cassette].append(_load(raw, recorded, counter,
                                             anchorers[cassette] if anchored else None))
    writers = _writers(cassettes)
    for cassette, records in cassettes.items():
        yield from _replay(path.name, cassette, records, counter, writers)


def _replay(file: str, cassette: str, records: list[_Loaded], counter: PromptCounter,
            writers: Writers) -> Iterator[CacheOutcome]:
    replayer = Replayer(counter)
    verdicts: list[Replayed] = []
    for row, loaded in enumerate(records):
        if loaded.counted is not None:
            verdicts += replayer.add(row, loaded.counted, [])
    verdicts += replayer.finish()
    by_row = {verdict.row: verdict for verdict in verdicts}
    for row, loaded in enumerate(records):
        meta = loaded.raw.value.get("meta") or {}
        common = (file, loaded.raw.location.line, str(meta.get("source", "")), loaded.model,
                  loaded.recorded)
        counted = loaded.counted
        if counted is None:
            yield CacheOutcome(*common, counted=None)
            continue
        prediction = by_row[row].predictions[BASE][1]
        yield CacheOutcome(
            *common, counted=counted.prompt_tokens, read=prediction.cached_tokens,
            written=prediction.written_tokens,
            breakpoints=sum(1 for block in loaded.blocks if block.breakpoint),
            rejected=prediction.rejected, min_tokens=counted.facts.cache.min_tokens,
            sibling_read=_sibling_read(cassette, loaded, writers),
            automatic="cache_control" in loaded.body,
            tail=counted.prompt_tokens - max(
                (block.end for block in loaded.blocks if block.breakpoint), default=0))


def _rate(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole:.0%})" if whole else "0/0"


Agreement = Callable[[CacheOutcome], bool]


def _agreement(side: str, *, scale: bool = False, tolerance: float = NEAR) -> Agreement:
    """Does an outcome's ``side`` (``read`` / ``written``) agree, as asked."""
    def agrees(outcome: CacheOutcome) -> bool:
        return outcome.agrees(getattr(outcome, side), getattr(outcome.recorded, side),
                              scale=scale, tolerance=tolerance)
    return agrees


AGREEMENT_COLUMNS: tuple[tuple[str, Callable[[str], Agreement]], ...] = (
    ("exact", lambda side: _agreement(side, tolerance=0)),
    ("within 5%", lambda side: _agreement(side)),
    ("within 5% scaled to the recorded total", lambda side: _agreement(side, scale=True)),
)


def summary(results: list[CacheOutcome]) -> list[str]:
    """The headline: how many records read, how many agree, and why the others differ."""
    readable = [o for o in results if o.counted is not None]
    active = [o for o in readable if o.active]
    lines = [f"{len(results)} records with usage; {len(readable)} read as requests; "
             f"{len(readable) - len(active)} with no cache read or write on either side "
             f"(agree trivially); {len(active)} with one:"]
    for side, label in (("read", "reads"), ("written", "writes")):
        lines.append(f"  {label}: " + ", ".join(
            f"{name} {_rate(sum(map(agree(side), active)), len(active))}"
            for name, agree in AGREEMENT_COLUMNS))
    reasons = Counter(o.reason for o in results if o.reason)
    lines.append("  disagreements (beyond 5% scaled), by likeliest reason: " + (
        ", ".join(f"{reason} {count}" for reason, count in reasons.most_common()) or "none"))
    return lines


def closing_table(results: list[CacheOutcome]) -> list[str]:
    """Markdown: reads and writes agreeing (exact, within 5%, within 5% scaled) over the
    records where either side caches, then the disagreements by reason, each said."""
    active = [o for o in results if o.counted is not None and o.active]
    rows = [f"| {len(active)} records with a cache read or write | reads | writes |",
            "| --- | ---: | ---: |"]
    for name, agree in AGREEMENT_COLUMNS:
        rows.append(f"| {name} | {_rate(sum(map(agree('read'), active)), len(active))} | "
                    f"{_rate(sum(map(agree('written'), active)), len(active))} |")
    reasons = Counter(o.reason for o in results if o.reason)
    rows += ["", "| disagreement (beyond 5% scaled) | records | fault | what it means |",
             "| --- | ---: | --- | --- |"]
    for reason, meaning in REASONS.items():
        if reasons[reason]:
            rows.append(f"| {reason} | {reasons[reason]} | {fault_of(reason)} | {meaning} |")
    return rows


TAIL_SLACK = 3
"""Tokens the counted and recorded tails may differ by and still put the breakpoint on the
same block (the frame's count is itself an estimate)."""


def automatic_placement(results: Iterable[CacheOutcome]) -> str:
    """Where automatic caching puts its breakpoint, checked: over the records that ask for it
    and that the provider cached (read or wrote), how many leave the same uncached tail
    (``input_tokens``) after the breakpoint as the model's, which puts it on the last block
    that can carry one."""
    cached = [o for o in results if o.automatic and o.counted is not None
              and (o.recorded.read or o.recorded.written)]
    passes = [o for o in cached if not o.recorded.compaction]
    same = sum(abs(o.recorded.total - o.recorded.read - o.recorded.written - o.tail)
               <= TAIL_SLACK for o in passes)
    return (f"automatic caching: the uncached tail after the breakpoint agrees within "
            f"{TAIL_SLACK} tokens on {_rate(same, len(passes))} of the records it cached "
            f"({len(cached) - len(passes)} compaction passes left out: the server's "
            f"summarization prompt follows the breakpoint there)")


def by_model(results: Iterable[CacheOutcome]) -> list[str]:
    """Markdown rows per model: requests with caching, reads and writes agreeing (scaled),
    and the predicted and recorded totals over the records the count can speak for (within
    25% of the recorded total: server input left out, see :data:`REASONS`)."""
    groups: dict[str, list[CacheOutcome]] = defaultdict(list)
    for outcome in results:
        if outcome.counted is not None and outcome.active:
            groups[outcome.model].append(outcome)
    rows = ["| model | with caching | reads within 5% (scaled) | writes within 5% (scaled) "
            "| predicted / recorded reads | predicted / recorded writes | server input |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for model, group in sorted(groups.items()):
        reads = sum(map(_agreement("read", scale=True), group))
        writes = sum(map(_agreement("written", scale=True), group))
        near = [o for o in group if o.reason not in ("server-input", "over-count")]
        rows.append(
            f"| {model} | {len(group)} | {_rate(reads, len(group))} | "
            f"{_rate(writes, len(group))} | {sum(o.read for o in near):,} / "
            f"{sum(o.recorded.read for o in near):,} | {sum(o.written for o in near):,} / "
            f"{sum(o.recorded.written for o in near):,} | {len(group) - len(near)} |")
    return rows


def all_outcomes(data: Path, names: Iterable[str] = ANTHROPIC_FILES, *,
                 anchored: bool = False) -> list[CacheOutcome]:
    """The outcomes of every named file present in ``data``."""
    return [outcome for name in names if (data / name).is_file()
            for outcome in outcomes(data / name, anchored=anchored)]


def closing_report(data: Path) -> list[str]:
    """The Anthropic cache section of ``bench/accuracy.py``: predicted against recorded
    cache reads and writes over both shared files, how many agree, why the others differ,
    and the per-model totals."""
    results = all_outcomes(data)
    lines = ["Anthropic explicit cache: predicted vs recorded cache reads and writes", ""]
    lines += closing_table(results)
    lines += ["", automatic_placement(results), ""]
    lines += by_model(results)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED, help="folder of the shared files")
    parser.add_argument("--file", action="append", help="only these files (repeatable)")
    parser.add_argument("--list", action="store_true", help="every disagreement, one line each")
    parser.add_argument("--anchored", action="store_true",
                        help="counts anchored on the recorded usage, as the audit has them")
    arguments = parser.parse_args(argv)
    if not arguments.data.is_dir():
        print(f"{arguments.data}: no such folder (the shared data is not beside this clone)",
              file=sys.stderr)
        return 2
    every: list[CacheOutcome] = []
    for name in arguments.file or ANTHROPIC_FILES:
        results = all_outcomes(arguments.data, [name], anchored=arguments.anchored)
        every += results
        print(f"{name}:")
        print("\n".join(summary(results)))
        print()
    print("\n".join(closing_table(every)))
    print()
    print(automatic_placement(every))
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
