"""The JSON report: the documented machine-readable shape (schemas/report.schema.json)."""

from __future__ import annotations

import io
from dataclasses import fields as dataclass_fields
from dataclasses import replace
from typing import Any, TextIO

import orjson

from promptcache.calibration import CacheCalibration, ModelCalibration
from promptcache.divergence import Divergence
from promptcache.engine.findings import Finding
from promptcache.model import Location
from promptcache.report.charts import Charts
from promptcache.report.model import ExplicitCacheRow, Report, RequestRow, Summary
from promptcache.report.phrases import (
    base_priced,
    change_note,
    lifetime_line,
    nothing_priced,
    resolved_model,
)


def _row(row: RequestRow) -> dict[str, Any]:
    fields = _row_fields(row)
    if row.explicit_cache is not None:
        # Only on requests to an explicit cache, so implicit-cache reports keep their bytes.
        fields["explicit_cache"] = _explicit_cache_row(row.explicit_cache)
    if row.body_prompt_tokens is not None:
        # Only on counts anchored on usage, so other reports keep their bytes.
        fields["body_prompt_tokens"] = row.body_prompt_tokens
    return fields


def _explicit_cache_row(row: ExplicitCacheRow) -> dict[str, Any]:
    # The JSON names are the fields' names, in their order; no reason is null, not ''.
    return {**_fields(row), "rejected": row.rejected or None}


def _row_fields(row: RequestRow) -> dict[str, Any]:
    return {
        "file": row.file,
        "line": row.line,
        "model": row.model,
        "prompt_tokens": row.prompt_tokens,
        "observed_prompt_tokens": row.observed_prompt_tokens,
        "observed_cached_tokens": row.observed_cached_tokens,
        "predicted_cached_tokens": row.predicted_cached_tokens,
        "predicted_cached_tokens_low": row.predicted_cached_tokens_low,
        "cost_usd": _usd(row.cost_usd),
        "estimated": row.estimated,
        "exact": not row.estimated,
        "estimate_reasons": list(row.estimate_reasons),
        "bounds": {"low": row.low, "high": row.high},
    }


def report_to_dict(report: Report) -> dict[str, Any]:
    """The report as plain JSON data, keys in a fixed order."""
    summary = report.summary
    return {
        "promptcache": report.version,
        "summary": {
            "records_read": summary.records_read,
            "requests_audited": summary.requests_audited,
            "invalid_records": summary.invalid_records,
            "skipped_records": [{"reason": reason, "count": count}
                                for reason, count in summary.skipped],
            "unread": [{"file": part.file, "line": part.line, "bytes": part.size}
                       for part in summary.unread],
            "findings_suppressed_inline": summary.suppressed_inline,
            "prompt_tokens": summary.prompt_tokens,
            "requests_cacheable": summary.requests_cacheable,
            "share_cacheable": _share(summary.requests_cacheable, summary.requests_audited),
            "estimated_requests": summary.estimated_requests,
            "unknown_models": list(summary.unknown_models),
            "observed_requests": summary.observed_requests,
            "observed_exact": summary.observed_exact,
            "findings": sum(count for _, count in summary.findings_by_rule),
            "findings_by_rule": dict(summary.findings_by_rule),
            "findings_by_severity": dict(summary.findings_by_severity),
            "catalog_date": summary.catalog_date,
            "sessions": len(report.sessions),
            **_savings(summary),
            "token_calibration": [_model_calibration(row) for row in summary.token_calibration],
            "counting_changes": [
                {"since": seen.change.since, "models": list(seen.change.models),
                 "api": seen.change.api, "tokens": seen.change.tokens,
                 "what": seen.change.what, "requests": seen.requests,
                 "note": change_note(seen)}
                for seen in summary.counting_changes],
            "estimates": [{"reason": group.reason, "requests": group.requests,
                           "low": group.low, "high": group.high}
                          for group in summary.estimates],
            "resolved_models": [{"model": model, "counted_as": counted_as, "why": why,
                                 "note": resolved_model(model, counted_as, why)}
                                for model, counted_as, why in summary.resolved_models],
        },
        "requests": [_row(row) for row in report.requests],
        "sessions": [
            {
                "session": row.session,
                "inferred": row.inferred,
                "first": _location(row.first),
                "requests": row.requests,
                "prompt_tokens": row.prompt_tokens,
                "predicted_cached_tokens": row.predicted_cached_tokens,
                "hit_rate": row.hit_rate,
                "cost_usd": _usd(row.cost_usd),
                "hits": row.hits,
            }
            for row in report.sessions
        ],
        "findings": [_finding(finding) for finding in report.findings],
        "errors": [
            {"file": error.file, "line": error.line, "message": error.message}
            for error in report.errors
        ],
        **({} if report.charts is None else {"charts": _charts(report.charts)}),
    }


