"""Which API a request body is told to be written for, from its fields alone."""

from __future__ import annotations

from typing import Any

import pytest

from promptcache.load.apis import api_of
from promptcache.load.formats.base import CHAT, MESSAGES, RESPONSES

_MARKED = {"type": "text", "text": "Policies...", "cache_control": {"type": "ephemeral"}}
_HISTORY: list[Any] = [{"role": "user", "content": "hi"},
                       {"role": "assistant", "content": "Hello."}]


@pytest.mark.parametrize(("body", "expected"), [
    pytest.param({"model": "gpt-4.1", "messages": _HISTORY}, CHAT, id="string contents"),
    pytest.param({"model": "gpt-4.1", "messages": [
        *_HISTORY, {"role": "user", "content": [{"type": "text", "text": "x"}]}]}, CHAT,
        id="parts without breakpoints"),
    pytest.param({"model": "m", "messages": [*_HISTORY, {"role": "user", "content": [_MARKED]}]},
                 MESSAGES, id="a breakpoint in the last message"),
    pytest.param({"model": "m", "messages": ["odd", {"role": "user", "content": [_MARKED]}]},
                 MESSAGES, id="a breakpoint after a message that is no object"),
    pytest.param({"model": "m", "messages": ["odd", 3]}, CHAT, id="no object at all"),
    pytest.param({"model": "claude-sonnet-4-5", "messages": _HISTORY}, MESSAGES, id="claude"),
    pytest.param({"system": "s", "messages": _HISTORY}, MESSAGES, id="top-level system"),
    pytest.param({"model": "m", "messages": "text"}, CHAT, id="messages not a list"),
    pytest.param({"model": "gpt-4.1", "input": "hi"}, RESPONSES, id="responses"),
    pytest.param({"model": "gpt-4.1"}, None, id="neither"),
])
def test_api_of(body: dict[str, Any], expected: str | None) -> None:
    assert api_of(body) == expected
