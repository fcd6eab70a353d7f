"""LiteLLM message objects that a logger wrote as Python text.

A caller who appends LiteLLM's own response message to the conversation
(``messages.append(response.choices[0].message)``, the usual loop) hands LiteLLM a
``Message`` object, not a dict, and the standard logging payload keeps it so. The logger
LiteLLM's docs show, ``json.dumps(payload, default=str)``, then writes its ``repr``:

    "Message(content=None, role='assistant', tool_calls=[ChatCompletionMessageToolCall(
    function=Function(arguments='{\\"city\\": \\"Lyon\\"}', name='get_forecast'),
    id='call_1', type='function')], function_call=None, provider_specific_fields=None)"

That text is a Python call expression whose arguments are literals and further calls: it is
parsed (never evaluated) back into the dict the object dumps to, its None fields left out as
``model_dump(exclude_none=True)`` leaves them and as the body LiteLLM sent has them.
"""

from __future__ import annotations

import ast
import re
from typing import Any

_OBJECT_REPR = re.compile(r"^[A-Z][A-Za-z]*\(")


class _NotALiteral(Exception):
    pass


def message_from_repr(text: str) -> dict[str, Any] | None:
    """The message a ``Message(...)`` repr stands for, or None if ``text`` is not one."""
    if not text.startswith("Message(") or not _OBJECT_REPR.match(text):
        return None
    try:
        value = _value(ast.parse(text, mode="eval").body)
    except (SyntaxError, ValueError, RecursionError, _NotALiteral):
        return None
    return value if isinstance(value, dict) and isinstance(value.get("role"), str) else None


def _value(node: ast.expr) -> Any:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.args:
        fields = {keyword.arg: _value(keyword.value) for keyword in node.keywords
                  if keyword.arg is not None}
        return {key: value for key, value in fields.items() if value is not None}
    if isinstance(node, ast.List | ast.Tuple):
        return [_value(item) for item in node.elts]
    if isinstance(node, ast.Dict):
        return {_value(key) if key is not None else None: _value(value)
                for key, value in zip(node.keys, node.values, strict=True)}
    if isinstance(node, ast.Constant | ast.UnaryOp):
        return ast.literal_eval(node)
    raise _NotALiteral
