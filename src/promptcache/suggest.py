"""Did-you-mean hints for names a user mistyped (rule codes and names, settings keys)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the known name closest to ``word``, or "" when none is
    close enough to be a likely typo."""
    by_folded = {name.lower(): name for name in known}
    close = difflib.get_close_matches(word.strip().lower(), list(by_folded), n=1, cutoff=0.6)
    return f" (did you mean {by_folded[close[0]]!r}?)" if close else ""
