"""Cache lifetimes as people write them (``10m``, ``1h30m``, ``600``), on the command line and
in the configuration; NaN, infinity, zero and negatives refused on one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from promptcache.cli.main import main
from promptcache.durations import DurationError, parse_duration

from .conftest import SAMPLES


@pytest.mark.parametrize(("written", "seconds"), [
    pytest.param("600", 600.0, id="bare-seconds"),
    pytest.param("1.5", 1.5, id="fractional-seconds"),
    pytest.param("90s", 90.0, id="seconds"),
    pytest.param("10m", 600.0, id="minutes"),
    pytest.param("1h", 3600.0, id="hours"),
    pytest.param("1h30m", 5400.0, id="hours-minutes"),
    pytest.param("1h0m5s", 3605.0, id="all-units"),
    pytest.param(" 2M ", 120.0, id="spaces-and-capitals"),
    pytest.param(300, 300.0, id="toml-integer"),
    pytest.param(0.5, 0.5, id="toml-float"),
])
def test_durations_people_write(written: str | float, seconds: float) -> None:
    assert parse_duration(written) == seconds


@pytest.mark.parametrize(("written", "message"), [
    pytest.param("nan", "'nan' is not a finite duration", id="nan"),
    pytest.param("inf", "'inf' is not a finite duration", id="inf"),
    pytest.param(float("nan"), "nan is not a finite duration", id="toml-nan"),
    pytest.param(float("inf"), "inf is not a finite duration", id="toml-inf"),
    pytest.param("0", "'0' is not a positive duration", id="zero"),
    pytest.param("0m", "'0m' is not a positive duration", id="zero-minutes"),
    pytest.param("-5", "'-5' is not a positive duration", id="negative"),
    pytest.param(-5, "-5 is not a positive duration", id="toml-negative"),
    pytest.param("10 minutes", "'10 minutes' is not a duration (write 600, 90s, 10m, 1h or "
                 "1h30m)", id="words"),
    pytest.param("30m1h", "'30m1h' is not a duration (write 600, 90s, 10m, 1h or 1h30m)",
                 id="units-out-of-order"),
    pytest.param("", "'' is not a duration (write 600, 90s, 10m, 1h or 1h30m)", id="empty"),
    pytest.param(True, "expected a duration such as 600, 90s, 10m or 1h30m, found true",
                 id="toml-boolean"),
])
def test_durations_refused(written: str | float, message: str) -> None:
    with pytest.raises(DurationError) as refused:
        parse_duration(written)
    assert str(refused.value) == message


def _lifetime_note(capsys: pytest.CaptureFixture[str], *arguments: str) -> str:
    assert main(["audit", "-q", "-f", "json", *arguments,
                 str(SAMPLES / "clean-agent-session.jsonl")]) == 0
    return str(json.loads(capsys.readouterr().out)["summary"]["cache_model"]["lifetime"])


def test_cache_lifetime_option_takes_a_duration(capsys: pytest.CaptureFixture[str]) -> None:
    note = _lifetime_note(capsys, "--isolated", "--cache-lifetime", "1h30m")
    assert note == "5400 s idle lifetime"


@pytest.mark.parametrize("written", ["nan", "inf", "0", "-1", "10 minutes"])
def test_cache_lifetime_option_refuses_what_is_no_lifetime(
        capsys: pytest.CaptureFixture[str], written: str) -> None:
    assert main(["audit", "--isolated", "--cache-lifetime", written,
                 str(SAMPLES / "clean-agent-session.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"promptcache: Invalid value for '--cache-lifetime': '{written}' is ")
    assert err.count("\n") == 1


def test_cache_lifetime_in_the_configuration_takes_a_duration(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "promptcache.toml").write_text('cache-lifetime = "10m"\n', "utf-8")
    assert _lifetime_note(capsys) == "600 s idle lifetime"


@pytest.mark.parametrize(("toml", "message"), [
    pytest.param("cache-lifetime = nan", "cache-lifetime: nan is not a finite duration",
                 id="nan"),
    pytest.param("cache-lifetime = inf", "cache-lifetime: inf is not a finite duration",
                 id="inf"),
    pytest.param("cache-lifetime = 0", "cache-lifetime: 0 is not a positive duration",
                 id="zero"),
    pytest.param('cache-lifetime = "soon"', "cache-lifetime: 'soon' is not a duration (write "
                 "600, 90s, 10m, 1h or 1h30m)", id="words"),
])
def test_cache_lifetime_in_the_configuration_refuses_what_is_no_lifetime(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        toml: str, message: str) -> None:
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "promptcache.toml"
    config.write_text(toml + "\n", "utf-8")
    assert main(["audit", str(SAMPLES / "clean-agent-session.jsonl")]) == 2
    assert capsys.readouterr().err == f"promptcache: {config}: {message}\n"
