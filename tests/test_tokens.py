"""Vocabularies load offline and verified; the counter memoizes by content."""

from __future__ import annotations

import pytest

from promptcache.tokens import encodings
from promptcache.tokens.counter import TokenCounter


@pytest.mark.parametrize(
    ("encoding", "text", "expected"),
    [
        pytest.param("o200k_base", "Hello, world!", 4, id="o200k"),
        pytest.param("cl100k_base", "Hello, world!", 4, id="cl100k"),
        pytest.param("o200k_base", "<|endoftext|>", 7, id="special-token-text-is-ordinary"),
        pytest.param("o200k_base", "", 0, id="empty"),
    ],
)
def test_counts(encoding: str, text: str, expected: int) -> None:
    assert TokenCounter(encoding).count(text) == expected


def test_memo_hits_on_repeated_text() -> None:
    counter = TokenCounter("o200k_base", memo_entries=2)
    for text in ["a b c", "a b c", "d e f", "g h i", "a b c"]:
        counter.count(text)
    assert (counter.hits, counter.misses) == (1, 4)


def test_a_tampered_vocabulary_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encodings, "_bundled_bytes", lambda name: b"AAAA 0\n")
    loader = encodings._offline_loader("o200k_base")
    with pytest.raises(encodings.VocabularyError, match="SHA-256"):
        loader("https://example.invalid/o200k_base.tiktoken", expected_hash="0" * 64)


def test_unknown_encoding() -> None:
    with pytest.raises(ValueError, match="unsupported encoding"):
        encodings.load_encoding("p50k_base")
