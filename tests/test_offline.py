"""A whole audit opens no network socket: in-process with the socket module blocked, and in a
fresh interpreter whose ``sitecustomize`` blocks it before anything is imported."""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from promptcache.cli.main import main

SYSTEM = ("You are the catalogue assistant of Example Shop. Answer from the catalogue only. "
          * 90).strip()
REMOTE_IMAGE = "https://images.example.com/products/lamp.png"


def _png(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr
            + b"\0\0\0\0" + b"\0\0\0\0IEND\xaeB`\x82")


DATA_IMAGE = "data:image/png;base64," + base64.b64encode(_png(600, 400)).decode("ascii")


def _tool(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {
        "name": name, "description": f"Look up {name.removeprefix('get_')} in the catalogue.",
        "parameters": {"type": "object", "properties": {"sku": {"type": "string"}},
                       "required": ["sku"]}}}


TOOLS = [_tool("get_price"), _tool("get_stock"), _tool("get_reviews")]


def _record(second: int, parts: list[dict[str, Any]], session: str, *,
            system: str = SYSTEM) -> dict[str, Any]:
    return {"timestamp": f"2025-03-01T10:00:{second:02d}Z", "meta": {"session": session},
            "request": {"model": "gpt-4o", "tools": TOOLS, "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": parts}]}}


def _image(url: str, detail: str) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url, "detail": detail}}


def _write_log(folder: Path) -> Path:
    """Two sessions: one sends the remote image with detail high, then low (image-detail);
    the other, with an inline image, starts its system prompt with the time
    (timestamp-in-prefix). Then a Responses request with the remote image."""
    ask = {"type": "text", "text": "Is this lamp in stock?"}
    records = [
        _record(0, [ask, _image(REMOTE_IMAGE, "high")], "a"),
        _record(5, [ask, _image(REMOTE_IMAGE, "low")], "a"),
        *(_record(second, [ask, _image(DATA_IMAGE, "high")], "b",
                  system=f"Now: 2025-03-01T10:00:{second:02d}Z\n{SYSTEM}")
          for second in (10, 15)),
        {"model": "gpt-4o", "instructions": SYSTEM, "input": [{"role": "user", "content": [
            {"type": "input_text", "text": "And this one?"},
            {"type": "input_image", "image_url": REMOTE_IMAGE}]}]},
    ]
    log = folder / "shop.jsonl"
    log.write_text("".join(json.dumps(record) + "\n" for record in records), "utf-8")
    return log


EXPECTED_FINDINGS = [("timestamp-in-prefix", 4), ("image-detail", 2)]
# The remote image sent with detail low costs gpt-4o's base at any size: not an estimate.
EXPECTED_ESTIMATED = [True, False, False, False, True]
FORMATS = ("json", "sarif", "concise", "markdown", "github", "rich")


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every way to a socket raises; the list collects the attempts."""
    attempts: list[str] = []

    def refuse(what: str) -> Any:
        def refused(*args: Any, **kwargs: Any) -> Any:
            attempts.append(what)
            raise OSError(f"network use blocked by the test: {what}")
        return refused

    class NoSocket(socket.socket):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            refuse("socket.socket")()

    monkeypatch.setattr(socket, "socket", NoSocket)
    monkeypatch.setattr(socket, "create_connection", refuse("socket.create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("socket.getaddrinfo"))
    return attempts


def test_every_format_audits_with_the_network_blocked(
        no_network: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = _write_log(tmp_path)
    outputs = {}
    for name in FORMATS:
        out = tmp_path / f"report.{name}"
        assert main(["audit", "--isolated", "--format", name, "-o", str(out), str(log)]) == 1
        outputs[name] = out.read_text("utf-8")
    assert no_network == []
    assert capsys.readouterr().err == ""
    report = json.loads(outputs["json"])
    assert [(f["name"], f["line"]) for f in report["findings"]] == EXPECTED_FINDINGS
    assert [row["estimated"] for row in report["requests"]] == EXPECTED_ESTIMATED
    sarif = json.loads(outputs["sarif"])
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
            for r in sarif["runs"][0]["results"]] == [("PC102", 4), ("PC301", 2)]
    for name in ("concise", "markdown", "github", "rich"):
        assert "timestamp-in-prefix" in outputs[name], name
        assert "image-detail" in outputs[name], name


def test_the_blocker_would_catch_a_fetch(no_network: list[str], tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    # The control: --fetch-images does reach for the network, and the blocker sees it.
    log = _write_log(tmp_path)
    code = main(["audit", "--isolated", "--format", "json", "--fetch-images", str(log)])
    assert code == 1
    assert no_network
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"promptcache: --fetch-images: {REMOTE_IMAGE}: cannot fetch")


_SITECUSTOMIZE = '''
import os
import socket

_LOG = os.environ["PROMPTCACHE_TEST_SOCKET_LOG"]


def _refuse(what):
    def refused(*args, **kwargs):
        with open(_LOG, "a", encoding="utf-8") as log:
            log.write(what + "\\n")
        raise OSError("network use blocked by the test: " + what)
    return refused


class _NoSocket(socket.socket):
    def __init__(self, *args, **kwargs):
        _refuse("socket.socket")()


socket.socket = _NoSocket
socket.create_connection = _refuse("socket.create_connection")
socket.getaddrinfo = _refuse("socket.getaddrinfo")
with open(_LOG + ".loaded", "w", encoding="utf-8"):
    pass
'''


def _run_blocked(tmp_path: Path, *arguments: str) -> tuple[subprocess.CompletedProcess[str],
                                                            list[str]]:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(_SITECUSTOMIZE, "utf-8")
    attempts = tmp_path / "sockets.log"
    attempts.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": str(site), "PROMPTCACHE_TEST_SOCKET_LOG": str(attempts),
           "PROMPTCACHE_CACHE_DIR": str(tmp_path / "cache")}
    result = subprocess.run([sys.executable, "-m", "promptcache.cli", *arguments], env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=300,
                            check=False)
    assert Path(str(attempts) + ".loaded").exists(), "sitecustomize did not run"
    tried = attempts.read_text("utf-8").splitlines() if attempts.exists() else []
    return result, tried


def test_a_fresh_process_with_a_cold_cache_never_opens_a_socket(tmp_path: Path) -> None:
    log = _write_log(tmp_path)
    result, tried = _run_blocked(tmp_path, "audit", "--format", "json", str(log))
    assert tried == []
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    report = json.loads(result.stdout)
    assert [(f["name"], f["line"]) for f in report["findings"]] == EXPECTED_FINDINGS
    # The control: the same blocker sees a fetch when one is asked for.
    result, tried = _run_blocked(tmp_path, "audit", "--format", "json", "--fetch-images",
                                 str(log))
    assert result.returncode == 1, result.stderr
    assert tried
    assert f"--fetch-images: {REMOTE_IMAGE}: cannot fetch" in result.stderr
