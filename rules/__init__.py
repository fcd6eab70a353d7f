"""The rule catalogue: one module per rule, registered here explicitly.

Adding a rule means adding its module and one line to ``_MODULES``; a test checks that every
module in this folder is registered and that codes and names are unique.
"""

from __future__ import annotations

import inspect
from dataclasses import replace
from types import ModuleType

from promptcache.engine.rule_api import Rule
from promptcache.rules import (
    breakpoint_below_minimum,
    breakpoint_lifetime,
    breakpoint_lookback,
    breakpoint_missing,
    breakpoint_too_many,
    breakpoint_ttl_order,
    breakpoint_volatile,
    cache_key_hot,
    cache_key_missing,
    cache_key_random,
    dynamic_prefix,
    examples_reshuffled,
    history_rewritten,
    id_in_prefix,
    idle_gap,
    image_detail,
    images_changed,
    model_changed,
    parallel_burst,
    prefix_near_minimum,
    prompt_too_short,
    reasoning_effort_changed,
    response_format_changed,
    system_prompt_changed,
    thinking_changed,
    timestamp_in_prefix,
    tool_args_key_order,
    tool_choice_changed,
    tool_order,
    tool_schema_key_order,
    tools_changed,
    user_data_in_prefix,
    volatile_before_stable,
    whitespace_drift,
)

_MODULES: tuple[ModuleType, ...] = (
    prompt_too_short,
    prefix_near_minimum,
    dynamic_prefix,
    timestamp_in_prefix,
    id_in_prefix,
    user_data_in_prefix,
    whitespace_drift,
    volatile_before_stable,
    examples_reshuffled,
    system_prompt_changed,
    history_rewritten,
    tool_order,
    tools_changed,
    tool_schema_key_order,
    tool_args_key_order,
    tool_choice_changed,
    response_format_changed,
    model_changed,
    reasoning_effort_changed,
    image_detail,
    images_changed,
    idle_gap,
    parallel_burst,
    cache_key_missing,
    cache_key_random,
    cache_key_hot,
    breakpoint_volatile,
    breakpoint_lookback,
    breakpoint_too_many,
    breakpoint_below_minimum,
    breakpoint_ttl_order,
    breakpoint_lifetime,
    breakpoint_missing,
    thinking_changed,
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
