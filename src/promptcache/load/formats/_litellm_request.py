"""The body a provider received, from what LiteLLM logged of the caller's request.

Both LiteLLM records (the standard logging payload and the proxy's spend-log row) keep the
request as the caller gave it to LiteLLM: OpenAI-format messages and parameters. For an
OpenAI-compatible provider that is the body, less LiteLLM's own keys; for Anthropic it is
LiteLLM's translation (:mod:`._litellm_anthropic`). Both records may hold text LiteLLM
shortened or replaced before writing it; :func:`paths_matching` finds it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from promptcache.catalog import facts_for
from promptcache.load.formats._litellm_anthropic import Unreadable, anthropic_body
from promptcache.load.formats._litellm_responses_input import chat_messages
from promptcache.load.formats.base import CHAT, MESSAGES, RESPONSES

CHAT_FIELDS = frozenset({
    "audio", "frequency_penalty", "function_call", "functions", "logit_bias", "logprobs",
    "max_completion_tokens", "max_tokens", "modalities", "n", "parallel_tool_calls",
    "prediction", "presence_penalty", "prompt_cache_key", "prompt_cache_retention",
    "reasoning_effort", "response_format", "safety_identifier", "seed", "service_tier", "stop",
    "store", "stream", "stream_options", "temperature", "tool_choice", "tools", "top_logprobs",
    "top_p", "user", "verbosity", "web_search_options",
})
"""OpenAI Chat Completions request fields besides ``model`` and ``messages``. LiteLLM's
``model_parameters`` may also hold its own keys (``thinking``, Responses or embedding
parameters) and a proxy request LiteLLM's (``metadata`` as its tags, ``fallbacks``...): none
reaches an OpenAI-compatible provider. ``metadata`` is left out on purpose: LiteLLM takes
it as its own and does not forward it."""
RESPONSES_FIELDS = frozenset({
    "background", "conversation", "include", "input", "instructions", "max_output_tokens",
    "max_tool_calls", "parallel_tool_calls", "previous_response_id", "prompt",
    "prompt_cache_key", "prompt_cache_retention", "reasoning", "safety_identifier",
    "service_tier", "store", "stream", "temperature", "text", "tool_choice", "tools",
    "top_logprobs", "top_p", "truncation", "user",
})
"""OpenAI Responses request fields besides ``model``."""
MESSAGES_FIELDS = frozenset({
    "container", "context_management", "max_tokens", "mcp_servers", "messages", "metadata",
    "output_config", "output_format", "service_tier", "stop_sequences", "stream", "system",
    "temperature", "thinking", "tool_choice", "tools", "top_k", "top_p",
})
"""Anthropic Messages request fields besides ``model``."""
CLAUDE_CHAT_FIELDS = CHAT_FIELDS | {"top_k", "thinking", "cache_control_injection_points"}
"""What of a ``completion()`` call to Anthropic its chat body keeps: the Chat Completions
fields, and LiteLLM's own keys its Anthropic translation reads (``top_k`` and ``thinking``
passed through, the breakpoints ``cache_control_injection_points`` asks for)."""

OPENAI_COMPATIBLE = frozenset({
    "openai", "azure", "azure_ai", "text-completion-openai", "openrouter", "together_ai",
    "deepseek", "groq", "fireworks_ai", "mistral", "xai", "perplexity", "deepinfra",
    "hosted_vllm", "lm_studio", "ollama_chat", "custom_openai", "litellm_proxy", "",
})
"""Providers LiteLLM sends the OpenAI chat body to as it is (its own keys removed)."""
_ANTHROPIC = frozenset({"anthropic", ""})
CHAT_CALL_TYPES = frozenset({"completion", "acompletion"})
RESPONSES_CALL_TYPES = frozenset({"responses", "aresponses"})
MESSAGES_CALL_TYPES = frozenset({"anthropic_messages", "aanthropic_messages"})
CACHE_HIT = "answered by LiteLLM's cache"
"""Why a call LiteLLM's own cache answered is skipped: the provider never saw it."""


NO_PROMPT = "no prompt to cache (an embedding, image or audio call)"
"""Why a call of :data:`NOT_PROMPT_CALL_TYPES` is skipped."""


NOT_PROMPT_CALL_TYPES = frozenset({
    "embedding", "aembedding", "image_generation", "aimage_generation", "image_edit",
    "aimage_edit", "transcription", "atranscription", "speech", "aspeech", "moderation",
    "amoderation", "rerank", "arerank", "create_batch", "acreate_batch", "create_file",
    "acreate_file",
})
"""Calls LiteLLM logs that send no chat prompt a provider could cache (its ``CallTypes``):
not calls to audit, so they yield nothing."""

