"""Which provider API a captured HTTP call went to, judged by its URL's path.

Gateways and capture tools log the URL a request was sent to; the host may be a proxy, a
mock or a regional endpoint, so only the path's ending decides: OpenAI's and Azure OpenAI's
``.../chat/completions`` and ``.../responses``, Anthropic's ``.../v1/messages``. A prefix
(``/openai/deployments/NAME``, a gateway's ``/anthropic``) does not matter.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from promptcache.load.formats.base import CHAT, MESSAGES, RESPONSES

_ENDINGS = (
    ("/chat/completions", CHAT),
    ("/responses", RESPONSES),
    # Not any ".../messages": OpenAI's Assistants API posts to /v1/threads/ID/messages.
    ("/v1/messages", MESSAGES),
)


def api_of_url(url: str) -> str | None:
    """The API (:data:`CHAT`, :data:`RESPONSES`, :data:`MESSAGES`) a full URL or a bare
    path points at, or None when it is no prompt-taking endpoint (embeddings, models...)."""
    path = urlsplit(url.strip()).path.rstrip("/")
    return next((api for ending, api in _ENDINGS if path.endswith(ending)), None)
