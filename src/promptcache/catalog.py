"""Per-model facts as one dated data table: encodings, image token schemes, cache rules.

Providers change these rules. A new model or provider is a new row here, never a constant in
a rule. Model names are matched by the longest table prefix (``gpt-4o-mini-2024-07-18`` takes
the ``gpt-4o-mini`` row), so dated snapshots need no rows of their own. Every name is first
put through :func:`resolve_model`, the one place that turns what a log calls a model
(``openai/gpt-4o``, ``ft:gpt-4o-mini-2024-07-18:org::id``) into the name of the model whose
tokenizer, framing, minimum and prices apply: the framing tables and the pricing use it too.

Sources (checked 2026-11): OpenAI platform guides "Prompt caching" and "Images and vision",
OpenAI cookbook "How to count tokens with tiktoken" and "Prompt Caching 201"; see
shared/domain.md sections 1 and 4.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

CATALOG_DATE = "2026-11-01"
"""When the facts below were last checked against the providers' documentation."""


@dataclass(frozen=True, slots=True)
class TileScheme:
    """Images cost ``base + tiles * per_tile``, tiles being 512-px squares after scaling."""

    base: int
    """Tokens for any image (all of a ``detail: low`` image)."""
    per_tile: int
    """Tokens per 512x512 tile at ``detail: high``."""
    framing: int = 0
    """Tokens billed around every image, beyond ``base`` and its tiles."""


@dataclass(frozen=True, slots=True)
class PatchScheme:
    """Images cost ``ceil(w/patch) * ceil(h/patch)`` patches (capped) times a multiplier."""

    multiplier: float
    """Tokens per patch for this model."""
    max_patches: int = 1536
    """The image is scaled down until it fits within this many patches."""
    framing: int = 0
    """Tokens billed around every image, beyond its patches times the multiplier."""
    patch: int = 32
    """The side of one patch in pixels (OpenAI 32, Anthropic 28)."""
    max_long_edge: int = 0
    """An image whose long edge is longer is first scaled down to it, aspect kept (0: no
    such limit, OpenAI's patch models)."""


ImageScheme = TileScheme | PatchScheme


@dataclass(frozen=True, slots=True)
class CacheRules:
    """How the provider caches prompt prefixes for a model family."""

    family: str
    """Name of the cache model (``openai-implicit``, ``openai-explicit``...)."""
    min_tokens: int
    """Prompts shorter than this are never cached."""
    step_tokens: int
    """Cached token counts come in multiples of this beyond the minimum (1 = no rounding)."""
    lifetime_seconds: int
    """Idle time after which a cached prefix is assumed evicted (the default lifetime, for
    providers that offer several)."""
    max_breakpoints: int = 0
    """Explicit caches: the most breakpoints one request may set (more is an API error);
    0 for implicit caches."""
    lookback_blocks: int = 0
    """Explicit caches: how many blocks before a breakpoint a read looks back for an
    earlier write; 0 for implicit caches."""
    long_lifetime_seconds: int = 0
    """Explicit caches: the longer lifetime a breakpoint may ask for (Anthropic's ``ttl:
    1h``); 0 when there is none."""
    explicit_mode: CacheRules | None = None
    """The rules a request follows instead when it marks its own breakpoints (gpt-5.6's
    ``prompt_cache_breakpoint`` markers, sent with ``prompt_cache_options`` mode
    ``explicit``); None when the model has no such mode."""


@dataclass(frozen=True, slots=True)
class ModelFacts:
    """Everything promptcache knows about one model family."""

    prefix: str
    """Model names starting with this (longest match wins) use this row."""
    provider: str
    """``openai``, ``anthropic``..."""
    encoding: str
    """The tiktoken encoding the model's tokenizer matches."""
    image: ImageScheme
    """How the model counts image tokens."""
    cache: CacheRules
    """How the provider caches this model's prompts."""
    known: bool = True
    """False for the fallback row used for models missing from the table."""


# OpenAI keeps prefixes 5-10 minutes of inactivity; we assume the short end (5 minutes) so a
# predicted hit is one the provider really promises.
_OPENAI_IMPLICIT = CacheRules("openai-implicit", min_tokens=1024, step_tokens=128,
                              lifetime_seconds=300)
