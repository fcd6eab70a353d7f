"""Validate records against our JSON Schemas quickly, and say what is wrong in one line.

The schemas in ``promptcache/schemas`` stay the single definition of a valid record. This
module compiles the subset of JSON Schema they use (type, enum, required, properties,
additionalProperties, items, anyOf/oneOf, $ref to $defs, minimum, minLength, maxLength) into
nested closures once, then checks each record without the general-purpose machinery of the
``jsonschema`` package, which costs a tenth of a second to import and most of the run time on
large logs. A test checks that both agree on generated records, valid and broken.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

PathPart = str | int

UNKNOWN_FIELD = "unknown field"
"""The message for a key that ``additionalProperties: false`` forbids."""


@dataclass(frozen=True, slots=True)
class Problem:
    """The first thing wrong with a value."""

    path: tuple[PathPart, ...]
    """Where, as keys and indexes from the validated value."""
    message: str
    """What, e.g. ``expected array, found string``."""


Check = Callable[[Any], Problem | None]
"""A compiled schema: the first problem of a value, its path relative to that value. Paths are
built only on the way out of a failure, so a valid record allocates nothing."""


def _under(part: PathPart, problem: Problem) -> Problem:
    return Problem((part, *problem.path), problem.message)

_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "string": lambda value: isinstance(value, str),
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "number": lambda value: isinstance(value, int | float) and not isinstance(value, bool),
    "boolean": lambda value: isinstance(value, bool),
    "null": lambda value: value is None,
}


_KNOWN_KEYWORDS = frozenset({
    "$schema", "$id", "$defs", "$ref", "$comment", "title", "description", "format",
    "examples", "default", "type", "enum", "const", "required", "properties",
    "additionalProperties", "items", "anyOf", "oneOf", "allOf", "if", "then", "else",
    "minimum", "exclusiveMinimum", "minLength", "maxLength",
    # The report schema's (``promptcache report`` reads a saved report back):
    "maximum", "maxItems", "pattern",
})
"""What the compiler understands; ``format`` and the annotations assert nothing, as in
jsonschema's default behaviour."""


