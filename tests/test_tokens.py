"""Vocabularies load offline and verified; the counter memoizes by content."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptcache import cachedir
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


def test_vocabulary_lines_are_read_as_tiktoken_reads_them() -> None:
    assert encodings._parse_ranks(b"IQ== 0\nIg== 1\n\naGk= 2\n") == {b"!": 0, b'"': 1, b"hi": 2}
    with pytest.raises(encodings.VocabularyError, match="not a token and its rank"):
        encodings._parse_ranks(b"IQ== 0\nIg==\n")


def test_unknown_encoding() -> None:
    with pytest.raises(ValueError, match="unsupported encoding"):
        encodings.load_encoding("p50k_base")


def test_a_later_run_is_served_from_the_disk_memo(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMPTCACHE_CACHE_DIR", str(tmp_path))
    cachedir.cache_dir.cache_clear()
    try:
        first = TokenCounter("o200k_base")
        assert list(first.encode("Hello, world!")) == [13225, 11, 2375, 0]
        first.flush()

        def no_tokenizer(name: str) -> None:
            raise AssertionError("the tokenizer should not be built")

        monkeypatch.setattr(encodings, "load_encoding", no_tokenizer)
        second = TokenCounter("o200k_base")
        assert list(second.encode("Hello, world!")) == [13225, 11, 2375, 0]
    finally:
        cachedir.cache_dir.cache_clear()


def test_the_cached_vocabulary_is_rebuilt_when_corrupt(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMPTCACHE_CACHE_DIR", str(tmp_path))
    cachedir.cache_dir.cache_clear()
    try:
        expected = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"
        loader = encodings._offline_loader("o200k_base")
        ranks = loader("", expected_hash=expected)
        [cached] = tmp_path.glob("vocab-o200k_base-*.pickle")
        cached.write_bytes(cached.read_bytes()[:1000])
        assert encodings._cached_ranks("o200k_base", expected) is None
        assert loader("", expected_hash=expected) == ranks
        assert encodings._cached_ranks("o200k_base", expected) == ranks
    finally:
        cachedir.cache_dir.cache_clear()


def test_a_first_run_asks_the_empty_disk_memo_nothing(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from array import array

    from promptcache.tokens import disk_memo

    monkeypatch.setenv("PROMPTCACHE_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(disk_memo, "MAX_TEXTS_PER_RUN", 3)
    cachedir.cache_dir.cache_clear()
    try:
        memo = disk_memo.DiskMemo("o200k_base")
        queried: list[str] = []
        original = disk_memo._key

        def counting_key(text: str) -> bytes:
            queried.append(text)
            return original(text)

        monkeypatch.setattr(disk_memo, "_key", counting_key)
        for text in ("one", "two", "three", "four"):
            assert memo.get(text) is None
            memo.put(text, array("I", [1, 2]))
        # No lookup was made (no key computed for one), and what is written stays bounded
        # by the run's lookups, as when the memo has rows: the texts before the limit.
        assert queried == ["one", "two"]  # the keys of the texts put
        memo.flush()
        later = disk_memo.DiskMemo("o200k_base")
        assert later.get("two") == array("I", [1, 2])
        assert later.get("three") is None
    finally:
        cachedir.cache_dir.cache_clear()