# gpt-5.6 and later (shared/domain.md section 1): 30-minute minimum ttl, no 128-token
# rounding, and an explicit mode (`prompt_cache_options: {mode: explicit}`) in which only the
# prefixes that `prompt_cache_breakpoint` markers close are written (at most 4 per request;
# a 5th is taken as an error, as on Anthropic, the docs saying no more) and read, with "no
# fallback to the longest unmarked prefix": a read is a breakpoint's own prefix (a lookback
# of 1 block). pydantic/pydantic-ai test_openai_chat_prompt_cache_e2e.yaml#0..#1 and
# test_openai_responses_prompt_cache_e2e.yaml#0..#1 write, then read, the 4,012 tokens
# through the marked part of 4,020.
_OPENAI_EXPLICIT = CacheRules("openai-explicit", min_tokens=1024, step_tokens=1,
                              lifetime_seconds=1800, max_breakpoints=4, lookback_blocks=1)
# Without markers gpt-5.6 caches implicitly, the longest cached prefix unrounded.
_OPENAI_UNROUNDED = CacheRules("openai-implicit-unrounded", min_tokens=1024, step_tokens=1,
                               lifetime_seconds=1800, explicit_mode=_OPENAI_EXPLICIT)

# Anthropic (docs "Prompt caching", checked 2026-12): explicit `cache_control` breakpoints,
# at most 4 per request, a read looks back at most 20 blocks from each breakpoint, entries
# live 5 minutes from last use (or 1 hour with `ttl: "1h"`), no rounding of cached counts.
# The minimum cacheable prefix is per model (see the rows below).
def _anthropic_cache(min_tokens: int) -> CacheRules:
    return CacheRules("anthropic-explicit", min_tokens=min_tokens, step_tokens=1,
                      lifetime_seconds=300, max_breakpoints=4, lookback_blocks=20,
                      long_lifetime_seconds=3600)


_TILE_4O = TileScheme(base=85, per_tile=170)
_PATCH_GPT_5_2 = PatchScheme(multiplier=1.2, max_patches=2500, framing=2)


def _openai(prefix: str, encoding: str, image: ImageScheme,
            cache: CacheRules = _OPENAI_IMPLICIT) -> ModelFacts:
    return ModelFacts(prefix, "openai", encoding, image, cache)


