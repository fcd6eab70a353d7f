"""Inline files in OpenAI's APIs counted as their text plus the API's dated cost
(promptcache.tokens.openai_documents), with PDFs we write ourselves; on the shared
recordings, the files recorded since the cost was measured come out exact."""

from __future__ import annotations

import base64
import math
from typing import Any

import orjson
import pytest

from promptcache.catalog import counting_change
from promptcache.estimates import (
    FILE_ESTIMATE,
    FILE_GUESS_TOKENS,
    PDF_ESTIMATE,
    PDF_PAGES_ESTIMATE,
    TEXT_FILE_ESTIMATE,
    certainty,
)
from promptcache.load.records import normalize_record
from promptcache.load.sources import RawRecord
from promptcache.model import Location, Request, Segment
from promptcache.tokens.counting import CountedRequest, PromptCounter
from tests.conftest import shared_data
from tests.pdf_files import A4, LETTER, pdf, pypdf_loaded_after

CHAT_PAGE = 996
RESPONSES_FILE = 14


def _chat(*parts: dict[str, Any], model: str = "gpt-4.1-nano") -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": [
        {"type": "text", "text": "Summarize the file."}, *parts]}]}


def _responses(*parts: dict[str, Any], model: str = "gpt-5.4") -> dict[str, Any]:
    return {"model": model, "input": [{"role": "user", "content": [
        {"type": "input_text", "text": "Summarize the file."}, *parts]}]}


def _chat_file(data: str, name: str = "report.pdf") -> dict[str, Any]:
    return {"type": "file", "file": {"filename": name, "file_data": data}}


def _input_file(data: str, name: str = "report.pdf") -> dict[str, Any]:
    return {"type": "input_file", "filename": name, "file_data": data}


def _pdf_url(*pages: tuple[tuple[int, int], str]) -> str:
    return "data:application/pdf;base64," + pdf(*pages)


def _text_url(text: str, media_type: str = "text/plain") -> str:
    return f"data:{media_type};base64," + base64.b64encode(text.encode()).decode()


def _counted(body: dict[str, Any]) -> CountedRequest:
    request = normalize_record(RawRecord(Location("log.jsonl", 1), body))
    assert isinstance(request, Request), request
    return PromptCounter().count(request)


def _file_segment(counted: CountedRequest) -> tuple[Segment, int]:
    """The file part's segment and its tokens (the second part of the first message)."""
    for segment, tokens in zip(counted.request.segments, counted.segment_tokens, strict=True):
        if segment.path.endswith("content[1]"):
            return segment, tokens
    raise AssertionError("no file segment")


def _text_tokens(counted: CountedRequest, text: str) -> int:
    return PromptCounter().counter_for(counted.facts.encoding).count(text)


def test_a_one_page_pdf_in_chat_is_its_text_plus_the_page_cost() -> None:
    counted = _counted(_chat(_chat_file(_pdf_url((LETTER, "Quarterly revenue grew")))))
    segment, tokens = _file_segment(counted)
    assert (segment.text, segment.fixed_tokens) == ("Quarterly revenue grew", CHAT_PAGE)
    assert tokens == _text_tokens(counted, "Quarterly revenue grew") + CHAT_PAGE
    without = _counted(_chat())
    assert counted.prompt_tokens == without.prompt_tokens + tokens


def test_each_page_of_a_chat_pdf_costs_a_page() -> None:
    counted = _counted(_chat(_chat_file(_pdf_url((LETTER, "One"), (A4, "Two"), (A4, "Three")))))
    segment, _ = _file_segment(counted)
    assert (segment.text, segment.fixed_tokens) == ("OneTwoThree", 3 * CHAT_PAGE)
    assert segment.estimate == PDF_PAGES_ESTIMATE


def test_a_pdf_in_responses_is_its_text_plus_a_per_file_cost() -> None:
    one = _counted(_responses(_input_file(_pdf_url((LETTER, "Apples are tasty")))))
    segment, tokens = _file_segment(one)
    assert (segment.text, segment.fixed_tokens) == ("Apples are tasty", RESPONSES_FILE)
    assert tokens == _text_tokens(one, "Apples are tasty") + RESPONSES_FILE
    # No page image in the Responses count: two pages still cost one file's 14.
    two_pages = _counted(_responses(_input_file(_pdf_url((LETTER, "A"), (LETTER, "B")))))
    assert _file_segment(two_pages)[0].fixed_tokens == RESPONSES_FILE
    # Two files: 14 each.
    both = _counted(_responses(_input_file(_pdf_url((LETTER, "Apples are tasty"))),
                               _input_file(_pdf_url((LETTER, "Apples are tasty")))))
    assert both.prompt_tokens == one.prompt_tokens + tokens


def test_a_pdf_without_a_data_url_prefix_is_read_too() -> None:
    counted = _counted(_responses(_input_file(pdf((LETTER, "Bare base64")))))
    segment, _ = _file_segment(counted)
    assert (segment.text, segment.fixed_tokens) == ("Bare base64", RESPONSES_FILE)


