"""The report every output format renders: plain frozen data, no behaviour."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from promptcache.calibration import ChangeSeen, ModelCalibration
from promptcache.engine.findings import Finding, Severity
from promptcache.estimates import EstimateGroup
from promptcache.model import Location
from promptcache.report.charts import Charts
from promptcache.savings import Savings


@dataclass(frozen=True, slots=True)
class RequestRow:
    """One audited request."""

    file: str
    """The log file."""
    line: int
    """The record's line."""
    model: str
    """The model the request names."""
    prompt_tokens: int
    """Prompt tokens as promptcache counts them."""
    observed_prompt_tokens: int | None
    """Prompt tokens the provider reported, when the log has the response."""
    observed_cached_tokens: int | None
    """Cached tokens the provider reported, when the log has the response."""
    predicted_cached_tokens: int
    """Cached tokens the cache model predicts for the request as logged."""
    cost_usd: float | None
    """Input cost (observed usage where present, predicted otherwise); None if unpriced."""
    estimated: bool
    """True when part of the count is an estimate (a remote image, a file, audio)."""
    predicted_cached_tokens_low: int | None = None
    """The low end of the prediction when the cached run reaches into an image, whose cache
    boundary is not known (``predicted_cached_tokens`` is then the high end); None when the
    prediction is a single value."""
    estimate_reasons: tuple[str, ...] = ()
    """Why the count is an estimate (see :mod:`promptcache.estimates`); () when exact."""
    low: int | None = None
    """The fewest prompt tokens the request can cost (``prompt_tokens`` when exact); None
    when unbounded or not worked out."""
    high: int | None = None
    """The most it can cost; None when there is no known upper bound."""
    explicit_cache: ExplicitCacheRow | None = None
    """For a request to a model whose cache is explicit (Anthropic's): its predicted and
    observed cache writes; None for implicit caches."""
    body_prompt_tokens: int | None = None
    """When ``prompt_tokens`` is anchored on recorded usage (``estimate_reasons`` says on
    which: see promptcache.anchoring), the count from the body alone; None when
    ``prompt_tokens`` is that count."""


@dataclass(frozen=True, slots=True)
class ExplicitCacheRow:
    """The cache-write side of one request to an explicit cache."""

    predicted_written_tokens: int
    """Tokens the cache model predicts the request writes to the cache."""
    predicted_written_1h_tokens: int
    """Of those, written with the 1-hour lifetime."""
    observed_written_tokens: int | None
    """``cache_creation_input_tokens`` as reported; None when the log does not say."""
    observed_written_1h_tokens: int | None
    """Its 1-hour part (``cache_creation.ephemeral_1h_input_tokens``); None when not said."""
    rejected: str
    """Why the API would reject the request's breakpoints ('' when it accepts them)."""


@dataclass(frozen=True, slots=True)
class ErrorRow:
    """A record, or a file, that could not be audited."""

    file: str
    """The log file."""
    line: int
    """The record's line (0 for a problem with the whole file)."""
    message: str
    """What is wrong, starting with the JSON path when there is one."""


@dataclass(frozen=True, slots=True)
class UnreadPart:
    """The end of a damaged file that was not read: the records it held are in no count."""

    file: str
    """The log file."""
    line: int
    """The first line not read."""
    size: int
    """Bytes from there on not read as records, as far as the file could be read (of the
    decompressed text for a gzip file)."""