MODELS: tuple[ModelFacts, ...] = (
    _openai("gpt-3.5", "cl100k_base", _TILE_4O),
    _openai("gpt-4", "cl100k_base", _TILE_4O),
    _openai("gpt-4o", "o200k_base", _TILE_4O),
    _openai("chatgpt-4o", "o200k_base", _TILE_4O),
    _openai("gpt-4o-mini", "o200k_base", TileScheme(base=2833, per_tile=5667)),
    _openai("gpt-4.1", "o200k_base", _TILE_4O),
    # Image framing (tokens around each image beyond its patches or tiles) is per model, not
    # per API: the same image costs the same in Chat Completions and Responses.
    # gpt-4.1-mini: 0 (tidyverse/ellmer `openai-image.yml#0`, 300x346 -> 110 patches, 179).
    _openai("gpt-4.1-mini", "o200k_base", PatchScheme(multiplier=1.62)),
    # gpt-4.1-nano: 1 more than the patch formula at two sizes, in both APIs: pydantic-ai
    # `test_image_url_input_force_download.yaml#1` and `..._response_api.yaml#1` (540x360,
    # 204 patches: 502 + 1), ruby_llm `activerecord_actsas_attachment_handling_handles_
    # attachments_in_ask_method#0` (128x128, 16 patches: 40 + 1); its text-only requests are
    # exact (21 records), so the token belongs to the image.
    _openai("gpt-4.1-nano", "o200k_base", PatchScheme(multiplier=2.46, framing=1)),
    _openai("gpt-4.5", "o200k_base", _TILE_4O),
    # The audio chat models after gpt-4o-audio-preview (counted as the gpt-4o row above):
    # o200k and ChatML framing, the input_audio part as gpt-4o-audio-preview bills it: exact
    # on the 4 recorded requests with audio (Mirascope openai_gpt_audio#0, gpt-audio;
    # ruby_llm chat_audio_models_openai_gpt-audio-mini_* #0 and dd-trace-js
    # openai_chat_completions_post_781929fc#0, gpt-audio-mini); one text-only gpt-audio
    # request is 1 over (dd-trace-js _797109e5#0, 9 counted, 8 billed: unexplained). They
    # take no images: the scheme is the family's, for completeness.
    _openai("gpt-audio", "o200k_base", _TILE_4O),
    _openai("o1", "o200k_base", TileScheme(base=75, per_tile=150)),
    _openai("o3", "o200k_base", TileScheme(base=75, per_tile=150)),
    _openai("o4-mini", "o200k_base", PatchScheme(multiplier=1.72)),
    # gpt-5 (tiles): no framing; activeagent `messages_test/test_agent_image_base64_*#0` (1x1,
    # three records) and fantasy `TestImageUploadAgent*/openai-gpt-5*#0` (50x50, two) bill
    # 70 + 140 exactly (2 over when harmony's +2 of the patch models was added).
    _openai("gpt-5", "o200k_base", TileScheme(base=70, per_tile=140)),
    # OpenAI's guide says 1.62; five recorded gpt-5-mini image requests (shared/data,
    # openai-cassettes) only match 1.2 per patch, as do developer-forum measurements.
    # Framing 2: pydantic-ai `test_multimodal_tool_returns` chat records (597x566 -> 342
    # patches, 413 = 411 + 2; 400x301 -> 130 patches, 158 = 156 + 2; five records).
    _openai("gpt-5-mini", "o200k_base", PatchScheme(multiplier=1.2, framing=2)),
    # 1.5 per patch, not the guide's 2.46: OpenAI developer forum, "GPT-5-mini image input
    # token calculation discrepancy" (OpenAI's own pricing calculator uses 1.5; 1536 patches
    # measured at 2304 + text) and "Introducing GPT-5.4 mini and nano" (measured 1.5). ruby_llm
    # `chat_vision_models_openai_gpt-5-nano_can_understand_local_images#0` (128x128, 16
    # patches) bills 24 for the image: 16 x 1.5, no framing.
    _openai("gpt-5-nano", "o200k_base", PatchScheme(multiplier=1.5)),
    # gpt-5.2 and later are patch models at 1.2 per patch with a 2500-patch cap (a 1600x1600
    # image is billed 2500 patches unscaled): OpenAI developer forum, "Introducing GPT-5.4
    # mini and nano" (measured on gpt-5.2, gpt-5.3-codex, gpt-5.4, -mini and -nano). Framing
    # 2 as on gpt-5-mini: ellmer `structured-data-examples-image.yml#0` (gpt-5.6-terra,
    # 512x149 -> 80 patches, 98 = 96 + 2). Unexplained: chatlas `test_openai_images.yaml#0`
    # (gpt-5.4, 60x30 -> 2 patches, both APIs) bills 4, one under ceil(2.4) + 2, and ellmer
    # `openai-v2-tool-image.yml#1..#3` (gpt-5.4-nano, an image in a tool output) are 2 under.
    _openai("gpt-5.2", "o200k_base", _PATCH_GPT_5_2),
    _openai("gpt-5.3", "o200k_base", _PATCH_GPT_5_2),
    _openai("gpt-5.4", "o200k_base", _PATCH_GPT_5_2),
    _openai("gpt-5.6", "o200k_base", _PATCH_GPT_5_2, _OPENAI_UNROUNDED),
)

