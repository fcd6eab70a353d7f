"""Hypothesis strategies for request logs: valid Chat Completions and Responses records in
every envelope promptcache reads, and the ways real logs get corrupted.

Shared by tests/test_properties.py (a few hundred examples in CI) and fuzz/fuzz_audit.py (as
many as you like). Texts and images stay small: the point is the variety of shapes, and a
fuzzer that runs a thousand inputs a second finds more than one that runs ten.
"""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

from hypothesis import strategies as st

JSON = dict[str, Any]

MODELS = ("gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-5",
          "gpt-5-mini", "o3", "o4-mini", "gpt-4", "gpt-3.5-turbo", "gpt-4o-search-preview",
          "openai/gpt-4o", "some-unknown-model", "")

_WORDS = ("the", "cache", "prefix", "tool", "Ünïcödé", "日本語", "🙂", "<|endoftext|>",
          "<|im_start|>", "{\"json\": 1}", "2025-03-01T10:00:00Z", "\n\n", "  ", "\t", "\\u0000",
          "req_9f8e7d6c", "ann@example.com", "sk-proj-abcdefghijklmnop", "\u2019", "\u200b", "")

texts = st.one_of(
    st.lists(st.sampled_from(_WORDS), max_size=12).map(" ".join),
    st.text(max_size=40),
)
"""Short texts: words that matter to the tokenizer and the rules, or anything at all."""

names = st.one_of(
    st.sampled_from(("get_weather", "search", "lookup_order", "a", "b", "x_1", "run")),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=12),
)
"""Identifiers (tool, property and session names). Not a regex strategy: those are slow."""


# --------------------------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------------------------


