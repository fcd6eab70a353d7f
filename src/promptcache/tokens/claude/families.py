"""The Claude tokenizer families promptcache counts with, as a dated table.

Anthropic publishes no tokenizer for Claude 3 and later. The vocabularies here are ctok's
(PyPI ``ctok`` 1.3.0 by Sander Land, MIT, github.com/sanderland/ctok): every piece was measured
as one token with Anthropic's ``count_tokens`` endpoint against the family's source model, and
each piece in the shipped file carries its probe (the witness) as evidence. The files are
shipped unchanged, gzip-compressed; ``data/LICENSE-ctok`` is their licence.

Importing this module reads nothing: the vocabulary loads on the first count.
"""

from __future__ import annotations

from dataclasses import dataclass

VOCABULARY_RELEASE = "ctok-1.3.0"
"""The release the shipped vocabulary files come from (2026-08-11 build, as their ``meta``
says). Part of the disk memo's name, so counts memoized under older data are never read."""

RULES_REVISION = 1
"""Bumped whenever the normalization or tiling code changes what a text counts: also part of
the disk memo's name."""


@dataclass(frozen=True, slots=True)
class ClaudeFamily:
    """One Claude tokenizer generation: which vocabulary, and how a message frames text."""

    encoding: str
    """promptcache's encoding name (the catalogue's ``encoding`` column)."""
    data_file: str
    """The gzip vocabulary file under ``tokens/claude/data/``."""
    data_sha256: str
    """SHA-256 of that file, checked by the tests so a changed file cannot keep old memos."""
    frame_tokens: int
    """What a one-message request costs beyond its text (``count_tokens`` of ``"a"`` minus 1)."""
    frame_ends_in_word_start: bool
    """The frame's last token opens a word, absorbing one leading space of the text."""
    folds_curly_quotes: bool
    """The four curly quotes count as their ASCII forms."""
    all_caps_marker_from: int | None
    """An all-caps word of at least this many letters is written lowercase behind one case
    token; None: the family has no such token."""
    models: str
    """Which models use it, for documentation."""
    evidence: str
    """Where the scalars above come from."""


_V3_SHA = "3eef3c7a62fa262e7cb8a5279a7305af6c14b3a084cb8fe0b52915dabb45b2d1"
_V47_SHA = "cfa15f51255579c787df7fccecab44abb086fe5046d0ac6e46058799fa4b3c81"

FAMILIES: tuple[ClaudeFamily, ...] = (
    ClaudeFamily(
        "claude-v3", "pieces_v3.json.gz", _V3_SHA, frame_tokens=7,
        frame_ends_in_word_start=True, folds_curly_quotes=True, all_caps_marker_from=4,
        models="Claude 3, 3.5, 3.7, Sonnet 4 / 4.5 / 4.6, Opus 4 / 4.1 / 4.5 / 4.6, Haiku 4.5",
        # The file's meta (measured on claude-opus-4-5: base 8, overhead 7, fold_quotes,
        # allcaps_min 4); the 7-token frame is also exact on 142 of 145 plain single-message
        # records of ../shared/data (anthropic-counting-facts.md, section 3).
        evidence="pieces_v3.json meta; anthropic-counting-facts.md section 3",
    ),
    ClaudeFamily(
        "claude-v4.7", "pieces_v4_7.json.gz", _V47_SHA, frame_tokens=11,
        frame_ends_in_word_start=True, folds_curly_quotes=False, all_caps_marker_from=None,
        models="Opus 4.7",
        # The file's meta (measured on claude-opus-4-7: base 12, overhead 11, no quote fold,
        # no caps marker). The shared data cannot check it: its 3 Opus 4.7 records all carry
        # hidden output_config prompts (anthropic-counting-facts.md, TL;DR 1).
        evidence="pieces_v4_7.json meta",
    ),
    ClaudeFamily(
        "claude-v4.8", "pieces_v4_7.json.gz", _V47_SHA, frame_tokens=6,
        frame_ends_in_word_start=False, folds_curly_quotes=False, all_caps_marker_from=None,
        models="Opus 4.8, Sonnet 5, Fable 5 (and Opus 5, whose free trailing whitespace is "
               "not modelled)",
        # ctok 1.3.0's family table: the v4.7 vocabulary under a six-token frame whose last
        # token opens no word (measured on claude-opus-4-8). The 6-token frame is exact on
        # 14 of 14 plain single-message records (anthropic-counting-facts.md, section 3).
        evidence="ctok 1.3.0 FAMILIES['v4.8']; anthropic-counting-facts.md section 3",
    ),
)

CLAUDE_ENCODINGS = tuple(family.encoding for family in FAMILIES)


def family_named(encoding: str) -> ClaudeFamily:
    """The family behind ``encoding``; ValueError for a name that is not a Claude encoding."""
    for family in FAMILIES:
        if family.encoding == encoding:
            return family
    raise ValueError(f"unknown Claude encoding {encoding!r}; expected one of {CLAUDE_ENCODINGS}")


def memo_version(encoding: str) -> str:
    """What a memoized count under ``encoding`` depends on besides the text: the vocabulary
    file's digest and the rules' revision."""
    family = family_named(encoding)
    return f"{family.data_sha256[:12]}-r{RULES_REVISION}"