# Claude: the tokenizer family follows ctok's measurements (shared/anthropic-counting-
# facts.md section 5): v3 for Claude 3 to Opus 4.6 and Haiku 4.5, v4.7 for Opus 4.7, v4.8
# for Opus 4.8, Sonnet 5, Fable 5 and Opus 5. Images: see _CLAUDE_IMAGES below.
# Minimum cacheable prefix: Anthropic "Prompt caching" docs ("Cache limitations"; checked
# 2026-12, as quoted in anthropics/anthropic-sdk-python issue 1194 and by gateway docs) and
# the shared recordings, read as: a write of N tokens proves the minimum is <= N; a breakpoint
# over a counted prefix that writes nothing supports a minimum above it. Per row below.
#
# Images (checked 2026-12). The vision guide ("Images and vision", platform.claude.com/docs/
# en/build-with-claude/vision) now says Claude sees an image in 28x28-pixel patches, one
# visual token each, ceil(w/28) * ceil(h/28) of them, the image padded to whole patches and
# first resized, aspect kept, when it exceeds the model's native resolution; its older text
# (w*h/750, scaled down past a 1568-px long edge or about 1,600 tokens) is the same cost
# within 5%. Measured on the shared recordings as the recorded total less the exactly counted
# rest of the body (bench/anthropic_media.py prints it per image): patches plus 3 on every
# base64 image alone in a message, every generation from Claude 3 to Sonnet 5, 27 of 28
# records of 12 sources within a token, e.g. 1x1 = 1 + 3 (activeagents test_agent_image_
# base64_*, Haiku 4.5 and Sonnet 5, 9 records; 3 more on Haiku 3.5), 50x50 = 4 + 3
# (charmbracelet/fantasy TestImageUploadAgent, Sonnet 4), 100x100 = 16 + 3 (Mirascope e2e
# input, Sonnet 4 and Haiku 4.5), 166x282 = 66 + 3 (simonw/llm-anthropic test_image_prompt,
# Sonnet 4.5), 228x148 = 54 + 3 (Arize-ai/openinference image_input_message, Sonnet 3.5),
# 405x405 = 225 + 3 (DataDog/dd-trace-py anthropic_create_image, Opus 3), 540x360 = 260 + 3
# (pydantic/pydantic-ai test_image_url_input_force_download, Haiku 4.5), 1001x1001 = 1296 +
# 3 (traceloop/openllmetry multi_modal, Opus 3 2024-09 and Haiku 3.5; its 2024-04 twin cost
# 70 more).
# The cap: 1191x1128 (43 x 41 patches; alexrudall/anthropic vision_what_is_this, Haiku 3)
# cost 1,562, 1,558 + 3 within a token, 1,558 (41 x 38) being the count of OpenAI's patch
# procedure at 1600 patches (shrink to the cap's area, then to whole patches on one side);
# the guide's "about 1,600" and count_tokens measurements of large images on Sonnet 4.6
# at 1,558-1,561 (claudecodecamp.com, below) agree.
# Opus 4.7 raised the native resolution to a 2576-px long edge, about 4,784 visual tokens
# (the guide's per-model limits; count_tokens measurements of claudecodecamp.com, "Images cost
# 3x more tokens in Claude Opus 4.7"): no recording checks it.
_CLAUDE_IMAGES = PatchScheme(multiplier=1, max_patches=1600, framing=3, patch=28,
                             max_long_edge=1568)
_CLAUDE_HIGH_RESOLUTION_IMAGES = PatchScheme(multiplier=1, max_patches=4784, framing=3,
                                             patch=28, max_long_edge=2576)


def _claude(prefix: str, encoding: str, min_tokens: int, known: bool = True,
            image: ImageScheme = _CLAUDE_IMAGES) -> ModelFacts:
    # ``encoding`` names the model's tokenizer family (promptcache.tokens.claude.families):
    # ctok's routing, v3 for Claude 3 .. Opus 4.6 and Haiku 4.5, v4.7 for Opus 4.7, v4.8 from
    # Opus 4.8 on (anthropic-counting-facts.md, section 5).
    return ModelFacts(prefix, "anthropic", encoding, image, _anthropic_cache(min_tokens),
                      known)


