"""Short, trimmed, redacted excerpts of prompt text for reports.

Reports quote prompt text only as short snippets, and never echo secrets or personal data:
:mod:`promptcache.redaction` replaces them before a snippet is cut.

Within :func:`prompt_text_hidden` (``--no-snippets``) excerpts are made exactly as usual, so
rules compare and group the same values, but each one is noted; :func:`omit_quoted` then
takes them out of a finding's message ("the tool changes from '[omitted]' to '[omitted]'").
Values that are the API's vocabulary ('auto', 'high', a catalogue model name) are not noted:
they are not prompt text, and stay. :func:`hide_models` puts the public form of a request's
model names (:func:`promptcache.vocabulary.public_model_name`) in a message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from promptcache.redaction import REDACTED, redact, redact_slice
from promptcache.vocabulary import OMITTED, is_api_vocabulary, public_model_name

__all__ = ["MAX_SNIPPET_CHARS", "OMITTED", "REDACTED", "around", "excerpt", "hide_models",
           "omit_quoted", "prompt_text_hidden", "quoting_prompt_text", "redact", "redact_slice"]

MAX_SNIPPET_CHARS = 60

_RECENT_EXCERPTS = 4096
"""Excerpts remembered while prompt text is hidden: far more than one request's hits make,
and a finding's message is checked when its first hit is recorded, right after it was made."""
_BARE_MIN_CHARS = 8
"""An excerpt this long is omitted wherever it stands in a message; a shorter one ("1",
"auto") only where it is quoted, so a message's own numbers and words stay."""


class _Excerpts:
    """The latest excerpts handed out, oldest first."""

    def __init__(self) -> None:
        self._recent: dict[str, None] = {}

    def note(self, text: str) -> None:
        recent = self._recent
        if text and text not in recent:
            recent[text] = None
            if len(recent) > _RECENT_EXCERPTS:
                del recent[next(iter(recent))]

    def omit(self, text: str) -> str:
        found = sorted((quoted for quoted in self._recent if quoted in text), key=len,
                       reverse=True)
        for quoted in found:
            text = text.replace(repr(quoted), f"'{OMITTED}'")
            for mark in ("'", '"', "`"):
                text = text.replace(f"{mark}{quoted}{mark}", f"{mark}{OMITTED}{mark}")
            if len(quoted) >= _BARE_MIN_CHARS:
                text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(quoted)}(?![A-Za-z0-9])",
                              OMITTED, text)
        return text


_HIDDEN: ContextVar[_Excerpts | None] = ContextVar("promptcache_hidden_excerpts", default=None)


@contextmanager
def prompt_text_hidden(hidden: bool = True) -> Iterator[None]:
    """Within this block (when ``hidden``), note every excerpt so :func:`omit_quoted` can take
    it out of messages. A context variable, because rules are pure functions of requests and
    must not learn about command-line flags."""
    token = _HIDDEN.set(_Excerpts() if hidden else None)
    try:
        yield
    finally:
        _HIDDEN.reset(token)


def quoting_prompt_text() -> bool:
    """False inside :func:`prompt_text_hidden`."""
    return _HIDDEN.get() is None


def omit_quoted(text: str) -> str:
    """``text`` with the excerpts made while prompt text is hidden replaced by ``[omitted]``;
    ``text`` itself otherwise."""
    hidden = _HIDDEN.get()
    return text if hidden is None or not text else hidden.omit(text)


def hide_models(text: str, models: Iterable[str]) -> str:
    """``text`` with each of ``models`` (the names requests gave, as given or redacted) in the
    form a report without prompt text shows: ``[omitted]``, or ``gpt-4o-mini (fine-tuned)``."""
    for model in sorted(set(models), key=len, reverse=True):
        public = public_model_name(model)
        if public == model:
            continue
        for written in {model, redact(model)}:
            if written in text:
                # A whole name only: model "x" is no reason to touch the "x" in "x-ray".
                text = re.sub(rf"(?<![\w.:/\-]){re.escape(written)}(?![\w:/\-])",
                              public.replace("\\", r"\\"), text)
    return text


def excerpt(text: str, limit: int = MAX_SNIPPET_CHARS) -> str:
    """``text`` redacted, whitespace shown visibly, cut to ``limit`` characters."""
    return _noted(_visible(redact_slice(text, 0, min(len(text), limit * 2)), limit))


def _noted(shown: str) -> str:
    hidden = _HIDDEN.get()
    if hidden is not None and not is_api_vocabulary(shown):
        hidden.note(shown)
    return shown


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
    return _noted(prefix + body + suffix)