def _png(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + bytes(4)


def _gif(width: int, height: int) -> bytes:
    return b"GIF89a" + struct.pack("<HHBBB", width, height, 0, 0, 0) + b"\x3b"


def _jpeg(width: int, height: int) -> bytes:
    frame = struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8\xff\xc0" + struct.pack(">H", len(frame) + 2) + frame + b"\xff\xd9"


def _webp(width: int, height: int) -> bytes:
    payload = b"\x10\0\0\0" + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(
        3, "little")
    body = b"WEBP" + b"VP8X" + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", len(body)) + body


_IMAGE_MAKERS = {"png": _png, "gif": _gif, "jpeg": _jpeg, "webp": _webp}


@st.composite
def image_urls(draw: st.DrawFn) -> str:
    """A small ``data:`` URL of a generated image header (the size is what counts), now and
    then a remote URL (never fetched: audits run offline) or a broken data URL."""
    kind = draw(st.sampled_from(("data", "data", "data", "remote", "broken")))
    if kind == "remote":
        return f"https://images.example.com/{draw(names)}.png"
    if kind == "broken":
        return draw(st.sampled_from(("data:image/png;base64,", "data:image/png;base64,!!!!",
                                     "data:,hello", "data:image/png;base64,iVBORw0KGgo=")))
    fmt = draw(st.sampled_from(sorted(_IMAGE_MAKERS)))
    limit = 65_535 if fmt in ("gif", "jpeg") else 20_000
    data = _IMAGE_MAKERS[fmt](draw(st.integers(1, limit)), draw(st.integers(1, limit)))
    return f"data:image/{fmt};base64," + base64.b64encode(data).decode("ascii")


details = st.sampled_from(("low", "high", "auto", None))


# --------------------------------------------------------------------------------------------
# Tools and their JSON Schemas
# --------------------------------------------------------------------------------------------

_SCALAR_TYPES = ("string", "integer", "number", "boolean")


@st.composite
def schemas(draw: st.DrawFn, depth: int = 0) -> JSON:
    """A JSON Schema for one value: scalars, arrays and objects, nested up to 3 levels.

    Drawn step by step rather than with ``flatmap``/``recursive``: those build new strategies
    on every draw, which made generating a log several times slower."""
    kind = draw(st.sampled_from(_SCALAR_TYPES + (("array", "object") if depth < 3 else ())))
    schema: JSON = {"type": kind}
    if draw(st.booleans()):
        schema["description"] = draw(texts)
    if kind == "string" and draw(st.integers(0, 3)) == 0:
        schema["enum"] = draw(st.lists(names, min_size=1, max_size=3))
    elif kind in ("integer", "number") and draw(st.integers(0, 3)) == 0:
        schema["minimum"] = draw(st.integers(-5, 5))
    elif kind == "array":
        schema["items"] = draw(schemas(depth + 1))
    elif kind == "object":
        schema.update(draw(parameters(depth + 1)))
    return schema


@st.composite
def parameters(draw: st.DrawFn, depth: int = 0) -> JSON:
    """An object schema (a function's ``parameters``) with up to 4 properties."""
    properties = {draw(names): draw(schemas(depth)) for _ in range(draw(st.integers(0, 4)))}
    schema: JSON = {"type": "object", "properties": properties}
    wants_required = draw(st.booleans())
    if properties and wants_required:
        schema["required"] = draw(st.lists(st.sampled_from(sorted(properties)), unique=True))
    if draw(st.integers(0, 3)) == 0:
        schema["additionalProperties"] = draw(st.booleans())
    return schema


@st.composite
def chat_tools(draw: st.DrawFn) -> list[JSON]:
    """Chat Completions tools with distinct names."""
    tool_names = draw(st.lists(names, max_size=4, unique=True))
    tools = []
    for name in tool_names:
        function = draw(st.fixed_dictionaries(
            {"name": st.just(name)},
            optional={"description": texts, "parameters": parameters(),
                      "strict": st.booleans()}))
        tools.append({"type": "function", "function": function})
    return tools


arguments = st.one_of(
    st.dictionaries(names, st.one_of(st.integers(), texts, st.booleans(), st.none()),
                    max_size=3).map(json.dumps),
    st.dictionaries(names, texts, max_size=2).map(lambda v: json.dumps(v, indent=2)),
    texts,  # not JSON: models do send that
)


# --------------------------------------------------------------------------------------------
# Chat Completions
# --------------------------------------------------------------------------------------------


@st.composite
def _user_content(draw: st.DrawFn) -> str | list[JSON]:
    if draw(st.booleans()):
        return draw(texts)
    parts: list[JSON] = []
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            parts.append({"type": "text", "text": draw(texts)})
        else:
            image: JSON = {"url": draw(image_urls())}
            detail = draw(details)
            if detail is not None:
                image["detail"] = detail
            parts.append({"type": "image_url", "image_url": image})
    return parts


@st.composite
def chat_messages(draw: st.DrawFn) -> list[JSON]:
    """A conversation: optional system/developer message, then user turns with assistant
    replies, tool calls and tool results."""
    messages: list[JSON] = []
    if draw(st.booleans()):
        role = draw(st.sampled_from(("system", "developer")))
        content: Any = draw(texts) if draw(st.booleans()) else [
            {"type": "text", "text": draw(texts)} for _ in range(draw(st.integers(1, 2)))]
        messages.append({"role": role, "content": content})
    for turn in range(draw(st.integers(1, 3))):
        user: JSON = {"role": "user", "content": draw(_user_content())}
        if draw(st.integers(0, 4)) == 0:
            user["name"] = draw(names)
        messages.append(user)
        if draw(st.booleans()):
            calls = [{"id": f"call_{turn}_{index}", "type": "function",
                      "function": {"name": draw(names), "arguments": draw(arguments)}}
                     for index in range(draw(st.integers(1, 2)))]
            messages.append({"role": "assistant", "content": draw(st.sampled_from((None, "")))
                             if draw(st.booleans()) else draw(texts), "tool_calls": calls})
            messages.extend({"role": "tool", "tool_call_id": call["id"], "content": draw(texts)}
                            for call in calls)
        if draw(st.booleans()):
            messages.append({"role": "assistant", "content": draw(texts)})
    return messages


_response_formats = st.one_of(
    st.just({"type": "text"}),
    st.just({"type": "json_object"}),
    st.builds(lambda name, schema: {"type": "json_schema",
                                    "json_schema": {"name": name, "schema": schema}},
              names, parameters()),
)


@st.composite
def chat_requests(draw: st.DrawFn) -> JSON:
    """A valid Chat Completions request body."""
    body: JSON = {"model": draw(st.sampled_from(MODELS)), "messages": draw(chat_messages())}
    tools = draw(chat_tools())
    if tools:
        body["tools"] = tools
        if draw(st.booleans()):
            body["tool_choice"] = draw(st.sampled_from(("auto", "none", "required")))
    optional = draw(st.fixed_dictionaries({}, optional={
        "response_format": _response_formats,
        "prompt_cache_key": names,
        "user": names,
        "reasoning_effort": st.sampled_from(("low", "medium", "high")),
        "parallel_tool_calls": st.booleans(),
        "temperature": st.floats(0, 2),
    }))
    body.update(optional)
    return body


# --------------------------------------------------------------------------------------------
# Responses
# --------------------------------------------------------------------------------------------


@st.composite
def _responses_content(draw: st.DrawFn) -> str | list[JSON]:
    if draw(st.booleans()):
        return draw(texts)
    parts: list[JSON] = []
    for _ in range(draw(st.integers(1, 3))):
        choice = draw(st.integers(0, 3))
        if choice <= 1:
            parts.append({"type": "input_text", "text": draw(texts)})
        elif choice == 2:
            part: JSON = {"type": "input_image", "image_url": draw(image_urls())}
            detail = draw(details)
            if detail is not None:
                part["detail"] = detail
            parts.append(part)
        else:
            parts.append({"type": "input_image", "file_id": f"file-{draw(names)}"})
    return parts


@st.composite
def responses_requests(draw: st.DrawFn) -> JSON:
    """A valid Responses API request body."""
    body: JSON = {"model": draw(st.sampled_from(MODELS))}
    if draw(st.booleans()):
        body["instructions"] = draw(texts)
    if draw(st.integers(0, 4)) == 0:
        body["input"] = draw(texts)
    else:
        items: list[JSON] = []
        for turn in range(draw(st.integers(1, 3))):
            items.append({"role": draw(st.sampled_from(("user", "user", "system", "developer"))),
                          "content": draw(_responses_content())})
            if draw(st.booleans()):
                call_id = f"call_{turn}"
                items.append({"type": "function_call", "call_id": call_id,
                              "name": draw(names), "arguments": draw(arguments)})
                items.append({"type": "function_call_output", "call_id": call_id,
                              "output": draw(texts)})
            if draw(st.booleans()):
                items.append({"role": "assistant", "content": [
                    {"type": "output_text", "text": draw(texts)}]})
        body["input"] = items
    tools = [{"type": "function", **tool["function"]} for tool in draw(chat_tools())]
    if tools:
        body["tools"] = tools
    if draw(st.booleans()):
        body["text"] = {"format": {"type": "json_schema", "name": draw(names),
                                   "schema": draw(parameters())}}
    if draw(st.booleans()):
        body["reasoning"] = {"effort": draw(st.sampled_from(("low", "medium", "high")))}
    if draw(st.booleans()):
        body["prompt_cache_key"] = draw(names)
    return body


# --------------------------------------------------------------------------------------------
# Envelopes and logs
# --------------------------------------------------------------------------------------------

requests = st.one_of(chat_requests(), responses_requests())


REQUEST_ENVELOPES = ("bare", "pair", "pair")
"""The records of the ``request`` format: a log mixes them."""
BATCH_ENVELOPES = ("batch",)
"""OpenAI Batch input lines: the ``openai_batch`` format's, a file of their own."""


@st.composite
def records(draw: st.DrawFn, bodies: st.SearchStrategy[JSON] = requests,
            envelopes: tuple[str, ...] = REQUEST_ENVELOPES) -> JSON:
    """A request body in one of the ``envelopes`` promptcache reads."""
    body = draw(bodies)
    responses_api = "messages" not in body
    envelope = draw(st.sampled_from(envelopes))
    if envelope == "bare":
        return body
    if envelope == "batch":
        url = "/v1/responses" if responses_api else "/v1/chat/completions"
        return {"custom_id": draw(names), "method": "POST", "url": url, "body": body}
    record: JSON = {"request": body}
    if draw(st.booleans()):
        record["timestamp"] = draw(st.one_of(
            st.integers(1_700_000_000, 1_800_000_000),
            st.integers(1_700_000_000_000, 1_800_000_000_000),
            st.builds(lambda m, s: f"2025-03-01T10:{m:02d}:{s:02d}Z", st.integers(0, 59),
                      st.integers(0, 59))))
    if draw(st.booleans()):
        record["meta"] = {"session": draw(names)}
    if draw(st.booleans()):
        prompt = draw(st.integers(0, 5000))
        total, details_key = (("input_tokens", "input_tokens_details") if responses_api
                              else ("prompt_tokens", "prompt_tokens_details"))
        record["response"] = {"usage": {total: prompt, details_key: {
            "cached_tokens": draw(st.integers(0, prompt))}}}
    return record


# --------------------------------------------------------------------------------------------
# Corruptions
# --------------------------------------------------------------------------------------------

_other_values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                          texts, st.lists(st.integers(), max_size=2),
                          st.dictionaries(names, st.integers(), max_size=2))


