"""The TypeScript and JavaScript front end, through tree-sitter's grammars: the calls that
send prompts (the Vercel AI SDK's ``generateText``/``streamText``, the OpenAI and Anthropic
SDKs, LangChain's ``invoke``) resolved into :class:`~promptcache.lint.pieces.FileFacts`.

Imported only when such a file is linted: the grammars stay off every other run's start-up.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path

from tree_sitter import Language, Node, Parser

from promptcache.lint.pieces import (
    Breakpoint,
    FileFacts,
    Opaque,
    Part,
    Piece,
    PromptCall,
    Section,
    Span,
    Stable,
    UnorderedTools,
    Volatile,
    Volatility,
)
from promptcache.lint.sources import ParseError

_MAX_DEPTH = 12
_FUNCTIONS = frozenset({"function_declaration", "arrow_function", "function_expression",
                        "method_definition", "function"})
_CALLS: dict[str, Volatility] = {
    "Date.now": Volatility.TIME, "performance.now": Volatility.TIME,
    "crypto.randomUUID": Volatility.ID, "randomUUID": Volatility.ID, "uuidv4": Volatility.ID,
    "uuid.v4": Volatility.ID, "v4": Volatility.ID, "nanoid": Volatility.ID,
    "uuid": Volatility.ID, "Math.random": Volatility.RANDOM,
}
_DAY_METHODS = frozenset({"toDateString", "toLocaleDateString"})
_PASS_THROUGH = frozenset({"toISOString", "toString", "toLocaleString", "toLocaleTimeString",
                           "toUTCString", "getTime", "valueOf", "trim", "toLowerCase",
                           "toUpperCase", "join", "String", "JSON.stringify", "replace"})
_ORDER_KEEPING = frozenset({"map", "filter", "flatMap", "concat", "slice"})
_UNSORTED = {"readdirSync": "an unsorted directory listing",
             "readdir": "an unsorted directory listing", "glob": "an unsorted glob",
             "sync": "an unsorted glob", "globSync": "an unsorted glob"}
_AI_SDK = frozenset({"generateText", "streamText", "generateObject", "streamObject"})
_SDK_SUFFIXES = ("chat.completions.create", "responses.create", "messages.create",
                 "messages.stream", "chat.completions.stream")
_LANGCHAIN = frozenset({"invoke", "stream"})
_NAMES = frozenset({"identifier", "shorthand_property_identifier"})
"""A name, or an object's ``{ tools }`` shorthand for ``{ tools: tools }``."""
_ROLES = {"SystemMessage": "system", "HumanMessage": "user", "AIMessage": "assistant"}


@cache
def _parser(tsx: bool, typescript: bool) -> Parser:
    if typescript:
        import tree_sitter_typescript as grammar

        language = grammar.language_tsx() if tsx else grammar.language_typescript()
    else:
        import tree_sitter_javascript as javascript

        language = javascript.language()
    return Parser(Language(language))


def script_facts(path: Path, text: str) -> tuple[FileFacts, list[tuple[int, str]]]:
    """The file's facts and its comments, or a :class:`ParseError` at the first error."""
    suffix = path.suffix.lower()
    tree = _parser(suffix in (".tsx", ".jsx"), suffix in (".ts", ".tsx", ".mts", ".cts")).parse(
        text.encode())
    root = tree.root_node
    if root.has_error:
        bad = _first_error(root)
        raise ParseError(bad.start_point[0] + 1 if bad else 0, "syntax error: cannot parse "
                         f"{'this' if bad is None else repr(_text(bad)[:30])}")
    front = _ScriptFrontEnd(root, text.encode().split(b"\n"))
    comments = [(node.start_point[0] + 1, _text(node)) for node in _walk(root)
                if node.type == "comment"]
    return front.facts(), comments


def _first_error(node: Node) -> Node | None:
    for child in _walk(node):
        if child.type == "ERROR" or child.is_missing:
            return child
    return None


def _walk(node: Node) -> Iterator[Node]:
    pending = [node]
    while pending:
        current = pending.pop()
        yield current
        pending.extend(reversed(current.children))


def _text(node: Node) -> str:
    return (node.text or b"").decode(errors="replace")


def _callee(node: Node) -> str:
    """``a.b.c`` of a call's function (through calls: ``client().chat``)."""
    function = node.child_by_field_name("function")
    return _dotted(function) if function is not None else ""


def _dotted(node: Node) -> str:
    if node.type in ("identifier", "property_identifier"):
        return _text(node)
    if node.type == "member_expression":
        base = node.child_by_field_name("object")
        prop = node.child_by_field_name("property")
        if base is not None and prop is not None:
            inner = _dotted(base)
            return f"{inner}.{_text(prop)}" if inner else _text(prop)
    if node.type == "call_expression":
        return _callee(node)
    if node.type in ("await_expression", "parenthesized_expression", "non_null_expression"):
        return _dotted(node.named_children[0]) if node.named_children else ""
    return ""


