"""What a base64 PDF document costs on Claude: each page's image and extracted text.

Anthropic's "PDF support" guide: the API converts each page of a PDF into an image of the
page and the page's extracted text, and bills both (about 1,500-3,000 tokens a page). So a
page costs the visual tokens of a page-sized image under the model's image scheme
(:data:`promptcache.catalog.ModelFacts.image`) plus its text counted as text.

Measured 2026-12 on the shared recordings (``bench/anthropic_media.py`` prints each PDF's
residual, the recorded total less the exactly counted rest of the body, beside the model's
count): a page is its image, rendered at a fixed pixel area (a US Letter page, 612x792 pt,
is 35x45 = 1,575 patches, see :data:`PAGE_PIXELS`), plus its text as pypdf extracts it, and
nothing more. One-page Letter PDFs, residual against model: Mirascope e2e
encodes-base64-document ("Hello, world!", Sonnet 4 and Haiku 4.5) 1,577 / 1,579;
activeagents test_agent_document_base64_* (a resume, Haiku 4.5, 6 records) 1,687 / 1,688;
posit-dev/chatlas test_anthropic_pdfs (Haiku 4.5) 1,624 / 1,623; tidyverse/ellmer
anthropic-pdfs (Sonnet 5) 1,634-1,638 / 1,633; crmne/ruby_llm chat_pdf_models (1,096 tokens
of text, Haiku 4.5) 2,666 / 2,671. A 9-page Letter PDF (HumanSignal/Adala
test_arun_instructor_with_payloads_pdf, Sonnet 3.7) 22,074 / 22,282, within 1%; A4 pages
(pydantic/pydantic-ai test_document_binary_content_input, jackmpcollins/magentic
complete_document_bytes) within 8. The rendering area is not documented and the API's text
extraction is not pypdf's, so the count stays an estimate. Inside a ``tool_result`` a PDF
came 10-15 under on pydantic-ai, 1 on ruby_llm: not modelled.

The pages, their sizes and their text are read by :mod:`promptcache.tokens.pdf` (pypdf). Our
own scan for ``/Type /Page`` objects (this module until 2026-12) saw no text and no page size,
and missed pages kept in compressed object streams (PDF 1.5+).
"""

from __future__ import annotations

import math
from typing import Final

from promptcache.catalog import ImageScheme
from promptcache.tokens.images import image_tokens
from promptcache.tokens.pdf import PdfPage

PAGE_PIXELS: Final = 1_216_000
"""The pixel area a page is rendered at (measured 2026-12, not documented): a US Letter page
(612x792 pt) costs 35x45 = 1,575 patches, which brackets the area in (1.173 M, 1.227 M] px
(5 sources, see the module docstring), and an A4 page (595x842 pt) about 1,590-1,598, 34x47
patches, which brackets it in (1.208 M, 1.224 M] (pydantic/pydantic-ai test_document_binary_
content_input and test_multimodal_tool_return_matrix, Sonnet 4.5; jackmpcollins/magentic
test_anthropic_chat_model_complete_document_bytes, Sonnet 3.5): the middle of the common
bracket is taken. Opus 4.7's larger images may render pages larger too: unmeasured."""


def page_image_tokens(scheme: ImageScheme, page: PdfPage) -> int:
    """Visual tokens of ``page``'s image: the page rendered at :data:`PAGE_PIXELS`, aspect
    kept, in whole pixels, then costed by ``scheme`` without the per-image framing, which a
    page does not pay (measured, see the module docstring)."""
    area = max(page.width, 1) * max(page.height, 1)
    scale = math.sqrt(PAGE_PIXELS / area)
    width = max(1, math.floor(max(page.width, 1) * scale))
    height = max(1, math.floor(max(page.height, 1) * scale))
    return image_tokens(scheme, width, height, "auto").tokens - scheme.framing
