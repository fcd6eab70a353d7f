"""The rule catalogue: one module per rule, registered here explicitly.

Adding a rule means adding its module and one line to ``_MODULES``; a test checks that every
module in this folder is registered and that codes and names are unique.
"""

from __future__ import annotations

import inspect
from dataclasses import replace
from types import ModuleType

from promptcache.rule_api import Rule
from promptcache.rules import dynamic_prefix, image_detail, prompt_too_short, tool_order

_MODULES: tuple[ModuleType, ...] = (
    prompt_too_short,
    dynamic_prefix,
    tool_order,
    image_detail,
)


def _load(module: ModuleType) -> Rule:
    rule: Rule = module.RULE
    # The module docstring is the rule's documentation; keep one copy of it, there.
    return replace(rule, doc=inspect.cleandoc(module.__doc__ or ""))


ALL_RULES: tuple[Rule, ...] = tuple(_load(module) for module in _MODULES)
"""Every rule, in code order."""

RULE_MODULES: tuple[ModuleType, ...] = _MODULES
"""The registered modules (for the registry test)."""


def find_rule(code_or_name: str) -> Rule | None:
    """The rule whose code or name is ``code_or_name`` (case-insensitive)."""
    wanted = code_or_name.strip().lower()
    for rule in ALL_RULES:
        if wanted in (rule.code.lower(), rule.name):
            return rule
    return None