def _unwrap(node: Node) -> Node:
    while node.type in ("parenthesized_expression", "await_expression", "as_expression",
                        "satisfies_expression", "non_null_expression") and node.named_children:
        node = node.named_children[0]
    return node


def _pairs(node: Node) -> dict[str, Node]:
    """An object literal's keys (plain, quoted, shorthand) -> values."""
    found: dict[str, Node] = {}
    for child in node.named_children:
        if child.type == "pair":
            key = child.child_by_field_name("key")
            value = child.child_by_field_name("value")
            if key is not None and value is not None:
                found[_text(key).strip("'\"")] = value
        elif child.type == "shorthand_property_identifier":
            found[_text(child)] = child
    return found


class _ScriptFrontEnd:
    def __init__(self, root: Node, lines: list[bytes]) -> None:
        self.root = root
        self.lines = lines
        self.declared: dict[str, list[Node]] = {}
        self.functions: dict[str, Node] = {}
        for node in _walk(root):
            if node.type == "variable_declarator":
                name = node.child_by_field_name("name")
                value = node.child_by_field_name("value")
                if name is not None and value is not None and name.type == "identifier":
                    if value.type in ("arrow_function", "function_expression", "function"):
                        self.functions[_text(name)] = value
                    self.declared.setdefault(_text(name), []).append(value)
            elif node.type == "function_declaration":
                name = node.child_by_field_name("name")
                if name is not None:
                    self.functions[_text(name)] = node

    def _span(self, node: Node) -> Span:
        row, byte_column = node.start_point
        line = self.lines[row] if row < len(self.lines) else b""
        # tree-sitter counts bytes; reports count characters.
        column = len(line[:byte_column].decode(errors="replace")) + 1
        snippet = " ".join(_text(node).split())
        return Span(row + 1, column, snippet if len(snippet) <= 60 else snippet[:59] + "…")

    def facts(self) -> FileFacts:
        calls: list[PromptCall] = []
        images: list[Span] = []
        breakpoints: list[Breakpoint] = []
        for node in _walk(self.root):
            if node.type == "call_expression":
                call = self._prompt_call(node)
                if call is not None:
                    calls.append(call)
            elif node.type == "object":
                pairs = _pairs(node)
                if _undetailed_image(pairs):
                    images.append(self._span(node))
                if "cache_control" in pairs:
                    text = pairs.get("text", pairs.get("content"))
                    if text is not None:
                        breakpoints.append(Breakpoint(self._span(node), tuple(self.pieces(text))))
        return FileFacts(tuple(calls), tuple(images), tuple(breakpoints))

    def _prompt_call(self, node: Node) -> PromptCall | None:
        name = _callee(node)
        arguments = node.child_by_field_name("arguments")
        given = [_unwrap(child) for child in arguments.named_children] if arguments else []
        last = name.rsplit(".", 1)[-1]
        parts: list[Part] = []
        options = self._object(given[0]) if given else None
        if (last in _AI_SDK or name.endswith(_SDK_SUFFIXES)) and options is not None:
            pairs = _pairs(options)
            for key, section in (("system", Section.SYSTEM),
                                 ("instructions", Section.INSTRUCTIONS)):
                if key in pairs:
                    parts.append(Part(section, self._content(pairs[key])))
            for key in ("messages", "input"):
                if key in pairs:
                    listed = self._array(pairs[key])
                    parts += self._messages(listed) if listed is not None else [
                        Part(Section.LAST_MESSAGE, self._content(pairs[key]))]
            if "prompt" in pairs:
                parts.append(Part(Section.LAST_MESSAGE, self._content(pairs["prompt"])))
            tools = pairs.get("tools")
            return PromptCall(self._span(node), tuple(parts),
                              self._unordered(tools, 0) if tools is not None else None,
                              tuple(self._cache_key(options)))
        if last in _LANGCHAIN and "." in name and given:
            listed = self._array(given[0])
            if listed is not None:
                return PromptCall(self._span(node), tuple(self._messages(listed)))
        return None

    def _cache_key(self, options: Node) -> list[Piece]:
        for node in _walk(options):
            if node.type == "pair":
                key = node.child_by_field_name("key")
                value = node.child_by_field_name("value")
                if key is not None and value is not None and _text(key).strip("'\"") in (
                        "prompt_cache_key", "promptCacheKey"):
                    return self.pieces(value)
        return []

    def _resolve(self, node: Node) -> Node:
        """A name's declared value (the last before it), else the node."""
        node = _unwrap(node)
        if node.type in _NAMES:
            values = self.declared.get(_text(node), [])
            before = [value for value in values if value.start_byte < node.start_byte]
            if before or values:
                return _unwrap((before or values)[-1])
        return node

    def _object(self, node: Node) -> Node | None:
        resolved = self._resolve(node)
        return resolved if resolved.type == "object" else None

    def _array(self, node: Node) -> list[Node] | None:
        resolved = self._resolve(node)
        if resolved.type == "call_expression":
            returned = self._returned(resolved)
            resolved = self._resolve(returned) if returned is not None else resolved
        if resolved.type != "array":
            return None
        elements = [_unwrap(child) for child in resolved.named_children]
        if node.type in _NAMES:  # messages.push(...) after the literal
            for call in _walk(self.root):
                if call.type == "call_expression" and _callee(call) == f"{_text(node)}.push":
                    arguments = call.child_by_field_name("arguments")
                    elements += [_unwrap(child) for child in (
                        arguments.named_children if arguments else [])]
        return elements

    def _messages(self, elements: list[Node]) -> list[Part]:
        parts = []
        for index, element in enumerate(elements):
            role, content = self._role_and_content(element)
            if content is None:
                parts.append(Part(Section.MESSAGE, (Opaque(),)))
                continue
            section = (Section.LAST_MESSAGE if index == len(elements) - 1 else
                       Section.SYSTEM if role in ("system", "developer") else Section.MESSAGE)
            parts.append(Part(section, self._content(content)))
        return parts

    def _role_and_content(self, element: Node) -> tuple[str, Node | None]:
        element = self._resolve(element)
        if element.type == "object":
            pairs = _pairs(element)
            role = pairs.get("role")
            return (_text(role).strip("'\"`") if role is not None else "",
                    pairs.get("content"))
        if element.type == "array" and len(element.named_children) == 2:
            return _text(element.named_children[0]).strip("'\"`"), element.named_children[1]
        if element.type == "new_expression":
            constructor = element.child_by_field_name("constructor")
            arguments = element.child_by_field_name("arguments")
            kind = _text(constructor) if constructor is not None else ""
            if kind in _ROLES and arguments is not None and arguments.named_children:
                content = arguments.named_children[0]
                if content.type == "object" and "content" in _pairs(content):
                    content = _pairs(content)["content"]
                return _ROLES[kind], content
        return "", None

    def _content(self, node: Node) -> tuple[Piece, ...]:
        blocks = self._array(node)
        if blocks is not None:
            pieces: list[Piece] = []
            for block in blocks:
                block = self._resolve(block)
                text = _pairs(block).get("text") if block.type == "object" else block
                if text is not None:
                    pieces += self.pieces(text)
            return tuple(pieces)
        pieces = self.pieces(node)
        if len(pieces) == 1 and isinstance(pieces[0], Volatile) and \
                pieces[0].kind is Volatility.USER:
            return (Opaque(),)  # a prompt handed in whole
        return tuple(pieces)

    def pieces(self, node: Node, depth: int = 0) -> list[Piece]:
        """The pieces of an expression's value, in text order."""
        if depth > _MAX_DEPTH:
            return [Opaque()]
        node = _unwrap(node)
        inner = depth + 1
        kind = node.type
        if kind == "string":
            return [Stable(_text(node)[1:-1])]
        if kind == "template_string":
            found: list[Piece] = []
            for child in node.named_children:
                if child.type == "template_substitution" and child.named_children:
                    found += self.pieces(child.named_children[0], inner)
                elif child.type != "template_substitution":
                    found.append(Stable(_text(child)))
            return found
        if kind == "binary_expression" and _operator(node) == "+":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            return (self.pieces(left, inner) if left else []) + (
                self.pieces(right, inner) if right else [])
        if kind == "array":
            return [piece for child in node.named_children for piece in self.pieces(child, inner)]
        if kind == "new_expression":
            constructor = node.child_by_field_name("constructor")
            arguments = node.child_by_field_name("arguments")
            if constructor is not None and _text(constructor) == "Date" and (
                    arguments is None or not arguments.named_children):
                return [Volatile(Volatility.TIME, self._span(node))]
            return [Opaque()]
        if kind == "call_expression":
            return self._call(node, inner)
        if kind in _NAMES:
            return self._name(node, inner)
        if kind in ("member_expression", "subscript_expression"):
            if _dotted(node) == "process.pid":
                return [Volatile(Volatility.ID, self._span(node))]
            base: Node | None = node
            while base is not None and base.type in ("member_expression",
                                                     "subscript_expression"):
                base = base.child_by_field_name("object")
            if base is not None and base.type == "identifier" and self._is_parameter(base):
                return [Volatile(Volatility.USER, self._span(node))]
            return [Opaque()]
        if kind in ("number", "true", "false", "null"):
            return [Stable("")]
        return [Opaque()]

    def _call(self, node: Node, depth: int) -> list[Piece]:
        name = _callee(node)
        if name in _CALLS:
            return [Volatile(_CALLS[name], self._span(node))]
        function = node.child_by_field_name("function")
        method = name.rsplit(".", 1)[-1]
        arguments = node.child_by_field_name("arguments")
        given = arguments.named_children if arguments is not None else []
        if function is not None and function.type == "member_expression":
            receiver = function.child_by_field_name("object")
            if receiver is not None:
                if method in _DAY_METHODS or (method in ("slice", "substring") and [
                        _text(argument) for argument in given] == ["0", "10"]):
                    return [Stable("")]  # the day: see the timestamp rule's doc
                if method in _PASS_THROUGH:
                    return self.pieces(receiver, depth)
        if name in _PASS_THROUGH and given:
            return self.pieces(given[0], depth)
        returned = self._returned(node)
        if returned is not None:
            return self.pieces(returned, depth)
        return [Opaque()]

    def _returned(self, node: Node) -> Node | None:
        """What a helper of this file returns (its last ``return``, or an arrow's body)."""
        function = self.functions.get(_callee(node))
        if function is None:
            return None
        body = function.child_by_field_name("body")
        if body is None:
            return None
        if body.type != "statement_block":
            return body
        returns = [child for child in _walk(body) if child.type == "return_statement"
                   and child.named_children]
        return returns[-1].named_children[0] if returns else None

    def _name(self, node: Node, depth: int) -> list[Piece]:
        resolved = self._resolve(node)
        if resolved is not node and resolved.type not in ("arrow_function", "function"):
            pieces = self.pieces(resolved, depth)
            if pieces and all(isinstance(piece, Volatile) for piece in pieces):
                return [Volatile(piece.kind, self._span(node)) for piece in pieces
                        if isinstance(piece, Volatile)]  # the use is what to move
            return pieces
        if self._is_parameter(node):
            return [Volatile(Volatility.USER, self._span(node))]
        return [Opaque()]

    def _is_parameter(self, node: Node) -> bool:
        name = _text(node)
        current = node.parent
        while current is not None:
            if current.type in _FUNCTIONS:
                parameters = current.child_by_field_name("parameters") or \
                    current.child_by_field_name("parameter")
                if parameters is not None and any(
                        child.type in ("identifier", "shorthand_property_identifier_pattern")
                        and _text(child) == name for child in _walk(parameters)):
                    return True
            current = current.parent
        return False

    def _unordered(self, node: Node, depth: int) -> UnorderedTools | None:
        if depth > 8:
            return None
        node = self._resolve(node) if _unwrap(node).type in _NAMES else _unwrap(node)
        if node.type == "new_expression":
            # Unlike Python's, a JavaScript Set or Map iterates in insertion order: it is as
            # ordered as what fills it.
            arguments = node.child_by_field_name("arguments")
            given = arguments.named_children if arguments is not None else []
            return self._unordered(given[0], depth + 1) if given else None
        if node.type == "array":  # [...new Set(x)]
            for child in node.named_children:
                if child.type == "spread_element" and child.named_children:
                    found = self._unordered(child.named_children[0], depth + 1)
                    if found is not None:
                        return found
            return None
        if node.type != "call_expression":
            return None
        name = _callee(node)
        method = name.rsplit(".", 1)[-1]
        arguments = node.child_by_field_name("arguments")
        given = arguments.named_children if arguments is not None else []
        if method in ("sort", "toSorted"):
            return None
        if method in _UNSORTED:
            return UnorderedTools(_UNSORTED[method], self._span(node))
        if name in ("Object.values", "Object.keys", "Object.entries", "Object.fromEntries",
                    "Array.from") and given:
            found = self._unordered(given[0], depth + 1)
            if found is not None and name.startswith("Object"):
                return UnorderedTools(f"{name} of {found.source}", found.span)
            return found
        function = node.child_by_field_name("function")
        if method in _ORDER_KEEPING and function is not None and \
                function.type == "member_expression":
            receiver = function.child_by_field_name("object")
            return self._unordered(receiver, depth + 1) if receiver is not None else None
        returned = self._returned(node)
        return self._unordered(returned, depth + 1) if returned is not None else None


def _operator(node: Node) -> str:
    operator = node.child_by_field_name("operator")
    return _text(operator) if operator is not None else ""


def _undetailed_image(pairs: dict[str, Node]) -> bool:
    kind = pairs.get("type")
    if kind is None:
        return False
    value = _text(kind).strip("'\"`")
    if value == "input_image":
        return "detail" not in pairs
    if value == "image_url":
        image = pairs.get("image_url")
        return image is None or image.type != "object" or "detail" not in _pairs(image)
    return False
