"""Another revision's source tree, for benchmarks that compare it with this checkout in one
run (bench/reader.py, bench/startup.py)."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def extract(revision: str, folder: Path) -> Path:
    """``revision``'s ``src`` folder, unpacked under ``folder``: put it first on PYTHONPATH
    and ``import promptcache`` loads that revision."""
    # src/promptcache links to the top-level cli/ and rules/ folders: all three, or the
    # links dangle.
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, "src", "cli",
                              "rules"], check=True, capture_output=True).stdout
    archive_path = folder / "src.tar"
    archive_path.write_bytes(archive)
    target = folder / revision.replace("/", "_")
    with tarfile.open(archive_path) as tar:
        tar.extractall(target, filter="data")
    return target / "src"
