"""What Claude images and PDF documents cost, measured on the shared recordings, and how the
image and page model holds out per source.

    python bench/anthropic_media.py            # each record's residual, then held out
    python bench/anthropic_media.py --heldout  # the held-out table alone

For each Anthropic record whose media are all base64 images and PDFs (no URL or file id:
their size is unknown offline), the *residual* is the recorded total input (input + cache
read + cache creation) less the pipeline's count of everything but the media: what the media
really cost, the rest of the body being counted as ``promptcache audit`` counts it. Beside
it, the model's parts: each image's patches (catalog's Claude image scheme, without its
per-image constant) and each PDF page's image patches and extracted-text tokens
(promptcache.tokens.anthropic_documents).

The model has two fitted constants: the tokens around each image (3) and beyond each PDF
page's image and text (0). Held out: for each source repository (``meta.source`` up to the
``@``), both are refitted as the median residual per image / per page over the *other*
sources' records, and the source's own records are predicted with them; the table gives how
many land within 3% of the recorded total, against the shipped constants.
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

_BENCH = str(Path(__file__).resolve().parent)
if _BENCH not in sys.path:
    sys.path.insert(0, _BENCH)  # the sibling scripts, when loaded by a test

from anthropic_cache import ANTHROPIC_FILES, SHARED, recorded_usage  # noqa: E402

from promptcache.catalog import PatchScheme, facts_for  # noqa: E402
from promptcache.load.records import normalize_record  # noqa: E402
from promptcache.load.sources import LoadError, RawRecord, read_records  # noqa: E402
from promptcache.tokens.anthropic_documents import page_image_tokens  # noqa: E402
from promptcache.tokens.counting import PromptCounter  # noqa: E402
from promptcache.tokens.images import data_url_dimensions, image_tokens  # noqa: E402
from promptcache.tokens.pdf import pdf_pages  # noqa: E402


@dataclass(frozen=True, slots=True)
class MediaRecord:
    """One recorded request with base64 media: what the model says, what the API billed."""

    where: str
    source: str
    model: str
    observed: int
    """The recorded total input."""
    rest: int
    """The pipeline's count of the body without its media."""
    images: int
    image_patches: int
    pages: int
    page_tokens: int
    """The pages' image patches and text tokens."""

    @property
    def residual(self) -> int:
        """What the media cost, by the recording."""
        return self.observed - self.rest

    def predicted(self, per_image: float, per_page: float) -> float:
        """The total with the given constants."""
        return (self.rest + self.image_patches + self.images * per_image + self.page_tokens
                + self.pages * per_page)


