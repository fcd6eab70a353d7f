"""Writes tests/input_formats/cases/langsmith/generated/: LangSmith runs of varied calls.

Made with langsmith 0.15.1, openai 3.60.0, anthropic 2.17.0 (the versions of the shared
samples), installed in a scratch venv, never in the project's:

    python3 -m venv /tmp/ls-libs
    /tmp/ls-libs/bin/pip install langsmith==0.15.1 openai==3.60.0 anthropic==2.17.0
    cd <repo> && /tmp/ls-libs/bin/python -m tests.input_formats.generate.langsmith

(Run as a module from the repository's top: run as a script, this file's folder would come
first on ``sys.path`` and this file would shadow the ``langsmith`` library.)

A loopback mock (:mod:`._mock_provider`) answers the OpenAI and Anthropic calls and takes
the LangSmith client's uploads: ``wrap_openai`` / ``wrap_anthropic`` clients, under one
``@traceable`` parent per scenario, make the calls of :mod:`._scenarios` (Chat Completions
with tools, structured output, images, streaming, a 429; the Responses API; Anthropic
Messages with cache_control, tool_use/tool_result, an image, streaming, a 429). Writes
``runs.jsonl`` (the ``/runs/multipart`` operations decoded, one ``{"op", "run"}`` a line,
each part merged back into its run, as the shared sample) and ``runs.truth.jsonl`` (the
bodies the mock received, in order; refused ones carry ``"status": 429``).
"""

from __future__ import annotations

import json
import os
import sys
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

# Appended, not first: this file is named like the library it drives.
sys.path.append(str(Path(__file__).parent))  # the helpers beside this file

import anthropic
import openai
from _mock_provider import serve, write_case
from _scenarios import anthropic_messages, openai_chat, openai_responses
from langsmith import Client, traceable, tracing_context
from langsmith.wrappers import wrap_anthropic, wrap_openai

OUT = Path(__file__).parents[1] / "cases" / "langsmith" / "generated"


def _operations(raw: bytes, content_type: str) -> list[dict[str, Any]]:
    """A ``/runs/multipart`` body as ``{"op", "run"}`` operations: the part ``post.<id>``
    holds the run, ``post.<id>.inputs`` (``outputs``, ``extra``...) one of its fields."""
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
    runs: dict[tuple[str, str], dict[str, Any]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        op, run_id, *field = str(name).split(".")
        value = json.loads(part.get_payload(decode=True))
        run = runs.setdefault((op, run_id), {})
        if field:
            run[field[0]] = value
        else:
            run.update(value)
    return [{"op": op, "run": run} for (op, _), run in runs.items() if op in ("post", "patch")]


def main() -> None:
    server, recorded, base = serve()
    # The wrappers trace to the default client, made from these on first use: the mock.
    os.environ.update(LANGSMITH_ENDPOINT=base, LANGSMITH_API_KEY="ls-fake-000",
                      LANGSMITH_TRACING="true")
    tracer = Client(api_url=base, api_key="ls-fake-000", auto_batch_tracing=True)
    oai = wrap_openai(openai.OpenAI(base_url=f"{base}/v1", api_key="sk-test-000",
                                    max_retries=0))
    claude = wrap_anthropic(anthropic.Anthropic(base_url=base, api_key="sk-ant-test-000",
                                                max_retries=0))
    for name, scenario, client in (("chat", openai_chat, oai),
                                   ("responses", openai_responses, oai),
                                   ("anthropic", anthropic_messages, claude)):
        with tracing_context(client=tracer, enabled=True):
            traceable(name=f"bookshop-{name}",
                      metadata={"session_id": f"session-{name}"})(scenario)(client)
    tracer.flush()
    server.shutdown()
    operations = [op for path, headers, raw in recorded.tracing if path.endswith("/multipart")
                  for op in _operations(raw, headers.get("Content-Type", ""))]
    write_case(OUT, "runs", operations, recorded)


if __name__ == "__main__":
    main()
