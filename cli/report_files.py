"""Where reports go: never onto an input, through symlinks, straight into devices and FIFOs,
and into regular files whole or not at all."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

STDOUT = "-"
"""The output name meaning standard output (``-o -``)."""

Writer = Callable[[TextIO], object]


class OutputRefused(Exception):
    """An output would destroy an input or another output; the message is one line."""


class OutputFailed(Exception):
    """A report could not be written; the message is one line, naming the file."""


def check_outputs(outputs: Sequence[str], inputs: Sequence[str]) -> None:
    """Refuse, before any work, outputs that are inputs (by any name: compared by device and
    inode, so ``./a.jsonl``, a symlink or a hard link to it are caught too), directories, and
    outputs that name one file twice."""
    known = {identity: name for name in inputs
             if (identity := _identity(name, standard=sys.stdin)) is not None}
    written: dict[tuple[object, ...], str] = {}
    for output in outputs:
        if output != STDOUT and os.path.isdir(output):
            raise OutputRefused(f"{output} is a directory: name a file for the report")
        identity = _identity(output, standard=sys.stdout)
        if identity in known:
            where = "standard output is" if output == STDOUT else f"{output} is"
            raise OutputRefused(f"{where} the input {known[identity]}: refusing to overwrite "
                                "it (choose another output file)")
        if identity is None:  # not there yet: two spellings of one new file resolve alike
            identity = ("stdout",) if output == STDOUT else ("new", os.path.realpath(output))
        if identity in written:
            name = "standard output" if output == STDOUT else output
            raise OutputRefused(f"{name} is named by two outputs ({written[identity]} and "
                                f"{output}); give each report its own destination")
        written[identity] = output


def _identity(name: str, *, standard: TextIO | None) -> tuple[object, ...] | None:
    """The file behind a name (``standard``, stdin or stdout, for ``-``) when it exists; None
    otherwise, and for a terminal or pipe behind ``-`` (nothing there can be overwritten)."""
    try:
        if name == STDOUT:
            if standard is None:
                return None
            # ``-`` is a file only when redirected to one (``< log.jsonl``, ``>> log.jsonl``).
            status = os.fstat(standard.fileno())
            if not stat.S_ISREG(status.st_mode):
                return None
        else:
            status = os.stat(name)
    except (OSError, ValueError):  # missing; or a test's stdin with no descriptor
        return None
    return (status.st_dev, status.st_ino)


def write_report(path: str, writer: Writer) -> None:
    """Write a report file, raising :class:`OutputFailed` with the reason.

    A regular file is written whole or not at all (a temporary file renamed over it, with the
    old file's mode; a new one gets the umask's, as any tool's output does); through a
    symbolic link, the link's target is replaced and the link kept; a device, FIFO or other
    special file (``/dev/stdout``, ``/dev/null``) is written directly, never replaced.
    """
    try:
        try:
            mode: int | None = os.stat(path).st_mode
        except FileNotFoundError:
            mode = None
        if mode is not None and not stat.S_ISREG(mode):
            with open(path, "w", encoding="utf-8") as handle:
                writer(handle)
            return
        _replace(os.path.realpath(path), writer, None if mode is None else stat.S_IMODE(mode))
    except OSError as problem:
        raise OutputFailed(f"cannot write {path}: {problem.strerror or problem}") from None


def _replace(target: str, writer: Writer, keep_mode: int | None) -> None:
    folder, name = os.path.split(target)
    temporary = os.path.join(folder, f".{name}.{secrets.token_hex(6)}.tmp")
    # 0o666 less the umask, like any new file; mkstemp's 0o600 would hide a CI artifact
    # from the upload step running as another user.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        if keep_mode is not None:
            os.fchmod(descriptor, keep_mode)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            writer(handle)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
