"""The least exact counting can cost on a log: parse every line, and tokenize each distinct
message text once (what a perfect memo would leave), against parsing alone.

    python bench/lower_bound.py LOG

Prints the seconds of each step and their ratio to the parse floor. No rendering, no rules,
no cache model, no report: a bound under any exact auditor, which tells how much of the
floor-relative budget of ``throughput.py`` is left for everything else.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import orjson

from promptcache.tokens.encodings import load_encoding

_BUFFER = 1 << 20


def _texts(record: Any) -> list[str]:
    """The message texts and tool-call arguments of one record (either shape of log line)."""
    body = record.get("request", record.get("body", record)) if isinstance(record, dict) else {}
    found: list[str] = []
    for message in body.get("messages") or () if isinstance(body, dict) else ():
        if not isinstance(message, dict):
            continue
        content = message.get("content")
        if isinstance(content, str):
            found.append(content)
        elif isinstance(content, list):
            found.extend(part["text"] for part in content
                         if isinstance(part, dict) and isinstance(part.get("text"), str))
        for call in message.get("tool_calls") or ():
            function = call.get("function") if isinstance(call, dict) else None
            arguments = function.get("arguments") if isinstance(function, dict) else None
            if isinstance(arguments, str):
                found.append(arguments)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("log", type=Path)
    options = parser.parse_args()
    encoding = load_encoding("o200k_base")  # built before the clock starts
    start = time.perf_counter()
    with options.log.open("rb", buffering=_BUFFER) as lines:
        for line in lines:
            orjson.loads(line)
    parse = time.perf_counter() - start
    start = time.perf_counter()
    seen: set[str] = set()
    distinct: list[str] = []
    with options.log.open("rb", buffering=_BUFFER) as lines:
        for line in lines:
            for text in _texts(orjson.loads(line)):
                if text not in seen:
                    seen.add(text)
                    distinct.append(text)
    gather = time.perf_counter() - start
    start = time.perf_counter()
    tokens = sum(len(encoding.encode_ordinary(text)) for text in distinct)
    tokenize = time.perf_counter() - start
    chars = sum(len(text) for text in distinct)
    print(f"{options.log.name}: {len(distinct):,} distinct texts, {chars / 1e6:.1f}M "
          f"characters, {tokens / 1e6:.2f}M tokens\n")
    print("| step | s | x parse |")
    print("| --- | ---: | ---: |")
    for step, seconds in (("read and parse every line (the floor)", parse),
                          ("parse again, gathering each distinct text once", gather),
                          ("tokenize the distinct texts", tokenize),
                          ("exact counting at best (the last two)", gather + tokenize)):
        print(f"| {step} | {seconds:.2f} | {seconds / parse:.1f} |")


if __name__ == "__main__":
    main()
