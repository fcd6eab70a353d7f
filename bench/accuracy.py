"""How exactly promptcache counts prompt tokens: every shared file with recorded usage, per
model family x request shape, exact and within 1%, and the worst misses.

    python bench/accuracy.py                      # every OpenAI file of ../shared/data
    python bench/accuracy.py --misses 20          # and the 20 largest misses of each file
    python bench/accuracy.py --file openai-chat-more.jsonl --family 4o --shape tools --list

The counts are the pipeline's own (read -> normalize -> count, as ``promptcache audit`` does);
the truth is the provider's recorded ``usage.prompt_tokens`` (Chat Completions) or
``usage.input_tokens`` (Responses). Every record of a file is in its denominator: a record the
counter marks estimated (remote image of unknown size, file, audio) counts as a miss unless it
happens to be exact, and the table says how many were estimated beside the rate.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promptcache.catalog import resolve_model
from promptcache.counting import PromptCounter
from promptcache.load.records import normalize_record
from promptcache.load.sources import LoadError, RawRecord, read_records

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
OPENAI_FILES = ("openai-cassettes.jsonl", "openai-chat-more.jsonl",
                "openai-cookbook-prompt-caching.jsonl", "openai-responses-cassettes.jsonl",
                "openai-responses-more.jsonl")
SHAPES = ("image", "toolhist", "rf_schema", "rf_object", "tools", "parts", "text")
"""Request shapes, most telling first: a request is classed by the first that applies."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """One record: what promptcache counted against what the provider said."""

    file: str
    line: int
    source: str
    model: str
    family: str
    shape: str
    counted: int | None
    """None when the record could not be read as a request."""
    observed: int
    estimated: bool

    @property
    def diff(self) -> int | None:
        return None if self.counted is None else self.counted - self.observed

    @property
    def exact(self) -> bool:
        return self.diff == 0

    @property
    def within_one_percent(self) -> bool:
        return self.diff is not None and abs(self.diff) <= 0.01 * self.observed


def family_of(model: str) -> str:
    """The rendering family a model name belongs to (the classes of
    shared/openai-rendering-facts.md)."""
    name = resolve_model(model)  # the catalogue's resolution: prefixes, fine-tuned names
    if any(word in name for word in ("audio", "search", "realtime")):
        return "special"
    if name.startswith(("gpt-4o", "gpt-4.1", "gpt-4.5", "chatgpt-4o")):
        return "4o"
    if name.startswith(("gpt-4", "gpt-3.5")):
        return "cl100k"
    if name.startswith(("o1", "o3", "o4", "gpt-5")):
        return "reasoning"
    return "other"


def shape_of(body: Mapping[str, Any]) -> str:
    """The request's shape, for Chat Completions and Responses bodies alike."""
    text = json.dumps(body)
    items = body.get("messages") or body.get("input") or []
    items = items if isinstance(items, list) else []
    if '"image_url"' in text or '"input_image"' in text:
        return "image"
    if any(isinstance(item, dict) and (item.get("tool_calls") or item.get("role") == "tool"
                                       or item.get("type") in ("function_call",
                                                               "function_call_output"))
           for item in items):
        return "toolhist"
    formats = [body.get("response_format"), (body.get("text") or {}).get("format")
               if isinstance(body.get("text"), dict) else None]
    kinds = {f.get("type") for f in formats if isinstance(f, dict)}
    if "json_schema" in kinds:
        return "rf_schema"
    if "json_object" in kinds:
        return "rf_object"
    if body.get("tools"):
        return "tools"
    if any(isinstance(item, dict) and isinstance(item.get("content"), list) for item in items):
        return "parts"
    return "text"


def _observed(record: Mapping[str, Any]) -> int | None:
    usage = (record.get("response") or {}).get("usage") or {}
    value = usage.get("prompt_tokens", usage.get("input_tokens"))
    return value if isinstance(value, int) else None


def outcomes(path: Path) -> Iterator[Outcome]:
    """Every record of ``path`` with recorded usage, counted."""
    counter = PromptCounter()
    for raw in read_records([str(path)]):
        if isinstance(raw, LoadError) or not isinstance(raw.value, dict):
            continue
        record = raw.value
        observed = _observed(record)
        body = record.get("request") if isinstance(record.get("request"), dict) else record
        if observed is None or not isinstance(body, dict):
            continue
        model = str(body.get("model", ""))
        source = str((record.get("meta") or {}).get("source", ""))
        request = normalize_record(RawRecord(raw.location, record))
        counted = None if isinstance(request, LoadError) else counter.count(request)
        yield Outcome(path.name, raw.location.line, source, model, family_of(model),
                      shape_of(body), None if counted is None else counted.prompt_tokens,
                      observed, counted is not None and counted.request.estimated)


