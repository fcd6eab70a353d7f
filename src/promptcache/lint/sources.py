"""Which files lint reads, and how each language's files are parsed."""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass
from pathlib import Path

from promptcache.lint.python_scope import PythonModule

PYTHON_SUFFIXES = (".py", ".pyi")
SCRIPT_SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")
SOURCE_SUFFIXES = PYTHON_SUFFIXES + SCRIPT_SUFFIXES
"""What a folder walk of ``promptcache lint`` picks up."""


@dataclass(frozen=True, slots=True)
class ParseError(Exception):
    """A file that cannot be read or parsed: where, and what is wrong."""

    line: int
    message: str


def read_source(path: Path) -> str:
    """The file's text (UTF-8, as Python and JavaScript tools read it)."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ParseError(0, f"not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise ParseError(0, f"cannot read: {(error.strerror or str(error)).lower()}") from None


def parse_python(path: Path, text: str) -> PythonModule:
    """The module, or a :class:`ParseError` at the line Python names."""
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as error:
        raise ParseError(error.lineno or 0, f"syntax error: {error.msg}") from None
    except ValueError as error:  # a NUL byte
        raise ParseError(0, f"cannot parse: {error}") from None
    return PythonModule(path, tree, text.splitlines())


def python_comments(text: str) -> list[tuple[int, str]]:
    """(line, text) of every comment of a module that parsed."""
    found: list[tuple[int, str]] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                found.append((token.start[0], token.string))
    except (tokenize.TokenError, SyntaxError):
        pass  # the tree parsed; a tokenizer quirk costs only suppressions past it
    return found
