"""Texts compared apart from their whitespace (engine.detect.whitespace): the same answer as
taking out what ``str.split()`` splits on, ASCII texts and others alike."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptcache.engine.detect.whitespace import same_apart_from_whitespace

# Every kind of whitespace str.split() knows, ASCII (the four separators included) and not.
_SPACES = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u2003\u3000"
_TEXT = st.text(alphabet=st.sampled_from("ab.\x00é" + _SPACES), max_size=40)


@pytest.mark.parametrize(("old", "new", "same"), [
    pytest.param("You are Ada.\nBe brief.", "You are  Ada.\r\n  Be brief. ", True, id="ascii"),
    pytest.param("a\x1cb", "ab", True, id="ascii-separator"),
    pytest.param("a\x1cb", "a\x00b", False, id="nul-is-not-space"),
    pytest.param("Grüße,\u00a0Ada", "Grüße, Ada", True, id="no-break-space"),
    pytest.param("Grüße Ada", "Grüsse Ada", False, id="letters"),
    pytest.param("a b", "a\u200bb", False, id="zero-width-space-is-not-space"),
    pytest.param("", " \n", True, id="empty"),
])
def test_whitespace_alone_is_not_a_difference(old: str, new: str, same: bool) -> None:
    assert same_apart_from_whitespace(old, new) is same
    assert same_apart_from_whitespace(new, old) is same


@settings(max_examples=400, deadline=None)
@given(_TEXT, _TEXT)
def test_the_same_answer_as_splitting(old: str, new: str) -> None:
    assert same_apart_from_whitespace(old, new) == ("".join(old.split())
                                                    == "".join(new.split()))