@dataclass(frozen=True, slots=True)
class Summary:
    """The figures at the top of every report."""

    records_read: int
    """Records found in the input: audited plus invalid."""
    requests_audited: int
    """Records that became requests and were checked."""
    invalid_records: int
    """Records reported in ``errors``."""
    prompt_tokens: int
    """Sum of prompt tokens over the audited requests."""
    requests_cacheable: int
    """Requests at or above their model's minimum cacheable length."""
    estimated_requests: int
    """Requests whose count includes an estimate."""
    unknown_models: tuple[str, ...]
    """Models missing from the catalogue (counted with their provider's defaults: OpenAI's,
    or for a Claude model the Claude 3 tokenizer and Anthropic's cache rules)."""
    observed_requests: int
    """Requests whose log carries the provider's usage."""
    observed_exact: int
    """Of those, requests whose count equals the provider's ``prompt_tokens``."""
    findings_by_rule: tuple[tuple[str, int], ...]
    """(rule name, findings) for every rule with findings, in code order."""
    findings_by_severity: tuple[tuple[str, int], ...]
    """(severity, findings) for every severity, most severe first."""
    catalog_date: str
    """When the model facts were last checked."""
    savings: Savings
    """Costs, savings, hit rates and calibration from the replay."""
    unread: tuple[UnreadPart, ...] = ()
    """Damaged files whose end was not read, in input order: the audit is incomplete."""
    suppressed_inline: int = 0
    """Findings dropped by a record's own ``promptcache.ignore`` list."""
    estimates: tuple[EstimateGroup, ...] = ()
    """Why requests' counts are estimates, one group per reason, most requests first."""
    token_calibration: tuple[ModelCalibration, ...] = ()
    """Counted vs observed prompt tokens per model, for requests whose log carries usage."""
    counting_changes: tuple[ChangeSeen, ...] = ()
    """Known changes in counting that requests of the log were logged before."""
    skipped: tuple[tuple[str, int], ...] = ()
    """(why, how many) for the calls the log holds that were deliberately not audited
    (answered by a gateway's cache, refused by the provider, embeddings), most first: they
    are records read, neither audited nor invalid."""
    resolved_models: tuple[tuple[str, str, str], ...] = ()
    """(the name the log gives, the model counted as, why: ``fine-tuned`` or
    ``deployment``): a fine-tuned model counted as its base, a deployment name as the model
    the response names (see :func:`promptcache.catalog.counted_as`)."""


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """A rule as this run used it (for formats that describe their rules, such as SARIF)."""

    code: str
    """e.g. ``PC101``."""
    name: str
    """e.g. ``dynamic-prefix``."""
    severity: Severity
    """As configured for the run."""
    summary: str
    """One line."""
    doc: str
    """The full documentation (Markdown)."""


@dataclass(frozen=True, slots=True)
class SessionRow:
    """Figures for one session: requests that share a cache."""

    session: str
    """``key:…`` (prompt_cache_key), ``session:…`` (metadata), ``user:…``, or ``auto:N`` for a
    conversation promptcache recognized by its prompts extending one another."""
    inferred: bool
    """True for ``auto:`` sessions."""
    first: Location
    """The session's first request."""
    requests: int
    """Requests in the session."""
    prompt_tokens: int
    """Their prompt tokens."""
    predicted_cached_tokens: int
    """Of those, predicted to come from the cache."""
    hit_rate: float
    """The cached share."""
    cost_usd: float | None
    """Input cost; None when a request in it is unpriced."""
    hits: int
    """Rule hits on its requests (occurrences, across findings)."""


@dataclass(frozen=True, slots=True)
class Report:
    """Everything a run found."""

    version: str
    """The promptcache version that wrote the report."""
    summary: Summary
    """Totals."""
    requests: Iterable[RequestRow]
    """One row per audited request, in input order (re-iterable; large logs' rows are read
    back from a temporary file)."""
    findings: tuple[Finding, ...]
    """The findings, in rule-code order."""
    errors: tuple[ErrorRow, ...]
    """Records and files that could not be audited."""
    sessions: tuple[SessionRow, ...] = ()
    """Per-session figures, in order of each session's first request."""
    rules: tuple[RuleInfo, ...] = ()
    """The rules the run used, in code order."""
    warnings: tuple[ErrorRow, ...] = ()
    """Problems that stop nothing, at their record: a ``promptcache.ignore`` entry that
    names no rule."""
    charts: Charts | None = None
    """What the HTML report draws (hit rate over time, waterfalls, per-model totals); None
    for a report made without it (one read back from an older JSON report)."""
