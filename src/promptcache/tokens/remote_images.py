"""Sizes of remote images, read from their first bytes: ``promptcache audit --fetch-images``.

Off by default: a run never opens a socket unless asked. Offline, an ``https://`` image's size
is unknown, so it is counted at an assumed size and its request is marked estimated (see
:func:`promptcache.tokens.images.image_tokens`). Asked to fetch, for each distinct image URL:

* only ``http`` and ``https`` URLs are fetched, and redirects are followed (at most
  :data:`MAX_REDIRECTS`) only to ``http`` and ``https`` URLs;
* only the header is read: the request asks for the first :data:`HEAD_BYTES` bytes
  (``Range: bytes=0-65535``); from a server that ignores the range, at most that many bytes
  of the body are read before the connection is closed. The size is parsed by the same
  PNG, GIF, JPEG and WEBP header readers as ``data:`` URLs;
* one URL takes at most ``timeout`` seconds, connection, redirects and reading included;
* at most ``max_images`` distinct URLs are fetched in a run; the rest stay estimated;
* each URL is fetched once per run (an agent resends the same image on every turn);
* a failure (no answer in time, an HTTP error, not an image, no size within the bytes read)
  leaves the image estimated and is reported once, as one line, through ``warn``.

urllib (and with it http.client and ssl) is imported on the first fetch, so a run without
the flag pays nothing for this module.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urljoin, urlsplit

from promptcache import __version__
from promptcache.tokens.images import header_dimensions, header_incomplete, remote_image_sizes

if TYPE_CHECKING:
    import urllib.request

__all__ = ["FetchError", "FetchLimits", "RemoteImageSizer", "display_url", "fetching_images",
           "read_remote_size"]

DEFAULT_TIMEOUT: Final = 5.0
DEFAULT_MAX_IMAGES: Final = 100
HEAD_BYTES: Final = 65_536
"""Bytes read from an image at most; PNG, GIF and WEBP sizes are in the first 30, a JPEG's
after its metadata blocks, which are usually far smaller than this."""
MAX_REDIRECTS: Final = 5
_SCHEMES: Final = ("http", "https")
_CHUNK: Final = 8192


class FetchError(Exception):
    """Why a remote image's size could not be read, as a short phrase."""


@dataclass(frozen=True, slots=True)
class FetchLimits:
    """How far ``--fetch-images`` may go."""

    timeout: float = DEFAULT_TIMEOUT
    """Seconds allowed per URL, connection, redirects and reading included."""
    max_images: int = DEFAULT_MAX_IMAGES
    """Distinct URLs fetched per run; later ones are not fetched and stay estimated."""
    max_bytes: int = HEAD_BYTES
    """Bytes read per image at most; the size must be found within them."""


class RemoteImageSizer:
    """A :data:`~promptcache.tokens.images.RemoteSizer` that reads each http(s) URL's image
    header once per run, within :class:`FetchLimits`, and reports each failure once."""

    def __init__(self, limits: FetchLimits = FetchLimits(),
                 warn: Callable[[str], None] | None = None) -> None:
        self.limits = limits
        self._warn = warn
        self._sizes: dict[str, tuple[int, int] | None] = {}
        self.limit_reached = False
        """True once a URL was left unfetched because ``max_images`` were fetched."""

    def __call__(self, url: str) -> tuple[int, int] | None:
        if url in self._sizes:
            return self._sizes[url]
        if _scheme(url) not in _SCHEMES:
            return None  # a file id, or a scheme that is not ours to fetch
        if len(self._sizes) >= self.limits.max_images:
            # Not memoized: the memo stays bounded by max_images however many URLs follow.
            self.limit_reached = True
            return None
        size: tuple[int, int] | None = None
        try:
            size = read_remote_size(url, self.limits)
        except FetchError as problem:
            if self._warn is not None:
                self._warn(f"promptcache: --fetch-images: {display_url(url)}: {problem}; "
                           "its size stays estimated")
        self._sizes[url] = size
        return size


@contextmanager
def fetching_images(limits: FetchLimits,
                    warn: Callable[[str], None] | None = None) -> Iterator[RemoteImageSizer]:
    """Within the block, remote images' sizes are fetched (see the module doc); a last line
    through ``warn`` says when ``max_images`` stopped the fetching."""
    sizer = RemoteImageSizer(limits, warn)
    with remote_image_sizes(sizer):
        yield sizer
    if sizer.limit_reached and warn is not None:
        warn(f"promptcache: --fetch-images: stopped after {limits.max_images} image URLs "
             "(--fetch-max-images); later remote images' sizes stay estimated")


