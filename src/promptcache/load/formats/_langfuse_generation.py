"""One Langfuse generation (a span's attributes, an API row) turned back into a request body.

Both Langfuse shapes promptcache reads, OpenTelemetry spans and exported observations, hold a
generation in the same pieces: ``input`` (what the integration kept of the request),
``model``, ``model_parameters``, ``metadata`` and ``usage_details``. This module rebuilds
the body from them; :mod:`promptcache.load.formats.langfuse` finds the pieces.

What the Langfuse OpenAI integration keeps, from its source (langfuse 5.2.0,
``langfuse/openai.py``, ``_get_langfuse_data_from_kwargs`` and ``_extract_chat_prompt``;
https://github.com/langfuse/langfuse-python/blob/main/langfuse/openai.py):

* ``input``: the ``messages`` list, or ``{"tools"|"functions"|"function_call", "messages"}``
  when the call had tools; Responses calls keep ``input``/``instructions`` and ``tools``,
  ``tool_choice``, ``parallel_tool_calls``.
* ``model_parameters``: ``temperature``, ``max_tokens``, ``top_p``, ``frequency_penalty`` and
  ``presence_penalty`` ALWAYS, filled with Langfuse's defaults (1, ``inf`` written
  ``"Infinity"``, 1, 0, 0) when the call did not send them; ``max_completion_tokens``, ``n``
  (above 1), ``seed``, ``service_tier``, ``reasoning_effort``, ``verbosity`` (and, for
  Responses, ``reasoning_summary``, ``max_output_tokens``) only when sent. ``service_tier``
  is then overwritten with the RESPONSE's (``_merge_service_tier_into_model_parameters``),
  which says ``default`` whether or not the request named a tier.
* ``metadata.response_format`` (and ``text_format``) when sent.
* ``model``: the request's, overwritten by the response's (a dated snapshot) once it returns.
* not kept at all: ``tool_choice`` (chat; a forced function or ``"none"`` adds a few
  tokens, see docs/formats/langfuse.md), ``user``, ``stop``, ``logit_bias``,
  ``prompt_cache_key``, ``store``, Responses ``text`` (its format schema).
* Responses ``instructions``: written as a first ``{"role": "system"}`` item of the input
  (a string ``input`` becomes a ``{"role": "user"}`` item after it; without instructions
  it is logged as the string).
* Responses ``text`` (a ``text.format`` schema costs prompt tokens): not kept anywhere; a
  Responses call that answered JSON is partial (:data:`TEXT_FORMAT_NOT_LOGGED`).
* images stay in the messages; Langfuse uploads a ``data:`` URL's bytes and writes
  ``@@@langfuseMedia:type=image/png|id=...|source=base64_data_uri@@@`` in its place
  (``langfuse/media.py``), so the image's size is gone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from promptcache.catalog import facts_for, without_provider
from promptcache.load.formats._request_fields import CLASS_RESPONSE_FORMAT, is_wire_response_format
from promptcache.load.formats._strict_schema import put_back_class_formats
from promptcache.load.formats.base import CHAT, MESSAGES, RESPONSES, Usage
from promptcache.load.formats.embedded import json_text
from promptcache.tokens.images import image_token_range

MEDIA_MARK = "@@@langfuseMedia:"
"""How a Langfuse media reference starts (``@@@langfuseMedia:type=...|id=...|source=...@@@``)."""
_MEDIA_TYPE = re.compile(r"@@@langfuseMedia:type=([^|@]*)")

# Values Langfuse writes for a parameter the call did not send: such a value is left out of
# the rebuilt body (a call that sent exactly the default is then rebuilt without it; neither
# changes a prompt token).
_UNSET = (math.inf, "Infinity", "inf")
"""How Langfuse writes ``max_tokens`` when none was sent (``float("inf")``, JSON-encoded)."""
_DEFAULTS: dict[str, tuple[Any, ...]] = {
    "temperature": (1,),
    "top_p": (1,),
    "frequency_penalty": (0,),
    "presence_penalty": (0,),
    "n": (1,),
}
_PARAMETERS: dict[str, tuple[str, ...]] = {
    CHAT: ("temperature", "max_tokens", "max_completion_tokens", "top_p", "frequency_penalty",
           "presence_penalty", "n", "seed", "service_tier", "reasoning_effort", "verbosity"),
    RESPONSES: ("temperature", "top_p", "max_output_tokens", "service_tier"),
    # Anthropic calls reach Langfuse through other integrations, which record what was sent.
    MESSAGES: ("max_tokens", "temperature", "top_p", "top_k", "stop_sequences"),
}
# `default` is what a response says when the request named no tier (or `auto`): Langfuse
# writes the response's tier, so only a tier a request must have asked for is put back.
_RESPONSE_ONLY_TIER = "default"
TEXT_FORMAT_NOT_LOGGED = ("text.format not logged (the call answered JSON: a structured-output "
                          "schema was likely sent)")
"""What a Responses call that answered JSON lacks: Langfuse keeps no ``text`` parameter."""
_RESPONSES_PARTS = frozenset({"input_text", "input_image", "input_file"})
_RESPONSES_ONLY_PARAMETERS = ("max_output_tokens", "reasoning_summary")
_RESPONSES_OUTPUTS = frozenset({"message", "function_call", "reasoning", "web_search_call",
                                "file_search_call", "computer_call"})


@dataclass(frozen=True, slots=True)
class Generation:
    """The pieces of one generation, decoded, wherever the log kept them."""

    input: Any
    """The generation's input (decoded JSON when it was text)."""
    input_path: str
    """The JSON path of the input in the record."""
    model: str | None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)
    usage_details: Mapping[str, Any] | None = None
    output: Any = None
    """The generation's output (decoded), which tells a Responses call from a chat one."""


