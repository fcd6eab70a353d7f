"""Keep secrets out of a finding's evidence, however the rule cut it.

A rule quotes a piece of prompt text: the span that changed, the start of a rewritten message.
That piece may begin in the middle of a card number whose first digits both requests share,
or end inside a key, where no pattern can recognize it. So the secrets are looked for in the
whole texts of the requests the evidence comes from, and any piece of them is removed from
the message, the snippet and the values at the divergence.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import replace
from typing import overload

from promptcache.divergence import Divergence
from promptcache.engine.findings import Hit
from promptcache.memo import BoundedMemo
from promptcache.redaction import scrub, secrets_in
from promptcache.snippets import OMITTED, hide_models, omit_quoted, quoting_prompt_text
from promptcache.tokens.counting import CountedRequest

# The same system prompt and tools come back in every finding of a stream: look at each text
# once.
_SECRETS_BY_TEXT: BoundedMemo[str, frozenset[str]] = BoundedMemo(1024)


def request_secrets(requests: Iterable[CountedRequest | None]) -> frozenset[str]:
    """The secrets in the prompt text of ``requests``."""
    found: set[str] = set()
    for counted in requests:
        if counted is None:
            continue
        for segment in counted.request.segments:
            if segment.text:
                found.update(_secrets_of(segment.text))
    return frozenset(found)


def _secrets_of(text: str) -> frozenset[str]:
    return _SECRETS_BY_TEXT.get_or_make(text, lambda: secrets_in((text,)))


def scrub_hit(hit: Hit, secrets: frozenset[str], models: Collection[str] = ()) -> Hit:
    """``hit`` with no piece of ``secrets`` in its message or snippet, and, while prompt text
    is hidden (``--no-snippets``), with no excerpt in its message, ``models`` (the requests'
    model names) in their public form, and no snippet (a rule may word a grouped finding's
    message from the snippet)."""
    if not quoting_prompt_text():
        return replace(hit, message=scrub(omit_quoted(hide_models(hit.message, models)), secrets),
                       fix=scrub(omit_quoted(hide_models(hit.fix, models)), secrets),
                       snippet=OMITTED if hit.snippet else "")
    if not secrets:
        return hit
    return replace(hit, message=scrub(hit.message, secrets), snippet=scrub(hit.snippet, secrets))


@overload
def scrub_divergence(divergence: Divergence, secrets: frozenset[str]) -> Divergence: ...
@overload
def scrub_divergence(divergence: None, secrets: frozenset[str]) -> None: ...
def scrub_divergence(divergence: Divergence | None,
                     secrets: frozenset[str]) -> Divergence | None:
    """``divergence`` with no piece of ``secrets`` in the values it quotes."""
    if divergence is None or not secrets:
        return divergence
    return replace(divergence, before=scrub(divergence.before, secrets),
                   after=scrub(divergence.after, secrets))
