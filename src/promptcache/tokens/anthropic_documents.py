"""The page count of a base64 PDF, read offline without a PDF library.

Anthropic bills a PDF page as its extracted text plus an image of the page ("PDF support"
guide), so the page count is what a document's cost scales with. A PDF's page objects are
dictionaries with ``/Type /Page`` (``/Pages`` for the tree's inner nodes); counting them in
the decoded bytes finds the pages of an ordinary PDF. Pages inside compressed object streams
(PDF 1.5+) are not visible this way: the count is then 0 and the document is reported as not
estimable.
"""

from __future__ import annotations

import base64
import binascii
import re
from functools import lru_cache
from typing import Final

_PAGE: Final = re.compile(rb"/Type\s*/Page(?![s\w])")
_MAX_CHARS: Final = 64 * 1024 * 1024
"""A PDF larger than this (48 MB decoded) is not read: the API limit is 32 MB per request."""


@lru_cache(maxsize=64)  # an agent resends the same document every turn
def pdf_pages(data: str) -> int:
    """Pages of the PDF whose base64 text is ``data``; 0 when it cannot tell."""
    if len(data) > _MAX_CHARS:
        return 0
    try:
        raw = base64.b64decode(data, validate=False)
    except (binascii.Error, ValueError):
        return 0
    if not raw.startswith(b"%PDF"):
        return 0
    return len(_PAGE.findall(raw))
