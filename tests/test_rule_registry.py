"""Every rule module is registered once, with a unique code and name and complete docs."""

from __future__ import annotations

import pkgutil
import re

import pytest

import promptcache.rules as rules_package
from promptcache.engine.rule_api import Rule
from promptcache.rules import ALL_RULES, RULE_MODULES, find_rule

REQUIRED_HEADINGS = (
    "What it detects",
    "Why it breaks the cache",
    "Example",
    "Use instead",
    "Will not fire on",
    "Options",
)


def test_every_rule_module_is_registered() -> None:
    on_disk = {name for _, name, _ in pkgutil.iter_modules(rules_package.__path__)
               if not name.startswith("_")}
    registered = {module.__name__.rsplit(".", 1)[-1] for module in RULE_MODULES}
    assert on_disk == registered


def test_codes_and_names_are_unique_and_well_formed() -> None:
    codes = [rule.code for rule in ALL_RULES]
    names = [rule.name for rule in ALL_RULES]
    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"PC\d{3}", code) for code in codes)
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*", name) for name in names)


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.name)
def test_documentation_has_the_fixed_headings_in_order(rule: Rule) -> None:
    first_line = rule.doc.splitlines()[0]
    assert first_line.startswith(f"{rule.name} ({rule.code}): ")
    headings = re.findall(r"^## (.+)$", rule.doc, flags=re.MULTILINE)
    assert tuple(headings) == REQUIRED_HEADINGS
    for heading in REQUIRED_HEADINGS:
        section = rule.doc.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
        assert section.strip(), f"{rule.name}: section {heading!r} is empty"


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.name)
def test_options_are_documented_and_have_a_schema(rule: Rule) -> None:
    options_section = rule.doc.split("## Options\n", 1)[1]
    assert set(rule.options) == set(rule.options_schema)
    for option in rule.options:
        assert f"`{option}`" in options_section


def test_find_rule_by_code_or_name() -> None:
    assert find_rule("pc101") is find_rule("dynamic-prefix") is not None
    assert find_rule("no-such-rule") is None
