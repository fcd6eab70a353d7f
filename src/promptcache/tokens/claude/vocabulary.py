"""A family's vocabulary, loaded from its shipped file and indexed for tiling.

Every piece of the file is one token (its witness in the file is the measurement). A piece's
token id is its index in the sorted list of pieces; a character no piece covers costs the
tokens of its UTF-8 bytes, tiled over the file's multi-byte prefixes (``bytes_fallback``),
whose ids follow the pieces, then the 256 single bytes.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from promptcache.tokens.claude.families import family_named
from promptcache.tokens.claude.markers import WORD_END, parse_piece

_BYTE_PREFIXES = "bytes_fallback"
_CONTRACTIONS = "contractions"


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The pieces of one family, indexed for the tiling."""

    prefixes: dict[str, int]
    """Every prefix of every piece, mapped to the piece's id where the prefix is itself a
    piece and to -1 where it only leads to longer ones: one lookup per extended character."""
    byte_prefixes: dict[bytes, int]
    """Multi-byte UTF-8 prefixes that are one token, mapped to their ids."""
    longest_byte_prefix: int
    first_byte_id: int
    """The id of byte 0x00 as a token of its own; byte ``b`` is ``first_byte_id + b``."""
    spellings: tuple[str, ...]
    """Each piece id's stream spelling (for ids below ``len(spellings)``)."""


def _pieces(document: dict[str, Any]) -> list[str]:
    groups: dict[str, dict[str, Any]] = document["tokens"]
    spellings = {parse_piece(piece) for group, pieces in groups.items()
                 if group != _BYTE_PREFIXES for piece in pieces}
    # The file spells a contraction suffix `'s`; the stream writes it closing the word,
    # `'s<word-end>`, and the witness (`a's`) measured that spelling as one token.
    spellings.update(parse_piece(suffix) + WORD_END for suffix in groups[_CONTRACTIONS])
    return sorted(spellings)


def build_vocabulary(document: dict[str, Any]) -> Vocabulary:
    """Index a vocabulary document (the shipped JSON)."""
    spellings = _pieces(document)
    prefixes: dict[str, int] = {}
    for piece_id, piece in enumerate(spellings):
        for end in range(1, len(piece)):
            prefixes.setdefault(piece[:end], -1)
        prefixes[piece] = piece_id
    byte_prefixes = {bytes.fromhex(hex_bytes): len(spellings) + index for index, hex_bytes
                     in enumerate(sorted(document["tokens"][_BYTE_PREFIXES]))}
    return Vocabulary(prefixes, byte_prefixes,
                      max((len(prefix) for prefix in byte_prefixes), default=1),
                      len(spellings) + len(byte_prefixes), tuple(spellings))


def _document(data_file: str) -> dict[str, Any]:
    resource = files("promptcache.tokens.claude").joinpath("data", data_file)
    document: dict[str, Any] = json.loads(gzip.decompress(resource.read_bytes()))
    return document


@cache
def _indexed(data_file: str) -> Vocabulary:
    return build_vocabulary(_document(data_file))


def vocabulary(encoding: str) -> Vocabulary:
    """The indexed vocabulary of a Claude encoding, loaded once per process (families that
    share a file share it)."""
    return _indexed(family_named(encoding).data_file)
