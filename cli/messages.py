"""Messages to the user on stderr: one plain line each, never wrapped, never styled."""

from __future__ import annotations

import os
import sys


def say(line: str) -> None:
    """Write ``line`` to stderr as it is (a log line must stay one line for grep and CI)."""
    try:
        sys.stderr.write(line.replace("\n", " ") + "\n")
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass  # nobody is listening; the exit status still tells


def silence_closed_stdout(code: int) -> int:
    """After the reader of stdout went away (``promptcache audit x | head -1``): stop quietly,
    as Unix tools do, and keep Python from complaining when it flushes stdout at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return code
