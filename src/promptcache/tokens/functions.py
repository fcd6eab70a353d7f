"""Render tool definitions and ``response_format`` schemas the way OpenAI puts them in the prompt.

Pure functions of JSON-like data to text. The provider turns a request's ``tools`` into a
TypeScript-like block inside a system message, and a ``json_schema`` response format into a
"Response Formats" section; the text here reproduces their *token counts* under ``o200k_base``
on the recorded requests (shared/data/openai-cassettes.jsonl, pydantic-ai cassettes with the
API's own ``usage.prompt_tokens``: every tools and schema record but one, see
tests/test_openai_chat_tokens.py), which is the standard it is held to.
The exact bytes the provider uses are not public: where two renderings tokenize alike, the one
closest to OpenAI's ``openai-harmony`` renderer (the published reference for the shape) wins.
Every departure from that reference below names the recorded evidence that forced it.

Shape of the tools block (``harmony`` renders the same, except where noted; the bare ``//``
stands for an object property with no comment of its own, see ``_EMPTY_COMMENT``)::

    # Tools

    ## functions

    namespace functions {

    // Tool description, one comment line per line (a blank line inside it: a bare //)
    type get_weather = (_:{
    // Property title
    // Property description
    city: string,
    unit?: "c" | "f", // default: "c"
    days?: number, // minimum: 1, maximum: 7
    //
    address:{
    street: string,
    },
    stops:{
      name: string,
    }[],
    tags: string[],
    }) => any;

    type ping = () => any;

    } // namespace functions
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final, NamedTuple

__all__ = [
    "INSTRUCTIONS_HEADING",
    "PARAMETERS_OPEN",
    "TOOLS_FOOTER",
    "TOOLS_HEADER",
    "BlockPart",
    "comment_lines",
    "forced_function",
    "render_function",
    "render_response_format",
    "response_format_name",
    "schema_type",
    "tool_block_parts",
    "unverified_keywords",
]

TOOLS_HEADER: Final = "# Tools\n\n## functions\n\nnamespace functions {\n\n"
"""Text before the first tool (harmony's ``template_tools_section`` for one namespace)."""
TOOLS_FOOTER: Final = "} // namespace functions"
"""Text after the last tool's separator."""
INSTRUCTIONS_HEADING: Final = "# Instructions\n\n"
"""Harmony's heading of the caller's instructions in a developer message that also holds the
tools (gpt-5 models put the caller's system message there)."""
PARAMETERS_OPEN: Final = "(_:{\n"
"""Where a tool's parameter lines start in :func:`render_function`'s text ("(_:" + the
parameters object's body)."""
RESPONSE_FORMATS_HEADER: Final = "# Response Formats\n\n## "
"""Start of the structured-output section; the format's name and a blank line follow."""

_MAX_DEPTH: Final = 24
"""Nesting (and ``$ref`` hops) beyond this renders as ``any``: guards cycles and bombs."""
_INDENT: Final = "  "
"""Indent of the members of an object inside an array (harmony's four spaces tokenize the same
here; other nested objects are not indented, see ``_object_body``). The closing brace goes at
the parent's indent, not at the members' as in harmony: with harmony's "    }" the recorded
request with a ``$ref``'d array of objects (19 tools, 364 tokens) is one token over."""
# Keys the provider drops from a response-format schema before printing it as JSON. Evidence:
# the two json_schema records cost 29 and 118 tokens; the section header plus compact JSON of
# the schema without these keys gives exactly 29 and 118 (with them: 36 and 166). The same
# holds for strict and non-strict schemas alike on 157 exact records (62 distinct formats,
# 15 projects; placement in promptcache.tokens.schema_placement): keeping
# additionalProperties in strict ones (a rule once suspected) would put every one of them
# 5 to 25 tokens over. "$schema" only names the JSON Schema
# dialect, it constrains nothing: openllmetry-js Test-AI-SDK-Agent-Integration (zod's
# draft-07 marker, gpt-4o-mini Responses) is exact without it, 15 over with it.
_RESPONSE_FORMAT_DROPPED: Final = frozenset({"additionalProperties", "required", "$schema"})
# Schema keywords whose value is a mapping of names to sub-schemas (names are not keywords).
_SCHEMA_MAPS: Final = frozenset({"properties", "$defs", "definitions", "patternProperties"})
# Keywords whose value is a list of sub-schemas, or one sub-schema.
_SCHEMA_LISTS: Final = frozenset({"anyOf", "oneOf", "allOf", "prefixItems"})
_SCHEMA_VALUES: Final = frozenset({"items", "not", "contains", "if", "then", "else",
                                   "additionalItems", "propertyNames", "unevaluatedItems"})


def comment_lines(text: object, indent: str = "", *, blank_lines: bool = False) -> str:
    """``// line`` for each non-blank line of ``text``, stripped, each ending in a newline.

    With ``blank_lines``, a blank line between two others is a bare ``//`` line instead of
    nothing (blank lines at the start and end are still dropped); see
    :func:`render_function` for where the API writes them.

    Stripping and dropping blank lines is not what harmony does (it prefixes every line as is),
    but it is what the counts require: docstring-style descriptions ("Args:\\n    x: ...",
    blank lines, trailing indentation) cost exactly this on the recorded MCP tools (3 tools,
    212 tokens) and on the 19-tool request; prefixing every raw line is 10 and 33 tokens over.
    (A bare "//" for each inner blank line costs the same on those two under o200k, which
    fuses it with the line before: the records cannot tell the two apart, mirascope's can.)
    """
    if not isinstance(text, str) or not text.strip():  # no line at all, blank or not
        return ""
    out = []
    for line in (text.strip() if blank_lines else text).split("\n"):
        stripped = line.strip()
        if stripped:
            out.append(f"{indent}// {stripped}\n")
        elif blank_lines:
            out.append(f"{indent}//\n")
    return "".join(out)


def render_function(function: Mapping[str, Any], *, blank_comment_lines: bool = False) -> str:
    """One tool of the ``functions`` namespace: its comment lines and ``type`` line, ending "\\n".

    ``function`` is the ``function`` object of a ``{"type": "function"}`` tool (or a legacy
    ``functions`` entry): ``name``, optional ``description`` and ``parameters``.
    ``blank_comment_lines`` (gpt-4 / gpt-3.5) also keeps the blank line between a property's
    title and its description as a bare "//" line (see :func:`_leading_comments`).
    """
    name = function.get("name")
    name = name if isinstance(name, str) else ""
    parameters = function.get("parameters")
    # Blank lines inside the tool's description are bare "//" lines, as harmony writes every
    # line of it (harmony's "// " less the trailing space, which alone would be 72 over).
    # Evidence, o200k: mirascope test_caching_tool openai_gpt_4o_completions #0-#3 and
    # openai_gpt_4o_responses #0-#3 (a 160-line markdown description, 38 blank lines) are
    # exactly 2 under without them: o200k fuses ".\n//\n//" into one token, so only the two
    # blank lines after a line not ending in "." cost anything; the same fusing keeps every
    # other o200k record with blank lines in a description exact either way (pydantic-ai
    # test_dbos 19-tool docstrings, the MCP tools). cl100k, which does not fuse them: the
    # dd-trace-py pairs that differ only by a blank line in the description cost one token
    # more with it (openai_chat_completions_post_87cdfc2c#0, 73, against _57f3fae0#0 and
    # _6c0d752b#0, 72; _7efd1a80#0, 85, against _c180b8dd#0, 84). Unverified: blank lines in
    # property descriptions on o200k (no recorded case costs them).
    out = comment_lines(function.get("description"), blank_lines=True)
    if isinstance(parameters, Mapping):
        # The parameters schema's own title (pydantic's model name) is a comment line above
        # the description: dd-trace-py openai_agents test_multiple_agent_handoffs_with_chat_
        # completions#0/#1 and test_oai_agents_with_guardrail_spans#0/#1 ("research_args"),
        # magentic test_openai_chat_model_complete_function_call_openai_strict#0: each 4 under
        # without it; below the description instead, 5 fewer records are exact (Responses).
        out = comment_lines(parameters.get("title")) + out
    if isinstance(parameters, Mapping) and _has_properties(parameters):
        # "(_:{" with no space: harmony writes "(_: {". The recorded counts are one token lower
        # per tool whose first parameter line is not a comment (get_weather alone: 48 tokens,
        # harmony's text gives 49) and unchanged when it is one (get_capital with a described
        # parameter, 104): o200k has a ":{\n" token, and " {\n//" is one token either way.
        body = _object_body(parameters, "", parameters, 0, in_array=False,
                            blank=blank_comment_lines)
        return f"{out}type {name} = (_:{body}) => any;\n"
    if isinstance(parameters, Mapping) and not _is_object_schema(parameters):
        # A non-object parameter schema (not allowed by the API today): best effort.
        typ = schema_type(parameters, "", parameters, 0, blank=blank_comment_lines)
        return f"{out}type {name} = (_: {typ}) => any;\n"
    # No parameters, or an object without properties: harmony's form for a tool without
    # parameters. Recorded: get_model_name alone, 38 tokens, exact.
    return f"{out}type {name} = () => any;\n"


def schema_type(schema: object, indent: str, root: object, depth: int, *,
                in_array: bool = False, blank: bool = False) -> str:
    """The TypeScript-like type of a JSON Schema, as it appears after ``name: ``.

    ``indent`` is the indent of the line the type starts on; ``root`` is the schema ``$ref``
    pointers resolve against; ``in_array`` is true below an array's ``items``, where object
    members go one level deeper (see :func:`_object_body`); ``blank`` keeps blank comment
    lines (see :func:`render_function`).
    """
    if depth > _MAX_DEPTH or not isinstance(schema, Mapping):
        return "any"
    ref = schema.get("$ref")
    if isinstance(ref, str):
        # Inlined: the 19-tool request's final_result(answers: Answer[] via $defs) is exact
        # with the referenced object written out, and 11 tokens short as "any[]".
        return schema_type(_resolve(ref, root), indent, root, depth + 1, in_array=in_array,
                           blank=blank)
    typ = _schema_type_core(schema, indent, root, depth, in_array, blank)
    if schema.get("nullable") is True and typ != "null" and not typ.endswith(" | null"):
        typ += " | null"
    return typ


def _schema_type_core(schema: Mapping[str, Any], indent: str, root: object, depth: int,
                      in_array: bool, blank: bool) -> str:
    if "const" in schema:
        return _literal(schema["const"])
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return " | ".join(_literal(value) for value in enum)
    for key in ("anyOf", "oneOf"):
        variants = schema.get(key)
        if isinstance(variants, list) and variants:
            # Unions as "A | B": the recorded anyOf[string, string[]] parameter costs exactly
            # "string | string[]" (MCP tools request, 212 tokens).
            return " | ".join(schema_type(v, indent, root, depth + 1, in_array=in_array,
                                          blank=blank)
                              for v in variants)
    all_of = schema.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1:
        return schema_type(all_of[0], indent, root, depth + 1, in_array=in_array, blank=blank)
    kind = schema.get("type")
    if isinstance(kind, list):
        names = [
            _object_body(schema, indent, root, depth, in_array, blank=blank)
            if k == "object" and _has_properties(schema) else _scalar_type(k)
            for k in kind if isinstance(k, str)
        ]
        return " | ".join(names) if names else "any"
    if kind == "object" or (kind is None and _has_properties(schema)):
        if _has_properties(schema):
            return _object_body(schema, indent, root, depth, in_array, blank=blank)
        return "object"
    if kind == "array" or (kind is None and "items" in schema):
        items = schema.get("items")
        if isinstance(items, Mapping):
            return schema_type(items, indent, root, depth + 1, in_array=True, blank=blank) + "[]"
        return "any[]"
    if isinstance(kind, str):
        return _scalar_type(kind)
    return "any"


def _scalar_type(kind: str) -> str:
    if kind in ("integer", "number"):
        return "number"
    if kind in ("string", "boolean", "null", "object"):
        return kind
    if kind == "array":
        return "any[]"
    return "any"


def _object_body(schema: Mapping[str, Any], indent: str, root: object, depth: int,
                 in_array: bool, *, blank: bool) -> str:
    """``{\\n`` + one line per property + ``}``, the brace at ``indent``.

    Members are indented one level deeper than ``indent`` only below an array's ``items``;
    the members of the tool's parameters, and of an object-typed property, are not indented.
    Evidence for the unindented property object: sublayer action/agent/command/generator
    generators #0 (an object property with described members: 6 and 12 over with the
    indent, exact without), openllmetry openai-agents test_recipe_workflow_agent_handoffs_
    with_function_tools#0 and test_recipe_agents_hierarchy#7 (Responses, a $ref'd object,
    exact), mirascope test_structured_output tool async#0 (exact); the cookbook's tools pair
    comes within 2 (it was 20 over). Arrays of objects keep the indent: pydantic-ai's
    19-tool requests (test_dbos/test_complex_agent_run_in_workflow#0, answers: Answer[]) and
    Adala test_label_studio_skill_with_ner#0 are exact only with it.
    """
    inner = indent + _INDENT if in_array else indent
    required = schema.get("required")
    required_names = ({name for name in required if isinstance(name, str)}
                      if isinstance(required, list) else set())
    properties = schema.get("properties")
    lines = ["{\n"]
    if isinstance(properties, Mapping):
        for name, sub in properties.items():
            lines.append(_property_line(str(name), sub, name in required_names, inner, root,
                                        depth + 1, in_array, blank))
    lines.append(f"{indent if depth > 0 else ''}}}")
    return "".join(lines)


def _property_line(name: str, sub: object, required: bool, indent: str, root: object,
                   depth: int, in_array: bool, blank: bool) -> str:
    if isinstance(sub, Mapping):
        sub = _inline_ref(sub, root)
    text = _leading_comments(sub, indent, blank) if isinstance(sub, Mapping) else ""
    if not text and isinstance(sub, Mapping) and _is_object_property(sub):
        text = f"{indent}{_EMPTY_COMMENT}"
    if isinstance(sub, Mapping) and (variants := _union_variants(sub)) is not None:
        return text + _union_lines(name, sub, variants, required, indent, root, depth,
                                   in_array, blank)
    typ = schema_type(sub, indent, root, depth, in_array=in_array, blank=blank)
    # Object types are glued to the colon like the top level's "(_:{" (see render_function):
    # the 19-tool request's "answers:{...}[]" member is exact only so.
    separator = ":" if typ.startswith("{") else ": "
    line = f"{indent}{name}{'' if required else '?'}{separator}{typ},"
    if isinstance(sub, Mapping):
        line += _trailing_comment(sub)
    return f"{text}{line}\n"


# The comment line an object-typed property gets when it has no title, description or examples
# to put there. Evidence: the cookbook's tools pair (openai-cookbook Prompt_Caching101
# #tools1/#tools2, gpt-4o-mini, 2024-10) has two such properties (new_address, 5 described
# members; payment_method, 3) and is exactly 2 under without it, 1 per object whatever the
# members. Every other recorded object-typed property carries a comment of its own and is
# exact with that comment alone, none doubled: sublayer action/agent/command/generator
# generators #0 and super_gadget#0 (a description, 2024-08/09), mirascope
# test_structured_output tool async#0 (title and description, 2025-12), openllmetry
# test_recipe_workflow_agent_handoffs_with_function_tools#0 and test_recipe_agents_hierarchy
# #7 (a $ref'd title only, Responses). Harmony starts every object type with its description
# comment; the API writes that comment above the property, and the bare marker when the object
# has none. Unexplained: only the cookbook (one project) shows the bare marker; an object in an
# array's items never gets it (pydantic-ai's answers:{...}[] items have no comment and are exact).
_EMPTY_COMMENT: Final = "//\n"


def _is_object_property(schema: Mapping[str, Any]) -> bool:
    """True for a property whose type is an object with properties (not an array of them)."""
    kind = schema.get("type")
    return (kind == "object" or kind is None) and _has_properties(schema)


def _inline_ref(schema: Mapping[str, Any], root: object) -> Mapping[str, Any]:
    """A ``$ref`` property as the schema it points at, overlaid with its own keywords.

    The referenced schema's title and description then head the property like its own:
    mirascope test_structured_output tool async#0 (author: $ref Author, "The author of a
    book.") and openllmetry test_recipe_workflow_agent_handoffs_with_function_tools#0
    (recipe: $ref Recipe) are exact only so (9 and 3 under without).
    """
    ref = schema.get("$ref")
    target = _resolve(ref, root) if isinstance(ref, str) else None
    if not isinstance(target, Mapping):
        return schema
    return {**target, **{key: value for key, value in schema.items() if key != "$ref"}}


def _leading_comments(sub: Mapping[str, Any], indent: str, blank: bool = False) -> str:
    """The comment lines above a property: its title, its description, then its examples.

    A title is a comment line of its own (harmony writes "// Title\n//\n"; the API has no
    empty "//" line). Evidence, pydantic-style schemas with a title on every property:
    magentic test_openai_chat_model_acomplete_async_streamed_response#0 (one title, 3 under
    without it), ldp TestAgentState.test_no_state_mutation[agent0]#0, Adala
    test_llm_async#0, openinference beeai test_llm_with_tools#0, mirascope test_call_with_tools
    async#0: 35 of the 4o tools records of openai-chat-more and 64 with tool history newly
    exact.

    With ``blank`` (gpt-4 / gpt-3.5), a title and a description are one comment with a blank
    line between them, as harmony's "// Title\n//\n" has it, and the blank line is kept: 62
    Adala gpt-3.5-turbo records (`test_skills/test_classification_skill.yaml#0`, title
    "Predicted Category" over "The classification label", and the translation, QA,
    summarization and skillset cassettes) and ldp `TestMultipleCompletion.test_parameterizing_
    tool_from_arg_union#0` (title "Move" over its description) are each one token under
    without the "//" line; a title alone has none (openinference `instructor_instrumentation
    .yaml#0`, titles "Name" and "Age", exact).
    """
    title, description = sub.get("title"), sub.get("description")
    if (blank and isinstance(title, str) and title.strip() and isinstance(description, str)
            and description.strip()):
        comments = comment_lines(f"{title}\n\n{description}", indent, blank_lines=True)
    else:
        comments = (comment_lines(title, indent, blank_lines=blank)
                    + comment_lines(description, indent, blank_lines=blank))
    return comments + _examples(sub.get("examples"), indent)


def _examples(examples: object, indent: str) -> str:
    """Harmony's "// Examples:" block (string examples only, as harmony writes them). No
    recorded request has examples: a tool using them is marked estimated (see
    :data:`ESTABLISHED_KEYWORDS`)."""
    if not isinstance(examples, list):
        return ""
    lines = [f'{indent}// - "{example}"\n' for example in examples if isinstance(example, str)]
    return f"{indent}// Examples:\n{''.join(lines)}" if examples else ""


# Numeric bounds the API prints after a property, as "// minimum: 0, maximum: 5" (harmony
# prints none of them). Evidence: Adala test_label_studio_skill_basic#0, _partial_label_config
# #0 (an integer rating with both bounds, 11-12 under without) and _with_ner#0..#4 (two
# members with a minimum inside a $defs object, 12 under): three distinct schemas exact, one
# project. Other constraint keywords (minLength, pattern, minItems...) have no recorded
# evidence: left out, as harmony does, and the tool is marked estimated (see
# ESTABLISHED_KEYWORDS).
#
# A string's "format" is printed the same way, as "// format: \"date\"" (its JSON literal, as
# the bounds are): the best form found, not established. Evidence, one schema of one project:
# openinference beeai test_llm_with_tools#0 and test_agent#0 (gpt-4o, gpt-4o-mini), whose
# start_date and end_date are anyOf [{type: string, format: date}, {type: null}], are 16
# under without it and exact with each union written as below (_union_lines). A tool using
# format stays an estimate (ESTABLISHED_KEYWORDS).
_COMMENTED_KEYWORDS: Final = ("minimum", "maximum", "format")


def _trailing_comment(sub: Mapping[str, Any]) -> str:
    """`` // default: V`` and the bounds after a property's comma, or ""."""
    notes = _notes(sub)
    # Unverified: how a default and bounds on one property combine (no recorded case).
    return f" // {', '.join(notes)}" if notes else ""


def _notes(sub: Mapping[str, Any]) -> list[str]:
    """The ``key: value`` notes of a property's trailing comment: default, then bounds."""
    notes = []
    if "default" in sub:
        # Harmony's trailing comment. Evidence: get_error(value?: boolean = false) in the
        # 19-tool request is exact with " // default: false". A null default is printed too:
        # Adala test_label_studio_skill_react_code#0 (two "default: null" members) is exact
        # only so, and 11 under without.
        notes.append(f"default: {_literal(sub['default'])}")
    notes.extend(f"{key}: {_literal(sub[key])}" for key in _COMMENTED_KEYWORDS if key in sub)
    return notes


def _variant_comment(variant: object) -> str:
    """A union variant's trailing comment (harmony's: its description, then its notes), or
    ""."""
    if not isinstance(variant, Mapping):
        return ""
    description = variant.get("description")
    parts = [description.strip()] if isinstance(description, str) and description.strip() else []
    notes = _notes(variant)
    if notes:
        parts.append(", ".join(notes))
    return f" // {' '.join(parts)}" if parts else ""


def _union_variants(sub: Mapping[str, Any]) -> list[Any] | None:
    """A property's ``anyOf`` / ``oneOf`` variants when one of them carries notes of its own
    (a format, bounds, a default: see :func:`_union_lines`), else None.

    A variant's description alone keeps the union on one line, as before the notes were
    known: no recorded request has one, and the one-line form is what the recorded unions
    without notes cost.
    """
    for key in ("anyOf", "oneOf"):
        variants = sub.get(key)
        if isinstance(variants, list) and variants and "enum" not in sub and "const" not in sub:
            noted = any(isinstance(v, Mapping) and _notes(v) for v in variants)
            return variants if noted else None
    return None


def _union_lines(name: str, sub: Mapping[str, Any], variants: list[Any], required: bool,
                 indent: str, root: object, depth: int, in_array: bool, blank: bool) -> str:
    """A union property whose variants carry comments, one variant a line, as harmony writes
    a ``oneOf`` property: ``name:`` then `` | type // comment`` lines, then ``,`` alone.

    A union without variant comments stays on one line, ``A | B`` (the recorded MCP tools'
    anyOf [string, string[]], exact), so only a variant comment changes the form. Evidence
    for this form, one schema (see _COMMENTED_KEYWORDS): the beeai weather tool's two
    anyOf [date string, null] members, exact so, and 2 under each with the comment after
    the one-line union.
    """
    lines = [f"{indent}{name}{'' if required else '?'}:\n"]
    for variant in variants:
        typ = schema_type(variant, indent, root, depth + 1, in_array=in_array, blank=blank)
        lines.append(f"{indent} | {typ}{_variant_comment(variant)}\n")
    lines.append(f"{indent},{_trailing_comment(sub)}\n")
    return "".join(lines)


ESTABLISHED_KEYWORDS: Final = frozenset({
    # Checked on recorded usage (see the comments where each is rendered):
    "type", "properties", "required", "description", "title", "enum", "default", "items",
    "anyOf", "$ref", "$defs", "definitions", "minimum", "maximum",
    # Not rendered, and recorded requests with them are exact: additionalProperties (200
    # 4o chat records), $schema (openllmetry-js Responses records), strict.
    "additionalProperties", "$schema", "strict",
    # Rendered as harmony does; harmony is OpenAI's own renderer for these.
    "const", "nullable",
})
"""JSON Schema keywords whose rendering in the tools block is established. Any other keyword
(format, pattern, minLength, minItems, examples, oneOf, allOf...) may cost tokens the text here
does not have (openinference beeai test_llm_with_tools#0, two "format": "date" members, is 16
under), so a tool using one is counted as rendered here but marked estimated."""


def unverified_keywords(schema: object) -> frozenset[str]:
    """The keywords of ``schema`` (at any depth) outside :data:`ESTABLISHED_KEYWORDS`."""
    found: set[str] = set()
    _collect_keywords(schema, found, 0)
    return frozenset(found - ESTABLISHED_KEYWORDS)


def _collect_keywords(schema: object, found: set[str], depth: int) -> None:
    if depth > _MAX_DEPTH or not isinstance(schema, Mapping):
        return
    for key, value in schema.items():
        found.add(str(key))
        if key in _SCHEMA_MAPS and isinstance(value, Mapping):
            for sub in value.values():
                _collect_keywords(sub, found, depth + 1)
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            for sub in value:
                _collect_keywords(sub, found, depth + 1)
        elif key in _SCHEMA_VALUES:
            _collect_keywords(value, found, depth + 1)


def _literal(value: object) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return "any"


def _has_properties(schema: Mapping[str, Any]) -> bool:
    properties = schema.get("properties")
    return isinstance(properties, Mapping) and len(properties) > 0


def _is_object_schema(schema: Mapping[str, Any]) -> bool:
    kind = schema.get("type")
    return kind is None or kind == "object" or (isinstance(kind, list) and "object" in kind)


def _resolve(ref: str, root: object) -> object:
    """The sub-schema a local JSON pointer (``#/$defs/Name``) points at, or None."""
    if not ref.startswith("#"):
        return None
    node: object = root
    for raw in ref[1:].split("/"):
        if not raw:
            continue
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def forced_function(tool_choice: object) -> str | None:
    """The function a ``tool_choice`` forces (Chat or Responses form), else None."""
    if not isinstance(tool_choice, Mapping) or tool_choice.get("type") != "function":
        return None
    function = tool_choice.get("function")
    name = function.get("name") if isinstance(function, Mapping) else tool_choice.get("name")
    return name if isinstance(name, str) and name else None


class BlockPart(NamedTuple):
    """One piece of the tools block: text to tokenize alone, plus a token correction."""

    text: str
    correction: int
    """Add to the text's own token count (the block's merges across the cut, see below)."""


# Token corrections where a tools-block header ending in " {" + N newlines meets the first tool
# (o200k_base): keyed by (N, first tool has a description). With two newlines the header is
# "{" and the tool's own correction covers the join; harmony's three newlines tokenize as
# " {\n\n" + "\n//" (2 tokens) before a description, one more than "{\n\n//" (1).
_HEADER_JOIN: Final = {(2, False): 0, (2, True): 0, (3, False): 0, (3, True): 1}


def tool_block_parts(header: str, tools: Sequence[str],
                     footer: str = TOOLS_FOOTER) -> tuple[BlockPart, tuple[BlockPart, ...],
                                                          BlockPart]:
    """Split ``header + "\n".join(tools) + "\n" + footer`` into parts that count alone.

    ``tools`` are :func:`render_function` outputs; ``header`` ends in " {" and two or three
    newlines (:data:`TOOLS_HEADER`, or harmony's with one more). Returns (header part, one
    part per tool, footer part) such that, under ``o200k_base``, the sum over parts of
    ``count(text) + correction`` equals the block's count.

    Each tool's text is its own rendering without the final newline, so it does not depend on
    its neighbours: a rule can compare a tool's (name, text) across requests whatever its
    position. The blank lines between parts are in no text; they cost nothing extra, because
    o200k fuses them with the ";" or " {" before them (";\n\n" is one token, like ";"). It
    also fuses them with a following "//": ";\n\n//" and " {\n\n//" are single tokens, one
    fewer than ";" + "//" counted apart, hence the -1 correction of a described tool. A tool
    without description starts with "type", where the pre-tokenizer always splits.
    """
    newlines = len(header) - len(header.rstrip("\n"))
    first_described = bool(tools) and tools[0].startswith("//")
    head = BlockPart(header.rstrip("\n"), _HEADER_JOIN.get((newlines, first_described), 0))
    parts = tuple(BlockPart(text.removesuffix("\n"), -1 if text.startswith("//") else 0)
                  for text in tools)
    return head, parts, BlockPart(footer, 0)


def render_response_format(response_format: object) -> str | None:
    """The structured-output section for a ``json_schema`` response format, else None.

    ``json_object`` and ``text`` add nothing (recorded: 4 json_object requests, exact without
    any addition). The schema is printed as compact JSON, not TypeScript, under harmony's
    "# Response Formats" header with the description as a comment; see
    :data:`_RESPONSE_FORMAT_DROPPED` for the keys left out.
    """
    if not isinstance(response_format, Mapping) or response_format.get("type") != "json_schema":
        return None
    spec = response_format.get("json_schema")
    if not isinstance(spec, Mapping):
        return None
    name = spec.get("name")
    schema = spec.get("schema")
    body = _literal(_strip_keywords(schema if isinstance(schema, Mapping) else {}, 0))
    return (f"{RESPONSE_FORMATS_HEADER}{name if isinstance(name, str) else ''}\n\n"
            f"{comment_lines(spec.get('description'))}{body}")


def response_format_name(response_format: object) -> str | None:
    """The ``name`` of a Chat Completions ``json_schema`` response format, else None."""
    if not isinstance(response_format, Mapping) or response_format.get("type") != "json_schema":
        return None
    spec = response_format.get("json_schema")
    name = spec.get("name") if isinstance(spec, Mapping) else None
    return name if isinstance(name, str) and name else None


def _strip_keywords(schema: object, depth: int) -> object:
    """A copy of ``schema`` without :data:`_RESPONSE_FORMAT_DROPPED` keywords, at every level.

    Only sub-schemas are walked: names under ``properties`` (and ``$defs``...) and values such
    as ``default`` or ``enum`` are data, not keywords, and are kept as they are.
    """
    if depth > _MAX_DEPTH or not isinstance(schema, Mapping):
        return schema
    out: dict[str, object] = {}
    for key, value in schema.items():
        if key in _RESPONSE_FORMAT_DROPPED:
            continue
        if key in _SCHEMA_MAPS and isinstance(value, Mapping):
            out[key] = {name: _strip_keywords(sub, depth + 1) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [_strip_keywords(sub, depth + 1) for sub in value]
        elif key in _SCHEMA_VALUES:
            out[key] = _strip_keywords(value, depth + 1)
        else:
            out[key] = value
    return out
