"""Anthropic usage of a request the server ran in several iterations (``usage.iterations``):
the body as sent is measured by the first iteration, in both usage readers."""

from __future__ import annotations

from promptcache.load.apis import usage_of
from promptcache.load.formats._usage import normalized_usage
from promptcache.load.formats.base import MESSAGES, Usage

# A compaction: the first iteration processed the body as sent (and wrote it to the cache);
# the top level reports the last iteration, on the compacted prompt.
COMPACTED = {"input_tokens": 229, "cache_read_input_tokens": 0,
             "cache_creation_input_tokens": 0,
             "iterations": [{"type": "compaction", "input_tokens": 100,
                             "cache_read_input_tokens": 0,
                             "cache_creation_input_tokens": 55096,
                             "cache_creation": {"ephemeral_5m_input_tokens": 55096,
                                                "ephemeral_1h_input_tokens": 0}},
                            {"type": "message", "input_tokens": 229}]}
PLAIN = {"input_tokens": 12, "cache_read_input_tokens": 1200,
         "cache_creation_input_tokens": 255,
         "cache_creation": {"ephemeral_5m_input_tokens": 55, "ephemeral_1h_input_tokens": 200}}


def test_a_compacted_request_is_measured_by_its_first_iteration() -> None:
    assert usage_of(COMPACTED, MESSAGES) == (55196, 0, 55096, 0)
    assert normalized_usage(COMPACTED) == Usage(55196, 0, 55096, 0)


def test_one_iteration_or_none_leaves_the_top_level_as_it_is() -> None:
    single = {**PLAIN, "iterations": [{"type": "message", **PLAIN}]}
    assert usage_of(single, MESSAGES) == usage_of(PLAIN, MESSAGES) == (1467, 1200, 255, 200)
    assert usage_of({**PLAIN, "iterations": []}, MESSAGES) == (1467, 1200, 255, 200)
    assert usage_of({**PLAIN, "iterations": ["odd"]}, MESSAGES) == (1467, 1200, 255, 200)
