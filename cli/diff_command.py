"""``promptcache diff FILE:LINE FILE:LINE``: where the second request stops sharing the first's
prefix, explained the same way cross-request findings are."""

from __future__ import annotations

from pathlib import Path

from promptcache.catalog import facts_for
from promptcache.cli.exit_codes import ExitCode
from promptcache.cli.messages import say
from promptcache.cli.report_command import write_text
from promptcache.cli.report_files import STDOUT, OutputRefused, check_outputs
from promptcache.divergence import Divergence, first_divergence
from promptcache.engine.evidence import request_secrets, scrub_divergence
from promptcache.load.calls import read_calls
from promptcache.load.formats.base import Skipped
from promptcache.load.records import normalize_call
from promptcache.load.sources import LoadError
from promptcache.model import SegmentKind
from promptcache.redaction import redact
from promptcache.report.privacy import (
    load_error_text,
    private_divergence,
    shown_location,
    shown_model,
)
from promptcache.tokens.counting import CountedRequest, PromptCounter


class _SpecError(Exception):
    pass


def _parse(spec: str) -> tuple[str, int]:
    path, separator, line = spec.rpartition(":")
    if not separator or not line.isdigit() or int(line) < 1:
        raise _SpecError(f"{spec}: expected FILE:LINE, e.g. requests.jsonl:12")
    if not Path(path).is_file():
        raise _SpecError(f"{path}: no such file")
    return path, int(line)


def _load(spec: str, counter: PromptCounter, snippets: bool) -> CountedRequest:
    path, line = _parse(spec)
    # Read in the file's own format: the first call of the record on that line (a span
    # export's line may hold several; the first is the one named).
    for item in read_calls([path]):
        if item.location.line != line or isinstance(item, Skipped):
            continue
        request = item if isinstance(item, LoadError) else normalize_call(item)
        if isinstance(request, LoadError):
            raise _SpecError(f"{spec}: {load_error_text(request.message, snippets=snippets)}")
        return counter.count(request)
    raise _SpecError(f"{spec}: no record starts on that line")


def diff_command(earlier_spec: str, later_spec: str, *, snippets: bool = True,
                 output_format: str = "text", output: str | None = None) -> ExitCode:
    """Print the first divergence between two requests (as text, or with ``output_format``
    ``html`` as a page with the two side by side), to stdout or the file ``output``; with
    ``snippets`` False, where it is but not the values there."""
    counter = PromptCounter()
    try:
        earlier = _load(earlier_spec, counter, snippets)
        later = _load(later_spec, counter, snippets)
        # Never written onto either log (as audit's outputs are not).
        check_outputs([output or STDOUT], [earlier.request.location.file,
                                           later.request.location.file])
    except (_SpecError, OutputRefused) as problem:
        say(f"promptcache: {redact(str(problem))}")  # a file name may hold a key
        return ExitCode.USAGE
    encode = counter.counter_for(facts_for(later.request.model).encoding).encode
    divergence = first_divergence(earlier, later, encode)
    divergence = private_divergence(
        scrub_divergence(divergence, request_secrets((earlier, later))), snippets=snippets)
    lines = [
        f"earlier: {_described(earlier, snippets)}",
        f"later:   {_described(later, snippets)}",
    ]
    values: list[str] = []
    """The text at the break (shown side by side in the HTML view instead)."""
    if earlier.request.model != later.request.model:
        lines.append("note: different models never share a cache")
    minimum = later.facts.cache.min_tokens
    if not divergence.path:
        lines.append(f"the later prompt repeats the earlier one for all its "
                     f"{divergence.token_offset:,} tokens")
    elif _extends(earlier, later):
        lines.append(_extension(divergence, minimum, later.facts.cache.step_tokens))
        if snippets:
            values.append(f"  new from {divergence.path}: {divergence.after}")
    else:
        reuse = (f"{divergence.cacheable_tokens:,} of the {divergence.token_offset:,} shared "
                 "tokens can come from the cache" if divergence.cacheable_tokens else
                 f"the {divergence.token_offset:,} shared tokens are below the {minimum:,}-token "
                 "minimum, so none can come from the cache")
        lines += [
            f"the prefix breaks at {divergence.path}, token {divergence.token_offset:,}: "
            f"{reuse}; {divergence.tokens_after:,} are paid in full",
        ]
        if snippets:
            values += [f"  before: {divergence.before}", f"  after:  {divergence.after}"]
    if output_format == "html":
        from promptcache.report.html.diff_page import diff_page
        from promptcache.report.json_format import divergence_data

        places = (shown_location(earlier.request.location),
                  shown_location(later.request.location))
        data = divergence_data(divergence)
        assert data is not None
        return write_text(diff_page(lines, *places, data), output or STDOUT)
    return write_text("\n".join([*lines, *values]) + "\n", output or STDOUT)


def _extends(earlier: CountedRequest, later: CountedRequest) -> bool:
    """True when ``later`` is ``earlier`` with more appended (a conversation's next turn):
    every part of the earlier prompt but the reply priming comes first, unchanged."""
    old = earlier.request.segments
    if old and old[-1].kind is SegmentKind.REPLY_PRIMING:
        old = old[:-1]
    return later.request.segments[:len(old)] == old


def _extension(divergence: Divergence, minimum: int, step: int) -> str:
    shared = divergence.token_offset
    # The earlier prompt's last tokens start the model's reply: the later one has the reply
    # itself there, so the shared prefix is the earlier prompt up to its reply.
    head = (f"the later request extends the earlier one: the whole earlier prompt up to its "
            f"reply, {shared:,} tokens,")
    if not divergence.cacheable_tokens:
        return (f"{head} is shared, but it is below the {minimum:,}-token minimum, so none can "
                f"come from the cache; all {divergence.tokens_after + shared:,} tokens of the "
                "later request are paid in full")
    steps = ("" if divergence.cacheable_tokens == shared else
             f" ({divergence.cacheable_tokens:,} of them come from the cache, which serves "
             f"{step:,}-token steps)")
    return (f"{head} is a cacheable prefix{steps}; the {divergence.tokens_after:,} new tokens "
            "are paid in full")


def _described(counted: CountedRequest, snippets: bool) -> str:
    request = counted.request
    model = shown_model(request.model, snippets=snippets) or "no model"
    return f"{shown_location(request.location)} ({model}, {counted.prompt_tokens:,} prompt tokens)"