def _charts(charts: Charts) -> dict[str, Any]:
    """The chart section; its names are the fields' names (see report/charts.py)."""
    return {
        "axis": charts.axis,
        "bucket_width": charts.bucket_width,
        "first_time": charts.first_time,
        "last_time": charts.last_time,
        "buckets": [_fields(bucket) for bucket in charts.buckets],
        "marks": [_fields(mark) for mark in charts.marks],
        "waterfall": [{**_fields(session), "bars": [_fields(bar) for bar in session.bars]}
                      for session in charts.waterfall],
        "sessions_left_out": charts.sessions_left_out,
        "models": [{**_fields(row), "cost_usd": _usd(row.cost_usd)} for row in charts.models],
    }


def _fields(data: Any) -> dict[str, Any]:
    return {field.name: getattr(data, field.name) for field in dataclass_fields(data)}


def _model_calibration(row: ModelCalibration) -> dict[str, Any]:
    worst = row.worst
    return {
        "model": row.model,
        "requests": row.requests,
        "exact": row.exact,
        "within_1pct": row.within_1pct,
        "estimated": row.estimated,
        "mean_error": row.mean_error,
        "worst_miss": None if worst is None else {"file": worst.file, "line": worst.line,
                                                  "error": row.worst_error},
        "predates_change": row.predating,
    }


def _finding(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity.value,
        "file": finding.location.file,
        "line": finding.location.line,
        "column": finding.location.column,
        "path": finding.path,
        "message": finding.message,
        "fix": finding.fix,
        "snippet": finding.snippet,
        "tokens_at_risk": finding.tokens_at_risk,
        "occurrences": finding.occurrences,
        "compared_with": _location(finding.compared_with),
        "last": _location(finding.last_location),
        "divergence": divergence_data(finding.divergence),
        "estimated_savings_usd": _usd(finding.estimated_savings_usd),
        "estimated_savings_tokens": finding.estimated_savings_tokens,
    }


def divergence_data(divergence: Divergence | None) -> dict[str, Any] | None:
    """A first divergence as the JSON report writes it (the HTML pages draw it from this)."""
    if divergence is None:
        return None
    return {
        "compared_with": _location(divergence.compared_with),
        "path": divergence.path,
        "token_offset": divergence.token_offset,
        "cacheable_tokens": divergence.cacheable_tokens,
        "tokens_after": divergence.tokens_after,
        "before": divergence.before,
        "after": divergence.after,
    }


def _priced(value: float, summary: Summary) -> float | None:
    # Nothing priced: no dollar figure at all, not a misleading 0.
    return None if nothing_priced(summary) else _usd(value)


def _explicit_cache(summary: Summary) -> dict[str, Any]:
    """The explicit-cache figures, only for a log with requests to an explicit cache (so an
    implicit-cache report keeps its bytes)."""
    savings = summary.savings
    if not savings.lifetime_costs:
        return {}
    costs = {lifetime: _priced(usd, summary) for lifetime, usd in savings.lifetime_costs}
    priced = not nothing_priced(summary)
    return {"explicit_cache": {
        "lifetime_costs_usd": costs,
        "lifetime_that_pays": savings.lifetime_that_pays if priced else None,
        "lifetime_note": lifetime_line(savings) if priced else None,
        "calibration": [_cache_calibration(row) for row in savings.cache_calibration],
    }}