def json_type(value: Any) -> str:
    """The JSON name of a Python value's type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


class _Compiler:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, Check] = {}

    def compile(self, schema: Mapping[str, Any] | bool) -> Check:
        if schema is True or schema == {}:
            return _accept
        if schema is False:
            return lambda value: Problem((), "not allowed here")
        assert isinstance(schema, Mapping)
        unknown = set(schema) - _KNOWN_KEYWORDS
        if unknown:
            # Refuse rather than silently accept what the schema forbids.
            raise ValueError(f"unsupported JSON Schema keywords: {sorted(unknown)}")
        checks: list[Check] = []
        if "$ref" in schema:
            checks.append(self._ref(schema["$ref"]))
        if "type" in schema:
            checks.append(_type_check(schema["type"]))
        if "enum" in schema:
            checks.append(_enum_check(schema["enum"]))
        if "const" in schema:
            checks.append(_enum_check([schema["const"]]))
        for keyword in ("minimum", "exclusiveMinimum", "maximum", "minLength", "maxLength",
                        "maxItems"):
            if keyword in schema:
                checks.append(_bound_check(keyword, schema[keyword]))
        if "pattern" in schema:
            checks.append(_pattern_check(schema["pattern"]))
        if "required" in schema:
            checks.append(_required_check(tuple(schema["required"])))
        if "properties" in schema or "additionalProperties" in schema:
            checks.append(self._properties(schema))
        if "items" in schema:
            checks.append(self._items(schema["items"]))
        for keyword in ("anyOf", "oneOf"):
            if keyword in schema:
                checks.append(self._alternatives(schema[keyword]))
        checks.extend(self.compile(sub) for sub in schema.get("allOf", ()))
        if "if" in schema:
            checks.append(self._conditional(schema))
        if len(checks) == 1:
            return checks[0]

        def all_of(value: Any) -> Problem | None:
            for check in checks:
                problem = check(value)
                if problem is not None:
                    return problem
            return None

        return all_of

    def _conditional(self, schema: Mapping[str, Any]) -> Check:
        condition = self.compile(schema["if"])
        then = self.compile(schema.get("then", True))
        otherwise = self.compile(schema.get("else", True))

        def check(value: Any) -> Problem | None:
            branch = then if condition(value) is None else otherwise
            return branch(value)

        return check

    def _ref(self, reference: str) -> Check:
        if not reference.startswith("#/$defs/"):
            raise ValueError(f"unsupported $ref {reference!r}")
        name = reference.removeprefix("#/$defs/")

        def by_reference(value: Any) -> Problem | None:
            return self.refs[name](value)

        if name not in self.refs:
            self.refs[name] = _accept  # recursion guard while compiling
            self.refs[name] = self.compile(self.root["$defs"][name])
        return by_reference

    def _properties(self, schema: Mapping[str, Any]) -> Check:
        properties = {key: self.compile(sub) for key, sub in
                      schema.get("properties", {}).items()}
        extra = schema.get("additionalProperties", True)
        extra_check = None if extra is True else self.compile(extra)

        def check(value: Any) -> Problem | None:
            if not isinstance(value, dict):
                return None
            for key, item in value.items():
                sub = properties.get(key)
                if sub is not None:
                    problem = sub(item)
                elif extra_check is not None:
                    if extra is False:
                        return Problem((key,), UNKNOWN_FIELD)
                    problem = extra_check(item)
                else:
                    continue
                if problem is not None:
                    return _under(key, problem)
            return None

        return check

    def _items(self, schema: Mapping[str, Any]) -> Check:
        item_check = self.compile(schema)

        def check(value: Any) -> Problem | None:
            if not isinstance(value, list):
                return None
            for index, item in enumerate(value):
                problem = item_check(item)
                if problem is not None:
                    return _under(index, problem)
            return None

        return check

    def _alternatives(self, schemas: list[Mapping[str, Any]]) -> Check:
        options = [self.compile(schema) for schema in schemas]
        kinds = [schema.get("type") for schema in schemas]

        def check(value: Any) -> Problem | None:
            problems = []
            for option in options:
                problem = option(value)
                if problem is None:
                    return None
                problems.append(problem)
            # When exactly one alternative has the value's type, its problem is the useful one.
            matching = [problem for kind, problem in zip(kinds, problems, strict=True)
                        if kind is not None and _type_check(kind)(value) is None]
            if len(matching) == 1:
                return matching[0]
            names = " or ".join(dict.fromkeys(str(kind) for kind in kinds if kind))
            return Problem((), f"expected {names or 'another shape'}, "
                                 f"found {json_type(value)}")

        return check


def _accept(value: Any) -> Problem | None:
    return None


_PLAIN_TYPES: dict[str, type | tuple[type, ...]] = {
    "object": dict, "array": list, "string": str, "null": type(None), "boolean": bool}


def _type_check(kind: str | list[str]) -> Check:
    kinds = [kind] if isinstance(kind, str) else list(kind)
    wanted = " or ".join(kinds)
    if all(name in _PLAIN_TYPES for name in kinds):
        # The common case, one isinstance call: bool needs no care when numbers are not wanted.
        plain = tuple(_PLAIN_TYPES[name] for name in kinds)

        def plain_check(value: Any) -> Problem | None:
            if isinstance(value, plain):
                return None
            return Problem((), f"expected {wanted}, found {json_type(value)}")

        return plain_check
    tests = [_TYPE_TESTS[name] for name in kinds]

    def check(value: Any) -> Problem | None:
        for test in tests:
            if test(value):
                return None
        return Problem((), f"expected {wanted}, found {json_type(value)}")

    return check


def _enum_check(allowed: list[Any]) -> Check:
    def check(value: Any) -> Problem | None:
        if value in allowed:
            return None
        return Problem((), f"{value!r} is not one of {', '.join(map(str, allowed))}")

    return check


def _pattern_check(pattern: str) -> Check:
    # JSON Schema patterns are ECMA 262; the schemas' own use only what Python's re reads alike.
    compiled_pattern = re.compile(pattern)

    def check(value: Any) -> Problem | None:
        if not isinstance(value, str) or compiled_pattern.search(value):
            return None
        return Problem((), f"does not match {pattern}")

    return check


def _bound_check(keyword: str, bound: int | float) -> Check:
    def check(value: Any) -> Problem | None:
        if keyword == "maxItems":
            if isinstance(value, list) and len(value) > bound:
                return Problem((), f"must have at most {bound} items")
            return None
        if keyword in ("minLength", "maxLength"):
            if not isinstance(value, str):
                return None
            size = len(value)
            if keyword == "minLength" and size < bound:
                return Problem((), f"must be at least {bound} characters long")
            if keyword == "maxLength" and size > bound:
                return Problem((), f"must be at most {bound} characters long")
            return None
        if not _TYPE_TESTS["number"](value):
            return None
        if keyword == "minimum" and value < bound:
            return Problem((), f"must be at least {bound}, found {value!r}")
        if keyword == "exclusiveMinimum" and value <= bound:
            return Problem((), f"must be more than {bound}, found {value!r}")
        if keyword == "maximum" and value > bound:
            return Problem((), f"must be at most {bound}, found {value!r}")
        return None

    return check


def _required_check(names: tuple[str, ...]) -> Check:
    def check(value: Any) -> Problem | None:
        if not isinstance(value, dict):
            return None
        for name in names:
            if name not in value:
                return Problem((), f"missing required field {name!r}")
        return None

    return check


def compile_schema(schema: Mapping[str, Any]) -> Check:
    """The check for a schema given as data (e.g. a rule's options)."""
    return _Compiler(schema).compile(schema)


@cache
def compiled(schema_file: str, definition: str | None = None) -> Check:
    """The check for a schema file shipped in the package (or one of its ``$defs``)."""
    schema = json.loads(files("promptcache").joinpath("schemas", schema_file).read_text("utf-8"))
    compiler = _Compiler(schema)
    return compiler.compile(schema["$defs"][definition] if definition else schema)


def format_path(base: str, path: tuple[PathPart, ...]) -> str:
    """``$.request`` + ("messages", 2) -> ``$.request.messages[2]``."""
    text = base
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text