def value_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a JSON value (keys and indexes), the value's own () first."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += value_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += value_paths(item, (*prefix, index))
    return found


def _copy(value: Any) -> Any:
    return json.loads(json.dumps(value))


depths = st.one_of(st.integers(1, 3000),
                   st.sampled_from((200, 500, 900, 990, 1000, 1020, 1023, 1024, 1025, 2000)))
"""Nesting depths, around the limits of the JSON parsers and of Python's recursion."""


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _nested(inner: bytes, depth: int) -> bytes:
    opens = [b'{"x": ' if level % 2 == 0 else b"[" for level in range(depth)]
    closes = [b"}" if level % 2 == 0 else b"]" for level in reversed(range(depth))]
    return b"".join(opens) + inner + b"".join(closes)


_NEST_MARK = "\ue000nest-here\ue000"


@st.composite
def corrupted_values(draw: st.DrawFn, value: JSON) -> bytes:
    """``value`` as a JSONL line with one field dropped, given a value of another type, or
    nested deeply (written by hand: the json module will not write thousands of levels)."""
    path = draw(st.sampled_from(value_paths(value)))
    how = draw(st.sampled_from(("drop", "retype", "nest")))
    if not path:
        if how == "nest":
            return _nested(_dumps(value), draw(depths))
        return _dumps(draw(_other_values))
    copy = _copy(value)
    parent = copy
    for part in path[:-1]:
        parent = parent[part]
    if how == "drop":
        del parent[path[-1]]
    elif how == "retype":
        parent[path[-1]] = draw(_other_values)
    else:
        inner = _dumps(parent[path[-1]])
        parent[path[-1]] = _NEST_MARK
        return _dumps(copy).replace(_dumps(_NEST_MARK), _nested(inner, draw(depths)), 1)
    return _dumps(copy)


