"""Writes tests/input_formats/cases/langfuse/generated/: Langfuse spans of varied calls.

Made with langfuse 5.2.0, openai 3.60.0, opentelemetry-sdk 1.45.2 (the versions of the
shared samples), installed in a scratch venv, never in the project's:

    python3 -m venv /tmp/lf-libs
    /tmp/lf-libs/bin/pip install langfuse==5.2.0 openai==3.60.0 opentelemetry-sdk==1.45.2
    cd <repo> && /tmp/lf-libs/bin/python -m tests.input_formats.generate.langfuse

(Run as a module from the repository's top: run as a script, this file's folder would come
first on ``sys.path`` and this file would shadow the ``langfuse`` library.)

A loopback mock (:mod:`._mock_provider`) answers the OpenAI calls (and the Langfuse media
uploads, which it refuses: the media reference is written anyway). Langfuse's drop-in
``langfuse.openai.OpenAI``, inside one root observation and ``propagate_attributes(session_id=
...)`` per scenario, makes the calls of :mod:`._scenarios` (Chat Completions with tools,
structured output, images, streaming, a 429; the Responses API). Spans are captured by an
in-memory exporter given as ``Langfuse(span_exporter=...)`` and written as OTLP/JSON, one
``ExportTraceServiceRequest`` per scenario a line, with the encoding the collector's file
exporter uses (hex ids, int64 as strings), like the shared sample: ``langfuse_spans.otlp.jsonl``.
``langfuse_spans.truth.jsonl``: the bodies the mock received, in order; refused ones carry
``"status": 429``.
"""

from __future__ import annotations

import base64
import os
import sys
from pathlib import Path
from typing import Any

# Appended, not first: this file is named like the library it drives.
sys.path.append(str(Path(__file__).parent))  # the helpers beside this file

from _mock_provider import serve, write_case
from _scenarios import openai_chat, openai_responses
from google.protobuf.json_format import MessageToDict
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)

OUT = Path(__file__).parents[1] / "cases" / "langfuse" / "generated"
_IDS = ("traceId", "spanId", "parentSpanId")


def _hex_ids(value: Any) -> Any:
    """MessageToDict writes ids as base64; OTLP/JSON writes them as lowercase hex."""
    if isinstance(value, dict):
        return {key: (base64.b64decode(item).hex() if key in _IDS and item else _hex_ids(item))
                for key, item in value.items()}
    if isinstance(value, list):
        return [_hex_ids(item) for item in value]
    return value


def main() -> None:
    server, recorded, base = serve()
    os.environ.update(LANGFUSE_PUBLIC_KEY="pk-lf-test-000", LANGFUSE_SECRET_KEY="sk-lf-test-000",
                      LANGFUSE_BASE_URL=base, LANGFUSE_HOST=base)
    from langfuse import Langfuse, propagate_attributes
    from langfuse.openai import OpenAI

    exporter = InMemorySpanExporter()
    langfuse = Langfuse(span_exporter=exporter)
    client = OpenAI(base_url=f"{base}/v1", api_key="sk-test-000", max_retries=0)
    exports = []
    for name, scenario in (("chat", openai_chat), ("responses", openai_responses)):
        with langfuse.start_as_current_observation(name=f"bookshop-{name}", as_type="span"), \
                propagate_attributes(session_id=f"session-{name}", user_id="reader-17",
                                     tags=["generated"]):
            scenario(client)
        langfuse.flush()
        spans = exporter.get_finished_spans()
        exporter.clear()
        exports.append(_hex_ids(MessageToDict(encode_spans(spans),
                                              use_integers_for_enums=True)))
    langfuse.shutdown()
    server.shutdown()
    write_case(OUT, "langfuse_spans.otlp", exports, recorded)


if __name__ == "__main__":
    main()
