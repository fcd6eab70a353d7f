"""How exactly promptcache counts prompt tokens: every shared file with recorded usage, per
model family x request shape, exact and within 1%, and the worst misses.

    python bench/accuracy.py                      # every OpenAI file of ../shared/data
    python bench/accuracy.py --misses 20          # and the 20 largest misses of each file
    python bench/accuracy.py --file openai-chat-more.jsonl --family 4o --shape tools --list
    python bench/accuracy.py --anthropic           # the Anthropic section alone
    python bench/accuracy.py --held-out            # Anthropic-defined tools' rows held out

The counts are the pipeline's own (read -> normalize -> count, as ``promptcache audit`` does);
the truth is the provider's recorded ``usage.prompt_tokens`` (Chat Completions) or
``usage.input_tokens`` (Responses). Every record of a file is in its denominator: a record the
counter marks estimated (remote image of unknown size, file, a model not in the catalogue: what
a report says is not exact) counts as a miss unless it happens to be exact, and the table says
how many were estimated beside the rate.

The Anthropic section measures every record of ``anthropic-*.jsonl`` against its total input
(``input_tokens + cache_read_input_tokens + cache_creation_input_tokens``) per Claude
generation x request shape: within 1%, 3% and 5%, the median error and the worst misses, and
the within-3% rate on all records and on the non-exotic ones (no server tools, MCP, container
or context management, whose input the provider extends unseen). Anthropic publishes no
tokenizer, so these counts are reconstructions: ``anthropic_outcomes`` takes the function that
counts a request, so a scratch script can measure the same rendering with another tokenizer.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promptcache.catalog import counting_change, facts_for, resolve_model
from promptcache.estimates import certainty
from promptcache.load.formats._usage import as_sent
from promptcache.load.records import normalize_record
from promptcache.load.sources import LoadError, RawRecord, read_records
from promptcache.model import Request
from promptcache.tokens.anthropic_framing import generation_of
from promptcache.tokens.counting import PromptCounter

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
OPENAI_FILES = ("openai-cassettes.jsonl", "openai-chat-more.jsonl",
                "openai-cookbook-prompt-caching.jsonl", "openai-responses-cassettes.jsonl",
                "openai-responses-more.jsonl")
SHAPES = ("image", "toolhist", "rf_schema", "rf_object", "tools", "parts", "text")
"""Request shapes, most telling first: a request is classed by the first that applies."""
ANTHROPIC_FILES = ("anthropic-cassettes.jsonl", "anthropic-more.jsonl")
ANTHROPIC_SHAPES = ("exotic", "documents", "images", "thinking", "structured", "tools",
                    "text")
"""Anthropic request shapes, most telling first (the classes of
shared/anthropic-counting-facts.md section 2): a request is classed by the first that
applies."""
_SERVER_BLOCKS = ("server_tool_use", "mcp_tool_use", "mcp_tool_result", "compaction",
                  "container_upload", "tool_addition")


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
    predates: bool = False
    """The record was logged before a known change in counting that its miss is exactly
    (:data:`promptcache.catalog.COUNTING_CHANGES`): the API counted it the old way."""

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
        predates = counted is not None and counting_change(
            counted.request.model, counted.request.api, counted.request.recorded,
            counted.prompt_tokens - observed) is not None
        yield Outcome(path.name, raw.location.line, source, model, family_of(model),
                      shape_of(body), None if counted is None else counted.prompt_tokens,
                      observed, counted is not None and not certainty(counted).exact, predates)


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
                     f"{_rate(sum(o.exact for o in counted), len(counted))}; "
                     f"{sum(o.predates for o in group)} misses logged before a known "
                     "counting change")
    return lines


@dataclass(frozen=True, slots=True)
class AnthropicOutcome:
    """One Anthropic record: the counted total input against the recorded one."""

    file: str
    line: int
    source: str
    model: str
    generation: str
    shape: str
    counted: int | None
    """None when the record could not be read as a request."""
    observed: int

    @property
    def error(self) -> float:
        """Relative error of the count (1.0 for an unread record)."""
        if self.counted is None:
            return 1.0
        return abs(self.counted - self.observed) / max(self.observed, 1)


def anthropic_shape(body: Mapping[str, Any]) -> str:
    """The shape of an Anthropic Messages body (see :data:`ANTHROPIC_SHAPES`)."""
    tools = body.get("tools")
    tools = tools if isinstance(tools, list) else []
    messages = body.get("messages")
    messages = messages if isinstance(messages, list) else []
    blocks = [block.get("type") for message in messages
              if isinstance(message, dict) and isinstance(message.get("content"), list)
              for block in message["content"] if isinstance(block, dict)]
    text = json.dumps(body.get("messages"))
    if (any(body.get(name) for name in ("mcp_servers", "container", "context_management"))
            or any(isinstance(tool, dict) and tool.get("type") not in (None, "custom")
                   for tool in tools)
            or any(kind in _SERVER_BLOCKS or (str(kind).endswith("_tool_result")
                                              and kind != "tool_result") for kind in blocks)):
        return "exotic"
    if '"type": "document"' in text:
        return "documents"
    if '"type": "image"' in text:
        return "images"
    if "thinking" in blocks or "redacted_thinking" in blocks:
        return "thinking"
    config = body.get("output_config")
    if body.get("output_format") or (isinstance(config, dict) and config.get("format")):
        return "structured"
    return "tools" if tools else "text"


def _anthropic_observed(record: Mapping[str, Any]) -> int | None:
    # A usage run in iterations (compaction, the advisor) is judged, as the audit reads it,
    # by its first iteration: the body as sent (promptcache.load.formats._usage.as_sent).
    usage = as_sent((record.get("response") or {}).get("usage") or {})
    parts = [usage.get(key) for key in ("input_tokens", "cache_read_input_tokens",
                                        "cache_creation_input_tokens")]
    if not isinstance(parts[0], int):
        return None
    return sum(part for part in parts if isinstance(part, int))


def pipeline_total(counter: PromptCounter) -> Callable[[Request], int]:
    """The pipeline's own count of a request (what ``promptcache audit`` reports)."""
    return lambda request: counter.count(request).prompt_tokens


