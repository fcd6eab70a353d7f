"""Logs where they are stored: object stores and other filesystems, through fsspec.

A path with a protocol (``s3://bucket/logs/2026-12-*.jsonl.gz``, ``gs://...``, ``az://...``,
``https://...``, ``memory://...``) is listed and opened with fsspec (the ``remote`` extra:
``pip install 'promptcache[remote]'``, plus the filesystem's own package: s3fs, gcsfs,
adlfs). It is read exactly as a local file: the same formats, compression told by its first
bytes, one record at a time. A glob or a folder lists the log files below it in sorted order,
as a local folder is walked (without ``.gitignore`` files or ``--exclude``: an object store
has neither). Credentials come from the filesystem's usual places (environment, profiles);
promptcache never prints them, and names each file by its URL.
"""

from __future__ import annotations

import re
from typing import IO, Any

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_GLOB = re.compile(r"[*?\[]")


class RemoteError(Exception):
    """A remote path that cannot be listed or opened."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.reason = reason
        """What is wrong, without the URL (a report's location names it already)."""


def is_url(path: str) -> bool:
    """Whether ``path`` names a file through a protocol (``s3://...``), not a local path."""
    return _URL.match(path) is not None


def _filesystem(url: str) -> tuple[Any, str]:
    try:
        import fsspec
    except ImportError:
        raise RemoteError(url, (
            f"reading {url.split('://', 1)[0]}:// paths needs fsspec: pip install "
            "'promptcache[remote]' (and the filesystem's package, e.g. s3fs, gcsfs, adlfs)"
        )) from None
    try:
        found: tuple[Any, str] = fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as error:  # no implementation for the protocol
        raise RemoteError(url, _first_line(error)) from None
    return found


def expand_url(url: str) -> list[str]:
    """The log files ``url`` names: itself, the matches of a glob, or the log files below a
    folder, sorted; a :class:`RemoteError` when there are none or it cannot be listed."""
    from promptcache.load.paths import LOG_SUFFIXES  # paths imports this module

    filesystem, path = _filesystem(url)
    try:
        if _GLOB.search(path):
            found = [match for match in filesystem.glob(path) if filesystem.isfile(match)]
            if not found:
                raise RemoteError(url, "no file matches")
            return sorted(filesystem.unstrip_protocol(match) for match in found)
        if filesystem.isdir(path):
            found = [name for name in filesystem.find(path) if name.lower().endswith(LOG_SUFFIXES)]
            if not found:
                raise RemoteError(url, "holds no .json, .jsonl, .ndjson or .har files")
            return sorted(filesystem.unstrip_protocol(name) for name in found)
        if not filesystem.isfile(path):
            raise RemoteError(url, "no such file or directory")
    except OSError as error:  # permission denied, a store that cannot be reached
        raise RemoteError(url, _first_line(error)) from None
    return [url]  # as the user spelled it


def open_url(url: str) -> IO[bytes]:
    """``url`` opened for reading bytes (its compression is told by the reader, not here);
    a :class:`RemoteError` when it cannot be."""
    filesystem, path = _filesystem(url)
    try:
        opened: IO[bytes] = filesystem.open(path, "rb")
    except Exception as error:  # each filesystem raises its own errors for a missing key
        raise RemoteError(url, _first_line(error)) from None
    return opened


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:200]
