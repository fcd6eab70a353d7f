"""Short, trimmed, redacted excerpts of prompt text for reports.

Reports quote prompt text only as short snippets, and never echo secrets: API keys, bearer
tokens and card numbers are replaced before a snippet is cut.
"""

from __future__ import annotations

import re

MAX_SNIPPET_CHARS = 60

_SECRET_PATTERNS = (
    # OpenAI, Anthropic and similar "sk-" keys; project keys carry dashes and underscores.
    re.compile(r"\bsk-[A-Za-z0-9_\-]{16,}"),
    # Google API keys, GitHub tokens, AWS access key ids, Slack tokens.
    re.compile(r"\bAIza[0-9A-Za-z_\-]{30,}"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}"),
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(r"\bxox[abprs]-[A-Za-z0-9\-]{10,}"),
    # Authorization headers and bearer tokens.
    re.compile(r"(?i)\b(?:bearer|basic)\s+[A-Za-z0-9._~+/\-]{12,}=*"),
    re.compile(r"(?i)\b(?:api[_-]?key|authorization|x-api-key)\b\s*[:=]\s*\S{8,}"),
)
_CARD_CANDIDATE = re.compile(r"\b(?:\d[ \-]?){12,18}\d\b")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """``text`` with secrets replaced by ``[redacted]``."""
    return redact_slice(text, 0, len(text))


def redact_slice(text: str, start: int, end: int) -> str:
    """``text[start:end]`` with every secret that overlaps it replaced, even one cut in half."""
    # Look a little beyond the slice so a key straddling its edge is still recognized.
    margin = 256
    window_start = max(0, start - margin)
    window = text[window_start:end + margin]
    spans = sorted(
        (window_start + found.start(), window_start + found.end())
        for found in _secret_matches(window)
    )
    pieces: list[str] = []
    position = start
    for span_start, span_end in spans:
        if span_end <= position or span_start >= end:
            continue
        pieces.append(text[position:max(position, span_start)])
        pieces.append(REDACTED)
        position = min(end, span_end)
    pieces.append(text[position:end])
    return "".join(pieces)


def _secret_matches(text: str) -> list[re.Match[str]]:
    matches = [found for pattern in _SECRET_PATTERNS for found in pattern.finditer(text)]
    matches.extend(found for found in _CARD_CANDIDATE.finditer(text) if _is_card(found))
    return matches


def _is_card(match: re.Match[str]) -> bool:
    digits = re.sub(r"\D", "", match.group())
    return 13 <= len(digits) <= 19 and _luhn_valid(digits)


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def excerpt(text: str, limit: int = MAX_SNIPPET_CHARS) -> str:
    """``text`` redacted, whitespace shown visibly, cut to ``limit`` characters."""
    return _visible(redact_slice(text, 0, min(len(text), limit * 2)), limit)


def _visible(text: str, limit: int) -> str:
    cleaned = text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1] + "…"
    return cleaned


def around(text: str, start: int, end: int, limit: int = MAX_SNIPPET_CHARS) -> str:
    """The span ``text[start:end]`` with a little context on each side, trimmed to ``limit``."""
    context = max(0, (limit - (end - start)) // 2)
    left, right = max(0, start - context), min(len(text), end + context)
    body = _visible(redact_slice(text, left, right), limit)
    prefix = "…" if left > 0 else ""
    suffix = "…" if right < len(text) and not body.endswith("…") else ""
    return prefix + body + suffix
