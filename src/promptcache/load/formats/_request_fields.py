"""Request fields that tracing tools log in a form the provider never received."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CLASS_RESPONSE_FORMAT = "response_format logged as a Python class's schema, not as sent"
"""What a call lacks when its structured-output class was logged instead of the schema the
OpenAI SDK derives from it (``parse(response_format=SomeModel)``) and sends."""


def is_wire_response_format(value: Any) -> bool:
    """Whether ``value`` is a ``response_format`` as Chat Completions receives it."""
    return isinstance(value, Mapping) and value.get("type") in ("text", "json_object",
                                                                "json_schema")