TRUNCATION_MARKER = re.compile(r"\.\.\. \(litellm_truncated skipped \d+ chars")
"""What LiteLLM puts in place of the middle of a string it shortened: ``... (litellm_truncated
skipped N chars. <note>) ...`` (``_truncated_for_db`` in
``litellm/proxy/spend_tracking/spend_tracking_utils.py``; strings over
``MAX_STRING_LENGTH_PROMPT_IN_DB``, 2048 characters by default; older releases wrote
``... (litellm_truncated skipped N chars) ...``)."""
BASE64_PLACEHOLDER = re.compile(r";base64,\[base64_data truncated: [^\]]*\]")
"""What LiteLLM logs instead of a data URL's base64 payload over ``MAX_BASE64_LENGTH_FOR_LOGGING``
(64 characters by default): ``data:image/png;base64,[base64_data truncated: 75B]``
(``_base64_data_uri_replacer`` in ``litellm/litellm_core_utils/logging_utils.py``)."""
_O_SERIES = re.compile(r"^o\d")
"""OpenAI's o-series models (``o1``, ``o3-mini``...), which take the ``developer`` role."""
REDACTED = "redacted-by-litellm"
"""What LiteLLM logs instead of the messages with ``turn_off_message_logging`` on
(``REDACTED_BY_LITELLM`` in ``litellm/constants.py``)."""


@dataclass(frozen=True, slots=True)
class Request:
    """A provider request rebuilt from LiteLLM's record."""

    body: dict[str, Any]
    api: str
    missing: tuple[str, ...]


def provider_request(*, call_type: str, provider: str, model: str, messages: Any,
                     params: Mapping[str, Any], messages_path: str,
                     params_path: str, call_type_path: str) -> Request | None:
    """The body ``provider`` received for a ``call_type`` call LiteLLM logged as
    ``messages`` and ``params`` (at ``messages_path`` and ``params_path`` in the record);
    None for a call that sends no prompt (an embedding). Raises
    :class:`~._litellm_anthropic.Unreadable` for a call type it does not know and for a
    message LiteLLM could not have sent."""
    if call_type in NOT_PROMPT_CALL_TYPES:
        return None
    missing: list[str] = []
    if _redacted(messages):
        missing.append("the messages (LiteLLM's turn_off_message_logging redacted them)")
    # Said once per kind, without the place: the report groups requests by what they lack.
    logged = ((messages, messages_path), (params.get("tools"), f"{params_path}.tools"),
              (params.get("system"), f"{params_path}.system"))
    if _anywhere(logged, TRUNCATION_MARKER):
        missing.append("content truncated by LiteLLM")
    if _anywhere(logged, BASE64_PLACEHOLDER):
        missing.append("image data replaced by a placeholder in LiteLLM's log")
    if call_type in CHAT_CALL_TYPES:
        if provider == "anthropic":
            return _chat_sent_to_anthropic(model, messages, params, messages_path, missing)
        body = {"model": model,
                "messages": _without_null_content(_developer_as_system(messages, model)),
                **_fields(params, CHAT_FIELDS)}
        return Request(body, CHAT, (*missing, *_translated(provider, OPENAI_COMPATIBLE)))
    if call_type in RESPONSES_CALL_TYPES:
        if provider == "anthropic":
            return _responses_sent_to_anthropic(model, messages, params, messages_path, missing)
        body = {"model": model, "input": messages, **_fields(params, RESPONSES_FIELDS)}
        return Request(body, RESPONSES, (*missing, *_translated(provider, OPENAI_COMPATIBLE)))
    if call_type in MESSAGES_CALL_TYPES:
        body = {"model": model, "messages": messages, **_fields(params, MESSAGES_FIELDS)}
        return Request(body, MESSAGES, (*missing, *_translated(provider, _ANTHROPIC)))
    raise Unreadable(call_type_path, f"call type {call_type!r} is not one promptcache reads")


def _chat_sent_to_anthropic(model: str, messages: Any, params: Mapping[str, Any],
                            messages_path: str, missing: list[str]) -> Request:
    """A ``completion()`` call LiteLLM sent to Anthropic, as the chat body the caller gave:
    :mod:`promptcache.normalize.chat_to_messages` redoes LiteLLM's translation of it and maps
    each finding back to the logged message it came from. A model the catalog does not know
    as Claude would be read there as OpenAI's: its body is translated here, its findings then
    point into the translated body."""
    if facts_for(model).provider == "anthropic":
        body = {"model": model, "messages": _image_urls_as_objects(messages),
                **_fields(params, CLAUDE_CHAT_FIELDS)}
        return Request(body, CHAT, tuple(missing))
    translated, lacks = anthropic_body(model, messages, params, messages_path)
    return Request(translated, MESSAGES, (*missing, *lacks))


