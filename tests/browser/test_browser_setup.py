"""Without a browser the browser tests skip, saying why, except under CI, where they fail."""

from __future__ import annotations

import pytest

from tests.browser.conftest import give_up, unavailable


def test_a_missing_chromium_is_named() -> None:
    pytest.importorskip("playwright.sync_api", reason="the browser extra is not installed")
    assert unavailable("/nonexistent/chromium") == (
        "/nonexistent/chromium is absent (apt-get install chromium; .ci/run installs it)")


def test_without_ci_the_tests_skip_saying_why() -> None:
    with pytest.raises(pytest.skip.Exception, match="chromium is absent"):
        give_up("chromium is absent", {})


def test_under_ci_they_fail() -> None:
    with pytest.raises(pytest.fail.Exception,
                       match="browser tests cannot run under CI: chromium is absent"):
        give_up("chromium is absent", {"CI": "true"})