def anthropic_outcomes(path: Path, count: Callable[[Request], int] | None = None,
                       ) -> Iterator[AnthropicOutcome]:
    """Every record of ``path`` with recorded usage, counted by ``count`` (the pipeline's
    counter by default)."""
    count = count or pipeline_total(PromptCounter())
    for raw in read_records([str(path)]):
        if isinstance(raw, LoadError) or not isinstance(raw.value, dict):
            continue
        record = raw.value
        observed = _anthropic_observed(record)
        body = record.get("request")
        if observed is None or not isinstance(body, dict):
            continue
        model = str(body.get("model", ""))
        source = str((record.get("meta") or {}).get("source", ""))
        request = normalize_record(RawRecord(raw.location, record))
        counted = None if isinstance(request, LoadError) else count(request)
        yield AnthropicOutcome(path.name, raw.location.line, source, model,
                               generation_of(model).name, anthropic_shape(body), counted,
                               observed)


def _within(group: list[AnthropicOutcome], share: float) -> str:
    return _rate(sum(o.error <= share for o in group), len(group))


def anthropic_table(results: list[AnthropicOutcome]) -> list[str]:
    """Markdown rows: generation x shape, within 1/3/5%, median error; then the totals."""
    groups: dict[tuple[str, str], list[AnthropicOutcome]] = defaultdict(list)
    for outcome in results:
        groups[(outcome.generation, outcome.shape)].append(outcome)
    rows = ["| generation | shape | records | within 1% | within 3% | within 5% | median error |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for (generation, shape), group in sorted(
            groups.items(), key=lambda item: (item[0][0], ANTHROPIC_SHAPES.index(item[0][1]))):
        rows.append(f"| {generation} | {shape} | {len(group)} | {_within(group, 0.01)} | "
                    f"{_within(group, 0.03)} | {_within(group, 0.05)} | "
                    f"{statistics.median(o.error for o in group):.1%} |")
    # Each shape over every generation: the README's table.
    for shape in ANTHROPIC_SHAPES:
        group = [o for o in results if o.shape == shape]
        if group:
            rows.append(f"| all | {shape} | {len(group)} | {_within(group, 0.01)} | "
                        f"{_within(group, 0.03)} | {_within(group, 0.05)} | "
                        f"{statistics.median(o.error for o in group):.1%} |")
    usual = [o for o in results if o.shape != "exotic"]
    for label, group in (("all records", results), ("non-exotic records", usual)):
        if group:
            rows.append(f"| {label} | | {len(group)} | {_within(group, 0.01)} | "
                        f"{_within(group, 0.03)} | {_within(group, 0.05)} | "
                        f"{statistics.median(o.error for o in group):.1%} |")
    return rows


