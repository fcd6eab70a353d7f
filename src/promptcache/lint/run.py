"""A lint run: parse each file, find the patterns, apply suppression comments and the
configuration, and build the report."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

from promptcache import __version__
from promptcache.config import RunSettings
from promptcache.engine.findings import Finding, Severity
from promptcache.lint.patterns import lint_hits
from promptcache.lint.pieces import FileFacts, LintHit
from promptcache.lint.python_calls import PythonFrontEnd
from promptcache.lint.python_scope import PythonModule
from promptcache.lint.python_values import Resolver
from promptcache.lint.report import LintReport
from promptcache.lint.sources import (
    PYTHON_SUFFIXES,
    SCRIPT_SUFFIXES,
    ParseError,
    parse_python,
    python_comments,
    read_source,
)
from promptcache.lint.suppression import silenced, suppressions
from promptcache.model import Location
from promptcache.report.model import ErrorRow, RuleInfo


def lint_files(files: Sequence[str], settings: RunSettings) -> LintReport:
    """Lint ``files`` (as reports show them) under ``settings``."""
    active = {active.rule.code: active for active in settings.rules}
    modules = _ModuleCache()
    findings: list[Finding] = []
    errors: list[ErrorRow] = []
    suppressed = 0
    checked = 0
    for file in files:
        try:
            facts, comments = _facts(file, modules)
        except ParseError as problem:
            errors.append(ErrorRow(file, problem.line, problem.message))
            continue
        checked += 1
        table = suppressions(comments)
        seen: set[tuple[str, int, int]] = set()
        for hit in sorted(lint_hits(facts), key=lambda hit: (hit.line, hit.column, hit.code)):
            place = (hit.code, hit.line, hit.column)
            if hit.code not in active or place in seen or settings.ignored(hit.code, file):
                continue
            seen.add(place)
            if silenced(hit.code, hit.line, table):
                suppressed += 1
                continue
            findings.append(_finding(hit, file, active[hit.code].rule.name,
                                     active[hit.code].severity, settings))
    rules = tuple(RuleInfo(rule.rule.code, rule.rule.name, rule.severity, rule.rule.summary,
                           rule.rule.doc) for rule in settings.rules)
    return LintReport(__version__, checked, tuple(findings), tuple(errors), rules, suppressed)


def _facts(file: str, modules: _ModuleCache) -> tuple[FileFacts, list[tuple[int, str]]]:
    path = Path(file)
    if file.lower().endswith(PYTHON_SUFFIXES):
        module = modules.module(path)
        return (PythonFrontEnd(module, Resolver(modules.sibling)).facts(),
                python_comments("\n".join(module.source_lines)))
    if not file.lower().endswith(SCRIPT_SUFFIXES):
        raise ParseError(0, "not a Python, TypeScript or JavaScript source file")
    from promptcache.lint.script_calls import script_facts  # tree-sitter, only when needed

    return script_facts(path, read_source(path))


class _ModuleCache:
    """Each Python module parsed once per run (a sibling imported by many files)."""

    def __init__(self) -> None:
        self._parsed: dict[str, PythonModule | ParseError] = {}

    def module(self, path: Path) -> PythonModule:
        key = os.path.abspath(path)
        found = self._parsed.get(key)
        if found is None:
            try:
                found = parse_python(path, read_source(path))
            except ParseError as problem:
                found = problem
            self._parsed[key] = found
        if isinstance(found, ParseError):
            raise found
        return found

    def sibling(self, path: Path) -> PythonModule | None:
        """A sibling module when it exists and parses; None otherwise."""
        if not path.is_file():
            return None
        try:
            return self.module(path)
        except ParseError:
            return None


def _finding(hit: LintHit, file: str, name: str, severity: Severity,
             settings: RunSettings) -> Finding:
    location = Location(file, hit.line, hit.column)
    identity = "\x00".join((hit.code, settings.project_path(file), hit.snippet))
    return Finding(
        code=hit.code, name=name, severity=severity, location=location, path=hit.snippet,
        message=hit.message, fix=hit.fix, snippet=hit.snippet, tokens_at_risk=0,
        occurrences=1, compared_with=None, last_location=location,
        fingerprint=hashlib.sha256(identity.encode()).hexdigest()[:32])