@dataclass(frozen=True, slots=True)
class Rebuilt:
    """A generation's request body, its API, and what it lacks."""

    body: dict[str, Any]
    api: str
    missing: tuple[str, ...]


def rebuild(generation: Generation) -> Rebuilt | str:
    """The request body of ``generation``, or the problem (``"$.path: ..."``) when its input
    is not a request's."""
    value = generation.input
    if isinstance(value, str) and value.lstrip().startswith(("{", "[")):
        return (f"{generation.input_path}: the input is not valid JSON (cut short, by an "
                "attribute length limit?)")
    if isinstance(value, list) and _is_responses(generation):
        body: dict[str, Any] = {"input": value}
    elif isinstance(value, list):
        body = {"messages": value}
    elif isinstance(value, Mapping) and isinstance(value.get("messages"), list):
        # The OpenAI integration's {"tools", "messages"}; other integrations (OpenInference's
        # `input.value`) keep the whole request, `model` and `system` included.
        body = dict(value)
    elif isinstance(value, Mapping) and ("input" in value or "instructions" in value):
        body = dict(value)
    elif isinstance(value, str) and _is_responses(generation):
        body = {"input": value}  # `responses.create(input="...")` without instructions
    else:
        return (f"{generation.input_path}: the generation's input is not a message list nor "
                "{'messages': [...]} (a completion prompt, or input capture turned off?)")
    model = str(body.get("model") or generation.model or "")
    api = _api(body, model)
    if api == RESPONSES:
        _restore_instructions(body)
    if model:
        body = {"model": model, **body}
    for key, parameter in _parameters(generation.parameters, api).items():
        body.setdefault(key, parameter)
    missing = _missing(body, model)
    response_format = generation.metadata.get("response_format")
    text_format = generation.metadata.get("text_format")
    # `parse(response_format=SomeModel)` / `parse(text_format=SomeModel)`: Langfuse keeps the
    # class's JSON schema, from which the strict schema sent is derived again.
    if api == CHAT and is_wire_response_format(response_format):
        body.setdefault("response_format", response_format)
    elif not put_back_class_formats(
            body, response_format=response_format if api == CHAT else None,
            text_format=text_format if api == RESPONSES else None):
        missing += (CLASS_RESPONSE_FORMAT,)
    if api == RESPONSES and text_format is None and _answered_json(generation.output):
        missing += (TEXT_FORMAT_NOT_LOGGED,)
    return Rebuilt(body, api, missing)


