"""Where the configuration comes from: which file applies to a run, and reading it safely.

A file is read only when it is a regular file of at most :data:`MAX_CONFIG_BYTES`, so a
device, a FIFO or a runaway file is an error rather than a hang; TOML nested beyond what
the parser's recursion allows is an error too. Whatever cannot be read is a
:class:`ConfigError` naming the file, never skipped: it may hold the settings meant for the
run.
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from promptcache.config import Config, ConfigError, parse_config
from promptcache.engine.rule_api import Rule

CONFIG_FILE = "promptcache.toml"
PYPROJECT = "pyproject.toml"
MAX_CONFIG_BYTES = 1 << 20
"""A configuration file larger than this is refused unread: real ones are a few KiB, and a
device or a runaway file (``--config /dev/zero``) must not hang the run or fill memory."""


def find_config(start: Path, searched: set[Path] | None = None) -> Path | None:
    """The nearest configuration file at or above ``start``; a ``pyproject.toml`` that cannot
    be read, or whose ``[tool.promptcache]`` is not a table, is a :class:`ConfigError` (it
    may hold the settings meant for the run). ``searched`` holds folders an earlier search
    found nothing at or above (the walk stops there), and gains this search's."""
    # exists, not is-a-file: a FIFO or a folder by either name is reported, not skipped.
    # os.path.exists, not Path.exists: a folder we may not search raises in the latter.
    for folder in (start, *start.parents):
        if searched is not None:
            if folder in searched:
                return None
            searched.add(folder)
        candidate = folder / CONFIG_FILE
        if os.path.exists(candidate):
            return candidate
        pyproject = folder / PYPROJECT
        if os.path.exists(pyproject) and _tool_table(pyproject,
                                                     _read_toml(pyproject)) is not None:
            return pyproject
    return None


def discover_config(paths: Sequence[str], cwd: Path) -> Path | None:
    """The configuration for a run over ``paths``: found upward from each path's folder (a
    folder argument from itself; ``-`` from ``cwd``), as ruff does. When the paths lead to
    different files, the first path's wins: one run is one cache replay, with one set of
    rules. When none leads to a file, the one above ``cwd`` applies (or none). Each folder
    is looked in once, however many paths share it (pre-commit names many files)."""
    searched: set[Path] = set()
    for argument in paths:
        if argument == "-":
            start = cwd
        else:
            absolute = Path(os.path.abspath(cwd / argument))
            start = absolute if absolute.is_dir() else absolute.parent
        found = find_config(start, searched)
        if found is not None:
            return found
    return find_config(cwd, searched)


def _read_toml(path: Path) -> dict[str, Any]:
    """A regular file's TOML, read at most :data:`MAX_CONFIG_BYTES` of it."""
    try:
        with open(path, "rb", opener=_nonblocking) as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise ConfigError(f"{path}: not a regular file")
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from error
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: over {MAX_CONFIG_BYTES >> 20} MiB, too large for a "
                          "configuration file")
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not UTF-8 text (byte {error.start})") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from error
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML: values nested too deeply") from None


def _nonblocking(name: str, flags: int) -> int:
    # Opening a FIFO for reading waits for a writer; non-blocking, it returns at once and the
    # file-type check above refuses it.
    return os.open(name, flags | os.O_NONBLOCK)


def _tool_table(path: Path, data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """A pyproject's ``[tool.promptcache]``, None when it has none."""
    tool = data.get("tool")
    if not isinstance(tool, dict) or "promptcache" not in tool:
        return None
    table = tool["promptcache"]
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: tool.promptcache: expected a table, found "
                          f"{type(table).__name__}")
    return table


def load_config(path: Path, rules: Sequence[Rule]) -> Config:
    """Read and validate ``path``."""
    data = _read_toml(path)
    prefix = ""
    if path.name == PYPROJECT:
        data = dict(_tool_table(path, data) or {})
        prefix = "tool.promptcache"
    try:
        return parse_config(data, rules, source=path, prefix=prefix)
    except RecursionError:  # a value TOML could read but too deep to check
        raise ConfigError(f"{path}: values nested too deeply") from None


def run_config(named: Path | None, paths: Sequence[str], rules: Sequence[Rule], *,
               isolated: bool) -> Config:
    """The configuration of a run over ``paths``: the file ``named``, or the one found
    upward from the paths (or here), or the defaults (``isolated``: the defaults)."""
    if named is not None:
        return load_config(named, rules)
    if not isolated:
        found = discover_config(paths, Path.cwd())
        if found is not None:
            return load_config(found, rules)
    return Config()
