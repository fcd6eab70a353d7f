"""One content block of an Anthropic Messages request as one segment.

Every block the provider counts in its 20-block cache lookback (a system text block, a message's
text, image, document, tool_use, tool_result, thinking, redacted_thinking or server-tool block)
becomes exactly one :class:`~promptcache.model.Segment`, so a rule can count blocks by counting
segments of block kinds. The text a segment carries is what the Claude tokenizer is given; the
structural tokens Anthropic adds around it (:mod:`promptcache.tokens.anthropic_framing`) and the
tokens of images and PDF pages are its ``fixed_tokens``.

Blocks whose cost the provider decides from data the body does not hold (a server tool's
results, an image or PDF fetched by URL or file id) are marked estimated with no upper bound:
their count is a lower bound, "not estimable offline".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from promptcache.catalog import ModelFacts
from promptcache.estimates import (
    CITATIONS_ESTIMATE,
    DOCUMENT_ESTIMATE,
    IMAGE_ESTIMATE,
    NOT_ESTIMABLE_ESTIMATE,
    REMOTE_SOURCE_ESTIMATE,
    THINKING_ESTIMATE,
    TOOL_CALL_ESTIMATE,
    lower_bound,
    server_input_estimate,
)
from promptcache.model import Estimate, ImageRef, Segment, SegmentKind
from promptcache.normalize.openai_chat import canonical_json
from promptcache.tokens.anthropic_documents import page_image_tokens
from promptcache.tokens.anthropic_framing import TEXT_DOCUMENT, Generation
from promptcache.tokens.anthropic_server_tools import block_addition
from promptcache.tokens.images import (
    data_url_dimensions,
    image_dimensions,
    image_token_range,
    image_tokens,
)
from promptcache.tokens.pdf import pdf_pages

__all__ = ["block_segment", "breakpoint_of", "compact_json", "text_segment"]

_THINKING_BLOCKS = frozenset({"thinking", "redacted_thinking"})
_OPAQUE = frozenset({"signature", "cache_control"})

_TEXT_BLOCKS = frozenset({"text"})


def breakpoint_of(value: Mapping[str, Any]) -> str:
    """The lifetime of ``value``'s ``cache_control`` breakpoint (``5m`` when it gives no
    ``ttl``, the API default), '' when it sets none (absent or null)."""
    control = value.get("cache_control")
    if not isinstance(control, Mapping):
        return ""
    ttl = control.get("ttl")
    return ttl if isinstance(ttl, str) and ttl else "5m"


def compact_json(value: object) -> str:
    """``value`` as the compact JSON Anthropic's renderings are counted from."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def text_segment(path: str, text: str, role: str, breakpoint: str = "") -> Segment:
    """A text block (a system block, a message's text, a string content)."""
    return Segment(SegmentKind.TEXT, path, text, role=role, breakpoint=breakpoint)


def block_segment(block: Any, path: str, role: str, facts: ModelFacts,
                  generation: Generation, keeps_thinking: bool = True) -> Segment:
    """The segment of one message content block at ``path``; a thinking block counts only
    when ``keeps_thinking`` (see :func:`promptcache.normalize.anthropic_messages.
    thinking_turn`)."""
    if not isinstance(block, Mapping):
        return Segment(SegmentKind.OTHER, path, "", role=role, estimated=True,
                       estimate=NOT_ESTIMABLE_ESTIMATE)
    kind = block.get("type")
    mark = breakpoint_of(block)
    if kind in _TEXT_BLOCKS:
        return text_segment(path, str(block.get("text") or ""), role, mark)
    if kind == "image":
        return _image(block, path, role, mark, facts)
    if kind == "document":
        return _document(block, path, role, mark, facts)
    if kind == "tool_use":
        arguments = block.get("input")
        return Segment(SegmentKind.TOOL_CALL, path,
                       str(block.get("name") or "") + compact_json(arguments),
                       fixed_tokens=generation.tool_use, role=role,
                       key=str(block.get("name") or ""), canonical=canonical_json(arguments),
                       estimated=True, estimate=TOOL_CALL_ESTIMATE, breakpoint=mark)
    if kind == "tool_result":
        return _tool_result(block, path, role, mark, facts, generation)
    if kind in _THINKING_BLOCKS and not keeps_thinking:
        # Stripped from the prompt: still a block of the request, costing nothing.
        return Segment(SegmentKind.OTHER, path, "", role=role, key=str(kind), breakpoint=mark)
    if kind == "thinking":
        return Segment(SegmentKind.OTHER, path, str(block.get("thinking") or ""), role=role,
                       key="thinking", estimated=True, estimate=THINKING_ESTIMATE,
                       breakpoint=mark)
    if kind == "redacted_thinking":
        # Encrypted: the tokens it stands for cannot be told from its data.
        return Segment(SegmentKind.OTHER, path, "", role=role, key="redacted_thinking",
                       estimated=True, estimate=NOT_ESTIMABLE_ESTIMATE, breakpoint=mark)
    # Server-tool calls and results (server_tool_use, web_search_tool_result, mcp_tool_use,
    # container_upload, compaction...): the provider renders them from data it keeps; their
    # readable JSON is counted as the least they cost, the reason naming what the server
    # adds (tokens.anthropic_server_tools.BLOCK_ADDITIONS).
    return Segment(SegmentKind.OTHER, path, compact_json(_readable(block)), role=role,
                   key=str(kind or ""), estimated=True,
                   estimate=server_input_estimate(block_addition(str(kind or ""))),
                   breakpoint=mark)


