"""The pages of a base64 PDF, their sizes and their text, as providers that bill PDFs by the
page read them (Claude: :mod:`promptcache.tokens.anthropic_documents`; OpenAI:
:mod:`promptcache.tokens.openai_documents`).

pypdf (pure Python, BSD) reads them, imported only when a request holds a PDF, so a run
without one never loads it. It reads pages kept in compressed object streams (PDF 1.5+) too.
"""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

MAX_CHARS: Final = 64 * 1024 * 1024
"""A PDF larger than this (48 MB decoded) is not read: Anthropic and OpenAI accept 32 MB a
request."""


@dataclass(frozen=True, slots=True)
class PdfPage:
    """One page of a PDF: its size and its text."""

    width: float
    """The page's visible box (its crop box), in points."""
    height: float
    """The same, height."""
    text: str
    """The page's text, as pypdf extracts it."""


@lru_cache(maxsize=64)  # an agent resends the same document every turn
def pdf_pages(data: str) -> tuple[PdfPage, ...] | None:
    """The pages of the PDF whose base64 text is ``data``; None when it cannot be read
    (not base64, not a PDF, damaged, encrypted, or larger than the API accepts)."""
    if len(data) > MAX_CHARS:
        return None
    try:
        raw = base64.b64decode(data, validate=False)
    except (binascii.Error, ValueError):
        return None
    if not raw.startswith(b"%PDF"):
        return None
    import logging  # with pypdf, which imports it anyway

    from pypdf import PdfReader  # lazily: only a request with a PDF pays for the import

    # pypdf logs what it repairs ("incorrect startxref pointer") as warnings; an audit's
    # output is its report, so only errors may reach the terminal.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            return None
        return tuple(PdfPage(float(page.cropbox.width), float(page.cropbox.height),
                             page.extract_text()) for page in reader.pages)
    except Exception:  # a damaged file of any kind: the document stays not estimable
        return None
