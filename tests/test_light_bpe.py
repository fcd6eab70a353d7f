"""The light encoder (promptcache.tokens.light_bpe) gives tiktoken's ids, text for text, and
hands back what it should not tokenize itself; the counter uses it only before tiktoken is
built, within its budget."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptcache.tokens.counter import TokenCounter
from promptcache.tokens.encodings import load_encoding, tiktoken_parameters
from promptcache.tokens.light_bpe import LIGHT_BUDGET_CHARS, LightEncoding

from .conftest import json_strings, shared_data

ENCODINGS = ("o200k_base", "cl100k_base")
SAMPLES = Path(__file__).resolve().parents[1] / "samples"
# Texts where the split pattern or the merging could part from tiktoken's: contractions in
# either case, digit runs, punctuation runs, CRLF and trailing spaces, letters with marks,
# scripts without spaces, emoji sequences, a piece that is no token.
TRICKY = [
    "", " ", "\n\n\n", "  \r\n  x  ", "It's THEY'RE we'Ve I'M you'll he'D", "1234567 89,000.5",
    "!!!??? ...  --> ===>", "naïve café déjà-vu Œuvre", "東京都の天気は晴れです。", "한국어 텍스트",
    "👩‍👩‍👧‍👦 family 🇫🇷", "\t\tindented\n\tcode()", "aGVsbG8gd29ybGQhIHRoaXMgaXM=",
    "x" * 60, "Ωmega\u0301 \u200bzero-width", "mixedCASEWordsAndCamelCaseIdentifiers",
]


def _light(name: str, longest_merged: int = 10_000) -> LightEncoding:
    """The light encoder without its budgets: what it computes, it must compute right."""
    parameters = tiktoken_parameters(name)
    encoder = LightEncoding(parameters["pat_str"], parameters["mergeable_ranks"],
                            longest_merged)
    encoder.budget = 10**9
    return encoder


@pytest.mark.parametrize("name", ENCODINGS)
@pytest.mark.parametrize("text", TRICKY)
def test_tricky_texts_get_tiktokens_ids(name: str, text: str) -> None:
    assert _light(name).encode(text) == load_encoding(name).encode_ordinary(text)


@pytest.mark.parametrize("name", ENCODINGS)
@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=200))
def test_any_text_gets_tiktokens_ids_or_none(name: str, text: str) -> None:
    ids = _light(name).encode(text)
    if ids is not None:  # None: a lone surrogate or a long piece, left to tiktoken
        assert ids == load_encoding(name).encode_ordinary(text)


@pytest.mark.parametrize("name", ENCODINGS)
def test_code_points_of_every_script_split_as_tiktoken_splits_them(name: str) -> None:
    # The split pattern's letter, number and space classes come from each regex engine's own
    # Unicode tables: every 7th code point beyond ASCII up to plane 3, in contexts where its
    # class decides the split (every one of them was compared once, 2026-12-06).
    light, real = _light(name), load_encoding(name)
    compared = 0
    for code in range(0x80, 0x40000, 7):
        if 0xD800 <= code < 0xE000:
            continue  # surrogates: not text
        char = chr(code)
        text = f"{char}/A {char}a'S x{char}1 {char}{char}"
        ids = light.encode(text)
        if ids is not None:
            assert ids == real.encode_ordinary(text), hex(code)
            compared += 1
    assert compared > 20_000


@pytest.mark.parametrize("name", ENCODINGS)
def test_the_samples_and_recorded_requests_get_tiktokens_ids(name: str) -> None:
    texts = {text for path in sorted(SAMPLES.glob("*.jsonl"))
             for line in path.read_text("utf-8").splitlines()
             for text in json_strings(json.loads(line))}
    recorded = shared_data("openai-chat-more.jsonl")
    texts.update(text for line in recorded.read_text("utf-8").splitlines()
                 for text in json_strings(json.loads(line).get("request")) if len(text) < 20_000)
    light, real = _light(name, longest_merged=32), load_encoding(name)
    compared = 0
    for text in texts:
        ids = light.encode(text)
        if ids is not None:
            assert ids == real.encode_ordinary(text), text[:80]
            compared += 1
    assert compared > 0.9 * len(texts)  # what it declines is rare (blobs, surrogates)


def test_a_long_piece_that_is_no_token_is_left_to_tiktoken() -> None:
    assert _light("o200k_base", longest_merged=32).encode("q" * 33 + "Z" * 33) is None
    assert _light("o200k_base", longest_merged=32).encode("東京都の天気は晴れです。") is None


@pytest.mark.parametrize("name", ENCODINGS)
def test_a_code_point_unassigned_in_pythons_unicode_is_left_to_tiktoken(name: str) -> None:
    # The regex module calls U+3D000 a letter, tiktoken's Rust regex does not: the two split
    # "\U0003d000/A" differently (found by the property test above).
    text = "\U0003d000/A"
    assert _light(name).encode(text) is None
    assert TokenCounter(name, persistent=False).count(text) == len(
        load_encoding(name).encode_ordinary(text))
    # Assigned characters beyond ASCII still take the light path.
    assert _light(name).encode("café 東京 🙂") == load_encoding(name).encode_ordinary(
        "café 東京 🙂")


def test_text_past_the_budget_is_left_to_tiktoken() -> None:
    parameters = tiktoken_parameters("o200k_base")
    encoder = LightEncoding(parameters["pat_str"], parameters["mergeable_ranks"])
    assert encoder.encode("word " * (LIGHT_BUDGET_CHARS // 5 - 2)) is not None  # 10 left
    assert encoder.encode("eleven char") is None
    assert encoder.encode("c") is None  # spent: tiktoken from here on


def test_the_counter_builds_tiktoken_only_once_the_light_budget_is_spent() -> None:
    counter = TokenCounter("o200k_base", persistent=False)
    assert counter.count("A short new message.") == 5
    assert not counter.tokenizer_built  # what the light path spares
    long = "word " * (LIGHT_BUDGET_CHARS // 5 + 1)
    assert counter.encode(long).tolist() == load_encoding("o200k_base").encode_ordinary(long)
    assert counter.tokenizer_built


def test_claude_counters_never_take_the_light_path() -> None:
    counter = TokenCounter("claude-v3", persistent=False)
    assert counter.count("Hello, Claude.") > 0
    assert counter.tokenizer_built