def _readable(value: Any) -> Any:
    """``value`` without its opaque parts (``encrypted_content``, ``encrypted_index``,
    ``signature``) and its ``cache_control``: what the provider renders from an opaque
    string is not that string (a web search result's page text is not its encrypted form:
    counting the ciphertext put chatlas' and ellmer's web-search turns at twice their
    recorded totals), so only the readable fields make the lower bound."""
    if isinstance(value, Mapping):
        return {key: _readable(item) for key, item in value.items()
                if key not in _OPAQUE and not key.startswith("encrypted")}
    if isinstance(value, list):
        return [_readable(item) for item in value]
    return value


def _image(block: Mapping[str, Any], path: str, role: str, mark: str,
           facts: ModelFacts) -> Segment:
    """An image block, costed by the model's image scheme from its pixel size: read from a
    base64 source's header, or (``--fetch-images`` only) from a URL's first bytes. Without
    a size (a file id, a URL offline) the count is the least any image costs, a lower
    bound."""
    source = block.get("source")
    source = source if isinstance(source, Mapping) else {}
    identity = canonical_json(source)
    media = str(source.get("media_type") or "image/png")
    size: tuple[int, int] | None = None
    if source.get("type") == "base64":
        size = data_url_dimensions(f"data:{media};base64,{source.get('data') or ''}")
    elif source.get("type") == "url":
        size = image_dimensions(str(source.get("url") or ""))
    if size is not None:
        width, height = size
        tokens = image_tokens(facts.image, width, height, "auto").tokens
        hint = media if source.get("type") == "base64" else str(source.get("url"))[:80]
        ref = ImageRef(identity, "auto", False, width, height, hint)
        return Segment(SegmentKind.IMAGE, path, "", fixed_tokens=tokens, role=role,
                       key=identity, image=ref, estimated=True, estimate=IMAGE_ESTIMATE,
                       breakpoint=mark)
    hint = str(source.get("url") or source.get("file_id") or source.get("type") or "")
    ref = ImageRef(identity, "auto", False, None, None, hint[:80])
    least, _ = image_token_range(facts.image, "auto")
    return Segment(SegmentKind.IMAGE, path, "", fixed_tokens=least, role=role, key=identity,
                   image=ref, estimated=True, estimate=REMOTE_SOURCE_ESTIMATE,
                   breakpoint=mark)


def _document(block: Mapping[str, Any], path: str, role: str, mark: str,
              facts: ModelFacts) -> Segment:
    source = block.get("source")
    source = source if isinstance(source, Mapping) else {}
    # A title and a context are rendered with the document (the API's own fields).
    heading = "".join(str(block[name]) + "\n" for name in ("title", "context")
                      if isinstance(block.get(name), str))
    citations = block.get("citations")
    if isinstance(citations, Mapping) and citations.get("enabled"):
        return replace(_document_content(source, heading, path, role, mark, facts),
                       estimate=CITATIONS_ESTIMATE)
    return _document_content(source, heading, path, role, mark, facts)


def _document_content(source: Mapping[str, Any], heading: str, path: str, role: str,
                      mark: str, facts: ModelFacts) -> Segment:
    """A document's segment from its source: text, content blocks or a base64 PDF."""
    kind = source.get("type")
    identity = canonical_json(source)
    if kind == "text":
        return Segment(SegmentKind.OTHER, path, heading + str(source.get("data") or ""),
                       fixed_tokens=TEXT_DOCUMENT, role=role, key=identity, estimated=True,
                       estimate=DOCUMENT_ESTIMATE, breakpoint=mark)
    if kind == "content":
        parts = source.get("content")
        text = parts if isinstance(parts, str) else "".join(
            str(part.get("text") or "") for part in parts or ()
            if isinstance(part, Mapping))
        return Segment(SegmentKind.OTHER, path, heading + text, fixed_tokens=TEXT_DOCUMENT,
                       role=role, key=identity, estimated=True, estimate=DOCUMENT_ESTIMATE,
                       breakpoint=mark)
    if kind == "base64":
        pages = pdf_pages(str(source.get("data") or ""))
        if pages:
            # Each page: its image and its text (tokens.anthropic_documents).
            images = sum(page_image_tokens(facts.image, page) for page in pages)
            return Segment(SegmentKind.OTHER, path,
                           heading + "".join(page.text for page in pages),
                           fixed_tokens=images, role=role, key=identity, estimated=True,
                           estimate=DOCUMENT_ESTIMATE, breakpoint=mark)
    return Segment(SegmentKind.OTHER, path, heading, role=role, key=identity, estimated=True,
                   estimate=REMOTE_SOURCE_ESTIMATE, breakpoint=mark)


def _tool_result(block: Mapping[str, Any], path: str, role: str, mark: str,
                 facts: ModelFacts, generation: Generation) -> Segment:
    """A tool result: its text parts as text; images and documents inside it add their
    tokens (it stays one block of the lookback)."""
    content = block.get("content")
    texts: list[str] = []
    extra = 0
    estimate: Estimate = TOOL_CALL_ESTIMATE
    if isinstance(content, str):
        texts.append(content)
    elif isinstance(content, list):
        for index, part in enumerate(content):
            inner = block_segment(part, f"{path}.content[{index}]", role, facts, generation)
            if inner.text:
                texts.append(inner.text)
            extra += inner.fixed_tokens
            if inner.estimate is not None and lower_bound(inner.estimate):
                estimate = inner.estimate
    return Segment(SegmentKind.TEXT, path, "\n".join(texts),
                   fixed_tokens=generation.tool_result + extra, role=role,
                   key=str(block.get("tool_use_id") or ""), estimated=True, estimate=estimate,
                   breakpoint=mark)
