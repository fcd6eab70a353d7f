"""Headless Chromium for the HTML report's tests: Debian's ``chromium``, driven by Playwright
(the ``browser`` extra). Playwright's own browser downloads are never used.

Without a browser the tests skip, saying why; under CI (``CI=true``) they fail instead, so a
CI image that lost its browser cannot pass unnoticed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tests.conftest import REPO

CHROMIUM = os.environ.get("PROMPTCACHE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = REPO / "tests" / "artifacts"
"""Screenshots the tests take (git-ignored; CI can keep them)."""


def unavailable(chromium: str = CHROMIUM) -> str | None:
    """Why the browser cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test,browser]')"
    if shutil.which(chromium) is None:
        return f"{chromium} is absent (apt-get install chromium; .ci/run installs it)"
    return None


def give_up(why: str, environ: Mapping[str, str]) -> NoReturn:
    """Skip, saying ``why``; under CI fail instead: a CI image without its browser must not
    pass unnoticed."""
    if environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run under CI: {why}")
    pytest.skip(why)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """Chromium, headless, for this package's tests: closed after them, since Playwright's
    synchronous driver keeps an event loop running in the thread while it is open (and
    tests elsewhere call asyncio.run)."""
    why = unavailable()
    if why is not None:
        give_up(why, os.environ)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        # --no-sandbox: CI containers run as root, where Chromium's sandbox cannot start.
        launched = driver.chromium.launch(executable_path=CHROMIUM, headless=True,
                                          args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """The folder screenshots are saved to, said once per run."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    print(f"\nbrowser test screenshots: {ARTIFACTS}")
    return ARTIFACTS
