"""The user-level cache folder: ready-to-use vocabularies and price lookups, so that a run on
one small file starts fast. Everything in it can be deleted at any time.

``PROMPTCACHE_CACHE_DIR`` names the folder; ``PROMPTCACHE_NO_CACHE=1`` turns it off; otherwise
``$XDG_CACHE_HOME/promptcache`` or ``~/.cache/promptcache``. A folder that cannot be created or
written is simply not used.
"""

from __future__ import annotations

import os
import tempfile
from functools import cache
from pathlib import Path


@cache
def cache_dir() -> Path | None:
    """The cache folder, created if needed; None when caching is off or impossible."""
    if os.environ.get("PROMPTCACHE_NO_CACHE", "") not in ("", "0"):
        return None
    chosen = os.environ.get("PROMPTCACHE_CACHE_DIR")
    if chosen:
        folder = Path(chosen)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        folder = Path(base) / "promptcache"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK) else None


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so a concurrent reader sees the old file or the new one."""
    try:
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.",
                                         delete=False) as handle:
            handle.write(data)
        os.replace(handle.name, path)
    except OSError:
        return  # a cache that cannot be written is only slower
