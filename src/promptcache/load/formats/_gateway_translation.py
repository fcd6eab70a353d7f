"""What a call lacks when an OpenAI-compatible gateway (Portkey's unified API, Helicone's AI
gateway) logged the Chat Completions body the application sent and sent the provider its own
translation of it.

For a Claude model on Anthropic, nothing: the audit redoes the translation
(:mod:`promptcache.normalize.chat_to_messages`, as LiteLLM makes it) and maps each finding
back to the logged message. Where gateways are known to translate differently from LiteLLM
(several chat messages merged into one Claude turn, ``response_format`` sent as a tool), the
segments concerned are estimates saying so (``MERGED_TURN_ESTIMATE``, ``JSON_TOOL_ESTIMATE``
there), not the whole call. For any other translated provider (Bedrock, Vertex AI, Gemini)
the prompt it received is not rebuilt: the call is partial.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from promptcache.catalog import facts_for

ANTHROPIC = "anthropic"
"""The provider name both gateways log for Anthropic's own API (Helicone's in capitals)."""


def translation_missing(gateway: str, provider: str, body: Mapping[str, Any],
                        served: str | None) -> tuple[str, ...]:
    """What the call of ``body``, which ``gateway`` translated for ``provider``, lacks: nothing
    when Claude received it on Anthropic's API (the audit translates it), else the prompt
    the provider received. ``served`` is the model the response names, which the audit
    takes when the body names an alias."""
    model = str(body.get("model") or "")
    if not facts_for(model).known and served:
        model = served
    if provider.lower() == ANTHROPIC and facts_for(model).provider == ANTHROPIC:
        return ()
    return (f"body logged in OpenAI form; {gateway} translated it for "
            f"{provider.lower() or 'the provider'}, whose prompt differs",)
