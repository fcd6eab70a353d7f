"""``promptcache.audit``: the audit as a library call, for a notebook or a job of the user's
own (a Dask or Ray task, a scheduled script).

It runs the pipeline ``promptcache audit`` runs, with the same configuration discovery,
rule selection and privacy, and returns the report model instead of rendering it: the JSON
report is ``promptcache.to_dict(report)``. Records that cannot be read are in
``report.errors`` (file, line, message), as the command line lists them; only what stops
the whole audit (a bad configuration, a missing path, an unknown rule or format) raises
:class:`AuditError`, with the message the command line prints. It never fetches anything:
images given by URL are counted as the offline audit counts them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from promptcache.report.model import Report

if TYPE_CHECKING:
    from distributed import Client

PathArgument = str | os.PathLike[str]


class AuditError(ValueError):
    """The audit could not run: bad configuration, a missing path, an unknown rule or
    input format. Its message is the one-line message the command line prints."""


def audit(paths: PathArgument | Iterable[PathArgument], *,
          config: PathArgument | None = None, isolated: bool = False,
          select: Sequence[str] = (), ignore: Sequence[str] = (),
          cache_lifetime: float | None = None, input_format: str | None = None,
          snippets: bool | None = None, jobs: int = 1,
          scheduler: str | Client | None = None) -> Report:
    """Audit the request logs at ``paths`` (files or folders, as on the command line) and
    return the report.

    ``config`` names a configuration file; without it one is looked for upward from the
    paths (``pyproject.toml``'s ``[tool.promptcache]`` or ``promptcache.toml``) unless
    ``isolated``. ``select``/``ignore`` take rule codes, prefixes or names as ``--select``/
    ``--ignore`` do; ``cache_lifetime`` (seconds) replaces the providers' documented idle
    lifetimes; ``input_format`` names every log's format (None: told per file);
    ``snippets=False`` keeps every prompt text out of the report. ``jobs`` is how many
    processes may share the work (1, the default, stays in the calling process; 0 decides
    by cores and input size, as the command line does). ``scheduler`` runs the audit on a
    Dask cluster (``promptcache[dask]``): a scheduler's address, ``local``/``local:N``, or
    a connected ``distributed.Client`` (left open). The report is the same whatever ``jobs``
    and ``scheduler`` are.
    """
    # Imported here: ``import promptcache`` must stay as cheap as the command line's start.
    from promptcache.config import ConfigError, settings_from
    from promptcache.config_files import run_config
    from promptcache.load.calls import UnknownFormatName, check_format_name
    from promptcache.load.paths import InputError, expand_paths
    from promptcache.redaction import redact
    from promptcache.report.phrases import printable_errors
    from promptcache.report.privacy import private_report
    from promptcache.rules import ALL_RULES
    from promptcache.run.audit import ClusterError, run_audit
    from promptcache.snippets import prompt_text_hidden

    arguments = _path_arguments(paths)
    try:
        chosen = run_config(None if config is None else Path(config), arguments, ALL_RULES,
                            isolated=isolated)
        settings = settings_from(chosen, ALL_RULES, select=select, ignore=ignore,
                                 cache_lifetime=cache_lifetime, snippets=snippets,
                                 input_format=input_format, fetch_images=False)
        if input_format is not None:
            check_format_name(input_format)
        files = expand_paths(arguments, settings.path_filter)
    except (ConfigError, InputError, UnknownFormatName) as problem:
        raise AuditError(redact(str(problem))) from None
    if jobs < 0:
        raise AuditError(f"jobs must be 0 (automatic) or more, not {jobs}")
    try:
        with prompt_text_hidden(not settings.snippets):
            report = run_audit(files, settings.rules, lifetime_seconds=settings.cache_lifetime,
                               ignored=settings.ignored, project_path=settings.project_path,
                               input_format=settings.input_format, jobs=jobs or None,
                               scheduler=scheduler)
    except ClusterError as problem:
        raise AuditError(redact(str(problem))) from None
    # What every output of the command line reads: the private report, errors on one line.
    return printable_errors(private_report(report, snippets=settings.snippets))


def to_dict(report: Report) -> dict[str, Any]:
    """The report as the JSON report's document (``promptcache audit --format json``)."""
    from promptcache.report.json_format import report_to_dict

    return report_to_dict(report)


def _path_arguments(paths: PathArgument | Iterable[PathArgument]) -> list[str]:
    """One path or many, spelled as the command line receives them."""
    if isinstance(paths, str | os.PathLike):
        return [os.fspath(paths)]
    arguments = [os.fspath(path) for path in paths]
    if not arguments:
        raise AuditError("no path given: name at least one log file or folder")
    return arguments