def _media(body: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Image and document blocks anywhere in the messages (tool results included)."""
    def walk(value: Any) -> Iterator[Mapping[str, Any]]:
        if isinstance(value, Mapping):
            if value.get("type") in ("image", "document"):
                yield value
            for item in value.values():
                yield from walk(item)
        elif isinstance(value, list):
            for item in value:
                yield from walk(item)
    yield from walk(body.get("messages"))


def media_records(data: Path) -> Iterator[MediaRecord]:
    """Every record whose media are all base64 images (of known size) and readable PDFs."""
    counter = PromptCounter()
    for name in ANTHROPIC_FILES:
        if not (data / name).is_file():
            continue
        for raw in read_records([str(data / name)]):
            if isinstance(raw, LoadError) or not isinstance(raw.value, dict):
                continue
            body, recorded = raw.value.get("request"), recorded_usage(raw.value)
            if not isinstance(body, dict) or recorded is None:
                continue
            blocks = list(_media(body))
            if not blocks or any((b.get("source") or {}).get("type") != "base64" for b in blocks):
                continue
            record = _record(raw, recorded.total, blocks, counter)
            if record is not None:
                yield record


def _record(raw: RawRecord, observed: int, blocks: list[Mapping[str, Any]],
            counter: PromptCounter) -> MediaRecord | None:
    request = normalize_record(RawRecord(raw.location, raw.value))
    if isinstance(request, LoadError):
        return None
    scheme = facts_for(request.model).image
    framing = scheme.framing if isinstance(scheme, PatchScheme) else 0
    images = patches = pages = page_tokens = 0
    encoder = counter.counter_for(facts_for(request.model).encoding)
    for block in blocks:
        source = block["source"]
        if block["type"] == "image":
            size = data_url_dimensions(f"data:{source.get('media_type')};base64,"
                                       f"{source.get('data') or ''}")
            if size is None:
                return None
            images += 1
            patches += image_tokens(scheme, size[0], size[1], "auto").tokens - framing
            continue
        read = pdf_pages(str(source.get("data") or ""))
        if not read:
            return None
        pages += len(read)
        page_tokens += sum(page_image_tokens(scheme, page) for page in read)
        page_tokens += encoder.count("".join(page.text for page in read))
    # The rest: the request's count less the media's modelled cost.
    total = counter.count(request).prompt_tokens
    rest = total - (patches + images * framing + page_tokens)
    return MediaRecord(f"{raw.location.file}:{raw.location.line}",
                       str((raw.value.get("meta") or {}).get("source", "")), request.model,
                       observed, rest, images, patches, pages, page_tokens)


def _repository(source: str) -> str:
    return source.split("@")[0]


def _within(record: MediaRecord, per_image: float, per_page: float) -> bool:
    return abs(record.predicted(per_image, per_page) - record.observed) <= 0.03 * record.observed


def _fit(records: list[MediaRecord]) -> tuple[float, float]:
    """The median per-image and per-page residual, each over the records with only that
    kind of media."""
    images = [(r.residual - r.image_patches) / r.images for r in records
              if r.images and not r.pages]
    pages = [(r.residual - r.page_tokens) / r.pages for r in records if r.pages and not r.images]
    return (statistics.median(images) if images else 0.0,
            statistics.median(pages) if pages else 0.0)


def heldout_table(records: list[MediaRecord], per_image: float = 3, per_page: float = 0,
                  ) -> list[str]:
    """Markdown rows: per source, the refitted constants and how many of its records land
    within 3% held out, and with the shipped constants."""
    by_source: dict[str, list[MediaRecord]] = defaultdict(list)
    for record in records:
        by_source[_repository(record.source)].append(record)
    rows = ["| source | records | per image (refit) | per page (refit) | within 3% held out | "
            "within 3% shipped |", "| --- | ---: | ---: | ---: | ---: | ---: |"]
    held = shipped = 0
    for source, own in sorted(by_source.items()):
        fitted_image, fitted_page = _fit([r for r in records if _repository(r.source) != source])
        inside = sum(_within(r, fitted_image, fitted_page) for r in own)
        shipped_inside = sum(_within(r, per_image, per_page) for r in own)
        held += inside
        shipped += shipped_inside
        rows.append(f"| {source} | {len(own)} | {fitted_image:.1f} | {fitted_page:.1f} | "
                    f"{inside}/{len(own)} | {shipped_inside}/{len(own)} |")
    rows.append(f"| all | {len(records)} | | | {held}/{len(records)} | "
                f"{shipped}/{len(records)} |")
    return rows


def residual_lines(records: list[MediaRecord]) -> list[str]:
    """One line per record: the residual against the model's parts."""
    lines = []
    for r in records:
        modelled = r.image_patches + 3 * r.images + r.page_tokens
        lines.append(f"{r.where} {r.model} images={r.images} pages={r.pages} residual="
                     f"{r.residual} modelled={modelled} ({r.residual - modelled:+d}) {r.source}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED, help="folder of the shared files")
    parser.add_argument("--heldout", action="store_true", help="the held-out table alone")
    arguments = parser.parse_args(argv)
    if not arguments.data.is_dir():
        print(f"{arguments.data}: no such folder (the shared data is not beside this clone)",
              file=sys.stderr)
        return 2
    records = list(media_records(arguments.data))
    if not arguments.heldout:
        print("\n".join(residual_lines(records)))
        print()
    print("\n".join(heldout_table(records)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
