"""Claude PDF documents counted as each page's image plus its extracted text
(promptcache.tokens.anthropic_documents), with PDFs we write ourselves."""

from __future__ import annotations

import base64
from typing import Any

from promptcache.estimates import (
    CITATIONS_ESTIMATE,
    DOCUMENT_ESTIMATE,
    REMOTE_SOURCE_ESTIMATE,
)
from promptcache.load.records import normalize_record
from promptcache.load.sources import RawRecord
from promptcache.model import Location, Request, Segment
from promptcache.tokens.counting import PromptCounter
from promptcache.tokens.pdf import PdfPage, pdf_pages
from tests.pdf_files import A4, LETTER, pdf, pypdf_loaded_after


def _request(model: str, content: list[dict[str, Any]]) -> Request:
    body = {"model": model, "max_tokens": 5, "messages": [{"role": "user", "content": content}]}
    request = normalize_record(RawRecord(Location("log.jsonl", 1), body))
    assert isinstance(request, Request), request
    return request


def _document(data: str, **fields: Any) -> dict[str, Any]:
    return {"type": "document", "source": {"type": "base64", "media_type": "application/pdf",
                                           "data": data}, **fields}


def _first_block(request: Request) -> Segment:
    return next(s for s in request.segments if s.path == "$.messages[0].content[0]")


def test_pages_sizes_and_text_are_read() -> None:
    assert pdf_pages(pdf((LETTER, "Hello PDF"), (A4, "Second page"))) == (
        PdfPage(612.0, 792.0, "Hello PDF"), PdfPage(595.0, 842.0, "Second page"))


def test_a_letter_page_is_its_1575_patch_image_plus_its_text() -> None:
    request = _request("claude-haiku-4-5", [_document(pdf((LETTER, "Hello PDF"))),
                                            {"type": "text", "text": "Summarize."}])
    block = _first_block(request)
    assert (block.text, block.fixed_tokens) == ("Hello PDF", 35 * 45)
    assert block.estimate == DOCUMENT_ESTIMATE
    counted = PromptCounter().count(request)
    text_tokens = PromptCounter().counter_for(counted.facts.encoding).count("Hello PDF")
    assert counted.segment_tokens[request.segments.index(block)] == 35 * 45 + text_tokens


def test_pages_add_up_and_a_title_is_read_with_the_document() -> None:
    two = _first_block(_request("claude-sonnet-4-5", [
        _document(pdf((LETTER, "One"), (A4, "Two")), title="Report"),
        {"type": "text", "text": "Compare the pages."}]))
    # An A4 page renders at 34 x 47 patches.
    assert (two.text, two.fixed_tokens) == ("Report\nOneTwo", 35 * 45 + 34 * 47)


def test_a_damaged_pdf_is_not_estimable() -> None:
    damaged = base64.b64encode(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog").decode()
    block = _first_block(_request("claude-haiku-4-5", [_document(damaged),
                                                       {"type": "text", "text": "Read it."}]))
    assert (block.fixed_tokens, block.estimate) == (0, REMOTE_SOURCE_ESTIMATE)


def test_pypdf_is_imported_only_for_a_pdf() -> None:
    document = {"type": "document", "source": {"type": "base64", "data": pdf((LETTER, "x"))}}

    def body(content: list[dict[str, Any]]) -> dict[str, Any]:
        return {"model": "claude-haiku-4-5", "max_tokens": 5,
                "messages": [{"role": "user", "content": content}]}

    assert pypdf_loaded_after(body([{"type": "text", "text": "plain"}]),
                              body([document])) == [False, True]


def test_citations_make_a_document_a_lower_bound() -> None:
    cited = _first_block(_request("claude-haiku-4-5", [
        _document(pdf((LETTER, "Facts")), citations={"enabled": True}),
        {"type": "text", "text": "Cite it."}]))
    assert (cited.fixed_tokens, cited.estimate) == (35 * 45, CITATIONS_ESTIMATE)
    assert CITATIONS_ESTIMATE.high is None
    plain = _first_block(_request("claude-haiku-4-5", [
        _document(pdf((LETTER, "Facts")), citations={"enabled": False}),
        {"type": "text", "text": "Cite it."}]))
    assert plain.estimate == DOCUMENT_ESTIMATE
