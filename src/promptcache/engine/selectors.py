"""Which rules a selector names, wherever rules are chosen: configuration (``select``,
``ignore``, per-file ignores) and a record's own ``promptcache.ignore`` list alike."""

from __future__ import annotations

from collections.abc import Sequence

from promptcache.engine.rule_api import Rule


def rules_named(selector: str, rules: Sequence[Rule]) -> list[Rule]:
    """Rules a selector names: a code, a code prefix (``PC1``), a name, or ``ALL``."""
    wanted = selector.strip()
    if wanted.upper() == "ALL":
        return list(rules)
    code_like = wanted.upper().startswith("PC")
    return [rule for rule in rules
            if rule.name == wanted.lower()
            or (code_like and rule.code.upper().startswith(wanted.upper()))]