def _cache_calibration(row: CacheCalibration) -> dict[str, Any]:
    return {
        "model": row.model,
        "requests": row.requests,
        "reads": {"exact": row.reads_exact, "within_5pct": row.reads_within_5pct,
                  "predicted_tokens": row.predicted_read_tokens,
                  "observed_tokens": row.observed_read_tokens},
        "writes": {"requests": row.writes_requests, "exact": row.writes_exact,
                   "within_5pct": row.writes_within_5pct,
                   "predicted_tokens": row.predicted_written_tokens,
                   "observed_tokens": row.observed_written_tokens},
    }


def _savings(summary: Summary) -> dict[str, Any]:
    savings = summary.savings
    calibration = savings.calibration
    return {
        "cost": {
            "price_data": savings.price_data,
            "current_usd": _priced(savings.cost_usd, summary),
            "after_fixes_usd": _priced(savings.cost_after_fixes_usd, summary),
            "savings_usd": _priced(savings.savings_usd, summary),
            "unpriced_requests": savings.unpriced_requests,
            "unpriced_models": list(savings.unpriced_models),
            "base_priced": [{"model": model, "priced_as": priced_as,
                             "note": base_priced(model, priced_as)}
                            for model, priced_as in savings.base_priced],
        },
        "hit_rate": {
            "predicted": savings.hit_rate_predicted,
            "predicted_low": savings.hit_rate_predicted_low,
            "after_fixes": savings.hit_rate_after_fixes,
            "observed": savings.hit_rate_observed,
        },
        "cache_model": {"lifetime": savings.lifetime_note},
        "calibration": None if calibration is None else {
            "requests": calibration.requests,
            "exact": calibration.exact,
            "mean_error": calibration.mean_error,
            "mean_absolute_error": calibration.mean_absolute_error,
            "by_reason": dict(calibration.by_reason),
            "disagreements": [
                {"file": item.location.file, "line": item.location.line,
                 "observed_cached_tokens": item.observed_cached_tokens,
                 "predicted_cached_tokens": item.predicted_cached_tokens,
                 "reason": item.reason, "explanation": item.explanation}
                for item in calibration.disagreements
            ],
        },
        **_explicit_cache(summary),
    }


def _usd(value: float | None) -> float | None:
    # Micro-dollars: enough for one request's cost, and stable text for byte-identical reports.
    return None if value is None else round(value, 6)


def _location(location: Location | None) -> dict[str, Any] | None:
    return None if location is None else {"file": location.file, "line": location.line,
                                          "column": location.column}


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def render_json(report: Report) -> str:
    """The report as indented JSON text ending in a newline."""
    buffer = io.StringIO()
    write_json(report, buffer)
    return buffer.getvalue()


_REQUESTS_SLOT = r'"requests": "\u0000requests"'  # how orjson writes the NUL


def write_json(report: Report, out: TextIO) -> None:
    """Write the report to ``out`` one request row at a time, so a log of millions of
    requests never has its whole report in memory. The text equals one ``orjson`` dump with
    two-space indentation."""
    skeleton = replace(report, requests=())
    document = report_to_dict(skeleton)
    document["requests"] = "\x00requests"
    text = orjson.dumps(document, option=orjson.OPT_INDENT_2).decode()
    head, tail = text.split(_REQUESTS_SLOT, 1)
    out.write(head)
    out.write('"requests": [')
    first = True
    for row in report.requests:
        entry = orjson.dumps(_row(row), option=orjson.OPT_INDENT_2).decode()
        out.write(("\n    " if first else ",\n    ") + entry.replace("\n", "\n    "))
        first = False
    out.write("]" if first else "\n  ]")
    out.write(tail + "\n")