def _image_urls_as_objects(messages: Any) -> Any:
    """The messages with an ``image_url`` part given as a bare URL string written as OpenAI's
    ``{"url": ...}``: LiteLLM takes both (``create_anthropic_image_param``) and sends the
    same image block; the chat body is read as OpenAI's, which takes only the object."""
    if not isinstance(messages, list):
        return messages
    return [{**message, "content": [_image_part_as_object(part) for part in message["content"]]}
            if isinstance(message, Mapping) and isinstance(message.get("content"), list)
            else message for message in messages]


def _image_part_as_object(part: Any) -> Any:
    if (isinstance(part, Mapping) and part.get("type") == "image_url"
            and isinstance(part.get("image_url"), str)):
        return {**part, "image_url": {"url": part["image_url"]}}
    return part


def _responses_sent_to_anthropic(model: str, messages: Any, params: Mapping[str, Any],
                                 messages_path: str, missing: list[str]) -> Request:
    """A ``responses()`` call LiteLLM sent to Anthropic through ``completion()``: its logged
    input items become chat messages, then Anthropic's body like any completion's."""
    converted = chat_messages(messages)
    body, lacks = anthropic_body(model, converted.messages, params, messages_path)
    # LiteLLM logs the chat parameters it derived, and nowhere the instructions it turned
    # into the system prompt: whether there were any cannot be told.
    return Request(body, MESSAGES, (
        *missing, "the instructions (LiteLLM does not log them for a Responses call it sent "
        "to a chat provider)", *converted.lacks, *lacks))


def _translated(provider: str, sent_as_is_to: frozenset[str]) -> tuple[str, ...]:
    """What a call lacks when LiteLLM translated it for ``provider`` (a Bedrock model behind
    an OpenAI request, an OpenAI model behind ``/v1/messages``): its body is read as logged."""
    if provider in sent_as_is_to:
        return ()
    return (f"the request LiteLLM translated for {provider} (read as logged)",)


def _fields(params: Mapping[str, Any], fields: frozenset[str]) -> dict[str, Any]:
    return {key: value for key, value in params.items()
            if key in fields and key not in ("messages", "input")}


def _developer_as_system(messages: Any, model: str) -> Any:
    """The messages with the ``developer`` role sent as ``system``, as LiteLLM sends them to
    every chat model but OpenAI's o-series (``translate_developer_role_to_system_role`` in
    ``litellm/llms/openai/chat/gpt_transformation.py`` and ``o_series_transformation.py``)."""
    if not isinstance(messages, list) or _O_SERIES.match(model.rsplit("/", 1)[-1]):
        return messages
    return [{**message, "role": "system"}
            if isinstance(message, Mapping) and message.get("role") == "developer" else message
            for message in messages]


def _without_null_content(messages: Any) -> Any:
    # LiteLLM logs an assistant turn's absent content as null; what it sends has no content
    # key there (the shared sample's truth bodies), and a null would be counted as a field.
    if not isinstance(messages, list):
        return messages
    return [{key: value for key, value in message.items() if key != "content" or value is not None}
            if isinstance(message, Mapping) else message for message in messages]


def _redacted(messages: Any) -> bool:
    return (isinstance(messages, list) and len(messages) == 1
            and isinstance(messages[0], Mapping) and messages[0].get("content") == REDACTED)


def _anywhere(logged: Iterable[tuple[Any, str]], pattern: re.Pattern[str]) -> bool:
    """Whether a string of any of the ``(value, path)`` pairs matches ``pattern``."""
    return any(next(paths_matching(value, path, pattern), None) is not None
               for value, path in logged)


def paths_matching(value: Any, path: str, pattern: re.Pattern[str]) -> Iterator[str]:
    """The JSON paths of the strings under ``value`` (at ``path``) that ``pattern`` finds."""
    if isinstance(value, str):
        if pattern.search(value):
            yield path
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from paths_matching(item, f"{path}.{key}", pattern)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths_matching(item, f"{path}[{index}]", pattern)




def int_of(value: Any, default: int | None = None) -> int | None:
    """``value`` if it is an integer (not a bool), else ``default``."""
    return value if isinstance(value, int) and not isinstance(value, bool) else default
