"""The patterns, language-free: from what a front end resolved to hits under the
catalogue's codes (the same code as the audit's rule where the pattern is the same)."""

from __future__ import annotations

from collections.abc import Iterator

from promptcache.lint.pieces import (
    FileFacts,
    LintHit,
    Part,
    Piece,
    PromptCall,
    Section,
    Span,
    Stable,
    Volatile,
    Volatility,
)

PREFIX_CODES = {
    Volatility.TIME: "PC102",  # timestamp-in-prefix
    Volatility.ID: "PC103",  # id-in-prefix
    Volatility.USER: "PC104",  # user-data-in-prefix
    Volatility.RANDOM: "PC101",  # dynamic-prefix
}
"""The audit's rule for each kind of value found ahead of stable content."""

TOOL_ORDER = "PC201"
IMAGE_DETAIL = "PC301"
CACHE_KEY_RANDOM = "PC404"
BREAKPOINT_VOLATILE = "PC501"

_NAMES = {Volatility.TIME: "the current time", Volatility.ID: "a per-request identifier",
          Volatility.USER: "request or user data", Volatility.RANDOM: "a random value"}
_PER_REQUEST = frozenset({Volatility.TIME, Volatility.ID, Volatility.RANDOM})
_MIN_STABLE_CHARS = 3
"""Stable text shorter than this (a newline, a separator) is not worth caching after it."""


def lint_hits(facts: FileFacts) -> Iterator[LintHit]:
    """Every hit in one file's facts (in no particular order)."""
    for call in facts.calls:
        yield from _prefix_hits(call)
        if call.unordered_tools is not None:
            source = call.unordered_tools
            yield _hit(TOOL_ORDER, source.span,
                       f"tools come from {source.source}, whose order changes between "
                       "processes: the tools and everything after them miss the cache",
                       "build the tool list in a fixed order: a list literal, or sorted(...) "
                       "by name")
        for piece in call.cache_key:
            if isinstance(piece, Volatile) and piece.kind in _PER_REQUEST:
                yield _hit(CACHE_KEY_RANDOM, piece.span,
                           f"prompt_cache_key is built from {_NAMES[piece.kind]}: each request "
                           "lands on another cache machine",
                           "derive the key from what shares the prefix (the prompt template, "
                           "the tenant, the conversation), never from a per-request value")
    for span in facts.undetailed_images:
        yield _hit(IMAGE_DETAIL, span,
                   "image part without detail: the provider picks it per image, and a change "
                   "of detail re-sends the image as new tokens",
                   'set "detail" ("low" or "high") on every image part, the same on every '
                   "request")
    for breakpoint_ in facts.breakpoints:
        volatile = _first_per_request(breakpoint_.pieces)
        if volatile is not None:
            yield _hit(BREAKPOINT_VOLATILE, volatile.span,
                       f"cache_control marks a block holding {_NAMES[volatile.kind]}: the "
                       "cache entry it writes is never read again",
                       "put the breakpoint on the last block that stays the same, and the "
                       "changing value after it")


def _prefix_hits(call: PromptCall) -> Iterator[LintHit]:
    """Volatile values with stable content after them, outside the last message."""
    for index, part in enumerate(call.parts):
        if part.section is Section.LAST_MESSAGE:
            continue
        for position, piece in enumerate(part.pieces):
            if not isinstance(piece, Volatile):
                continue
            if _stable_after(part.pieces[position + 1:], call.parts[index + 1:]):
                where = part.section.value
                yield _hit(PREFIX_CODES[piece.kind], piece.span,
                           f"{_NAMES[piece.kind]} in the {where} comes before stable content: "
                           "every request differs there, and nothing after it is read from "
                           "the cache",
                           f"move {_NAMES[piece.kind]} to the end of the prompt (the last "
                           "user message), or leave it out; a date rounded to the day is "
                           "fine")


def _stable_after(rest_of_part: tuple[Piece, ...], later_parts: tuple[Part, ...]) -> bool:
    pieces = list(rest_of_part)
    for part in later_parts:
        if part.section is not Section.LAST_MESSAGE:
            pieces.extend(part.pieces)
    return any(isinstance(piece, Stable) and len(piece.text.strip()) >= _MIN_STABLE_CHARS
               for piece in pieces)


def _first_per_request(pieces: tuple[Piece, ...]) -> Volatile | None:
    return next((piece for piece in pieces
                 if isinstance(piece, Volatile) and piece.kind in _PER_REQUEST), None)


def _hit(code: str, span: Span, message: str, fix: str) -> LintHit:
    return LintHit(code, span.line, span.column, message, fix, span.snippet)
