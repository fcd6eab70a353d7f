"""The measured rows of the Anthropic-defined tools' table, checked held out: each row refitted
without one source project at a time, and how that project's records land.

    python bench/anthropic_server_tools.py          # or: python bench/accuracy.py --held-out

For every record (``../shared/data/anthropic-*.jsonl``) priced by a measured row of
:data:`promptcache.tokens.anthropic_server_tools.DEFINITIONS`, the residual is the recorded
total input less the pipeline's count of the rest of the body (its count less the row's
tokens). A row's figure is the median residual of the records that carry no uploaded files
(``container_upload`` blocks: files the server adds unseen); held out, the median comes from
the other projects' records alone, and the project's records are counted within 3% of their
totals with it. A project is the source repository (``meta.source`` before its ``@``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from promptcache.load.records import normalize_record
from promptcache.load.sources import LoadError, RawRecord, read_records
from promptcache.tokens.anthropic_framing import generation_of
from promptcache.tokens.anthropic_server_tools import DEFINITIONS, DefinitionRow
from promptcache.tokens.counting import PromptCounter

if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # loaded by a test
from accuracy import ANTHROPIC_FILES, SHARED  # the sibling bench
from accuracy import _anthropic_observed as recorded_total

WITHIN = 0.03


@dataclass(frozen=True, slots=True)
class Priced:
    """One record a row prices: the rest of its count and its recorded total."""

    row: DefinitionRow
    project: str
    rest: int
    """The pipeline's count less the row's tokens."""
    observed: int
    uploads: bool
    """Whether its history holds uploaded files (left out of the fit)."""

    @property
    def residual(self) -> int:
        return self.observed - self.rest

    def within(self, tokens: float) -> bool:
        """Whether the count with the row at ``tokens`` is within 3% of the total."""
        return abs(self.rest + tokens - self.observed) <= WITHIN * self.observed


def _uploads(body: Mapping[str, Any]) -> bool:
    """Whether the history of ``body`` holds uploaded files."""
    messages = body.get("messages")
    contents = [message.get("content") for message in messages or ()
                if isinstance(message, Mapping)] if isinstance(messages, list) else []
    return any(isinstance(block, Mapping) and block.get("type") == "container_upload"
               for content in contents if isinstance(content, list) for block in content)


def priced_records(data: Path) -> Iterator[Priced]:
    """Every shared record a measured row prices, counted by the pipeline."""
    counter = PromptCounter()
    measured = [row for row in DEFINITIONS if row.measured]
    for name in ANTHROPIC_FILES:
        if not (data / name).is_file():
            continue
        for raw in read_records([str(data / name)]):
            if isinstance(raw, LoadError) or not isinstance(raw.value, dict):
                continue
            record = raw.value
            body = record.get("request")
            response = record.get("response")
            if not isinstance(body, dict) or not isinstance(response, dict):
                continue
            observed = recorded_total(record)
            generation = generation_of(str(body.get("model") or "")).name
            types = [tool.get("type") for tool in body.get("tools") or ()
                     if isinstance(tool, dict)]
            rows = [row for row in measured if generation in row.generations
                    and any(kind in row.types for kind in types)]
            if observed is None or len(rows) != 1:
                continue
            request = normalize_record(RawRecord(raw.location, record))
            if isinstance(request, LoadError):
                continue
            row = rows[0]
            uses = sum(kind in row.types for kind in types)
            project = str((record.get("meta") or {}).get("source", "")).partition("@")[0]
            yield Priced(row, project, counter.count(request).prompt_tokens - uses * row.tokens,
                         observed, _uploads(body))


def fit(records: list[Priced]) -> float | None:
    """A row's figure from ``records``: the median residual of those without uploads."""
    residuals = [record.residual for record in records if not record.uploads]
    return statistics.median(residuals) if residuals else None


def held_out_report(data: Path) -> list[str]:
    """Markdown rows: per measured row and project, its records, the figure refitted without
    the project, and how many of the project's records land within 3% held out and in
    sample."""
    by_row: dict[DefinitionRow, list[Priced]] = defaultdict(list)
    for record in priced_records(data):
        by_row[record.row].append(record)
    lines = ["Anthropic-defined tools: each measured row refitted without one project",
             "", "| row | project | records | figure without it | within 3% held out "
             "| within 3% in sample (table figure) |", "| --- | --- | ---: | ---: | ---: | ---: |"]
    for row, records in by_row.items():
        label = f"{' / '.join(row.types)} on {', '.join(row.generations)}"
        projects = sorted({record.project for record in records})
        for project in projects:
            own = [record for record in records if record.project == project]
            refit = fit([record for record in records if record.project != project])
            held = "no other project" if refit is None else (
                f"{sum(record.within(refit) for record in own)}/{len(own)}")
            figure = "-" if refit is None else f"{refit:,.0f}"
            lines.append(f"| {label} | {project} | {len(own)} | {figure} | {held} | "
                         f"{sum(record.within(row.tokens) for record in own)}/{len(own)} "
                         f"({row.tokens:,}) |")
        whole = fit(records)
        lines.append(f"| {label} | all ({len(projects)} projects) | {len(records)} | "
                     f"{'-' if whole is None else f'{whole:,.0f}'} (in sample) | | "
                     f"{sum(record.within(row.tokens) for record in records)}/{len(records)} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED, help="folder of the shared files")
    arguments = parser.parse_args(argv)
    if not arguments.data.is_dir():
        print(f"{arguments.data}: no such folder (the shared data is not beside this clone)",
              file=sys.stderr)
        return 2
    print("\n".join(held_out_report(arguments.data)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
