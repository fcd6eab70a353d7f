"""Hostile input: whatever a misbehaving system wrote, ``promptcache audit`` survives it and
accounts for every record.

Every input is generated here. For each, the real command line runs (in-process through
``main`` for the bulk; in a subprocess where a traceback, a closed pipe or the files on disk
are the point) and the test checks what a user sees: no traceback, one line per bad record
naming file:line and what is wrong, the documented exit status, the records after a bad one
still audited, and, in every report format, records read = requests audited + invalid
records.
"""

from __future__ import annotations

import base64
import copy
import gzip
import hashlib
import json
import os
import re
import shlex
import struct
import subprocess
import sys
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from promptcache.cli.main import main
from promptcache.load.limits import MAX_LINE_BYTES, MAX_TEXT_BYTES
from promptcache.report.output_format import OutputFormat
from promptcache.report.phrases import MAX_MESSAGE_CHARS

FORMATS = tuple(choice.value for choice in OutputFormat if choice is not OutputFormat.AUTO)
# GitLab Code Quality is a bare array of issues: it has no place for the run's totals.
FORMATS_WITH_TOTALS = tuple(choice for choice in FORMATS if choice != "gitlab")
BOM = b"\xef\xbb\xbf"
WRONG_VALUES: tuple[Any, ...] = (None, 1, 1.5, True, "x", [], {})
"""What a field is replaced with in the wrong-type matrices."""
COMMAND = (sys.executable, "-m", "promptcache.cli")


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


def _good(n: int = 0) -> dict[str, Any]:
    return {"request": {"model": "gpt-4o", "messages": [
        {"role": "system", "content": "You answer questions about lost luggage."},
        {"role": "user", "content": f"Where is bag number {n}?"}]},
        "timestamp": f"2025-03-01T10:{n // 60 % 60:02d}:{n % 60:02d}Z"}


def _line(record: Any) -> bytes:
    return json.dumps(record).encode()


def _good_line(n: int = 0) -> bytes:
    return _line(_good(n))


def _with(n: int, tail: bytes) -> bytes:
    """A good record's line with raw JSON text added before its closing brace."""
    return _good_line(n)[:-1] + tail + b"}"


def _jsonl(*lines: bytes, end: bytes = b"\n") -> bytes:
    return b"".join(line + end for line in lines)


def _nest(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def _deep_request(where: str) -> bytes:
    deep = _nest(1000)
    body = {"tool-parameters": '"tools":[{"type":"function","function":{"name":"f",'
                               f'"parameters":{deep}}}}}]',
            "response-format": '"response_format":{"type":"json_schema","json_schema":'
                               f'{{"name":"n","schema":{deep}}}}}',
            "tool-choice": f'"tool_choice":{deep}'}[where]
    return (f'{{"request":{{"model":"gpt-4o","messages":[{{"role":"user","content":"x"}}],'
            f'{body}}}}}').encode()


def _png(width: int, height: int, padding: int) -> bytes:
    header = struct.pack(">II", width, height) + b"\x08\x06\x00\x00\x00"
    chunk = b"IHDR" + header
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(header)) + chunk
            + struct.pack(">I", zlib.crc32(chunk)) + b"\x00" * padding)


def _image_record(png: bytes) -> dict[str, Any]:
    url = "data:image/png;base64," + base64.b64encode(png).decode()
    return {"request": {"model": "gpt-4o", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "What is in this picture?"},
        {"type": "image_url", "image_url": {"url": url, "detail": "high"}}]}]}}


# --------------------------------------------------------------------------------------------
# The corpus: each input with what a correct run makes of it
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hostile:
    """A hostile input file and its expected fate."""

    id: str
    file: str
    data: bytes
    audited: tuple[int, ...] = ()
    """Lines that become audited requests."""
    invalid: tuple[tuple[int, str], ...] = ()
    """(line, part of the message) for each invalid record."""
    file_error: str | None = None
    """Part of the message of an error about the file as a whole (line 0)."""

    @property
    def records(self) -> int:
        return len(self.audited) + len(self.invalid)


