"""Token ids remembered across runs, so a small run need not build the tokenizer at all.

Building tiktoken's BPE for o200k takes about 0.2 s and unpickling its ranks 0.1 s: most of a
pre-commit run on a small fixture, which typically re-sends texts (system prompts, tools) an
earlier run has already tokenized. Entries are keyed by a digest of the text and stored in a
SQLite file in the cache folder. Only the first ``MAX_TEXTS_PER_RUN`` distinct texts of a run
go through it: a gigabyte audit tokenizes in memory and leaves the file alone. The file is
trimmed to ``MAX_ROWS`` entries, oldest first.
"""

from __future__ import annotations

import hashlib
import sqlite3
from array import array
from pathlib import Path

from promptcache.cachedir import cache_dir
from promptcache.tokens.claude.families import CLAUDE_ENCODINGS, memo_version

MAX_TEXTS_PER_RUN = 5_000
MAX_ROWS = 200_000


def memo_path(encoding_name: str) -> Path | None:
    """Where the memo of ``encoding_name`` is kept; None without a cache folder.

    A Claude encoding's memo is named after its vocabulary file's digest and the counting
    rules' revision too: ids counted under other data are in another file, never read (a
    tiktoken vocabulary is pinned by the hash tiktoken expects)."""
    folder = cache_dir()
    if folder is None:
        return None
    if encoding_name in CLAUDE_ENCODINGS:
        return folder / f"tokens-{encoding_name}-{memo_version(encoding_name)}.sqlite3"
    return folder / f"tokens-{encoding_name}.sqlite3"


def _key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class DiskMemo:
    """A persistent text -> token ids map for one encoding (a no-op without a cache folder)."""

    def __init__(self, encoding_name: str) -> None:
        self._connection: sqlite3.Connection | None = None
        self._pending: list[tuple[bytes, bytes]] = []
        self._lookups = 0
        self._empty = False
        path = memo_path(encoding_name)
        if path is not None:
            self._open(path)

    def _open(self, path: Path) -> None:
        try:
            connection = sqlite3.connect(path, timeout=1.0, isolation_level=None)
            connection.execute("CREATE TABLE IF NOT EXISTS tokens "
                               "(key BLOB PRIMARY KEY, ids BLOB NOT NULL)")
            empty = connection.execute("SELECT 1 FROM tokens LIMIT 1").fetchone() is None
        except sqlite3.Error:
            return  # unusable cache: tokenize as if there were none
        self._connection = connection
        # A first run has nothing to look up: each lookup would be a query that misses.
        self._empty = empty

    @property
    def active(self) -> bool:
        """True while this run still consults the file."""
        return self._connection is not None and self._lookups < MAX_TEXTS_PER_RUN

    def get(self, text: str) -> array[int] | None:
        """The remembered ids of ``text``, or None."""
        if not self.active or self._connection is None:
            return None
        self._lookups += 1  # counted even unasked: they bound the texts written, too
        if self._empty:
            return None
        try:
            row = self._connection.execute("SELECT ids FROM tokens WHERE key = ?",
                                           (_key(text),)).fetchone()
        except sqlite3.Error:
            self._connection = None
            return None
        if row is None:
            return None
        ids = array("I")
        ids.frombytes(row[0])
        return ids

    def put(self, text: str, tokens: array[int]) -> None:
        """Remember ``tokens`` (``array("I")``) for ``text`` (written when the run ends)."""
        if self.active:
            self._pending.append((_key(text), tokens.tobytes()))

    def flush(self) -> None:
        """Write what this run learned and trim the file."""
        connection = self._connection
        if connection is None or not self._pending:
            return
        try:
            with connection:
                connection.execute("BEGIN")
                connection.executemany("INSERT OR IGNORE INTO tokens VALUES (?, ?)",
                                       self._pending)
                connection.execute(
                    "DELETE FROM tokens WHERE rowid <= "
                    "(SELECT MAX(rowid) FROM tokens) - ?", (MAX_ROWS,))
        except sqlite3.Error:
            pass  # another run holds the lock, or the disk is full: next time
        self._pending.clear()