CLAUDE_MODELS: tuple[ModelFacts, ...] = (
    # Claude 3 Opus / Sonnet, 3.5 Sonnet, 3.7 Sonnet: 1024 (docs). Recorded writes of 1,163
    # to 1,167 (traceloop/openllmetry test_anthropic_prompt_caching_*legacy.yaml#0, 3.5
    # Sonnet) and 1,733 (openinference test_anthropic_instrumentation_messages_token_counts
    # #0, 3.7 Sonnet) agree.
    _claude("claude-3-opus", "claude-v3", 1024),
    _claude("claude-3-sonnet", "claude-v3", 1024),
    # Haiku 3 and 3.5: 2048 (docs). No real recording tests it: the one Haiku 3 "write" of
    # 1,200 (traceloop/openllmetry-js ...cache-tokens-from-providerMetadata...har#0) has no
    # cache_control in its body and a zero ephemeral_5m/1h split: a mocked usage.
    _claude("claude-3-haiku", "claude-v3", 2048),
    _claude("claude-3-5-sonnet", "claude-v3", 1024),
    _claude("claude-3-5-haiku", "claude-v3", 2048),
    _claude("claude-3-7-sonnet", "claude-v3", 1024),
    # Sonnet 4 / 4.5, Opus 4 / 4.1: 1024 (docs). Sonnet 4 writes 1,031
    # (DataDog/dd-apm-test-agent anthropic_v1_messages_post_595f439c.yaml#0); Sonnet 4.5
    # writes 1,752 to 2,611 (Future-House/ldp TestCachedTokenCosts.*).
    _claude("claude-sonnet-4", "claude-v3", 1024),
    _claude("claude-sonnet-4-5", "claude-v3", 1024),
    # Sonnet 4.6: 1024. The docs list it with Sonnet 4.5 at 1024 (quoted in
    # anthropics/anthropic-sdk-python issue 1194); some gateway pages say 2048, and were this
    # row's value until the recordings contradicted it: DataDog/dd-trace-js claude-agent-sdk
    # cassettes (recorded 2026-08-20) write prompts of 1,057 and 1,143 tokens
    # (claude-agent-sdk_v1_messages_beta_true_post_d2998a83.json#0 and _1a9ef989.json#0) and
    # read them back (_3cc65b08.json#0, _6f4b7f3a.json#0). No Sonnet 4.6 recording has a
    # breakpoint over 1,024 tokens that writes nothing.
    _claude("claude-sonnet-4-6", "claude-v3", 1024),
    _claude("claude-opus-4", "claude-v3", 1024),
    # Opus 4.5 / 4.6: 4096 (docs); no recording caches on them.
    _claude("claude-opus-4-5", "claude-v3", 4096),
    _claude("claude-opus-4-6", "claude-v3", 4096),
    # Opus 4.7: 2048 (docs); no recording caches on it.
    _claude("claude-opus-4-7", "claude-v4.7", 2048, image=_CLAUDE_HIGH_RESOLUTION_IMAGES),
    # Opus 4.8: 1024 (docs); writes 1,590 (pydantic/pydantic-ai
    # test_inline_system_prompt_cache_prefix_is_reused.yaml#0).
    _claude("claude-opus-4-8", "claude-v4.8", 1024),
    # Haiku 4.5: 4096 (docs), supported both ways: breakpoints over counted prefixes of
    # 3,094 to 3,425 tokens write nothing (Mirascope/mirascope typescript caching/anthropic/
    # caches-long-system-message.har#0..#1, caches-in-multi-turn-conversation.har#1..#2),
    # and one over 7,351 writes (crmne/ruby_llm chat_prompt_cache_round-trip_anthropic_
    # claude-haiku-4-5_writes_then_reads_the_prompt_cache.yml#0).
    _claude("claude-haiku-4-5", "claude-v3", 4096),
    # Sonnet 5: 1024 (docs), bracketed by tidyverse/ellmer anthropic-tool-image.yml: #2 has a
    # breakpoint over 1,011 recorded tokens and writes nothing, #3 writes 1,135.
    _claude("claude-sonnet-5", "claude-v4.8", 1024),
    # Opus 5, Fable 5, Mythos 5: 512 (docs); no recording caches on them.
    _claude("claude-opus-5", "claude-v4.8", 512),
    _claude("claude-fable-5", "claude-v4.8", 512),
    _claude("claude-mythos-5", "claude-v4.8", 512),
    # Any other Claude model (claude-2.1, claude-instant): Anthropic's cache rules and the
    # Claude 3 tokenizer, reported as not in the catalogue.
    _claude("claude", "claude-v3", 1024, known=False),
)

MODELS = MODELS + CLAUDE_MODELS

FALLBACK = ModelFacts("", "openai", "o200k_base", _TILE_4O, _OPENAI_IMPLICIT, known=False)
"""Used for a model the table does not know: current OpenAI defaults, flagged as unknown."""


@dataclass(frozen=True, slots=True)
class CountingChange:
    """A known change in how the provider counts the same request: a record logged before
    it that misses by exactly ``tokens`` predates the change rather than being miscounted."""

    since: str
    """ISO date of the first record counted the new way (the change happened between the
    last old record and this date); records dated before it may predate the change."""
    models: tuple[str, ...]
    """Resolved model names (prefixes) it applies to."""
    api: str
    """``openai.chat`` or ``openai.responses``."""
    tokens: int
    """Today's count minus the count before the change, for an affected request."""
    what: str
    """What changed, for the report."""


_OPENAI_MODELS: tuple[str, ...] = ("gpt-", "o1", "o3", "o4", "chatgpt-")
"""Every OpenAI model the catalogue resolves, for a change seen across models."""

