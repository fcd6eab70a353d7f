"""Configuration: found, read, validated in one place, turned into the rules a run uses.

Looked for upward from the audited paths' folders (:mod:`promptcache.config_files` finds and
reads it): a ``promptcache.toml`` (keys at the top level) or a ``pyproject.toml`` with a
``[tool.promptcache]`` table, whichever comes first. An unknown key, rule or option, a file
that is not valid TOML, or a ``[tool.promptcache]`` that is not a table is an error naming its
path; nothing is silently ignored.

```toml
[tool.promptcache]
select = ["PC1", "tool-order"]   # codes, code prefixes or names; default: every rule
ignore = ["prompt-too-short"]
fail-on = "warning"               # info | warning | error
cache-lifetime = "10m"            # a cached prefix survives unused (600, 90s, 1h30m...)
allow-empty = false               # true: a run that audits no request exits as usual
input-format = "litellm"          # every log's format (default: told per file)
fetch-images = false              # read remote images' sizes over the network (opt-in)
fetch-timeout = 5                 # seconds per image URL, when fetching
fetch-max-images = 100            # distinct image URLs fetched per run, at most
snippets = false                  # reports quote no prompt text (for code-scanning uploads)
extend-exclude = ["fixtures/old"] # not walked, besides the default excludes (.venv, .git...)
respect-gitignore = true          # folders are walked skipping what .gitignore ignores

[tool.promptcache.severity]
tool-order = "error"

[tool.promptcache.rules.dynamic-prefix]
min-shared-tokens = 64

[tool.promptcache.per-file-ignores]
"fixtures/legacy/*.jsonl" = ["PC201"]
```
"""

from __future__ import annotations

import fnmatch
import json
import os
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
from promptcache.engine.selectors import rules_named
from promptcache.load.formats import format_named, unknown_format
from promptcache.load.paths import DEFAULT_EXCLUDES, PathFilter, git_root, project_path
from promptcache.load.validator import UNKNOWN_FIELD, compile_schema, compiled
from promptcache.suggest import did_you_mean
from promptcache.tokens.remote_images import FetchLimits


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
    exclude: tuple[str, ...] | None = None
    """Patterns a folder walk skips, replacing the defaults, if set."""
    extend_exclude: tuple[str, ...] = ()
    """Patterns a folder walk skips besides ``exclude``."""
    respect_gitignore: bool | None = None
    """Whether a folder walk skips what ``.gitignore`` files ignore, if set."""
    input_format: str | None = None
    """Every log's format (a name of :func:`promptcache.load.formats.all_formats`), if set;
    None: each file's is told from its first records."""


@cache
def _schema() -> dict[str, Any]:
    text = files("promptcache").joinpath("schemas", "config.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def project_root(config: Config, cwd: Path) -> Path:
    """What paths in fingerprints and per-file ignores are relative to: the configuration
    file's folder, else the git repository's root, else ``cwd``."""
    if config.source is not None:
        return Path(os.path.abspath(config.source.parent))
    return git_root(cwd) or cwd


def parse_config(data: Mapping[str, Any], rules: Sequence[Rule], *, source: Path | None = None,
                 prefix: str = "") -> Config:
    """Validate configuration data (as read from TOML) against the schema and the rules."""
    where = f"{source}: " if source else ""
    problem = compiled("config.schema.json")(data)
    if problem is not None:
        message = problem.message
        if message == UNKNOWN_FIELD:
            known = sorted(_schema()["properties"])
            hint = did_you_mean(str(problem.path[-1]), known) if problem.path else ""
            message = "unknown key" + (hint or f" (known: {', '.join(known)})")
        raise ConfigError(f"{where}{_key_path(prefix, problem.path)}: {message}")

    def check_selectors(key: str, selectors: Sequence[str]) -> tuple[str, ...]:
        for index, selector in enumerate(selectors):
            if not rules_named(selector, rules):
                raise ConfigError(f"{where}{_key_path(prefix, [key, index])}: "
                                  f"{unknown_rule(selector, rules)}")
        return tuple(selectors)

    severity = dict(data.get("severity", {}))
    for selector in severity:
        if not rules_named(selector, rules):
            raise ConfigError(f"{where}{_key_path(prefix, ['severity', selector])}: "
                              f"{unknown_rule(selector, rules)}")
    options = dict(data.get("rules", {}))
    for selector, values in options.items():
        rule = _exact(selector, rules)
        if rule is None:
            raise ConfigError(f"{where}{_key_path(prefix, ['rules', selector])}: "
                              f"{unknown_rule(selector, rules, exact=True)}")
        _check_options(rule, values, where, _key_path(prefix, ["rules", selector]))
    ignores = {
        pattern: check_selectors(f"per-file-ignores.{pattern}", selectors)
        for pattern, selectors in dict(data.get("per-file-ignores", {})).items()
    }
    lifetime = _lifetime(data.get("cache-lifetime"), where, prefix)
    input_format = data.get("input-format")
    if input_format is not None and format_named(input_format) is None:
        raise ConfigError(f"{where}{_key_path(prefix, ['input-format'])}: "
                          f"{unknown_format(input_format)}")
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
        exclude=tuple(data["exclude"]) if "exclude" in data else None,
        extend_exclude=tuple(data.get("extend-exclude", ())),
        respect_gitignore=data.get("respect-gitignore"),
        input_format=input_format,
    )


