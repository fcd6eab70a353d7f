"""``--fetch-images``: remote image sizes read from a loopback server, and nothing fetched
without the flag."""

from __future__ import annotations

import base64
import json
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from promptcache.cli.main import main
from promptcache.tokens.images import (
    header_dimensions,
    header_incomplete,
    image_dimensions,
    remote_image_sizes,
)
from promptcache.tokens.remote_images import FetchLimits, display_url, read_remote_size

PNG_SIZE = (3000, 2000)
JPEG_SIZE = (600, 400)
# gpt-4o, detail high (tokens/images.py): 85 + 170 per 512-px tile after fitting within
# 2048x2048 and scaling the short side down to 768.
#   3000x2000 -> 2048x1365 -> 1152x768: 3 x 2 tiles -> 85 + 6 * 170 = 1105
#   600x400, never scaled up: 2 x 1 tiles -> 85 + 2 * 170 = 425
#   unknown size, assumed 1024x1024 -> 768x768: 2 x 2 tiles -> 85 + 4 * 170 = 765
PNG_TOKENS, JPEG_TOKENS, ESTIMATE_TOKENS = 1105, 425, 765


def png_header(width: int, height: int) -> bytes:
    """A PNG signature, IHDR and IEND: all a size reader looks at."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + b"\0\0\0\0"
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height,
                                                               8, 2, 0, 0, 0))
            + chunk(b"IEND", b""))


def jpeg(width: int, height: int, metadata: int = 0) -> bytes:
    """SOI, ``metadata`` bytes of APP2 blocks, the SOF0 frame header, EOI."""
    def segment(marker: int, body: bytes) -> bytes:
        return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body
    blocks = b"".join(segment(0xE2, bytes(60_000)) for _ in range(metadata // 60_000))
    frame = segment(0xC0, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")
    return b"\xff\xd8" + blocks + frame + b"\xff\xd9"


PNG = png_header(*PNG_SIZE) + bytes(200_000)  # a body far beyond the header
JPEG = jpeg(*JPEG_SIZE)
HUGE_BODY = 64 * 1024 * 1024


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hits: Counter[str] = Counter()
        self.ranges: list[str | None] = []
        self.huge_sent = 0
        self.huge_done = threading.Event()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hanging up early is what these tests provoke

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.hits[self.path] += 1
        self.server.ranges.append(self.headers.get("Range"))
        if self.path.startswith("/hop/"):  # an endless chain of distinct URLs
            self._redirect(f"/hop/{int(self.path.removeprefix('/hop/')) + 1}")
            return
        route = getattr(self, "route_" + self.path.strip("/").replace(".", "_").replace("-", "_"),
                        None)
        if route is None:
            self.send_error(404, "Not Found")
            return
        route()

    def _send(self, body: bytes, media: str = "image/png", status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, target: str) -> None:
        self.send_response(302)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def route_photo_png(self) -> None:  # honours Range, as object stores do
        asked = self.headers.get("Range", "")
        if asked.startswith("bytes=0-"):
            last = min(int(asked.removeprefix("bytes=0-")), len(PNG) - 1)
            self.send_response(206)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Range", f"bytes 0-{last}/{len(PNG)}")
            self.send_header("Content-Length", str(last + 1))
            self.end_headers()
            self.wfile.write(PNG[:last + 1])
        else:
            self._send(PNG)

    def route_photo_jpg(self) -> None:  # ignores Range
        self._send(JPEG, "image/jpeg")

    def route_moved_png(self) -> None:
        self._redirect("/photo.png")

    def route_to_ftp_png(self) -> None:
        self._redirect("ftp://127.0.0.1/photo.png")

    def route_loop_png(self) -> None:
        self._redirect("/loop.png")

    def route_to_file_png(self) -> None:
        self._redirect("file:///etc/passwd")

    def route_slow_png(self) -> None:
        time.sleep(3)
        self._send(PNG)

    def route_page_html(self) -> None:
        self._send(b"<html><body>not here</body></html>", "text/html")

    def route_empty_png(self) -> None:
        self._send(b"")

    def route_metadata_jpg(self) -> None:  # the frame header lies past 64 KiB
        self._send(jpeg(*JPEG_SIZE, metadata=180_000), "image/jpeg")

    def route_huge_png(self) -> None:  # ignores Range and streams 64 MiB
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(HUGE_BODY))
        self.end_headers()
        block = png_header(*PNG_SIZE) + bytes(65_536 - len(png_header(*PNG_SIZE)))
        try:
            while self.server.huge_sent < HUGE_BODY:
                self.wfile.write(block)
                self.server.huge_sent += len(block)
        except OSError:
            pass
        finally:
            self.server.huge_done.set()


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Server]:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                 "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    httpd = _Server()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def chat(url: str, *, turns: int = 1) -> dict[str, Any]:
    messages: list[dict[str, Any]] = []
    for turn in range(turns):
        messages.append({"role": "user", "content": [
            {"type": "text", "text": f"What is in this picture? ({turn})"},
            {"type": "image_url", "image_url": {"url": url, "detail": "high"}}]})
        messages.append({"role": "assistant", "content": f"A picture, turn {turn}."})
    return {"model": "gpt-4o", "messages": messages[:-1]}


def responses(url: str) -> dict[str, Any]:
    return {"model": "gpt-4o", "input": [{"role": "user", "content": [
        {"type": "input_text", "text": "What is in this picture?"},
        {"type": "input_image", "image_url": url, "detail": "high"}]}]}


def inline(data: bytes, media: str) -> str:
    return f"data:{media};base64," + base64.b64encode(data).decode("ascii")


def audit(tmp_path: Path, capsys: pytest.CaptureFixture[str], records: list[dict[str, Any]],
          *options: str) -> tuple[int, dict[str, Any], list[str]]:
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(record) + "\n" for record in records), "utf-8")
    code = main(["audit", "--isolated", "--format", "json", "--exit-zero", *options, str(log)])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err.splitlines()


def tokens(report: dict[str, Any]) -> list[tuple[int, bool]]:
    return [(row["prompt_tokens"], row["estimated"]) for row in report["requests"]]


def test_without_the_flag_nothing_is_fetched(server: _Server, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    url = server.base + "/photo.png"
    code, report, err = audit(tmp_path, capsys, [chat(url), responses(url)])
    assert code == 0
    assert err == []
    assert [estimated for _, estimated in tokens(report)] == [True, True]
    assert sum(server.hits.values()) == 0


def test_fetched_sizes_count_exactly_like_the_same_image_inline(
        server: _Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png, jpg, moved = (server.base + path for path in ("/photo.png", "/photo.jpg", "/moved.png"))
    records = [chat(png), chat(png, turns=3), chat(jpg), responses(png), chat(moved)]
    _, offline, _ = audit(tmp_path, capsys, records)
    code, fetched, err = audit(tmp_path, capsys, records, "--fetch-images")
    assert code == 0
    assert err == []
    twins = [chat(inline(PNG, "image/png")), chat(inline(PNG, "image/png"), turns=3),
             chat(inline(JPEG, "image/jpeg")), responses(inline(PNG, "image/png")),
             chat(inline(PNG, "image/png"))]
    _, inline_report, _ = audit(tmp_path, capsys, twins)
    assert tokens(fetched) == tokens(inline_report)
    assert all(not estimated for _, estimated in tokens(fetched))
    # Against the offline estimate, each image moves by exactly its tile count's difference.
    png_delta, jpeg_delta = PNG_TOKENS - ESTIMATE_TOKENS, JPEG_TOKENS - ESTIMATE_TOKENS
    deltas = [after - before for (after, _), (before, _) in zip(tokens(fetched),
                                                                 tokens(offline), strict=True)]
    assert deltas == [png_delta, 3 * png_delta, jpeg_delta, png_delta, png_delta]
    # One request per distinct URL of the log (the memo is by that URL, so /moved.png's
    # target is requested again through the redirect), asking for the first 64 KiB only.
    assert server.hits == Counter({"/photo.png": 2, "/photo.jpg": 1, "/moved.png": 1})
    assert set(server.ranges) == {"bytes=0-65535"}


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        pytest.param("/missing.png", "HTTP 404 Not Found", id="404"),
        pytest.param("/slow.png", "no answer within 0.5 s", id="timeout"),
        pytest.param("/metadata.jpg", "no image size in the first 65536 bytes", id="size-cap"),
        pytest.param("/page.html",
                     "not a PNG, JPEG, GIF or WEBP image (the server says text/html)",
                     id="not-an-image"),
        pytest.param("/empty.png", "the response is empty", id="empty"),
        pytest.param("/to-ftp.png", "redirected to a ftp URL, which is not fetched",
                     id="redirect-to-ftp"),
        pytest.param("/hop/0", "more than 5 redirects", id="redirect-chain"),
        pytest.param("/loop.png", "more than 5 redirects", id="redirect-loop"),
        pytest.param("/to-file.png", "redirected to a file URL, which is not fetched",
                     id="redirect-to-file"),
    ],
)
def test_a_failure_leaves_the_estimate_and_warns_once_per_url(
        server: _Server, tmp_path: Path, capsys: pytest.CaptureFixture[str], path: str,
        problem: str) -> None:
    url = server.base + path
    records = [chat(url), chat(url, turns=2), responses(url)]
    _, offline, _ = audit(tmp_path, capsys, records)
    started = time.monotonic()
    code, report, err = audit(tmp_path, capsys, records, "--fetch-images", "--fetch-timeout",
                              "0.5")
    assert time.monotonic() - started < 2.5
    assert code == 0
    assert err == [f"promptcache: --fetch-images: {url}: {problem}; its size stays estimated"]
    assert tokens(report) == tokens(offline)
    assert all(estimated for _, estimated in tokens(report))
    if path == "/hop/0":  # the first request and 5 redirects, no more
        assert server.hits == Counter({f"/hop/{n}": 1 for n in range(6)})
    elif path == "/loop.png":
        assert server.hits == Counter({path: 6})
    else:
        assert server.hits == Counter({path: 1})


def test_a_huge_body_is_read_only_up_to_its_header(server: _Server) -> None:
    started = time.monotonic()
    assert read_remote_size(server.base + "/huge.png", FetchLimits(timeout=5)) == PNG_SIZE
    assert time.monotonic() - started < 2
    assert server.huge_done.wait(5)
    assert server.huge_sent < HUGE_BODY // 4  # the client hung up long before the end


def test_at_most_max_images_urls_are_fetched(server: _Server, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    png, jpg = server.base + "/photo.png", server.base + "/photo.jpg"
    _, report, err = audit(tmp_path, capsys, [chat(png), chat(jpg), chat(png)],
                           "--fetch-images", "--fetch-max-images", "1")
    assert [estimated for _, estimated in tokens(report)] == [False, True, False]
    assert err == ["promptcache: --fetch-images: stopped after 1 image URLs "
                   "(--fetch-max-images); later remote images' sizes stay estimated"]
    assert server.hits == Counter({"/photo.png": 1})


def test_configuration_turns_fetching_on_and_the_command_line_off(
        server: _Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "promptcache.toml").write_text("fetch-images = true\nfetch-timeout = 2\n",
                                               "utf-8")
    log = tmp_path / "log.jsonl"
    log.write_text(json.dumps(chat(server.base + "/photo.png")) + "\n", "utf-8")
    main(["audit", "--format", "json", "--no-fetch-images", str(log)])
    assert json.loads(capsys.readouterr().out)["requests"][0]["estimated"] is True
    assert sum(server.hits.values()) == 0
    main(["audit", "--format", "json", str(log)])
    assert json.loads(capsys.readouterr().out)["requests"][0]["prompt_tokens"] > 0
    assert server.hits == Counter({"/photo.png": 1})


def test_quiet_silences_the_warnings(server: _Server, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    _, report, err = audit(tmp_path, capsys, [chat(server.base + "/missing.png")],
                           "--fetch-images", "--quiet")
    assert err == []
    assert report["requests"][0]["estimated"] is True


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/a.png", "file-abc123"])
def test_only_http_and_https_are_fetched(url: str) -> None:
    with pytest.raises(Exception, match="only http and https URLs are fetched"):
        read_remote_size(url)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        pytest.param("https://cdn.example.com/a/b.png", "https://cdn.example.com/a/b.png",
                     id="plain"),
        pytest.param("https://user:secret@cdn.example.com:8443/b.png?X-Amz-Signature=abc#f",
                     "https://cdn.example.com:8443/b.png?...", id="credentials-and-signature"),
        pytest.param("https://x.example/" + "a" * 300, "https://x.example/" + "a" * 139 + "...",
                     id="long"),
    ],
)
def test_warnings_show_urls_without_secrets(url: str, shown: str) -> None:
    assert display_url(url) == shown


def test_help_documents_the_flags(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "--help"]) == 0
    out = capsys.readouterr().out
    for flag in ("--fetch-images", "--no-fetch-images", "--fetch-timeout", "--fetch-max-images"):
        assert flag in out


def test_a_remote_sizer_is_asked_only_within_its_block() -> None:
    asked: list[str] = []

    def sizer(url: str) -> tuple[int, int] | None:
        asked.append(url)
        return (10, 20)

    remote, inline_png = "https://cdn.example.com/a.png", inline(png_header(3, 4), "image/png")
    assert image_dimensions(remote) is None
    with remote_image_sizes(sizer):
        assert image_dimensions(remote) == (10, 20)
        assert image_dimensions(inline_png) == (3, 4)  # data: URLs never reach the sizer
    assert image_dimensions(remote) is None
    assert asked == [remote]


def test_a_failing_sizer_leaves_the_size_unknown() -> None:
    def sizer(url: str) -> tuple[int, int] | None:
        raise RuntimeError("boom")

    with remote_image_sizes(sizer):
        assert image_dimensions("https://cdn.example.com/a.png") is None


@pytest.mark.parametrize(
    ("data", "size", "incomplete"),
    [
        pytest.param(PNG[:24], PNG_SIZE, False, id="png-header"),
        pytest.param(PNG[:20], None, True, id="png-cut-before-height"),
        pytest.param(JPEG, JPEG_SIZE, False, id="jpeg"),
        pytest.param(jpeg(*JPEG_SIZE, metadata=180_000)[:65_536], None, True,
                     id="jpeg-frame-past-the-bytes-read"),
        pytest.param(b"<html>", None, False, id="html"),
        pytest.param(b"", None, True, id="nothing-yet"),
    ],
)
def test_header_reading(data: bytes, size: tuple[int, int] | None, incomplete: bool) -> None:
    assert header_dimensions(data) == size
    assert header_incomplete(data) is incomplete
