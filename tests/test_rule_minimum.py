"""Rules that compare a request with earlier ones stay quiet below the caching minimum.

A prompt shorter than the provider's minimum (1,024 tokens for OpenAI) is never cached, so a
change that "breaks the cache" there loses nothing. Each comparison rule has a rule case
showing that (``tests/rule_cases/<CODE>.json``); these tests check that the cases exist and
that the rule's documentation says so, where users read what a rule will not fire on.
"""

from __future__ import annotations

import pytest

from promptcache.rules import ALL_RULES

from .test_rule_cases import CASES

COMPARISON_RULES = ("PC101", "PC102", "PC103", "PC104", "PC105", "PC106", "PC107", "PC108",
                    "PC109", "PC201", "PC202", "PC203", "PC204", "PC205", "PC206", "PC207",
                    "PC208", "PC301", "PC302")
"""Rules whose finding is a change between requests that costs cached tokens."""

_BELOW_MINIMUM_CASES = ("PC101", "PC102", "PC103", "PC104", "PC105", "PC106", "PC107",
                        "PC108", "PC109", "PC201", "PC202", "PC203", "PC204", "PC207", "PC301",
                        "PC302")
"""Rules with a quiet case named for the minimum (the setting rules' quiet cases are named
``too-little-re-sent-to-have-been-cached``)."""


def _will_not_fire_on(doc: str) -> str:
    section = doc.split("## Will not fire on", 1)[1]
    return section.split("\n## ", 1)[0]


@pytest.mark.parametrize("code", COMPARISON_RULES)
def test_documentation_names_the_minimum(code: str) -> None:
    rule = next(rule for rule in ALL_RULES if rule.code == code)
    assert "minimum" in _will_not_fire_on(rule.doc), (
        f"{rule.name}: 'Will not fire on' does not mention the minimum cacheable length")


@pytest.mark.parametrize("code", _BELOW_MINIMUM_CASES)
def test_a_quiet_case_below_the_minimum(code: str) -> None:
    quiet = [case for case in CASES if case.code == code and not case.fires
             and "minimum" in case.id and case.xfail is None]
    assert quiet, f"{code}: no quiet case below the caching minimum"