def anthropic_model_table(results: list[AnthropicOutcome]) -> list[str]:
    """Markdown rows per model (its catalogue row: dated snapshots with their alias), with
    the median signed error, which says which way the count leans (a mean would be one
    compaction record's: server-side input runs to hundreds of times the count)."""
    groups: dict[str, list[AnthropicOutcome]] = defaultdict(list)
    for outcome in results:
        groups[facts_for(outcome.model).prefix or outcome.model].append(outcome)
    rows = ["| model | records | within 1% | within 3% | within 5% | median error | "
            "median signed error |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for model, group in sorted(groups.items()):
        signed = [(o.counted - o.observed) / max(o.observed, 1) for o in group
                  if o.counted is not None]
        lean = f"{statistics.median(signed):+.1%}" if signed else "n/a"
        rows.append(f"| {model} | {len(group)} | {_within(group, 0.01)} | "
                    f"{_within(group, 0.03)} | {_within(group, 0.05)} | "
                    f"{statistics.median(o.error for o in group):.1%} | {lean} |")
    return rows


def anthropic_report(data: Path, misses: int,
                     count: Callable[[Request], int] | None = None) -> list[str]:
    """The Anthropic section: the table, then the worst misses."""
    results = [outcome for name in ANTHROPIC_FILES if (data / name).is_file()
               for outcome in anthropic_outcomes(data / name, count)]
    lines = ["Anthropic Messages: total input (input + cache read + cache creation)", ""]
    lines += anthropic_table(results)
    lines += ["", "Per model:", ""]
    lines += anthropic_model_table(results)
    lines.append("")
    unread = sum(o.counted is None for o in results)
    lines.append(f"{unread} records not readable as a request (counted as misses)")
    for outcome in sorted(results, key=lambda o: -o.error)[:misses]:
        diff = ("unreadable" if outcome.counted is None
                else f"{outcome.counted - outcome.observed:+d}")
        lines.append(f"{outcome.file}:{outcome.line} {outcome.model} {outcome.generation}/"
                     f"{outcome.shape} {diff} (counted {outcome.counted}, API "
                     f"{outcome.observed}, {outcome.error:.1%}) {outcome.source}")
    return lines


def anthropic_cache_report(data: Path) -> list[str]:
    """Predicted against recorded cache reads and writes (``bench/anthropic_cache.py``, whose
    ``--list`` gives every disagreement and its likeliest reason)."""
    folder = str(Path(__file__).resolve().parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)  # the sibling script, when this one is loaded by a test
    from anthropic_cache import closing_report

    lines: list[str] = closing_report(data)
    return lines


def held_out_report(data: Path) -> list[str]:
    """The measured rows of the Anthropic-defined tools' table refitted without one source
    project at a time (``bench/anthropic_server_tools.py``)."""
    folder = str(Path(__file__).resolve().parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)  # the sibling script, when this one is loaded by a test
    from anthropic_server_tools import held_out_report as report

    lines: list[str] = report(data)
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
    parser.add_argument("--anthropic", action="store_true",
                        help="only the Anthropic section")
    parser.add_argument("--held-out", action="store_true",
                        help="only the Anthropic-defined tools' rows, refitted without one "
                        "project at a time")
    arguments = parser.parse_args(argv)
    if not arguments.data.is_dir():
        print(f"{arguments.data}: no such folder (the shared data is not beside this clone)",
              file=sys.stderr)
        return 2
    if arguments.held_out:
        print("\n".join(held_out_report(arguments.data)))
        return 0
    if arguments.anthropic:
        print("\n".join(anthropic_report(arguments.data, arguments.misses)))
        print()
        print("\n".join(anthropic_cache_report(arguments.data)))
        return 0
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
              f"{' estimated' if outcome.estimated else ''}"
              f"{' predates a counting change' if outcome.predates else ''} {outcome.source}")
    if not arguments.file:
        print()
        print("\n".join(anthropic_report(arguments.data, arguments.misses)))
        print()
        print("\n".join(anthropic_cache_report(arguments.data)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
