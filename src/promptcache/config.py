"""Configuration: found, read, validated in one place, turned into the rules a run uses.

Looked for upward from the current directory: a ``promptcache.toml`` (keys at the top level)
or a ``pyproject.toml`` with a ``[tool.promptcache]`` table, whichever comes first. An unknown
key, rule or option is an error naming its path; nothing is silently ignored.

```toml
[tool.promptcache]
select = ["PC1", "tool-order"]   # codes, code prefixes or names; default: every rule
ignore = ["prompt-too-short"]
fail-on = "warning"               # info | warning | error
cache-lifetime = "10m"            # a cached prefix survives unused (600, 90s, 1h30m...)
allow-empty = false               # true: a run that audits no request exits as usual
fetch-images = false              # read remote images' sizes over the network (opt-in)
fetch-timeout = 5                 # seconds per image URL, when fetching
fetch-max-images = 100            # distinct image URLs fetched per run, at most
snippets = false                  # reports quote no prompt text (for code-scanning uploads)

[tool.promptcache.severity]
tool-order = "error"

[tool.promptcache.rules.dynamic-prefix]
min-shared-tokens = 64

[tool.promptcache.per-file-ignores]
"fixtures/legacy/*.jsonl" = ["PC201"]
```
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path, PurePath
from typing import Any

from promptcache.durations import DurationError, parse_duration
from promptcache.engine.findings import Severity
from promptcache.engine.rule_api import Rule
from promptcache.engine.rule_engine import ActiveRule
from promptcache.load.validator import UNKNOWN_FIELD, compile_schema, compiled
from promptcache.tokens.remote_images import FetchLimits

CONFIG_FILE = "promptcache.toml"
PYPROJECT = "pyproject.toml"


class ConfigError(Exception):
    """The configuration is invalid; the message names the file and the key path."""


@dataclass(frozen=True, slots=True)
class Config:
    """A validated configuration (defaults when there is no file)."""

    source: Path | None = None
    """The file it came from; None for the defaults."""
    select: tuple[str, ...] = ()
    """Rule selectors to enable (empty: every rule)."""
    ignore: tuple[str, ...] = ()
    """Rule selectors to disable."""
    severity: Mapping[str, str] = field(default_factory=dict)
    """Rule selector -> severity name."""
    rule_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Rule selector (code or name) -> options."""
    fail_on: str | None = None
    """The failing severity, if set."""
    cache_lifetime: float | None = None
    """Seconds a cached prefix survives unused, if set."""
    allow_empty: bool = False
    """A run that audits no request exits as usual instead of failing (exit 2)."""
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Glob (relative to the config file's folder) -> rule selectors ignored there."""
    snippets: bool | None = None
    """Whether reports quote (redacted) prompt text, if set."""
    fetch_images: bool | None = None
    """Fetch remote images' headers to read their sizes, if set."""
    fetch_timeout: float | None = None
    """Seconds allowed per image URL when fetching, if set."""
    fetch_max_images: int | None = None
    """Distinct image URLs fetched per run at most, if set."""


@cache
def _schema() -> dict[str, Any]:
    text = files("promptcache").joinpath("schemas", "config.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def find_config(start: Path) -> Path | None:
    """The nearest configuration file at or above ``start``."""
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate
        pyproject = folder / PYPROJECT
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
    return None


def _has_tool_table(pyproject: Path) -> bool:
    try:
        data = tomllib.loads(pyproject.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return isinstance(data.get("tool"), dict) and "promptcache" in data["tool"]


def load_config(path: Path, rules: Sequence[Rule]) -> Config:
    """Read and validate ``path``."""
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not UTF-8 text (byte {error.start})") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from error
    prefix = ""
    if path.name == PYPROJECT:
        data = data.get("tool", {}).get("promptcache", {})
        prefix = "tool.promptcache"
    return parse_config(data, rules, source=path, prefix=prefix)


def parse_config(data: Mapping[str, Any], rules: Sequence[Rule], *, source: Path | None = None,
                 prefix: str = "") -> Config:
    """Validate configuration data (as read from TOML) against the schema and the rules."""
    where = f"{source}: " if source else ""
    problem = compiled("config.schema.json")(data)
    if problem is not None:
        message = problem.message
        if message == UNKNOWN_FIELD:
            message = f"unknown key (known: {', '.join(sorted(_schema()['properties']))})"
        raise ConfigError(f"{where}{_key_path(prefix, problem.path)}: {message}")

    def check_selectors(key: str, selectors: Sequence[str]) -> tuple[str, ...]:
        for index, selector in enumerate(selectors):
            if not _matching(selector, rules):
                raise ConfigError(f"{where}{_key_path(prefix, [key, index])}: unknown rule "
                                  f"{selector!r} (see `promptcache rules`)")
        return tuple(selectors)

    severity = dict(data.get("severity", {}))
    for selector in severity:
        if not _matching(selector, rules):
            raise ConfigError(f"{where}{_key_path(prefix, ['severity', selector])}: unknown "
                              f"rule {selector!r}")
    options = dict(data.get("rules", {}))
    for selector, values in options.items():
        rule = _exact(selector, rules)
        if rule is None:
            raise ConfigError(f"{where}{_key_path(prefix, ['rules', selector])}: unknown rule "
                              f"{selector!r} (options are set per rule code or name)")
        _check_options(rule, values, where, _key_path(prefix, ["rules", selector]))
    ignores = {
        pattern: check_selectors(f"per-file-ignores.{pattern}", selectors)
        for pattern, selectors in dict(data.get("per-file-ignores", {})).items()
    }
    lifetime = _lifetime(data.get("cache-lifetime"), where, prefix)
    fetch_timeout = data.get("fetch-timeout")
    return Config(
        source=source,
        select=check_selectors("select", data.get("select", [])),
        ignore=check_selectors("ignore", data.get("ignore", [])),
        severity=severity,
        rule_options=options,
        fail_on=data.get("fail-on"),
        cache_lifetime=lifetime,
        allow_empty=data.get("allow-empty", False),
        per_file_ignores=ignores,
        snippets=data.get("snippets"),
        fetch_images=data.get("fetch-images"),
        fetch_timeout=float(fetch_timeout) if fetch_timeout is not None else None,
        fetch_max_images=data.get("fetch-max-images"),
    )


def _lifetime(value: str | float | None, where: str, prefix: str) -> float | None:
    """``cache-lifetime`` in seconds (``600``, ``"10m"``, ``"1h30m"``)."""
    if value is None:
        return None
    try:
        return parse_duration(value)
    except DurationError as error:
        raise ConfigError(f"{where}{_key_path(prefix, ['cache-lifetime'])}: {error}") from None


def _check_options(rule: Rule, values: Mapping[str, Any], where: str, path: str) -> None:
    schema = {"type": "object", "additionalProperties": False,
              "properties": dict(rule.options_schema)}
    problem = compile_schema(schema)(values)
    if problem is None:
        return
    if problem.message == UNKNOWN_FIELD:
        known = ", ".join(sorted(rule.options_schema)) or "none"
        raise ConfigError(f"{where}{_key_path(path, problem.path)}: unknown option for "
                          f"{rule.name} (options: {known})")
    raise ConfigError(f"{where}{_key_path(path, problem.path)}: {problem.message}")


def _matching(selector: str, rules: Sequence[Rule]) -> list[Rule]:
    """Rules a selector names: a code, a code prefix (``PC1``), a name, or ``ALL``."""
    wanted = selector.strip()
    if wanted.upper() == "ALL":
        return list(rules)
    code_like = wanted.upper().startswith("PC")
    return [rule for rule in rules
            if rule.name == wanted.lower()
            or (code_like and rule.code.upper().startswith(wanted.upper()))]


def _exact(selector: str, rules: Sequence[Rule]) -> Rule | None:
    wanted = selector.strip().lower()
    return next((rule for rule in rules if wanted in (rule.code.lower(), rule.name)), None)


def _key_path(prefix: str, parts: Any) -> str:
    path = prefix
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            text = str(part)
            bare = text.replace("-", "").replace("_", "").isalnum()
            piece = text if bare else json.dumps(text)
            path = f"{path}.{piece}" if path else piece
    return path or "(top level)"


@dataclass(frozen=True, slots=True)
class RunSettings:
    """What a run uses: the configured rules and the run-wide settings."""

    rules: tuple[ActiveRule, ...]
    fail_on: Severity
    cache_lifetime: float | None
    per_file_ignores: Mapping[str, frozenset[str]]
    base: Path | None
    snippets: bool = True
    """Reports quote (redacted) prompt text; False: no prompt text at all (``--no-snippets``)."""
    image_fetch: FetchLimits | None = None
    """How to fetch remote images' sizes; None (the default): never, the run stays offline."""

    def ignored(self, code: str, file: str) -> bool:
        """True when ``code`` is ignored for ``file`` by a per-file ignore."""
        if not self.per_file_ignores:
            return False
        candidates = [PurePath(file).as_posix()]
        if self.base is not None:
            with contextlib.suppress(ValueError):  # a file outside the project
                candidates.append(Path(file).resolve().relative_to(self.base).as_posix())
        return any(code in codes and any(fnmatch.fnmatch(name, pattern) for name in candidates)
                   for pattern, codes in self.per_file_ignores.items())


def settings_from(config: Config, rules: Sequence[Rule], *, select: Sequence[str] = (),
                  ignore: Sequence[str] = (), fail_on: str | None = None,
                  cache_lifetime: float | None = None, fetch_images: bool | None = None,
                  fetch_timeout: float | None = None,
                  fetch_max_images: int | None = None,
                  snippets: bool | None = None) -> RunSettings:
    """Combine the configuration with command-line choices (which win)."""
    for selector in (*select, *ignore):
        if not _matching(selector, rules):
            raise ConfigError(f"unknown rule {selector!r} (see `promptcache rules`)")
    chosen_select = tuple(select) or config.select
    chosen_ignore = (*config.ignore, *ignore)
    enabled = [rule for rule in rules
               if (not chosen_select or any(rule in _matching(s, rules) for s in chosen_select))
               and not any(rule in _matching(s, rules) for s in chosen_ignore)]
    active = []
    for rule in enabled:
        severity = rule.severity
        for selector, level in config.severity.items():
            if rule in _matching(selector, rules):
                severity = Severity(level)
        options = dict(rule.options)
        for selector, values in config.rule_options.items():
            if _exact(selector, rules) is rule:
                options.update(values)
        active.append(ActiveRule(rule, severity, options))
    per_file = {
        pattern: frozenset(rule.code for selector in selectors
                           for rule in _matching(selector, rules))
        for pattern, selectors in config.per_file_ignores.items()
    }
    return RunSettings(
        rules=tuple(active),
        fail_on=Severity(fail_on or config.fail_on or "warning"),
        cache_lifetime=cache_lifetime if cache_lifetime is not None else config.cache_lifetime,
        per_file_ignores=per_file,
        base=config.source.parent.resolve() if config.source else None,
        snippets=next((wanted for wanted in (snippets, config.snippets) if wanted is not None),
                      True),
        image_fetch=_image_fetch(config, fetch_images, fetch_timeout, fetch_max_images),
    )


def _image_fetch(config: Config, fetch_images: bool | None, timeout: float | None,
                 max_images: int | None) -> FetchLimits | None:
    """The fetch limits when fetching is on (command line first, then the file)."""
    wanted = fetch_images if fetch_images is not None else config.fetch_images
    if not wanted:
        return None
    defaults = FetchLimits()
    return FetchLimits(
        timeout=next((t for t in (timeout, config.fetch_timeout) if t is not None),
                     defaults.timeout),
        max_images=next((n for n in (max_images, config.fetch_max_images) if n is not None),
                        defaults.max_images),
    )
