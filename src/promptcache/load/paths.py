"""Path discovery: turn the paths a user gives into the log files a run reads, each once.

Folders are walked for log files, skipping what ``exclude`` / ``extend-exclude`` and
``.gitignore`` files leave out (as ruff does); a file named on the command line is read even
when excluded, unless ``force_exclude`` says otherwise (pre-commit passes explicit names). A
file given twice, under two spellings or also found in a folder given beside it, is read once:
reading it twice would count its traffic twice and report duplicate requests that are not.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from promptcache.load.remote import RemoteError, expand_url, is_url

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

_LOG_KINDS = (".jsonl", ".ndjson", ".json", ".har")
COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz", ".zst")
"""Compressed logs a folder walk takes (see promptcache.load.sources: gzip, bzip2, xz, zstd)."""
LOG_SUFFIXES = _LOG_KINDS + tuple(kind + suffix for suffix in COMPRESSED_SUFFIXES
                                  for kind in _LOG_KINDS)
"""What a folder walk takes as a log: JSON text (a HAR capture is one JSON document), plain
or compressed."""

DEFAULT_EXCLUDES = (
    ".bzr", ".direnv", ".eggs", ".git", ".git-rewrite", ".hg", ".ipynb_checkpoints",
    ".mypy_cache", ".nox", ".pants.d", ".pyenv", ".pytest_cache", ".pytype", ".ruff_cache",
    ".svn", ".tox", ".venv", ".vscode", "__pypackages__", "_build", "buck-out", "dist",
    "node_modules", "site-packages", "venv",
)
"""Folders never walked unless ``exclude`` is set: ruff's defaults (tool caches, virtual
environments, version-control data), none of which holds a project's request logs."""


class InputError(Exception):
    """A path argument cannot be used at all (missing, unreadable): the command fails."""


@dataclass(frozen=True, slots=True)
class PathFilter:
    """What a folder walk leaves out."""

    root: Path
    """The project root (absolute): excludes holding a ``/`` and ``.gitignore`` files above
    a walked folder are read relative to it."""
    exclude: tuple[str, ...] = DEFAULT_EXCLUDES
    """Glob patterns: a bare name (``.venv``, ``*.tmp.jsonl``) matches a file or folder of
    that name anywhere; a pattern with ``/`` matches a path relative to the root."""
    extend_exclude: tuple[str, ...] = ()
    """More patterns, added to ``exclude`` rather than replacing it."""
    respect_gitignore: bool = True
    """Leave out what ``.gitignore`` files (and ``.git/info/exclude``) ignore."""
    force_exclude: bool = False
    """Apply the same filter to files named on the command line."""

    def excluded(self, path: Path, *, below: Path) -> bool:
        """True when a pattern matches ``path`` or one of its folders under ``below``."""
        names, paths = _matchers((*self.exclude, *self.extend_exclude))
        if names is not None and any(names(part.name) for part in _parts_below(path, below)):
            return True
        relative = _relative(path, self.root) if paths is not None else None
        if paths is None or relative is None:
            return False
        return any(paths(Path(*relative.parts[:end]).as_posix())
                   for end in range(1, len(relative.parts) + 1))


Matcher = Callable[[str], "re.Match[str] | None"]


@lru_cache(maxsize=16)
def _matchers(patterns: tuple[str, ...]) -> tuple[Matcher | None, Matcher | None]:
    """(name patterns, path patterns: those with a ``/``) each as one regex matching what
    ``fnmatchcase`` matches with any of them (asked for every entry a walk meets); None
    where there are none."""
    names = [pattern for pattern in patterns if "/" not in pattern.rstrip("/")]
    paths = [pattern.strip("/").removeprefix("./") for pattern in patterns
             if "/" in pattern.rstrip("/")]
    return _any_of(names), _any_of(paths)


def _any_of(patterns: Sequence[str]) -> Matcher | None:
    return re.compile("|".join(map(fnmatch.translate, patterns))).match if patterns else None


