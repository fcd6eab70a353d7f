"""Messages to the user on stderr: one plain line each, never wrapped, never styled."""

from __future__ import annotations

import os
import sys


def say(line: str) -> None:
    """Write ``line`` to stderr as one printable line (for grep and CI; text quoted from a log
    may hold newlines or terminal escapes)."""
    stream = sys.stderr
    if stream is None:  # started with stderr closed (`2>&-`)
        return
    from promptcache.report.phrases import one_line

    try:
        stream.write(one_line(line, limit=None) + "\n")
        stream.flush()
    except (OSError, ValueError):
        pass  # nobody is listening (a closed pipe, a full disk); the exit status still tells


def silence_closed_stdout(code: int) -> int:
    """After the reader of stdout went away (``promptcache audit x | head -1``): stop quietly,
    as Unix tools do, and keep Python from complaining when it flushes stdout at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return code