COUNTING_CHANGES: tuple[CountingChange, ...] = (
    # The Responses API's first weeks: gpt-4o and gpt-4o-mini requests recorded from
    # 2025-03-10 to 2025-03-24 count 18 more than the same rendering counts today (a hidden
    # prompt since dropped), on 16 records from 4 projects with no tools: pydantic/logfire
    # test_input_guardrails#0, alexrudall/ruby-openai responses_create#0 (and 5 more),
    # DataDog/dd-trace-py test_simple_agent#0 and test_simple_agent_streamed#0,
    # simonw/llm-openai-plugin test_options[*]#0 and test_async_model#0. The first gpt-4o
    # record counted exactly as today is DataDog/dd-apm-test-agent's of 2025-07-02 (gpt-4.1
    # already was on 2025-05-09, dd-trace-py). With function tools the March records miss by
    # other amounts: -216 until 2025-03-21 (the next row), -21 on 2025-03-28 (logfire
    # test_mcp), -213 on two dd-trace-py ones with an echoed call, -636 with handoffs.
    CountingChange("2025-07-02", ("gpt-4o",), "openai.responses", -18,
                   "gpt-4o Responses requests of the API's first weeks counted 18 tokens more "
                   "than the API counts them today"),
    # With function tools the first weeks billed 216 more than today, whatever the tools
    # (one to two, with and without instructions, a call pair or not): exactly -216 on 6
    # records of 3 projects from 2025-03-12 to 2025-03-21, alexrudall/ruby-openai
    # responses_create_with_tool_call#0, DataDog/dd-trace-py openai_agents
    # test_agent_with_tool_errors#0, test_multiple_agent_handoffs#0 and
    # test_single_agent_with_tool_calls#0, pydantic/logfire test_openai_agents/
    # test_function_tool_exception#0 and #1 (and 3 undated pydantic-ai
    # test_openai_responses_stream#0/#1 and test_openai_responses_model_retry#1, same
    # figure). By 2025-03-28 it was gone: logfire test_openai_agents_mcp/test_mcp#0 (gpt-4o,
    # one function tool) misses by -21 only. Two dd-trace-py records with an echoed call
    # pair miss by -213, not this figure, and stay reported as misses.
    CountingChange("2025-03-28", ("gpt-4o",), "openai.responses", -216,
                   "gpt-4o Responses requests with function tools, in the API's first weeks, "
                   "counted 216 tokens more than the API counts them today"),
    # The gpt-5.4 alias moved to the gpt-5.4-2026-03-05 snapshot: the same Responses
    # request counted 36 when served by gpt-5.4-2025-04-14 (2025-12-31) and 35 by
    # gpt-5.4-2026-03-05 (2026-05-06): posit-dev/chatlas test_chat/
    # test_partial_turn_preserved_on_close.yaml #0 vs test_simple_streaming_chat.yaml #0.
    CountingChange("2026-03-05", ("gpt-5.4",), "openai.responses", -1,
                   "the gpt-5.4 alias moved to snapshot gpt-5.4-2026-03-05, which counts one "
                   "token less"),
    # The same Responses request (one user message, one function tool, gpt-4.1-nano, served
    # by gpt-4.1-nano-2025-04-14 both times) counted 58 input tokens on 2025-06-28 and 59 on
    # 2026-03-31: traceloop/openllmetry test_responses/test_responses_tool_calls.yaml #0 and
    # #1 (shared/openai-rendering-facts.md section 4). One pair from one project: the other
    # Responses function-tool requests recorded before 2026 (other models, other projects)
    # are counted exactly today, so the change is scoped to this model until more records
    # show its reach.
    CountingChange("2026-03-31", ("gpt-4.1-nano",), "openai.responses", +1,
                   "gpt-4.1-nano Responses requests count one token more, seen on a request "
                   "with a function tool"),
    # Inline PDFs (promptcache.tokens.openai_documents, which cites the records): a one-page
    # PDF in Chat Completions cost its text plus 216 up to 2026-02-07 (Mirascope, gpt-4o and
    # gpt-4o-mini) and plus 996 from 2026-05-06 (chatlas gpt-5.4, ellmer gpt-4.1-nano); in
    # Responses a PDF cost its text plus 4 from 2025-10-28 to 2026-02-07 (activeagents,
    # Mirascope; gpt-4o, gpt-4.1, gpt-4o-mini) and plus 14 from 2026-06-11 (chatlas, ellmer,
    # ruby_llm). A record with another file, or several, misses by another amount and is
    # not told apart.
    CountingChange("2026-05-06", _OPENAI_MODELS, "openai.chat", 996 - 216,
                   "a one-page PDF file in Chat Completions cost 216 tokens beyond its text "
                   "until early 2026, 996 since"),
    CountingChange("2026-06-11", _OPENAI_MODELS, "openai.responses", 14 - 4,
                   "a PDF file in Responses cost 4 tokens beyond its text until early 2026, "
                   "14 since"),
)
"""Known changes in counting, oldest first. promptcache counts as the API does today."""