def unknown_rule(selector: str, rules: Sequence[Rule], *, exact: bool = False) -> str:
    """What to say about a selector that names no rule, with the likeliest one meant."""
    hint = did_you_mean(selector, [name for rule in rules for name in (rule.code, rule.name)])
    fallback = (" (options are set per rule code or name)" if exact
                else " (see `promptcache rules`)")
    return f"unknown rule {selector!r}{hint or fallback}"


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
        hint = did_you_mean(str(problem.path[-1]), rule.options_schema) if problem.path else ""
        raise ConfigError(f"{where}{_key_path(path, problem.path)}: unknown option for "
                          f"{rule.name}{hint or f' (options: {known})'}")
    raise ConfigError(f"{where}{_key_path(path, problem.path)}: {problem.message}")


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
    root: Path
    """The project root (absolute): per-file ignores and fingerprints use paths relative to
    it, so they hold whatever folder promptcache runs from."""
    path_filter: PathFilter
    """What folder walks skip (and named files too, with ``--force-exclude``)."""
    source: Path | None = None
    """The configuration file in force, if any."""
    snippets: bool = True
    """Reports quote (redacted) prompt text; False: no prompt text at all (``--no-snippets``)."""
    image_fetch: FetchLimits | None = None
    """How to fetch remote images' sizes; None (the default): never, the run stays offline."""
    input_format: str | None = None
    """Every log's format; None (the default): each file's is told from its first records."""

    _ignored_in: dict[str, frozenset[str]] = field(default_factory=dict, init=False,
                                                   repr=False, compare=False)
    """File -> the codes ignored there, worked out on the file's first hit."""

    def ignored(self, code: str, file: str) -> bool:
        """True when ``code`` is ignored for ``file`` by a per-file ignore (asked for every
        rule hit: the patterns are matched once per file)."""
        if not self.per_file_ignores:
            return False
        codes = self._ignored_in.get(file)
        if codes is None:
            candidates = {PurePath(file).as_posix(), self.project_path(file)}
            codes = self._ignored_in[file] = frozenset(
                ignored for pattern, codes_there in self.per_file_ignores.items()
                if any(fnmatch.fnmatch(name, pattern) for name in candidates)
                for ignored in codes_there)
        return code in codes

    def project_path(self, file: str) -> str:
        """``file`` (as reports show it) relative to the project root."""
        return project_path(file, self.root)


def settings_from(config: Config, rules: Sequence[Rule], *, select: Sequence[str] = (),
                  ignore: Sequence[str] = (), fail_on: str | None = None,
                  root: Path | None = None, paths: PathOptions | None = None,
                  cache_lifetime: float | None = None, fetch_images: bool | None = None,
                  fetch_timeout: float | None = None,
                  fetch_max_images: int | None = None,
                  snippets: bool | None = None,
                  input_format: str | None = None) -> RunSettings:
    """Combine the configuration with command-line choices (which win)."""
    for flag, selectors in (("--select", select), ("--ignore", ignore)):
        for selector in selectors:
            if not rules_named(selector, rules):
                raise ConfigError(f"{flag}: {unknown_rule(selector, rules)}")
    root = root or project_root(config, Path.cwd())
    chosen_select = tuple(select) or config.select
    chosen_ignore = (*config.ignore, *ignore)
    enabled = [rule for rule in rules
               if (not chosen_select or any(rule in rules_named(s, rules) for s in chosen_select))
               and not any(rule in rules_named(s, rules) for s in chosen_ignore)]
    active = []
    for rule in enabled:
        severity = rule.severity
        for selector, level in config.severity.items():
            if rule in rules_named(selector, rules):
                severity = Severity(level)
        options = dict(rule.options)
        for selector, values in config.rule_options.items():
            if _exact(selector, rules) is rule:
                options.update(values)
        active.append(ActiveRule(rule, severity, options))
    per_file = {
        pattern: frozenset(rule.code for selector in selectors
                           for rule in rules_named(selector, rules))
        for pattern, selectors in config.per_file_ignores.items()
    }
    return RunSettings(
        rules=tuple(active),
        fail_on=Severity(fail_on or config.fail_on or "warning"),
        cache_lifetime=cache_lifetime if cache_lifetime is not None else config.cache_lifetime,
        per_file_ignores=per_file,
        root=root,
        path_filter=_path_filter(config, paths or PathOptions(), root),
        source=config.source,
        snippets=next((wanted for wanted in (snippets, config.snippets) if wanted is not None),
                      True),
        image_fetch=_image_fetch(config, fetch_images, fetch_timeout, fetch_max_images),
        input_format=input_format or config.input_format,
    )


@dataclass(frozen=True, slots=True)
class PathOptions:
    """The command line's say on which files a run reads (None: the file's, or the default)."""

    exclude: tuple[str, ...] | None = None
    extend_exclude: tuple[str, ...] = ()
    respect_gitignore: bool | None = None
    force_exclude: bool = False


def _path_filter(config: Config, options: PathOptions, root: Path) -> PathFilter:
    exclude = next((chosen for chosen in (options.exclude, config.exclude) if chosen is not None),
                   DEFAULT_EXCLUDES)
    respect = next((chosen for chosen in (options.respect_gitignore, config.respect_gitignore)
                    if chosen is not None), True)
    return PathFilter(root=root, exclude=exclude,
                      extend_exclude=(*config.extend_exclude, *options.extend_exclude),
                      respect_gitignore=respect, force_exclude=options.force_exclude)


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
