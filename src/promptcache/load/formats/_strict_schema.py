"""The structured-output format the OpenAI SDK sends for a class, rebuilt from the class's
JSON schema that tracing tools log instead.

``chat.completions.parse(response_format=SomeModel)`` and ``responses.parse(text_format=
SomeModel)`` send a *strict* schema the SDK derives from ``SomeModel.model_json_schema()``
(openai-python ``lib/_pydantic.py``, ``to_strict_json_schema``; ``lib/_parsing/
_completions.py``, ``type_to_response_format_param``; ``lib/_parsing/_responses.py``,
``type_to_text_format_param``, openai 3.60.0). Langfuse and LangSmith log the class's plain
JSON schema: the same derivation gives back what was sent. The format is named after the
class, which is the schema's ``title`` unless the class set another one.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any


def class_response_format(schema: Any) -> dict[str, Any] | None:
    """Chat Completions' ``response_format`` for a class whose JSON schema is ``schema``;
    ``None`` when ``schema`` is not a class's JSON schema."""
    strict = _strict_class_schema(schema)
    if strict is None:
        return None
    return {"type": "json_schema",
            "json_schema": {"schema": strict, "name": schema["title"], "strict": True}}


def class_text_format(schema: Any) -> dict[str, Any] | None:
    """The Responses API's ``text.format`` for a class whose JSON schema is ``schema``;
    ``None`` when ``schema`` is not a class's JSON schema."""
    strict = _strict_class_schema(schema)
    if strict is None:
        return None
    return {"type": "json_schema", "strict": True, "name": schema["title"], "schema": strict}


def put_back_class_formats(body: dict[str, Any], *, response_format: Any = None,
                           text_format: Any = None) -> bool:
    """Put into ``body`` the formats sent for the classes whose JSON schemas are logged as
    ``response_format`` (Chat Completions) and ``text_format`` (Responses; ``None``: not
    logged); whether all could be derived (when not, the call lacks what was sent)."""
    derived = True
    if response_format is not None:
        sent = class_response_format(response_format)
        derived = sent is not None
        if sent is not None:
            body.setdefault("response_format", sent)
    if text_format is not None:
        sent = class_text_format(text_format)
        derived = derived and sent is not None
        if sent is not None:
            text = body.get("text")
            body["text"] = {**(text if isinstance(text, Mapping) else {}), "format": sent}
    return derived


def _strict_class_schema(schema: Any) -> dict[str, Any] | None:
    if not (isinstance(schema, Mapping) and isinstance(schema.get("title"), str)
            and schema.get("type") == "object"):
        return None
    root = copy.deepcopy(dict(schema))
    try:
        return _strict(root, root)
    except (KeyError, TypeError, ValueError):
        return None  # a $ref the schema cannot resolve: not what pydantic writes


def _strict(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """``_ensure_strict_json_schema``, step by step: every object closed and all its
    properties required, a lone ``allOf`` inlined, a ``default: None`` dropped, a ``$ref``
    with siblings resolved in place."""
    for defs in ("$defs", "definitions"):
        if isinstance(node.get(defs), dict):
            for name, inner in node[defs].items():
                node[defs][name] = _strict(_dict(inner), root)
    if node.get("type") == "object" and "additionalProperties" not in node:
        node["additionalProperties"] = False
    properties = node.get("properties")
    if isinstance(properties, dict):
        node["required"] = list(properties)
        node["properties"] = {key: _strict(_dict(inner), root)
                              for key, inner in properties.items()}
    if isinstance(node.get("items"), dict):
        node["items"] = _strict(node["items"], root)
    if isinstance(node.get("anyOf"), list):
        node["anyOf"] = [_strict(_dict(variant), root) for variant in node["anyOf"]]
    all_of = node.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1:
        node.update(_strict(_dict(all_of[0]), root))
        node.pop("allOf")
    elif isinstance(all_of, list):
        node["allOf"] = [_strict(_dict(entry), root) for entry in all_of]
    if "default" in node and node["default"] is None:
        node.pop("default")
    ref = node.get("$ref")
    if isinstance(ref, str) and len(node) > 1:
        node.update({**_resolved(root, ref), **node})
        node.pop("$ref")
        return _strict(node, root)
    return node


def _resolved(root: dict[str, Any], ref: str) -> dict[str, Any]:
    if not ref.startswith("#/"):
        raise ValueError(ref)
    found: Any = root
    for key in ref[2:].split("/"):
        found = _dict(found)[key]
    return copy.deepcopy(_dict(found))


def _dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(value)
    return value