def _answered_json(output: Any) -> bool:
    """Whether a Responses call answered with JSON text: what a structured-output call
    (``text={"format": {"type": "json_schema", ...}}``) answers, while Langfuse keeps no
    trace of the ``text`` it sent."""
    for item in output if isinstance(output, list) else [output]:
        if isinstance(item, Mapping) and item.get("type") == "message":
            for part in _list(item.get("content")):
                text = part.get("text") if isinstance(part, Mapping) else None
                if isinstance(text, str) and isinstance(json_text(text), Mapping | list):
                    return True
    return False


def _is_responses(generation: Generation) -> bool:
    """Whether a message list is a Responses call's ``input``: Langfuse keeps it as a bare
    list too (``_extract_responses_prompt``). Its items or content parts have Responses
    types, or the call had Responses-only parameters, or its output is Responses items."""
    items = generation.input if isinstance(generation.input, list) else []
    parts = [part for item in items if isinstance(item, Mapping)
             for part in _list(item.get("content"))]
    output = generation.output
    outputs = output if isinstance(output, list) else [output]
    return (any(isinstance(item, Mapping) and "type" in item for item in items)
            or any(isinstance(part, Mapping) and part.get("type") in _RESPONSES_PARTS
                   for part in parts)
            or any(key in generation.parameters for key in _RESPONSES_ONLY_PARAMETERS)
            or any(isinstance(item, Mapping) and item.get("type") in _RESPONSES_OUTPUTS
                   for item in outputs))


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _restore_instructions(body: dict[str, Any]) -> None:
    """Langfuse writes ``instructions`` as a first ``{"role": "system"}`` item of the input
    (``_extract_responses_prompt``); put it back. (A system message the caller wrote first
    in ``input`` itself, without ``instructions``, is taken as instructions too: the log
    cannot tell them apart.)"""
    items = body.get("input")
    if "instructions" in body or not isinstance(items, list) or not items:
        return
    first = items[0]
    if _is_text_message(first, "system"):
        body["instructions"] = first["content"]
        body["input"] = items[1:]
        if len(items) == 2 and _is_text_message(items[1], "user"):
            # How Langfuse writes `instructions` with a string `input`; a one-message list
            # the caller wrote looks the same, and counts the same.
            body["input"] = items[1]["content"]


def _is_text_message(item: Any, role: str) -> bool:
    return (isinstance(item, Mapping) and set(item) == {"role", "content"}
            and item["role"] == role and isinstance(item["content"], str))



def _api(body: Mapping[str, Any], model: str) -> str:
    if "messages" not in body:
        return RESPONSES
    # The catalogue has no Anthropic rows yet (issue 16): Anthropic's models are all `claude-*`.
    return MESSAGES if without_provider(model).startswith("claude") else CHAT


def _parameters(parameters: Mapping[str, Any], api: str) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key in _PARAMETERS[api]:
        if key not in parameters or parameters[key] is None:
            continue
        value = _number(parameters[key])
        if value in _UNSET or (api != MESSAGES and value in _DEFAULTS.get(key, ())) or (
                key == "service_tier" and value == _RESPONSE_ONLY_TIER):
            continue
        kept[key] = value
    if api == RESPONSES:
        reasoning = {name: parameters[key] for key, name in
                     (("reasoning_effort", "effort"), ("reasoning_summary", "summary"))
                     if parameters.get(key) is not None}
        if reasoning:
            kept["reasoning"] = reasoning
        if parameters.get("verbosity") is not None:
            kept["text"] = {"verbosity": parameters["verbosity"]}
    return kept


def _number(value: Any) -> Any:
    """A number Langfuse's API may give as text ("0.2") as the number; other values as is."""
    if isinstance(value, str) and value not in ("Infinity", "inf"):
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if number.is_integer() and "." not in value else number
    return value