def test_a_text_file_in_responses_is_its_text_plus_the_per_file_cost() -> None:
    counted = _counted(_responses(_input_file(_text_url("line one\nline two\n"), "notes.txt")))
    segment, tokens = _file_segment(counted)
    assert (segment.text, segment.fixed_tokens) == ("line one\nline two\n", RESPONSES_FILE)
    assert segment.estimate == TEXT_FILE_ESTIMATE
    assert tokens == _text_tokens(counted, "line one\nline two\n") + RESPONSES_FILE


@pytest.mark.parametrize("body", [
    # Chat Completions takes PDFs only.
    pytest.param(_chat(_chat_file(_text_url("plain text"), "notes.txt")), id="chat-text"),
    # Spreadsheets go through an augmentation of their own.
    pytest.param(_responses(_input_file(_text_url("a,b\n1,2\n", "text/csv"), "t.csv")),
                 id="csv"),
    pytest.param(_responses({"type": "input_file", "file_id": "file-abc"}), id="file-id"),
    pytest.param(_responses({"type": "input_file", "file_url": "https://example.com/a.pdf"}),
                 id="file-url"),
    pytest.param(_chat({"type": "file", "file": {"file_id": "file-abc"}}), id="chat-file-id"),
    pytest.param(_responses(_input_file("data:application/pdf;base64,"
                                        + base64.b64encode(b"%PDF-1.4\n1 0 obj").decode())),
                 id="damaged-pdf"),
    pytest.param(_responses(_input_file("data:text/plain;base64,"
                                        + base64.b64encode(b"\xff\xfe\x00bad").decode())),
                 id="not-utf8"),
])
def test_files_not_read_offline_keep_the_unknown_guess(body: dict[str, Any]) -> None:
    segment, tokens = _file_segment(_counted(body))
    assert (segment.text, tokens, segment.estimate) == ("", FILE_GUESS_TOKENS, FILE_ESTIMATE)


def test_a_read_file_is_an_estimate_with_bounds_from_its_count() -> None:
    counted = _counted(_responses(_input_file(_pdf_url((LETTER, "Apples are tasty")))))
    sure = certainty(counted)
    assert not sure.exact
    assert PDF_ESTIMATE.reason in sure.reasons
    _, tokens = _file_segment(counted)
    # A tenth of the file's count either way (FITTED_ERRORS), nothing else estimated.
    assert sure.low == counted.prompt_tokens - tokens + math.floor(tokens * (1 - 0.1))
    assert sure.high == counted.prompt_tokens - tokens + math.ceil(tokens * (1 + 0.1))


def test_two_pdfs_with_the_same_text_are_different_files_to_the_cache() -> None:
    first = _file_segment(_counted(_chat(_chat_file(_pdf_url((LETTER, "Same"))))))[0]
    second = _file_segment(_counted(_chat(_chat_file(_pdf_url((A4, "Same"))))))[0]
    assert first.text == second.text
    assert first.key != second.key


@pytest.mark.parametrize(("api", "recorded", "miss", "known"), [
    ("openai.chat", "2026-02-07", 996 - 216, True),
    ("openai.chat", "2026-05-06", 996 - 216, False),
    ("openai.responses", "2025-10-28", 10, True),
    ("openai.responses", "2026-06-11", 10, False),
])
def test_files_recorded_before_the_cost_changed_are_told_apart(
        api: str, recorded: str, miss: int, known: bool) -> None:
    assert (counting_change("gpt-4o", api, recorded, miss) is not None) is known


# Recorded requests whose file is counted exactly today (module docstring of
# promptcache.tokens.openai_documents): (file, line) -> recorded prompt tokens.
RECORDED_EXACT = {
    ("openai-chat-more.jsonl", 977): 1046,  # chatlas, gpt-5.4, 2026-07-29
    ("openai-chat-more.jsonl", 1035): 1054,  # ellmer, gpt-4.1-nano, 2026-08-02
    ("openai-chat-more.jsonl", 1036): 1080,
    ("openai-chat-more.jsonl", 1037): 1101,
    ("openai-responses-more.jsonl", 854): 68,  # chatlas, gpt-5.4, 2026-07-30
    ("openai-responses-more.jsonl", 855): 109,
    ("openai-responses-more.jsonl", 953): 81,  # ellmer, gpt-5.4-nano, 2026-08-02
    ("openai-responses-more.jsonl", 954): 101,
    ("openai-responses-more.jsonl", 955): 119,
}


@pytest.mark.parametrize(("name", "line"), sorted(RECORDED_EXACT))
def test_recorded_pdfs_since_the_change_are_exact(name: str, line: int) -> None:
    path = shared_data(name)
    value = orjson.loads(path.read_bytes().splitlines()[line - 1])
    counted = _counted(value["request"])
    assert counted.prompt_tokens == RECORDED_EXACT[(name, line)]


def test_pypdf_is_imported_only_for_an_inline_pdf() -> None:
    assert pypdf_loaded_after(_chat({"type": "file", "file": {"file_id": "file-abc"}}),
                              _chat(_chat_file(_pdf_url((LETTER, "x"))))) == [False, True]
