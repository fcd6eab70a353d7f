"""``promptcache audit --show-settings``: the settings a run would use, and where they came
from, as plain text (as ruff's ``--show-settings`` prints them)."""

from __future__ import annotations

import json

from promptcache.config import RunSettings


def settings_text(settings: RunSettings) -> str:
    """One ``key = value`` line per setting (TOML-like, so it can be pasted into a file),
    then every enabled rule with its severity and options."""
    source = str(settings.source) if settings.source is not None else "none (defaults)"
    fetch = settings.image_fetch
    paths = settings.path_filter
    lines = [
        f"# configuration file: {source}",
        f"# project root: {settings.root}",
        f"fail-on = {_value(settings.fail_on.value)}",
        (f"cache-lifetime = {settings.cache_lifetime:g}" if settings.cache_lifetime is not None
         else "# cache-lifetime: not set, each model's documented lifetime"),
        f"snippets = {_value(settings.snippets)}",
        (f"input-format = {_value(settings.input_format)}" if settings.input_format is not None
         else "# input-format: not set, each file's format is told from its first records"),
        f"fetch-images = {_value(fetch is not None)}",
    ]
    if fetch is not None:
        lines += [f"fetch-timeout = {fetch.timeout:g}", f"fetch-max-images = {fetch.max_images}"]
    lines += [
        f"exclude = {_value(list(paths.exclude))}",
        f"extend-exclude = {_value(list(paths.extend_exclude))}",
        f"respect-gitignore = {_value(paths.respect_gitignore)}",
        f"force-exclude = {_value(paths.force_exclude)}",
        "",
        "[per-file-ignores]",
        *(f"{_value(pattern)} = {_value(sorted(codes))}"
          for pattern, codes in settings.per_file_ignores.items()),
        "",
        f"# {len(settings.rules)} rules enabled: code name severity options",
        *(f"# {active.rule.code} {active.rule.name} {active.severity.value}"
          + (f" {_value(dict(sorted(active.options.items())))}" if active.options else "")
          for active in settings.rules),
    ]
    return "\n".join(lines) + "\n"


def _value(value: object) -> str:
    # JSON spells strings, booleans, numbers and lists as TOML does; tables stay inline.
    return json.dumps(value, ensure_ascii=False)
