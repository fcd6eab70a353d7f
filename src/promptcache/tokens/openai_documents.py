"""What a file sent inline costs in OpenAI's APIs: its extracted text plus a dated cost.

OpenAI's "File inputs" guide: for a PDF "the API extracts both text and page images and sends
both to the model"; for other document and text files (.txt, code) "the API extracts text
only"; spreadsheets (.csv, .xlsx) go through an augmentation of their own. So a file part
with inline data (``file_data``, base64) is counted as its text, as pypdf extracts it
(:mod:`promptcache.tokens.pdf`), plus what the API adds around it, measured on the shared
recordings (the recorded prompt tokens less the exactly counted rest of the body, against
the text counted with the model's encoding) and kept per API in :data:`FILE_COSTS`, dated:

* Chat Completions, a one-page PDF: its text plus 996 since 2026-05, whatever the model.
  posit-dev/chatlas ``test_openai_pdf.yaml`` #0 and #1 (gpt-5.4, 2026-05-06: 997) and
  ``test_openai_completions_pdf_url.yaml`` #1 (gpt-5.4, 2026-07-29: 996), tidyverse/ellmer
  ``openai-pdf.yml`` #0-#2 (gpt-4.1-nano, 2026-08-02: 996). gpt-5.4 and gpt-4.1-nano cost
  images differently, so the page is not billed as an image at the model's rates. Up to
  2026-02 the same part cost its text plus 216: Mirascope ``encodes-base64-document`` and
  ``call_with_document_content`` (gpt-4o-mini 2026-02-06, gpt-4o 2026-02-07), pydantic-ai's
  undated gpt-4o and gpt-5-mini cassettes (216-217; 213 in a tool return), a counting change
  (:data:`promptcache.catalog.COUNTING_CHANGES`).
* Responses, a PDF: its text plus 14 a file since 2026-06 (no page image is billed here):
  chatlas ``test_provider_openai/test_openai_pdf.yaml`` #0 and #1 (gpt-5.4, 2026-07-30),
  ellmer ``openai-v2-pdf.yml`` #0-#2 (gpt-5.4-nano, 2026-08-02); crmne/ruby_llm's sample
  PDF, 7 records (gpt-4.1-nano 2026-06-11, gpt-5-nano 2026-08-19), bills 17 a file (34 for
  two): pypdf runs two of its words together and keeps a ligature ("Sample PDFThis is a
  simple PDF ﬁle"), 3 tokens short of the API's text. From 2025-10 to 2026-02 a PDF cost
  its text plus 4 (activeagents 6 records of gpt-4o and gpt-4.1, Mirascope 2, pydantic-ai
  gpt-4.1-nano and gpt-5-mini 3-5), the older row of the counting change.

Unknown, so estimated (see :data:`promptcache.estimates.PDF_ESTIMATE`): whether the
extractor's text is the API's (it was on every one-page file above but the ruby_llm one);
what a chat PDF of several pages costs today (no recording; counted per page, as the guide's
"an image of each page" says; the one older recording, HumanSignal/Adala's 9 pages on
gpt-4o-mini in 2025-05, billed 910 beyond pypdf's text where 216 a page makes 1,944); a text
file's cost (one pydantic-ai gpt-4o record, undated, fits the 2025 PDF cost: its text + 4,
plus the 18 of the Responses API's first weeks; counted with today's per-file cost).
Files by id or URL, spreadsheets and other documents are not read offline (see
:data:`promptcache.estimates.FILE_ESTIMATE`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from promptcache.estimates import (
    FILE_ESTIMATE,
    FILE_GUESS_TOKENS,
    PDF_ESTIMATE,
    PDF_PAGES_ESTIMATE,
    TEXT_FILE_ESTIMATE,
)
from promptcache.load.formats.base import CHAT, RESPONSES
from promptcache.model import Estimate, Segment, SegmentKind
from promptcache.tokens.pdf import MAX_CHARS, pdf_pages

__all__ = ["FILE_COSTS", "FileCosts", "file_segment"]


@dataclass(frozen=True, slots=True)
class FileCosts:
    """What an API adds to a file's text, as it counts since ``since``."""

    since: str
    """ISO date of the first recording counted so (module docstring)."""
    per_file: int
    """Tokens each file costs beyond its text."""
    per_page: int
    """Tokens each page of a PDF costs beyond its text (its image)."""
    text_files: bool
    """Whether the API takes text files (Chat Completions takes PDFs only)."""


FILE_COSTS: Final[Mapping[str, FileCosts]] = {
    CHAT: FileCosts("2026-05-06", per_file=0, per_page=996, text_files=False),
    RESPONSES: FileCosts("2026-06-11", per_file=14, per_page=0, text_files=True),
}
"""Per API, today's costs (the evidence is the module docstring's; older ones are rows of
:data:`promptcache.catalog.COUNTING_CHANGES`)."""

_SPREADSHEETS: Final = frozenset({"text/csv", "text/tab-separated-values"})
"""Text media types the API augments as spreadsheets instead of reading as text."""


def file_segment(api: str, part: object, path: str, role: str | None, key: str) -> Segment:
    """The segment of a file part (``part`` holds its ``file_data``, ``file_id``...): an
    inline PDF (or, where the API takes them, a text file) as its text plus
    :data:`FILE_COSTS`; any other file (by id or URL, another type, unreadable) the
    unknown guess, under ``key``."""
    data = part.get("file_data") if isinstance(part, Mapping) else None
    if not isinstance(data, str) or (read := _inline(FILE_COSTS[api], data)) is None:
        return Segment(SegmentKind.OTHER, path, "", fixed_tokens=FILE_GUESS_TOKENS, role=role,
                       key=key, estimated=True, estimate=FILE_ESTIMATE)
    text, fixed_tokens, estimate = read
    # Identified by its data, not its text: two PDFs with the same text differ in their
    # page images, and so in their cached tokens.
    digest = hashlib.sha256(data.encode("utf-8", "replace")).hexdigest()[:16]
    return Segment(SegmentKind.OTHER, path, text, fixed_tokens=fixed_tokens, role=role,
                   key=f"file:{digest}", estimated=True, estimate=estimate)


def _inline(costs: FileCosts, data: str) -> tuple[str, int, Estimate] | None:
    """(text, tokens beyond it, estimate) of inline file data the API reads as text; None
    for anything else."""
    if len(data) > MAX_CHARS:
        return None
    media_type, payload = _data_url(data)
    if media_type in ("", "application/pdf"):
        pages = pdf_pages(payload)
        if not pages:
            return None
        return ("".join(page.text for page in pages),
                costs.per_file + costs.per_page * len(pages),
                PDF_ESTIMATE if len(pages) == 1 else PDF_PAGES_ESTIMATE)
    if costs.text_files and media_type.startswith("text/") and media_type not in _SPREADSHEETS:
        text = _decoded_text(payload)
        if text is not None:
            return text, costs.per_file, TEXT_FILE_ESTIMATE
    return None


def _data_url(data: str) -> tuple[str, str]:
    """(media type, base64 payload) of a ``data:`` URL; ('', data) for bare base64."""
    if not data.startswith("data:"):
        return "", data
    header, _, payload = data.partition(",")
    return header[5:].split(";", 1)[0].strip().lower(), payload


def _decoded_text(payload: str) -> str | None:
    try:
        return base64.b64decode(payload, validate=False).decode("utf-8")
    except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError
        return None
