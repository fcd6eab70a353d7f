"""Did-you-mean hints for names a user mistyped (rule codes and names, settings keys, option
values)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, known: Iterable[str]) -> str | None:
    """The known name closest to ``word`` (compared case-folded), or None when none is close
    enough to be a likely typo."""
    by_folded = {name.lower(): name for name in known}
    close = difflib.get_close_matches(word.strip().lower(), list(by_folded), n=1, cutoff=0.6)
    return by_folded[close[0]] if close else None


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the known name closest to ``word``, or "" when none is
    close enough to be a likely typo."""
    match = closest(word, known)
    return f" (did you mean {match!r}?)" if match is not None else ""
