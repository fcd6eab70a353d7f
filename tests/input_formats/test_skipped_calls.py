"""A call a log holds but promptcache deliberately does not audit (a gateway's cache answered
it, the provider refused it, it has no prompt) is counted as skipped, with why, in every
report: no call is dropped silently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from promptcache.cli.main import main
from promptcache.load.calls import read_calls
from promptcache.load.formats.base import Skipped

CASES = Path(__file__).parent / "cases"
REFUSED = "refused by the provider (HTTP status 400 or more)"


@pytest.mark.parametrize(("case", "skipped"), [
    ("har/capture.har", [
        (1, "not a chat, Responses or Messages call (embeddings, moderation, token counting, "
            "legacy completions, batches)"),
        (1, REFUSED)]),
    ("helicone/export.jsonl", [(3, "answered by Helicone's cache"), (6, REFUSED)]),
    ("portkey/export.jsonl", [(3, "answered by Portkey's cache"), (4, REFUSED)]),
    ("litellm/payload_openai.jsonl", [(5, "answered by LiteLLM's cache")]),
    ("braintrust/events.jsonl", [
        (7, "failed before the provider answered (an error and no token count)")]),
    ("litellm/spend_logs.jsonl", [
        (5, "answered by LiteLLM's cache"),
        (7, "no prompt to cache (an embedding, image or audio call)")]),
])
def test_each_format_says_which_calls_it_skips_and_why(
        case: str, skipped: list[tuple[int, str]]) -> None:
    found = [(item.location.line, item.reason) for item in read_calls([str(CASES / case)])
             if isinstance(item, Skipped)]
    assert found == skipped


def test_skipped_calls_are_records_read_counted_by_reason_in_the_report(
        capsys: pytest.CaptureFixture[str]) -> None:
    log = str(CASES / "helicone" / "export.jsonl")
    main(["audit", "--isolated", "-q", "-f", "json", "--exit-zero", log])
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert summary["skipped_records"] == [
        {"reason": "answered by Helicone's cache", "count": 1},
        {"reason": REFUSED, "count": 1}]
    assert summary["records_read"] == (summary["requests_audited"]
                                       + summary["invalid_records"] + 2)
    main(["audit", "--isolated", "-q", "-f", "concise", "--exit-zero", log])
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.endswith(f"invalid, 2 skipped: answered by Helicone's cache 1; {REFUSED} 1)")