def _missing(body: Mapping[str, Any], model: str) -> tuple[str, ...]:
    missing: list[str] = []
    for what, detail in _media(body):
        if what == "image" and _image_cost_is_fixed(model, detail):
            continue  # a `detail: low` image costs the same at any size: nothing is lost
        phrase = f"{what} replaced by a Langfuse media reference"
        if phrase not in missing:
            missing.append(phrase)
    return tuple(missing)


def _image_cost_is_fixed(model: str, detail: str) -> bool:
    fewest, most = image_token_range(facts_for(model).image, detail)
    return fewest == most


def _media(value: Any) -> Iterator[tuple[str, str]]:
    """(kind, image detail) of every media reference in ``value``: an ``image_url`` part's
    gives its ``detail``; any other reference its media type's first word."""
    if isinstance(value, Mapping):
        image = value.get("image_url")
        if isinstance(image, Mapping) and _is_media(image.get("url")):
            yield "image", str(image.get("detail") or "auto")
            return
        if value.get("type") == "input_image" and _is_media(image):
            # A Responses image part: the URL is the part's, its detail beside it.
            yield "image", str(value.get("detail") or "auto")
            return
        for item in value.values():
            yield from _media(item)
    elif isinstance(value, list):
        for item in value:
            yield from _media(item)
    elif _is_media(value):
        found = _MEDIA_TYPE.search(value)
        kind = found.group(1).split("/", 1)[0] if found else ""
        yield (kind if kind in ("image", "audio") else "file"), "auto"


def _is_media(value: Any) -> bool:
    return isinstance(value, str) and MEDIA_MARK in value


def usage(details: Mapping[str, Any] | None) -> Usage | None:
    """``usage_details`` in the one meaning of :class:`Usage`.

    Three spellings reach it: the OpenAI usage the SDK writes on its span as returned
    (``prompt_tokens`` / ``input_tokens`` include the cached tokens), and the flat
    ``{"input", "input_cached_tokens", "output", ...}`` Langfuse stores and its API and
    exports give, whose ``input`` EXCLUDES every other input bucket: Langfuse's server moves
    each ``prompt_tokens_details`` entry into its own ``input_<name>`` key and takes it off
    ``input`` (langfuse/langfuse#5568, #10592), and its docs count every usage type whose
    name holds ``input`` as input (https://langfuse.com/docs/observability/features/
    token-and-cost-tracking). Anthropic's keys (``cache_read_input_tokens``,
    ``cache_creation_input_tokens``) are additive in both."""
    if not isinstance(details, Mapping):
        return None
    counts = {key: value for key, value in details.items()
              if isinstance(value, int) and not isinstance(value, bool)}
    for nested in ("prompt_tokens_details", "input_tokens_details"):
        inner = details.get(nested)
        if isinstance(inner, Mapping):
            counts.update({f"{nested}.{key}": value for key, value in inner.items()
                           if isinstance(value, int) and not isinstance(value, bool)})
    read = sum(value for key, value in counts.items() if _is_cache_read(key))
    write_keys = [key for key in counts if "cache_creation" in key or "cache_write" in key]
    write = sum(counts[key] for key in write_keys) if write_keys else None
    if "prompt_tokens" in counts or "input_tokens_details.cached_tokens" in counts:
        total = counts.get("prompt_tokens", counts.get("input_tokens", 0))
        # OpenAI's count includes its cached tokens; Anthropic's keys, if any, are extra.
        total += sum(value for key, value in counts.items()
                     if key in ("cache_read_input_tokens", "cache_creation_input_tokens"))
    else:
        inputs = [value for key, value in counts.items() if "input" in key and "." not in key]
        if not inputs:
            return None
        total = sum(inputs)
    return Usage(input_tokens=total, cache_read_tokens=read, cache_write_tokens=write)


def _is_cache_read(key: str) -> bool:
    return key.endswith("cached_tokens") or "cache_read" in key