def expand_paths(arguments: Iterable[str], path_filter: PathFilter | None = None,
                 suffixes: tuple[str, ...] = LOG_SUFFIXES) -> list[str]:
    """The log files to read, each once, in the order given (folders in sorted order); none
    when ``force_exclude`` leaves out every file named (a pre-commit run touching only
    excluded files, which must pass, as ruff's does).

    A path that is missing or cannot be read, named or found in a folder, is an
    :class:`InputError`: the run would silently leave part of the logs out otherwise. Files
    are spelled relative to the current folder when inside it (``./a.jsonl`` and the
    absolute path both become ``a.jsonl``), so reports and fingerprints do not change with
    how a path was typed. A folder walk takes the files ending in ``suffixes`` (the logs;
    source files for ``promptcache lint``).
    """
    chosen = path_filter or PathFilter(root=Path.cwd())
    expanded: list[str] = []
    seen: set[tuple[int, int]] = set()
    gitignores: dict[Path, _Gitignores] = {}  # per folder of named files (pre-commit's many)
    urls: set[str] = set()
    for argument in arguments:
        if is_url(argument):
            try:
                found = expand_url(argument)
            except RemoteError as problem:
                raise InputError(str(problem)) from None
            expanded.extend(url for url in found if url not in urls)
            urls.update(found)
            continue
        for path in _expand_one(argument, chosen, gitignores, suffixes):
            key = (-1, -1) if path == "-" else _identity(path)
            if key not in seen:
                seen.add(key)
                expanded.append(path)
    return expanded  # empty only when --force-exclude left every named file out


def _expand_one(argument: str, path_filter: PathFilter,
                gitignores: dict[Path, _Gitignores],
                suffixes: tuple[str, ...] = LOG_SUFFIXES) -> list[str]:
    if argument == "-":
        if sys.stdin is None:  # started with stdin closed (`<&-`)
            raise InputError("-: standard input is closed")
        return [argument]
    mode = _mode(argument)
    if stat.S_ISDIR(mode):
        found = sorted(_log_files_below(Path(argument), path_filter, suffixes))
        if not found:
            kinds = ("no .json, .jsonl, .ndjson or .har files" if suffixes == LOG_SUFFIXES
                     else "no source files")
            raise InputError(f"{argument}: directory holds {kinds} that are not excluded")
        return found
    if not stat.S_ISREG(mode):
        raise InputError(f"{argument}: not a regular file")
    _check_readable(argument)
    absolute = Path(os.path.abspath(argument))
    # Its folders count up to the project root (`logs` excludes `logs/a.jsonl`), as in a walk.
    inside = _relative(absolute, path_filter.root) is not None
    if path_filter.force_exclude and _filtered(
            absolute, path_filter, path_filter.root if inside else absolute.parent,
            gitignores):
        return []
    return [shown_path(absolute)]


def shown_path(path: Path) -> str:
    """``path`` as reports show it: relative to the current folder when inside it, else
    absolute; normalized either way (no ``./``, no ``..``)."""
    absolute = Path(os.path.abspath(path))
    relative = _relative(absolute, Path.cwd())
    return str(relative) if relative is not None and relative.parts else str(absolute)


def project_path(file: str, root: Path | None) -> str:
    """``file`` (as shown) relative to the project ``root``, in ``/`` form, for what must not
    change with the folder promptcache runs from: baseline fingerprints, per-file ignores.
    A file outside the root (or standard input) keeps its shown name."""
    if root is None or file == "-":
        return Path(file).as_posix() if file != "-" else file
    relative = _relative(Path(os.path.abspath(file)), root)
    return relative.as_posix() if relative is not None else Path(file).as_posix()


def _relative(path: Path, root: Path) -> Path | None:
    try:
        return path.relative_to(root)
    except ValueError:
        return None


def _parts_below(path: Path, below: Path) -> Iterator[Path]:
    """``path`` and each of its folders strictly under ``below``."""
    while path != below and path != path.parent:
        yield path
        path = path.parent


def _identity(path: str) -> tuple[int, int]:
    status = os.stat(path)
    return status.st_dev, status.st_ino


def _mode(path: str) -> int:
    try:
        return os.stat(path).st_mode
    except FileNotFoundError:
        raise InputError(f"{path}: no such file or directory") from None
    except OSError as error:  # permission denied on a parent folder, a name too long...
        raise InputError(f"{path}: {(error.strerror or str(error)).lower()}") from None


