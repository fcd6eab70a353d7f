"""What a front end makes of the values passed to a call that sends a prompt: language-free
pieces that :mod:`promptcache.lint.patterns` checks."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Volatility(StrEnum):
    """Why a value changes from one request to the next."""

    TIME = "time"
    """The current time (``datetime.now()``, ``time.time()``, ``Date.now()``)."""
    ID = "id"
    """A fresh identifier (``uuid4()``, ``crypto.randomUUID()``, ``os.getpid()``)."""
    RANDOM = "random"
    """A random value (``random.random()``, ``Math.random()``)."""
    USER = "user"
    """Request or user data: a parameter of the function that builds the prompt."""


@dataclass(frozen=True, slots=True)
class Span:
    """Where an expression is in its file."""

    line: int
    """1-based line."""
    column: int
    """1-based column (characters)."""
    snippet: str
    """The expression's source, trimmed to one short line."""


@dataclass(frozen=True, slots=True)
class Stable:
    """Text that is the same on every request (a literal, or a constant it resolves to)."""

    text: str


@dataclass(frozen=True, slots=True)
class Volatile:
    """A value that changes per request, at its expression."""

    kind: Volatility
    span: Span


@dataclass(frozen=True, slots=True)
class Opaque:
    """A value the linter cannot see into (an unknown call, an argument passed whole)."""


Piece = Stable | Volatile | Opaque
"""One piece of a prompt part, in the order the provider sees it."""


class Section(StrEnum):
    """Where a part of the prompt sits."""

    TOOLS = "tools"
    SYSTEM = "system prompt"
    INSTRUCTIONS = "instructions"
    MESSAGE = "message"
    LAST_MESSAGE = "last message"


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a prompt (the system prompt, one message) as a sequence of pieces."""

    section: Section
    pieces: tuple[Piece, ...]


@dataclass(frozen=True, slots=True)
class UnorderedTools:
    """Tools taken from a source whose order changes between processes, at that source."""

    source: str
    """What the order comes from, e.g. ``a set``."""
    span: Span


@dataclass(frozen=True, slots=True)
class PromptCall:
    """A call that sends a prompt, as resolved: its parts in prompt order, and the rest."""

    span: Span
    """The call itself."""
    parts: tuple[Part, ...]
    """Tools text aside, the prompt's parts: system / instructions, then the messages."""
    unordered_tools: UnorderedTools | None = None
    """Set when the tools come from an unordered source."""
    cache_key: tuple[Piece, ...] = ()
    """The pieces of ``prompt_cache_key``, when the call passes one."""


@dataclass(frozen=True, slots=True)
class LintHit:
    """One finding of the linter, before the configuration has its say."""

    code: str
    """The catalogue code, e.g. ``PC102``."""
    line: int
    column: int
    message: str
    """What is wrong."""
    fix: str
    """What to change."""
    snippet: str
    """The offending expression, trimmed."""


@dataclass(frozen=True, slots=True)
class Breakpoint:
    """A content block that carries ``cache_control``, with the pieces of its text."""

    span: Span
    """The block."""
    pieces: tuple[Piece, ...]


@dataclass(frozen=True, slots=True)
class FileFacts:
    """Everything a front end found in one file."""

    calls: tuple[PromptCall, ...] = ()
    undetailed_images: tuple[Span, ...] = ()
    """OpenAI image parts (``image_url``, ``input_image``) that leave ``detail`` unset."""
    breakpoints: tuple[Breakpoint, ...] = ()
