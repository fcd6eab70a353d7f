"""The installed genai-prices' version (it names the price cache and the report's price data),
read without importlib.metadata, whose import and path scan cost a run 35-50 ms."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

from promptcache.pricing import genai_prices_version, installed_version

SAMPLE = Path(__file__).parent.parent / "samples" / "tool-order.jsonl"


def _package(site: Path, name: str) -> None:
    (site / name).mkdir()
    (site / name / "__init__.py").write_text("")


def test_the_version_is_read_from_the_dist_info_folder_beside_the_package(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _package(tmp_path, "pc_probe_pkg")
    (tmp_path / "pc_probe_dist-1.2.3.dist-info").mkdir()
    (tmp_path / "pc_probe_distant-9.9.dist-info").mkdir()  # another project's
    monkeypatch.syspath_prepend(tmp_path)
    assert installed_version("pc-probe-dist", "pc_probe_pkg") == "1.2.3"


def test_without_a_dist_info_folder_importlib_metadata_answers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _package(tmp_path, "pc_bare_pkg")
    monkeypatch.syspath_prepend(tmp_path)
    with pytest.raises(PackageNotFoundError):
        installed_version("pc-bare-dist", "pc_bare_pkg")


def test_genai_prices_version_is_the_installed_one() -> None:
    assert genai_prices_version() == version("genai-prices")


def test_an_audit_with_warm_caches_does_not_import_importlib_metadata(tmp_path: Path) -> None:
    probe = ("import runpy, sys\n"
             f"sys.argv = ['promptcache', 'audit', {str(SAMPLE)!r}, '--exit-zero']\n"
             "try:\n"
             "    runpy.run_module('promptcache.cli', run_name='__main__')\n"
             "except SystemExit:\n"
             "    pass\n"
             "print('importlib.metadata' in sys.modules, file=sys.stderr)\n")
    environment = {**os.environ, "PROMPTCACHE_CACHE_DIR": str(tmp_path)}
    runs = [subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                           env=environment, check=True) for _ in range(2)]
    # The first run looks the prices up in genai-prices (which reads its own metadata) and
    # keeps them; the second reads them from the cache folder.
    assert runs[1].stderr.strip().splitlines()[-1] == "False", runs[1].stderr
