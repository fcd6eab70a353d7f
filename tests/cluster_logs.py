"""A generated log of several applications whose sessions are spread over many files: what
the partitioned and the Dask audits are tested on (written here, not taken from anywhere)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

START = 1_764_000_000.0
"""2025-11-24, the logs' first request."""

# (model, what its system prompt says, how the app breaks its cache)
_APPS = (
    ("gpt-4o", "a travel agent", "timestamp"),
    ("gpt-4o-mini", "a support desk", "tools"),
    ("gpt-4.1", "a code reviewer", ""),
    ("gpt-4.1-mini", "a tutor", ""),
    ("claude-sonnet-4-5", "a researcher", ""),
)
_TOOLS = [{"type": "function", "function": {
    "name": name, "description": f"Look up {name} for the user.",
    "parameters": {"type": "object", "properties": {"query": {"type": "string"}},
                   "required": ["query"]}}} for name in ("flights", "hotels", "weather")]


def _record(app: int, session: int, turn: int) -> dict[str, Any]:
    model, role, breaks = _APPS[app]
    now = START + turn * 40.0 + session * 7.0 + app * 3.0
    system = f"You are {role}. " + f"Rule {app}: answer with care and cite sources. " * 140
    if breaks == "timestamp":
        system = f"Now: {now:.0f}. " + system
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}]
    for earlier in range(turn + 1):
        messages.append({"role": "user", "content": f"Question {earlier} of session {session}"})
        if earlier < turn:
            messages.append({"role": "assistant", "content": f"Answer {earlier}"})
    body: dict[str, Any] = {"model": model, "messages": messages}
    if app == 1:
        tools = list(_TOOLS)
        if breaks == "tools" and turn % 2:
            tools.reverse()
        body["tools"] = tools
    if app == 3 and session == 0:
        body["prompt_cache_key"] = "tutor-shared"  # one key across two models' requests
    if app == 2 and session == 0 and turn == 3:
        body = {**body, "model": "gpt-4.1-mini", "prompt_cache_key": "tutor-shared"}
    if model.startswith("claude"):
        body = {"model": model, "max_tokens": 256, "system": system,
                "messages": [message for message in messages if message["role"] != "system"]}
    return {"timestamp": now, "request": body}


def write_cluster_logs(folder: Path, files: int = 6, sessions: int = 3,
                       turns: int = 6) -> list[Path]:
    """The log dealt round-robin over ``files`` files, so every session spans several; one
    file also holds a line that is not JSON (an error the report must place)."""
    records = sorted((_record(app, session, turn) for app in range(len(_APPS))
                      for session in range(sessions) for turn in range(turns)),
                     key=lambda record: record["timestamp"])
    lines: list[list[str]] = [[] for _ in range(files)]
    for index, record in enumerate(records):
        lines[index % files].append(json.dumps(record))
    lines[min(2, files - 1)].insert(3, "{not json")
    paths = []
    for index, chunk in enumerate(lines):
        path = folder / f"requests-{index:02}.jsonl"
        path.write_text("\n".join(chunk) + "\n")
        paths.append(path)
    return paths