@st.composite
def corrupted_lines(draw: st.DrawFn, value: JSON) -> bytes:
    """One JSONL line for ``value``, broken in one of the ways logs break."""
    how = draw(st.sampled_from(("value", "truncate", "flip", "invalid-utf8", "duplicate-key")))
    if how == "value":
        return draw(corrupted_values(value))
    line = _dumps(value)
    if how == "truncate":
        return line[:draw(st.integers(0, max(0, len(line) - 1)))]
    at = draw(st.integers(0, len(line)))
    if how == "flip":
        at = min(at, len(line) - 1)
        flipped = line[at] ^ draw(st.integers(1, 255))
        return line[:at] + bytes([flipped]) + line[at + 1:]
    if how == "invalid-utf8":
        bad = draw(st.sampled_from((b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80",
                                    b"\x80")))
        return line[:at] + bad + line[at:]
    # A duplicate key: the same field again at the start of the object, another value.
    key = draw(st.sampled_from(sorted(value) or ["model"]))
    duplicate = _dumps(key) + b": " + _dumps(draw(_other_values))
    return b"{" + duplicate + (b", " if len(line) > 2 else b"") + line[1:]


@st.composite
def logs(draw: st.DrawFn, max_records: int = 6) -> tuple[bytes, dict[int, JSON]]:
    """A JSONL log, and the valid records in it by line number (a corrupted line may have
    become several lines, or none: a byte flipped into a newline, a line cut to nothing).

    The first line decides between JSONL and one JSON document (an array, or an object
    spread over lines): a broken first line is read as JSONL only when the next record is
    whole (see promptcache.load.sources). So the first line is only ever cut short, never
    to a lone ``{``, and only in front of a valid record."""
    # One format a file: request bodies and pairs, or Batch input lines.
    envelopes = draw(st.sampled_from((REQUEST_ENVELOPES, REQUEST_ENVELOPES, BATCH_ENVELOPES)))
    values = draw(st.lists(records(envelopes=envelopes), min_size=1, max_size=max_records))
    broken = [False] + [draw(st.integers(0, 2)) == 0 for _ in values[1:]]
    cut_first = len(values) > 1 and not broken[1] and draw(st.integers(0, 5)) == 0
    data = bytearray()
    valid: dict[int, JSON] = {}
    line = 1
    for index, value in enumerate(values):
        if index and draw(st.integers(0, 5)) == 0:
            data += b"\n"  # a blank line between records is skipped, not an error
            line += 1
        if not index and cut_first:
            whole = _dumps(value)
            text = whole[:draw(st.integers(2, len(whole) - 1))]
        elif broken[index]:
            text = draw(corrupted_lines(value))
        else:
            text = _dumps(value)
            valid[line] = value
        data += text + b"\n"
        line += text.count(b"\n") + 1
    return bytes(data), valid