def counting_change(model: str, api: str, recorded: str, miss: int) -> CountingChange | None:
    """The known change that explains a miss of ``miss`` tokens (counted minus observed) on
    a request to ``model`` through ``api`` recorded on ``recorded`` (an ISO date, '' when
    unknown), or None."""
    if not recorded or not miss:
        return None
    name = resolve_model(model)
    for change in COUNTING_CHANGES:
        if (change.api == api and recorded < change.since and miss == change.tokens
                and name.startswith(change.models)):
            return change
    return None


def lifetimes_note() -> str:
    """The documented idle lifetimes this table assumes, per cache family, for reports."""
    families = {row.cache.family: row.cache.lifetime_seconds for row in (*MODELS, FALLBACK)}
    return ", ".join(f"{family} {seconds:g} s" for family, seconds in sorted(families.items()))


@lru_cache(maxsize=1024)  # asked for every request; a log names few models
def resolve_model(model: str) -> str:
    """The name of the model ``model`` runs on, lower case, dated snapshot kept.

    - Gateways prefix the provider, once or more: ``openai/gpt-4o``, ``azure/gpt-4o``,
      ``openrouter/openai/gpt-4o`` -> ``gpt-4o``.
    - A fine-tuned model is named ``ft:<base model>:<org>:<suffix>:<id>`` (OpenAI's
      fine-tuning guide, "Use a fine-tuned model"; e.g. ``ft:gpt-4o-mini-2024-07-18:org::id``,
      ``ft:gpt-3.5-turbo-0125:org:suffix:id``): it runs on its base model's tokenizer and
      chat format, so it resolves to the base (``gpt-4o-mini-2024-07-18``).
    - A dated snapshot (``gpt-4o-2024-08-06``) stays as it is: the catalogue's longest prefix
      finds its row, and prices differ between some snapshots and their alias.
    """
    name = without_provider(model)
    if name.startswith("ft:"):
        name = name[3:].split(":", 1)[0]
    if "claude" in name:
        name = _claude_name(name)
    return name


def _claude_name(name: str) -> str:
    """A Claude model as Anthropic's API names it, from the names clouds and gateways use:
    Amazon Bedrock's ``us.anthropic.claude-3-5-sonnet-20240620-v1:0`` (region and vendor
    before, version after), Google Vertex AI's ``claude-3-5-sonnet@20240620``, OpenRouter's
    ``claude-3.5-sonnet`` / ``claude-sonnet-4.5`` (dots in the version)."""
    name = name[name.index("claude"):]
    name = re.sub(r"-v\d+(?::\d+)?$", "", name).replace("@", "-")
    return re.sub(r"(?<=\d)\.(?=\d)", "-", name)


def without_provider(model: str) -> str:
    """``model`` lower case, without the provider prefixes gateways add (``azure/``...)."""
    return model.strip().lower().rsplit("/", 1)[-1]


def is_fine_tuned(model: str) -> bool:
    """True for a fine-tuned model's name (``ft:...``, after any provider prefix)."""
    return without_provider(model).startswith("ft:")


FINE_TUNED = "fine-tuned"
DEPLOYMENT = "deployment"


def counted_as(model: str, deployment: str = "") -> tuple[str, str, str] | None:
    """(the name the log gives, the model it is counted as, why) when those differ in a way
    a report should say: a fine-tuned model counted as its base (:data:`FINE_TUNED`), or a
    deployment name, the request's ``model``, counted as the model the response names
    (:data:`DEPLOYMENT`). None otherwise."""
    if deployment:
        return deployment, model, DEPLOYMENT
    if is_fine_tuned(model):
        return model, resolve_model(model), FINE_TUNED
    return None


@lru_cache(maxsize=1024)  # asked for every request; a log names few models
def facts_for(model: str) -> ModelFacts:
    """The row for ``model`` (resolved by :func:`resolve_model`) by longest prefix, or
    :data:`FALLBACK`."""
    name = resolve_model(model)
    best: ModelFacts | None = None
    for row in MODELS:
        if name.startswith(row.prefix) and (best is None or len(row.prefix) > len(best.prefix)):
            best = row
    return best or FALLBACK