def read_remote_size(url: str, limits: FetchLimits = FetchLimits()) -> tuple[int, int]:
    """``(width, height)`` of the image at ``url``, from its first bytes; raises
    :class:`FetchError` saying why not. At most ``limits.timeout`` seconds."""
    if _scheme(url) not in _SCHEMES:
        raise FetchError("only http and https URLs are fetched")
    outcome: list[tuple[int, int] | BaseException] = []

    def fetch() -> None:
        try:
            outcome.append(_read_size(url, limits))
        except BaseException as problem:  # handed to the waiting thread, which reports it
            outcome.append(problem)

    # A thread, so that the time limit holds for what socket timeouts do not cover: a slow
    # name lookup, a chain of redirects, a server trickling bytes. A fetch still running at
    # the limit is abandoned: it ends at its socket timeout or its byte cap, and as a daemon
    # thread it never holds the process open.
    worker = threading.Thread(target=fetch, name="promptcache-image-fetch", daemon=True)
    worker.start()
    worker.join(limits.timeout)
    if not outcome:
        raise FetchError(f"no answer within {limits.timeout:g} s")
    result = outcome[0]
    if isinstance(result, FetchError):
        raise result
    if isinstance(result, BaseException):
        raise FetchError(_describe(result, limits)) from result
    return result


def _read_size(url: str, limits: FetchLimits) -> tuple[int, int]:
    import urllib.request

    opener = urllib.request.build_opener(_http_only_redirects())
    request = urllib.request.Request(url, headers={
        "Range": f"bytes=0-{limits.max_bytes - 1}",
        "Accept": "image/*",
        "User-Agent": f"promptcache/{__version__} (image size check)",
    })
    with opener.open(request, timeout=limits.timeout) as response:
        data = _read_head(response, limits.max_bytes)
        media = response.headers.get_content_type() if response.headers else ""
    size = header_dimensions(data)
    if size is not None:
        return size
    if not data:
        raise FetchError("the response is empty")
    if header_incomplete(data):
        if len(data) >= limits.max_bytes:
            raise FetchError(f"no image size in the first {limits.max_bytes} bytes")
        raise FetchError("the image ends before its size")
    sent = f" (the server says {media})" if media and not media.startswith("image/") else ""
    raise FetchError(f"not a PNG, JPEG, GIF or WEBP image{sent}")


def _read_head(response: Any, max_bytes: int) -> bytes:
    """At most ``max_bytes`` of the body, stopping as soon as the size can be read."""
    data = bytearray()
    while len(data) < max_bytes:
        chunk = response.read1(min(_CHUNK, max_bytes - len(data)))
        if not chunk:
            break
        data += chunk
        if header_dimensions(bytes(data)) is not None:
            break
    return bytes(data)


def _http_only_redirects() -> urllib.request.HTTPRedirectHandler:
    import urllib.request

    class HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
        # urllib's own handler also follows redirects to ftp: URLs, and allows 10 of them;
        # its limits are set past ours so that ours speak first, in our words.
        max_redirections = max_repeats = MAX_REDIRECTS + 1

        def http_error_302(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                           headers: Any) -> Any:
            target = urljoin(req.full_url, headers.get("location") or headers.get("uri") or "")
            followed = sum(getattr(req, "redirect_dict", {}).values())
            if _scheme(target) not in _SCHEMES or followed >= MAX_REDIRECTS:
                fp.close()
                if followed >= MAX_REDIRECTS:
                    raise FetchError(f"more than {MAX_REDIRECTS} redirects")
                raise FetchError(f"redirected to a {_scheme(target) or 'non-http'} URL, "
                                 "which is not fetched")
            return super().http_error_302(req, fp, code, msg, headers)

        http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    return HttpOnlyRedirects()


def _describe(problem: BaseException, limits: FetchLimits) -> str:
    """One phrase for what went wrong while fetching."""
    import urllib.error

    if isinstance(problem, urllib.error.HTTPError):
        problem.close()
        reason = str(problem.reason).splitlines()[0] if problem.reason else ""
        return f"HTTP {problem.code} {reason}".rstrip()
    if isinstance(problem, urllib.error.URLError):
        problem = problem.reason if isinstance(problem.reason, BaseException) else problem
    if isinstance(problem, TimeoutError):
        return f"no answer within {limits.timeout:g} s"
    if isinstance(problem, urllib.error.URLError):
        return f"cannot fetch: {problem.reason}"
    if isinstance(problem, OSError):
        return f"cannot fetch: {problem.strerror or problem}"
    return f"cannot fetch: {type(problem).__name__}: {problem}"


def _scheme(url: str) -> str:
    head = url[:16].lstrip()
    colon = head.find(":")
    return head[:colon].lower() if colon > 0 else ""


def display_url(url: str) -> str:
    """``url`` as shown in a warning: without credentials, query or fragment (which may
    hold a signature), and not overly long."""
    try:
        parts = urlsplit(url.strip()[:2048])
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        return url.strip()[:80]
    shown = f"{parts.scheme}://{host}{port}{parts.path}"
    if len(shown) > 160:
        shown = shown[:157] + "..."
    return shown + ("?..." if parts.query else "")