def _rate(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole:.1%})" if whole else "0/0"


def api_of(file: str) -> str:
    """``responses`` for the Responses API's files, ``chat`` for the others."""
    return "responses" if "responses" in file else "chat"


def table(results: list[Outcome], *, by_api: bool = False) -> list[str]:
    """Markdown rows: file (or API, ``by_api``) x family x shape, exact, within 1%,
    estimated."""
    groups: dict[tuple[str, str, str], list[Outcome]] = defaultdict(list)
    for outcome in results:
        where = api_of(outcome.file) if by_api else outcome.file
        groups[(where, outcome.family, outcome.shape)].append(outcome)
    rows = [f"| {'API' if by_api else 'file'} | family | shape | records | exact | within 1% "
            "| estimated |",
            "| --- | --- | --- | ---: | ---: | ---: | ---: |"]
    for (file, family, shape), group in sorted(
            groups.items(), key=lambda item: (item[0][0], item[0][1],
                                              SHAPES.index(item[0][2]))):
        rows.append(f"| {file.removesuffix('.jsonl')} | {family} | {shape} | {len(group)} | "
                    f"{_rate(sum(o.exact for o in group), len(group))} | "
                    f"{_rate(sum(o.within_one_percent for o in group), len(group))} | "
                    f"{sum(o.estimated for o in group)} |")
    return rows


def totals(results: list[Outcome]) -> list[str]:
    """One line per file: exact and within 1% over every record with usage."""
    by_file: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in results:
        by_file[outcome.file].append(outcome)
    for api in ("chat", "responses"):
        by_file[f"all {api} files"] = [o for o in results if api_of(o.file) == api]
    lines = []
    for file, group in by_file.items():
        if not group:
            continue
        counted = [o for o in group if not o.estimated]
        unread = sum(o.counted is None for o in group)
        lines.append(f"{file}: exact {_rate(sum(o.exact for o in group), len(group))}, "
                     f"within 1% {_rate(sum(o.within_one_percent for o in group), len(group))}"
                     f"; {sum(o.estimated for o in group)} marked estimated, {unread} not "
                     "readable as a request (counted as misses); of the others, exact "
                     f"{_rate(sum(o.exact for o in counted), len(counted))}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED, help="folder of the shared files")
    parser.add_argument("--file", action="append", help="only these files (repeatable)")
    parser.add_argument("--family", help="only this family (4o, cl100k, reasoning, ...)")
    parser.add_argument("--shape", help="only this shape (" + ", ".join(SHAPES) + ")")
    parser.add_argument("--misses", type=int, default=5, help="worst misses shown per file")
    parser.add_argument("--list", action="store_true", help="every miss, one line each")
    parser.add_argument("--by-api", action="store_true",
                        help="rows per API (chat, responses) instead of per file")
    arguments = parser.parse_args(argv)
    if not arguments.data.is_dir():
        print(f"{arguments.data}: no such folder (the shared data is not beside this clone)",
              file=sys.stderr)
        return 2
    results = [outcome for name in (arguments.file or OPENAI_FILES)
               for outcome in outcomes(arguments.data / name)
               if (arguments.family in (None, outcome.family))
               and (arguments.shape in (None, outcome.shape))]
    print("\n".join(totals(results)))
    print()
    print("\n".join(table(results, by_api=arguments.by_api)))
    misses = sorted((o for o in results if not o.exact),
                    key=lambda o: (o.file, -abs(o.diff if o.diff is not None else 10**9)))
    shown: dict[str, int] = defaultdict(int)
    print()
    for outcome in misses:
        if not arguments.list and shown[outcome.file] >= arguments.misses:
            continue
        shown[outcome.file] += 1
        diff = "unreadable" if outcome.diff is None else f"{outcome.diff:+d}"
        print(f"{outcome.file}:{outcome.line} {outcome.model} {outcome.family}/{outcome.shape}"
              f" {diff} (counted {outcome.counted}, API {outcome.observed})"
              f"{' estimated' if outcome.estimated else ''} {outcome.source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
