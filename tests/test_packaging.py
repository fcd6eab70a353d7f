"""The wheel installs one top-level package, promptcache, with its schemas."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

from .conftest import REPO


def test_wheel_holds_only_the_promptcache_package(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(REPO)],
        check=True, capture_output=True, timeout=300,
    )
    [wheel] = tmp_path.glob("promptcache-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/", 1)[0] for name in names}
    assert {name for name in top_level if not name.endswith(".dist-info")} == {"promptcache"}
    for expected in ("promptcache/cli/main.py", "promptcache/rules/dynamic_prefix.py",
                     "promptcache/schemas/report.schema.json", "promptcache/py.typed",
                     "promptcache/tokens/claude/data/pieces_v3.json.gz",
                     "promptcache/tokens/claude/data/pieces_v4_7.json.gz",
                     "promptcache/tokens/claude/data/LICENSE-ctok",
                     "promptcache/report/html/vendor/chart.umd.min.js",
                     "promptcache/report/html/vendor/chart.js.LICENSE.md",
                     "promptcache/report/html/static/app.js",
                     "promptcache/report/html/static/style.css"):
        assert expected in names


def _runtime_dependencies() -> list[str]:
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    return [re.split(r"[<>=!~ ;\[]", requirement, maxsplit=1)[0]
            for requirement in project["dependencies"]]


def test_every_runtime_dependency_is_used_at_run_time() -> None:
    sources = "\n".join(path.read_text("utf-8")
                        for folder in ("src/promptcache", "cli", "rules")
                        for path in (REPO / folder).rglob("*.py"))
    unused = [name for name in _runtime_dependencies()
              if not re.search(rf"^\s*(import|from) {name.replace('-', '_')}\b"
                               rf"|files\(\"{name}\"\)", sources, re.MULTILINE)]
    assert unused == []
    assert "jsonschema" not in _runtime_dependencies()  # only the tests use it


def test_no_shipped_file_names_a_url_the_project_does_not_have() -> None:
    """No invented home page, repository or schema ``$id``: a user following one would land
    on somebody else's site (the project has no public URL yet)."""
    shipped = [*(REPO / "src/promptcache").rglob("*.json"), REPO / "pyproject.toml",
               REPO / "README.md", REPO / ".pre-commit-hooks.yaml"]
    shipped += [path for folder in ("src/promptcache", "cli", "rules")
                for path in (REPO / folder).rglob("*.py")]
    invented = re.compile(r"https?://(?:[\w.-]*\.)?promptcache\.(?:dev|io|com|org)"
                          r"|github\.com/promptcache/")
    assert [str(path.relative_to(REPO)) for path in shipped
            if invented.search(path.read_text("utf-8"))] == []