def _gzip_cases() -> list[Hostile]:
    lines = [_good_line(n) for n in range(120)]
    payload = gzip.compress(_jsonl(*lines), mtime=0)
    cut = payload[: len(payload) * 6 // 10]
    # The records that survive a cut are the whole lines in what still decompresses.
    survivors = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(cut).count(b"\n")
    bad_crc = bytearray(payload)
    bad_crc[-8] ^= 0xFF
    mixed = gzip.compress(_jsonl(_good_line(1), b'{"messages": 1}', _good_line(3)), mtime=0)
    return [
        Hostile("gzip-truncated", "cut.jsonl.gz", cut, tuple(range(1, survivors + 1)),
                file_error=f"truncated gzip data: the file ends inside the compressed stream, "
                           f"after line {survivors}"),
        Hostile("gzip-bad-crc", "crc.jsonl.gz", bytes(bad_crc), tuple(range(1, 121)),
                file_error="corrupt gzip data after line 120: CRC check failed"),
        Hostile("gzip-garbage-after-magic", "garbage.jsonl.gz", b"\x1f\x8b" + b"\x00garbage" * 9,
                file_error="corrupt gzip data: "),
        Hostile("gzip-trailing-garbage", "trailing.jsonl.gz", payload + b"garbage!",
                tuple(range(1, 121)), file_error="corrupt gzip data after line 120: "),
        Hostile("gzip-bad-record", "mixed.jsonl.gz", mixed, (1, 3),
                ((2, "$.messages: expected array, found number"),)),
    ]


def _json_document_cases() -> list[Hostile]:
    g1, g2, g3 = _good_line(1), _good_line(2), _good_line(3)
    pretty = json.dumps(_good(1), indent=2).encode()
    pretty_lines = pretty.count(b"\n") + 1
    return [
        Hostile("json-array-with-an-invalid-record", "invalid.json",
                b"[\n" + g1 + b",\n" + b'{"messages": 1},\n' + g3 + b"\n]\n", (2, 4),
                ((3, "$.messages: expected array, found number"),)),
        Hostile("json-array-with-a-syntax-error", "syntax.json",
                b"[\n" + g1 + b',\n{"messages": },\n' + g3 + b"\n]\n", (2, 4),
                ((3, "invalid JSON: Expecting value at line 3 column 14"),)),
        Hostile("json-array-with-nan", "nan.json",
                b"[\n" + g1 + b",\n" + _with(2, b', "x": NaN') + b",\n" + g3 + b"]", (2, 4),
                ((3, "invalid JSON: NaN at line 3 column"),)),
        Hostile("json-array-with-invalid-utf8", "utf8.json",
                b"[\n" + g1 + b",\n" + _with(2, b', "x": "caf\xe9"') + b",\n" + g3 + b"]",
                (2, 4), ((3, "invalid UTF-8: byte 0xE9 at line 3 column"),)),
        Hostile("json-array-nested-100000-deep", "deep.json",
                b"[\n" + g1 + b",\n" + _nest(100_000).encode() + b",\n" + g3 + b"]", (2, 4),
                ((3, "invalid JSON: nested too deeply"),)),
        Hostile("json-array-truncated", "truncated.json",
                b"[\n" + g1 + b",\n" + g2[: len(g2) // 2], (2,),
                ((3, "; the rest of the document cannot be read"),)),
        Hostile("json-array-missing-comma", "comma.json", b"[\n" + g1 + b"\n" + g2 + b"\n]\n",
                (2,), file_error="invalid JSON: expected ',' or ']' at line 3 column 1"),
        Hostile("json-array-trailing-comma", "trailing.json",
                b"[\n" + g1 + b",\n" + g2 + b",\n]\n", (2, 3),
                file_error="invalid JSON: trailing comma before ']' at line 4 column 1"),
        Hostile("json-pretty-objects-one-after-another", "jq.json", pretty + b"\n" + pretty,
                (1, pretty_lines + 1)),
        Hostile("json-pretty-object-then-garbage", "extra.json", pretty + b"\n}garbage{\n",
                (1,), ((pretty_lines + 1, "invalid JSON"),)),
    ]


def _line_cases() -> list[Hostile]:
    g1, g2, g3 = _good_line(1), _good_line(2), _good_line(3)
    accented = _line(_good(2)).replace(b"number", b"num\xe9ro")
    unknown = _line({"request": {"model": "gpt-99-ultra", "messages": [
        {"role": "wizard", "content": [{"type": "hologram", "hologram": {"x": 1}},
                                       {"type": "text", "text": "Where is my bag?"}]},
        {"role": "user", "content": "Still waiting."}]}})
    return [
        Hostile("empty-file", "empty.jsonl", b""),
        Hostile("only-blank-lines", "blank.jsonl", b"\n\n   \n\t\r\n\n"),
        Hostile("blank-lines-between-records", "gaps.jsonl",
                g1 + b"\n\n \n" + g2 + b"\n\t\n\r\n" + g3 + b"\n", (1, 4, 7)),
        Hostile("utf8-bom", "bom.jsonl", BOM + _jsonl(g1, g2), (1, 2)),
        Hostile("utf8-bom-mid-file", "cat.jsonl", _jsonl(g1, BOM + g2), (1, 2)),
        Hostile("crlf-line-ends", "crlf.jsonl", _jsonl(g1, g2, end=b"\r\n"), (1, 2)),
        Hostile("no-final-newline", "unterminated.jsonl", g1 + b"\n" + g2, (1, 2)),
        Hostile("bare-cr-line-ends", "mac.jsonl", _jsonl(g1, g2, end=b"\r"), (),
                ((1, "bare carriage return"),)),
        Hostile("invalid-utf8-in-a-string", "latin1.jsonl", _jsonl(g1, accented, g3), (1, 3),
                ((2, "invalid UTF-8: byte 0xE9 at column "),)),
        Hostile("invalid-utf8-outside-strings", "noise.jsonl", _jsonl(g1, b"\xff" + g2, g3),
                (1, 3), ((2, "invalid UTF-8: byte 0xFF at column 1"),)),
        Hostile("utf16-file", "utf16.jsonl", _jsonl(g1, g2).decode().encode("utf-16"),
                file_error="UTF-16 text; promptcache reads UTF-8"),
        Hostile("lone-surrogate-escape", "surrogate.jsonl",
                _jsonl(g1, _with(2, b', "x": "\\ud800"'), g3), (1, 3),
                ((2, "invalid JSON: no low surrogate in string at column"),)),
        Hostile("nan-and-infinity", "nan.jsonl",
                _jsonl(g1, _with(2, b', "x": NaN'), _with(3, b', "x": Infinity'),
                       _with(4, b', "x": -Infinity'), g3), (1, 5),
                ((2, "invalid JSON: NaN at column"), (3, "invalid JSON: Infinity at column"),
                 (4, "invalid JSON: -Infinity at column"))),
        Hostile("number-beyond-double", "huge-number.jsonl",
                _jsonl(g1, _with(2, b', "x": 1e400'), g3), (1, 3),
                ((2, "invalid JSON: number is infinity when parsed as double"),)),
        Hostile("nested-100000-deep", "deep.jsonl",
                _jsonl(g1, b'{"request":' + _nest(100_000).encode() + b"}", g3), (1, 3),
                ((2, "invalid JSON: nested too deeply (more than 1024 levels)"),)),
        *(Hostile(f"nested-1000-deep-{where}", f"deep-{where}.jsonl",
                  _jsonl(g1, _deep_request(where), g3), (1, 3), ((2, "nested too deeply"),))
          for where in ("tool-parameters", "response-format", "tool-choice")),
        Hostile("not-objects", "scalars.jsonl",
                _jsonl(g1, b'"hello"', b"42", b"null", b"[]", b"true", g3), (1, 7),
                ((2, "$: expected a JSON object, found string"),
                 (3, "$: expected a JSON object, found number"),
                 (4, "$: expected a JSON object, found null"),
                 (5, "$: expected a JSON object, found array"),
                 (6, "$: expected a JSON object, found boolean"))),
        Hostile("nul-bytes", "nul.jsonl", _jsonl(g1, b"\x00\x00\x00", g3), (1, 3),
                ((2, "invalid JSON: unexpected character"),)),
        Hostile("record-cut-short", "cut.jsonl", _jsonl(g1, g2[: len(g2) // 2], g3), (1, 3),
                ((2, "invalid JSON: unexpected end of data at column"),)),
        Hostile("first-record-cut-short", "cut-first.jsonl", _jsonl(g1[:40], g2, g3), (2, 3),
                ((1, "invalid JSON: unexpected end of data at column"),)),
        Hostile("duplicate-keys", "duplicates.jsonl",
                _jsonl(b'{"request": {"model": "gpt-4o", "model": "mystery-model", "messages":'
                       b' [{"role": "user", "content": "a"}], "messages": [{"role": "user",'
                       b' "content": "Where is my bag?"}]}}',
                       b'{"request": {"model": "mystery-model", "messages": [{"role": "user",'
                       b' "content": "Where is my bag?"}]}}'), (1, 2)),
        Hostile("unknown-role-part-type-and-model", "unknown.jsonl", _jsonl(unknown, g1),
                (1, 2)),
        Hostile("control-characters-and-huge-keys", "keys.jsonl",
                _jsonl(g1, _line({"\x1b[31mred\x07": 1, "carriage\rreturn\nnewline": 2}),
                       _line({"k" * 100_000: 1}), g3), (1, 4),
                ((2, "(keys: \\x1b[31mred\\x07, carriage return newline)"),
                 (3, "kkkkk… (99,"))),
        Hostile("thousands-of-bad-records", "many.jsonl",
                _jsonl(g1, *[b'{"messages": 1}'] * 3000, g2), (1, 3002),
                tuple((line, "$.messages: expected array") for line in range(2, 3002))),
    ]


# --------------------------------------------------------------------------------------------
# Wrong types in every field: generated from a valid request, one field and value per line
# --------------------------------------------------------------------------------------------


def _chat_request() -> dict[str, Any]:
    return {
        "request": {
            "model": "gpt-4o",
            "messages": [
                {"role": "system", "content": "You answer questions about lost luggage."},
                {"role": "user", "name": "ana", "content": [
                    {"type": "text", "text": "Where is my bag?"},
                    {"type": "image_url",
                     "image_url": {"url": "https://example.com/tag.png", "detail": "low"}}]},
                {"role": "assistant", "content": None, "tool_calls": [
                    {"id": "call_1", "type": "function",
                     "function": {"name": "find_bag", "arguments": '{"tag": "A1"}'}}]},
                {"role": "tool", "tool_call_id": "call_1", "content": "In Lisbon."}],
            "tools": [{"type": "function", "function": {
                "name": "find_bag", "description": "Find a bag by its tag.",
                "parameters": {"type": "object", "properties": {"tag": {"type": "string"}}}}}],
            "tool_choice": "auto",
            "response_format": {"type": "text"},
        },
        "response": {"usage": {"prompt_tokens": 120,
                               "prompt_tokens_details": {"cached_tokens": 0}}},
        "timestamp": "2025-03-01T10:00:00Z",
        "meta": {"session": "s1"},
    }


def _responses_request() -> dict[str, Any]:
    return {
        "request": {
            "model": "gpt-4.1",
            "instructions": "You answer questions about lost luggage.",
            "input": [
                {"role": "user", "content": [
                    {"type": "input_text", "text": "Where is my bag?"},
                    {"type": "input_image", "image_url": "https://example.com/tag.png",
                     "detail": "low"}]},
                {"type": "function_call", "call_id": "call_1", "name": "find_bag",
                 "arguments": '{"tag": "A1"}'},
                {"type": "function_call_output", "call_id": "call_1", "output": "In Lisbon."}],
            "tools": [{"type": "function", "name": "find_bag",
                       "parameters": {"type": "object"}}],
            "tool_choice": "auto",
            "text": {"format": {"type": "text"}},
            "reasoning": {"effort": "low"},
            "parallel_tool_calls": True,
        },
        "response": {"usage": {"input_tokens": 120,
                               "input_tokens_details": {"cached_tokens": 0}}},
    }


_ANY_MESSAGE = "any message"
"""Marks a field whose empty object is itself invalid (a required field is missing)."""

# (path, JSON types the field accepts, values of an accepted type that are still wrong)
CHAT_FIELDS: tuple[tuple[tuple[str | int, ...], frozenset[str], tuple[Any, ...]], ...] = tuple(
    (path, frozenset(types.split()), also_wrong) for path, types, also_wrong in (
        (("request",), "object", ({},)),
        (("request", "model"), "string", ()),
        (("request", "messages"), "array", ()),
        (("request", "messages", 1), "object", ({},)),
        (("request", "messages", 1, "role"), "string", ()),
        (("request", "messages", 1, "name"), "string null", ()),
        (("request", "messages", 1, "content"), "string null array", ()),
        (("request", "messages", 1, "content", 0), "object", ({},)),
        (("request", "messages", 1, "content", 0, "type"), "string", ()),
        (("request", "messages", 1, "content", 0, "text"), "string", ()),
        (("request", "messages", 1, "content", 1, "image_url"), "object", ({},)),
        (("request", "messages", 1, "content", 1, "image_url", "url"), "string", ()),
        (("request", "messages", 1, "content", 1, "image_url", "detail"), "string", ()),
        (("request", "messages", 2, "tool_calls"), "array null", ()),
        (("request", "messages", 2, "tool_calls", 0, "function", "arguments"), "string", ()),
        (("request", "messages", 3, "tool_call_id"), "string null", ()),
        (("request", "tools"), "array null", ()),
        (("request", "tools", 0, "function"), "object", ({},)),
        (("request", "tools", 0, "function", "name"), "string", ()),
        (("request", "tools", 0, "function", "parameters"), "object null", ()),
        (("request", "tool_choice"), "string object null", ()),
        (("request", "response_format"), "object null", ()),
        (("response", "usage"), "object null", ()),
        (("response", "usage", "prompt_tokens"), "integer", ()),
        (("response", "usage", "prompt_tokens_details", "cached_tokens"), "integer null", ()),
        (("timestamp",), "string number null", ("x",)),
        (("meta",), "object null", ()),
    ))

RESPONSES_FIELDS: tuple[tuple[tuple[str | int, ...], frozenset[str], tuple[Any, ...]], ...] = (
    tuple((path, frozenset(types.split()), also_wrong) for path, types, also_wrong in (
        (("request", "model"), "string", ()),
        (("request", "instructions"), "string null array", ()),
        (("request", "input"), "string array", ()),
        (("request", "input", 0), "object", ()),
        (("request", "input", 0, "role"), "string", ()),
        (("request", "input", 0, "content"), "string null array", ()),
        (("request", "input", 0, "content", 0), "object", ({},)),
        (("request", "input", 0, "content", 0, "type"), "string", ()),
        (("request", "input", 0, "content", 0, "text"), "string", ()),
        (("request", "input", 0, "content", 1, "image_url"), "string null", ()),
        (("request", "input", 0, "content", 1, "detail"), "string", ()),
        (("request", "input", 1, "name"), "string null", ()),
        (("request", "input", 1, "call_id"), "string null", ()),
        (("request", "input", 1, "arguments"), "string", ()),
        (("request", "input", 2, "output"), "string null array", ()),
        (("request", "tools"), "array null", ()),
        (("request", "tools", 0), "object", ({},)),
        (("request", "tools", 0, "name"), "string", ()),
        (("request", "tools", 0, "parameters"), "object null", ()),
        (("request", "tool_choice"), "string object null", ()),
        (("request", "text"), "object null", ()),
        (("request", "text", "format"), "object null", ({},)),
        (("request", "reasoning", "effort"), "string null", ()),
        (("request", "parallel_tool_calls"), "boolean null", ()),
        (("response", "usage", "input_tokens"), "integer", ()),
    )))


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {float: "number", str: "string", list: "array", dict: "object"}[type(value)]


def _accepted(value: Any, types: frozenset[str], also_wrong: tuple[Any, ...]) -> bool:
    kind = _json_type(value)
    ok = kind in types or (kind == "integer" and "number" in types)
    return ok and not any(value == wrong and type(value) is type(wrong) for wrong in also_wrong)


def _json_path(path: tuple[str | int, ...]) -> str:
    return "$" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)


def _replaced(record: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(record)
    parent: Any = changed
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = copy.deepcopy(value)
    return changed


def _wrong_type_case(name: str, record: dict[str, Any],
                     fields: Sequence[tuple[tuple[str | int, ...], frozenset[str],
                                            tuple[Any, ...]]]) -> Hostile:
    lines, audited, invalid = [], [], []
    for path, types, also_wrong in fields:
        for value in WRONG_VALUES:
            lines.append(_line(_replaced(record, path, value)))
            if _accepted(value, types, also_wrong):
                audited.append(len(lines))
            else:
                # The message starts with the JSON path of the field (or of the object
                # missing a required field), then says what is wrong.
                invalid.append((len(lines), f"{_json_path(path)}: "))
    lines.append(_line(record))  # and a good record after all of them
    audited.append(len(lines))
    return Hostile(name, f"{name}.jsonl", _jsonl(*lines), tuple(audited), tuple(invalid))


def _all_cases() -> list[Hostile]:
    return [
        *_line_cases(), *_json_document_cases(), *_gzip_cases(),
        _wrong_type_case("wrong-types-chat-completions", _chat_request(), CHAT_FIELDS),
        _wrong_type_case("wrong-types-responses", _responses_request(), RESPONSES_FIELDS),
    ]


CASES = _all_cases()


# --------------------------------------------------------------------------------------------
# Running the command and reading what each format says
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


def _audit(capsys: pytest.CaptureFixture[str], path: Path | str, output_format: str,
           *extra: str) -> Run:
    code = main(["audit", "--isolated", "--format", output_format, *extra, str(path)])
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


_PHRASE = re.compile(
    r"([\d,]+) requests? audited of ([\d,]+) records? read \(([\d,]+) invalid\)")


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def _accounting(output_format: str, out: str) -> tuple[int, int, int]:
    """(records read, requests audited, invalid records) as a report in ``output_format``
    states them."""
    if output_format == "json":
        summary = json.loads(out)["summary"]
        return summary["records_read"], summary["requests_audited"], summary["invalid_records"]
    if output_format == "sarif":
        properties = json.loads(out)["runs"][0]["properties"]
        return (properties["recordsRead"], properties["requestsAudited"],
                properties["invalidRecords"])
    if output_format == "junit":
        properties = dict(re.findall(r'<property name="(\w+)" value="(\d+)" />', out))
        return (int(properties["records_read"]), int(properties["requests_audited"]),
                int(properties["invalid_records"]))
    if output_format == "rich":
        figures = []
        for label in ("Records read", "Requests audited", "Invalid records"):
            row = re.search(rf"^{label}\s+([\d,]+)", out, re.MULTILINE)
            assert row is not None, f"rich: no {label!r} row in\n{out[:600]}"
            figures.append(_number(row[1]))
        return figures[0], figures[1], figures[2]
    found = _PHRASE.search(out)
    assert found is not None, f"{output_format}: no accounting line in\n{out[-600:]}"
    return _number(found[2]), _number(found[1]), _number(found[3])


def _failing(report: dict[str, Any]) -> int:
    return int(any(finding["severity"] in ("warning", "error") for finding in report["findings"]))


def _check_json_run(case: Hostile, path: Path, run: Run) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(run.out)
    assert [row["line"] for row in report["requests"]] == list(case.audited)
    record_errors = [(error["line"], error["message"]) for error in report["errors"]
                     if error["line"] > 0]
    assert [line for line, _ in record_errors] == [line for line, _ in case.invalid]
    for (line, message), (_, expected) in zip(record_errors, case.invalid, strict=True):
        assert expected in message, f"line {line}: {message!r} does not say {expected!r}"
    file_errors = [error["message"] for error in report["errors"] if error["line"] == 0]
    if case.file_error is None:
        assert file_errors == []
    else:
        assert len(file_errors) == 1, file_errors
        assert case.file_error in file_errors[0]
    for error in report["errors"]:
        assert error["file"] == str(path)
        # One printable line, however long or strange the keys and values it quotes.
        assert not re.search("[\x00-\x1f\x7f-\x9f]", error["message"]), error
        assert len(error["message"]) < MAX_MESSAGE_CHARS + 40, error
    # Every unreadable record, and the file's own problem, is echoed on stderr, one line each.
    assert run.err.splitlines() == [
        f"{path}:{error['line']}: {error['message']}" if error["line"] else
        f"{path}: {error['message']}" for error in report["errors"]]
    assert run.code == _failing(report)
    return report


def _check_every_format(case: Hostile, path: Path,
                        capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """Audit ``path`` in every format, check what each says; return the JSON report."""
    expected = (case.records, len(case.audited), len(case.invalid))
    json_run = _audit(capsys, path, "json")
    report = _check_json_run(case, path, json_run)
    for output_format in FORMATS:
        run = json_run if output_format == "json" else _audit(capsys, path, output_format)
        assert "Traceback" not in run.out + run.err, output_format
        # The exit status says the same whatever the format.
        assert run.code == json_run.code, (output_format, run.err[-400:])
        if output_format in FORMATS_WITH_TOTALS:
            assert _accounting(output_format, run.out) == expected, output_format
        if output_format == "concise":
            lines = run.out.splitlines()
            for line, message in case.invalid[:50]:
                assert any(text.startswith(f"{path}:{line}: error: ") and message in text
                           for text in lines), (line, message)
            if case.file_error is not None:
                assert any(text.startswith(f"{path}: error: ") and case.file_error in text
                           for text in lines)
    return report


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    for case in CASES:
        (folder / case.file).write_bytes(case.data)
    return folder


def test_case_files_are_distinct() -> None:
    assert len({case.file for case in CASES}) == len(CASES)
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hostile_input_is_survived_and_accounted_for(
        case: Hostile, corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _check_every_format(case, corpus / case.file, capsys)


def test_duplicate_keys_keep_the_last_value(corpus: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    report = json.loads(_audit(capsys, corpus / "duplicates.jsonl", "json").out)
    # As Python's json and orjson do: the last occurrence wins. Line 2 is line 1 without
    # the keys that lose.
    assert report["summary"]["unknown_models"] == ["mystery-model"]
    first, second = report["requests"]
    assert (first["model"], first["prompt_tokens"]) == (second["model"], second["prompt_tokens"])


def test_unknown_roles_part_types_and_models_are_counted(
        corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = json.loads(_audit(capsys, corpus / "unknown.jsonl", "json").out)
    assert report["summary"]["unknown_models"] == ["gpt-99-ultra"]
    assert report["requests"][0]["estimated"] is True
    assert report["requests"][1]["estimated"] is False


# --------------------------------------------------------------------------------------------
# Size: a 50 MB message, a 30 MB image, a line past the limit
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_message(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big-message.jsonl"
    sentence = "The quick brown fox jumps over the lazy dog. "
    text = sentence * (50_000_000 // len(sentence))
    record = {"request": {"model": "gpt-4o", "messages": [{"role": "user", "content": text}]}}
    path.write_bytes(_jsonl(_good_line(1), _line(record), _good_line(3)))
    return path


def test_a_50_mb_message_is_rejected_for_its_size(
        big_message: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Rejected before it is decoded or tokenized: the run stays fast and small.
    case = Hostile("50-mb-message", big_message.name, b"", (1, 3),
                   ((2, "47.7 MiB of text besides inline base64 data, over the "
                        f"{MAX_TEXT_BYTES >> 20} MiB promptcache tokenizes in one record"),))
    _check_every_format(case, big_message, capsys)


def test_a_20_mb_message_in_a_json_array_is_rejected_for_its_size(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "Lorem ipsum dolor sit amet. " * (20_000_000 // 28)
    record = {"request": {"model": "gpt-4o", "messages": [{"role": "user", "content": text}]}}
    path = tmp_path / "big.json"
    path.write_bytes(b"[\n" + _good_line(1) + b",\n" + _line(record) + b",\n" + _good_line(3)
                     + b"\n]\n")
    case = Hostile("20-mb-message-in-json", path.name, b"", (2, 4),
                   ((3, "19.1 MiB of text besides inline base64 data, over the "),))
    _check_every_format(case, path, capsys)


@pytest.fixture(scope="module")
def big_image(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("image")
    big, small = folder / "big-image.jsonl", folder / "small-image.jsonl"
    # 22.5 MB of PNG: 30 MB once in base64. Only the header says how large the image is.
    big.write_bytes(_jsonl(_line(_image_record(_png(2048, 1024, 22_500_000)))))
    small.write_bytes(_jsonl(_line(_image_record(_png(2048, 1024, 16)))))
    return big, small


def test_a_30_mb_image_is_counted_from_its_header(
        big_image: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    big, small = big_image
    assert big.stat().st_size > 30_000_000
    case = Hostile("30-mb-image", big.name, b"", (1,))
    counted = _check_every_format(case, big, capsys)["requests"][0]
    header_only = json.loads(_audit(capsys, small, "json").out)["requests"][0]
    # gpt-4o, detail high, 2048x1024 -> 1024x512 -> 2x1 tiles of 170 + 85 = 765 image tokens.
    assert counted["prompt_tokens"] == header_only["prompt_tokens"] > 765
    assert counted["estimated"] is False


@pytest.fixture(scope="module")
def oversized_line(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("oversized") / "oversized.jsonl"
    chunk = b"x" * (1 << 20)
    with path.open("wb") as out:
        out.write(_good_line(1) + b"\n" + b'{"junk": "')
        for _ in range((MAX_LINE_BYTES >> 20) + 1):
            out.write(chunk)
        out.write(b'"}\n' + _good_line(3) + b"\n")
    return path


def test_a_line_past_the_limit_is_skipped_unread(
        oversized_line: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = Hostile("oversized-line", oversized_line.name, b"", (1, 3),
                   ((2, f"MiB, over the {MAX_LINE_BYTES >> 20} MiB limit for one record"),))
    _check_every_format(case, oversized_line, capsys)


# --------------------------------------------------------------------------------------------
# Paths: folders, missing and unreadable files
# --------------------------------------------------------------------------------------------


def test_a_directory_audits_the_logs_in_it(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "b.jsonl").write_bytes(_jsonl(_good_line(1), b"{oops"))
    (tmp_path / "nested" / "deeper").mkdir(parents=True)
    (tmp_path / "nested" / "deeper" / "a.json.gz").write_bytes(
        gzip.compress(b"[" + _good_line(2) + b"]"))
    (tmp_path / "notes.txt").write_text("not a log\n")
    (tmp_path / "nested" / "loop").symlink_to(tmp_path, target_is_directory=True)
    run = _audit(capsys, tmp_path, "json")
    report = json.loads(run.out)
    assert [(row["file"], row["line"]) for row in report["requests"]] == [
        (str(tmp_path / "b.jsonl"), 1), (str(tmp_path / "nested" / "deeper" / "a.json.gz"), 1)]
    assert [(error["file"], error["line"]) for error in report["errors"]] == [
        (str(tmp_path / "b.jsonl"), 2)]
    assert report["summary"]["records_read"] == 3


def test_a_file_name_that_is_not_utf8(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    try:
        with open(os.fsencode(tmp_path) + b"/caf\xe9.jsonl", "wb") as out:
            out.write(_jsonl(_good_line(), b"{oops"))
    except OSError:
        pytest.skip("this file system refuses file names that are not UTF-8")
    shown = f"{tmp_path}/caf\ufffd.jsonl"  # no report can hold the raw byte
    for output_format in FORMATS:
        run = _audit(capsys, tmp_path, output_format)
        assert run.code == 0, run.err
        if output_format in FORMATS_WITH_TOTALS:
            assert _accounting(output_format, run.out) == (2, 1, 1)
        # The terminal report lists unreadable records itself; the others echo them.
        assert run.err == ("" if output_format == "rich" else
                           f"{shown}:2: invalid JSON: unexpected character, expected a string "
                           "key at column 2\n")
    report = json.loads(_audit(capsys, tmp_path, "json").out)
    assert [(row["file"], row["line"]) for row in report["requests"]] == [(shown, 1)]


@pytest.mark.parametrize("output_format", FORMATS)
def test_a_missing_path_stops_the_run(tmp_path: Path, output_format: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.jsonl"
    good.write_bytes(_jsonl(_good_line()))
    run = _audit(capsys, f"{tmp_path}/missing.jsonl", output_format, str(good))
    assert run.code == 2
    assert run.out == ""
    assert run.err == f"promptcache: {tmp_path}/missing.jsonl: no such file or directory\n"


@pytest.mark.skipif(os.name != "posix", reason="permissions are POSIX here")
def test_an_unreadable_file_stops_the_run(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    secret = tmp_path / "secret.jsonl"
    secret.write_bytes(_jsonl(_good_line()))
    secret.chmod(0)
    try:
        if os.access(secret, os.R_OK):
            pytest.skip("running as a user who can read any file (root)")
        run = _audit(capsys, secret, "concise")
        assert run.code == 2
        assert run.err == f"promptcache: {secret}: not readable (permission denied)\n"
    finally:
        secret.chmod(0o600)


# --------------------------------------------------------------------------------------------
# The real process: tracebacks, closed pipes, and the files left as they were
# --------------------------------------------------------------------------------------------


def _fingerprint(folder: Path) -> dict[str, tuple[str, int]]:
    return {path.name: (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
            for path in sorted(folder.iterdir())}


def test_the_whole_corpus_in_one_process(corpus: Path) -> None:
    before = _fingerprint(corpus)
    result = subprocess.run([*COMMAND, "audit", "--isolated", "--format", "json", str(corpus)],
                            capture_output=True, timeout=300, check=False)
    err = result.stderr.decode()
    assert "Traceback" not in err
    assert b"Traceback" not in result.stdout
    report = json.loads(result.stdout)
    assert result.returncode == _failing(report)
    summary = report["summary"]
    assert summary["records_read"] == sum(case.records for case in CASES)
    assert summary["requests_audited"] == sum(len(case.audited) for case in CASES)
    assert summary["invalid_records"] == sum(len(case.invalid) for case in CASES)
    assert len(err.splitlines()) == len(report["errors"])
    # Input files are only read: same bytes, same modification time.
    assert _fingerprint(corpus) == before


def _shell(script: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                          timeout=timeout, check=False)


def test_stdout_closed_early_ends_quietly(tmp_path: Path) -> None:
    log = tmp_path / "many.jsonl"
    log.write_bytes(_jsonl(_good_line(), *[b'{"messages": 1}'] * 20_000))
    errors = tmp_path / "stderr.txt"
    command = shlex.join([*COMMAND, "audit", "--isolated", "-f", "concise", str(log)])
    result = _shell(f"{command} 2>{shlex.quote(str(errors))} | head -1; "
                    'echo "status=${PIPESTATUS[0]}"')
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{log}:")
    assert lines[-1] == "status=0"
    err = errors.read_text()
    for noise in ("Traceback", "BrokenPipeError", "Exception ignored"):
        assert noise not in err
    assert err.startswith(f"{log}:2: $.messages: expected array, found number\n")


def test_stdout_closed_before_the_run(tmp_path: Path) -> None:
    log = tmp_path / "one.jsonl"
    log.write_bytes(_jsonl(_good_line()))
    result = _shell(shlex.join([*COMMAND, "audit", "--isolated", "-f", "concise", str(log)])
                    + " >&-")
    assert "Traceback" not in result.stderr
    assert result.returncode == 2
    assert result.stderr == "promptcache: cannot write the report: standard output is closed\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_under_stdout(tmp_path: Path) -> None:
    log = tmp_path / "one.jsonl"
    log.write_bytes(_jsonl(_good_line()))
    result = _shell(shlex.join([*COMMAND, "audit", "--isolated", "-f", "json", str(log)])
                    + " >/dev/full")
    assert result.returncode == 2
    assert result.stderr == "promptcache: cannot write the report: No space left on device\n"


def test_stderr_closed_still_reports(tmp_path: Path) -> None:
    log = tmp_path / "mixed.jsonl"
    log.write_bytes(_jsonl(_good_line(), b"{oops"))
    result = _shell(shlex.join([*COMMAND, "audit", "--isolated", "-f", "concise", str(log)])
                    + " 2>&-")
    assert result.returncode == 0
    assert result.stdout.endswith("in 1 request audited of 2 records read (1 invalid)\n")


def test_stdin_closed() -> None:
    result = _shell(shlex.join([*COMMAND, "audit", "--isolated", "-f", "concise", "-"])
                    + " <&-")
    assert result.returncode == 2
    assert result.stderr == "promptcache: -: standard input is closed\n"
