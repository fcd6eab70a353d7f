"""Where a finding is, as CI tools want it: paths relative to the repository root (the
directory promptcache runs in), URIs percent-encoded, findings in reading order."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from promptcache.engine.findings import Finding

STDIN = "-"
"""The file name standard input is reported under."""

# RFC 3986 pchar minus ':' (a colon in a relative reference's first segment reads as a
# scheme): everything else, spaces, '#', '%' and non-ASCII included, is percent-encoded.
_URI_SAFE = "/!$&'()*+,;=@"


def relative_path(file: str, root: Path | None = None) -> str | None:
    """``file`` relative to ``root`` (the working directory) with forward slashes, or None for
    standard input and files outside it."""
    if file == STDIN:
        return None
    # abspath, not resolve: a symlinked log is reported where the user sees it.
    base = Path(os.path.abspath(root or Path.cwd()))
    try:
        inside = Path(os.path.abspath(file)).relative_to(base)
    except ValueError:
        return None
    return PurePosixPath(*inside.parts).as_posix()


def repository_path(file: str, root: Path | None = None) -> str:
    """The path a CI tool shows: relative to the root when the file is inside it, else as
    given (with forward slashes)."""
    relative = relative_path(file, root)
    return relative if relative is not None else file.replace("\\", "/").removeprefix("./")


def uri_reference(path: str) -> str:
    """``path`` (relative, forward slashes) as an RFC 3986 relative reference."""
    return quote(path, safe=_URI_SAFE)


def absolute_uri(file: str) -> str:
    """``file`` as an absolute ``file://`` URI, percent-encoded."""
    return Path(os.path.abspath(file)).as_uri()


def reading_order(finding: Finding) -> tuple[str, int, int, str]:
    """Sort key: file, line, column, rule code (how a person reads a list of findings)."""
    location = finding.location
    return (location.file, location.line, location.column, finding.code)