def _check_readable(path: str) -> None:
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: not readable (permission denied)")


def _filtered(path: Path, path_filter: PathFilter, below: Path,
              gitignores: dict[Path, _Gitignores]) -> bool:
    if path_filter.excluded(path, below=below):
        return True
    if not path_filter.respect_gitignore:
        return False
    folder = gitignores.get(path.parent)
    if folder is None:  # read once per folder, not once per file named in it
        folder = gitignores[path.parent] = _Gitignores(path_filter.root, path.parent)
    return folder.ignored(path)


def _log_files_below(folder: Path, path_filter: PathFilter,
                     suffixes: tuple[str, ...] = LOG_SUFFIXES) -> Iterator[str]:
    def unlistable(error: OSError) -> None:
        raise InputError(f"{error.filename}: cannot list: "
                         f"{(error.strerror or str(error)).lower()}")

    top = Path(os.path.abspath(folder))
    gitignores = _Gitignores(path_filter.root, top) if path_filter.respect_gitignore else None
    # Symbolic links to folders are not followed (a link to a parent would never end).
    for parent, folders, names in os.walk(top, onerror=unlistable):
        here = Path(parent)
        if gitignores is not None:
            gitignores.enter(here)
        # Pruned in place, so an excluded folder (.venv, node_modules) is never listed.
        folders[:] = [name for name in folders
                      if not _skipped(here / name, path_filter, gitignores, folder=True)]
        for name in names:
            path = here / name
            if (name.lower().endswith(suffixes) and path.is_file()
                    and not _skipped(path, path_filter, gitignores, folder=False)):
                _check_readable(str(path))
                yield shown_path(path)


def _skipped(path: Path, path_filter: PathFilter, gitignores: _Gitignores | None, *,
             folder: bool) -> bool:
    # Its own name only: the folders above it, up to the one walked, were let through.
    if path_filter.excluded(path, below=path.parent):
        return True
    return gitignores is not None and gitignores.ignored(path, folder=folder)


class _Gitignores:
    """The ``.gitignore`` files that apply under a folder: those of its parents up to the
    repository (or project) root, then each folder's own as the walk enters it."""

    def __init__(self, root: Path, top: Path) -> None:
        self._specs: list[tuple[Path, GitIgnoreSpec]] = []
        self._entered: set[Path] = set()
        repository = git_root(top)
        start = repository or root
        if _relative(top, start) is None:
            start = top
        if repository is not None:  # git reads it first: every .gitignore overrides it
            self._add(repository, repository / ".git" / "info" / "exclude")
        for folder in reversed([top, *_parents_down_to(top, start)]):
            self.enter(folder)

    def enter(self, folder: Path) -> None:
        """Read ``folder``'s ``.gitignore``, if any (each folder once)."""
        if folder not in self._entered:
            self._entered.add(folder)
            self._add(folder, folder / ".gitignore")

    def _add(self, base: Path, file: Path) -> None:
        try:
            lines = file.read_text("utf-8", "replace").splitlines()
        except OSError:  # none there, or a folder of that name: nothing ignored
            return
        from pathspec import GitIgnoreSpec  # only runs that walk a folder pay for it

        self._specs.append((base, GitIgnoreSpec.from_lines(lines)))

    def ignored(self, path: Path, *, folder: bool = False) -> bool:
        """True when the nearest ``.gitignore`` with an opinion ignores ``path``."""
        verdict = False
        for base, spec in self._specs:  # outer folders first: inner files override them
            relative = _relative(path, base)
            if relative is None or not relative.parts:
                continue
            name = relative.as_posix() + ("/" if folder else "")
            result = spec.check_file(name)
            if result.include is not None:
                verdict = result.include
        return verdict


def _parents_down_to(path: Path, top: Path) -> Sequence[Path]:
    """The folders above ``path`` up to and including ``top``."""
    parents: list[Path] = []
    for parent in path.parents:
        if _relative(parent, top) is None:
            break
        parents.append(parent)
    return parents


def git_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` holding ``.git`` (a folder, or a file in a
    worktree), else None: the project root when there is no configuration file."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None
