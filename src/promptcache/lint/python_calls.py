"""The Python front end: the calls that send prompts in a module, resolved into
:class:`~promptcache.lint.pieces.FileFacts`."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from promptcache.lint.pieces import (
    Breakpoint,
    FileFacts,
    Opaque,
    Part,
    Piece,
    PromptCall,
    Section,
    Span,
    UnorderedTools,
    Volatile,
    Volatility,
)
from promptcache.lint.python_scope import PythonModule, Scope, enclosing_functions, function_scope
from promptcache.lint.python_values import Resolver, dotted

_CHAT = ("chat.completions.create", "chat.completions.parse", "completions.create",
         "ChatCompletion.create", "ChatCompletion.acreate")  # the last two: openai<1
_RESPONSES = ("responses.create", "responses.parse", "responses.stream")
_MESSAGES = ("messages.create", "messages.stream", "messages.count_tokens")
_LITELLM = frozenset({"completion", "acompletion", "litellm.completion", "litellm.acompletion"})
_LANGCHAIN = frozenset({"invoke", "ainvoke", "stream", "astream"})
_ROLES = {"SystemMessage": "system", "HumanMessage": "user", "AIMessage": "assistant",
          "ToolMessage": "tool", "ChatMessage": "user"}
_UNSORTED_LISTINGS = {"glob": "an unsorted glob", "iglob": "an unsorted glob",
                      "rglob": "an unsorted glob", "listdir": "os.listdir (unsorted)",
                      "scandir": "os.scandir (unsorted)", "iterdir": "Path.iterdir (unsorted)"}


class PythonFrontEnd:
    """Finds and resolves the prompt-sending calls of one module."""

    def __init__(self, module: PythonModule, resolver: Resolver) -> None:
        self.module = module
        self.resolver = resolver
        self._owners = enclosing_functions(module.tree)
        self._scopes: dict[ast.AST, Scope] = {}

    def facts(self) -> FileFacts:
        """Every prompt call, image part without detail, and breakpoint of the module."""
        calls: list[PromptCall] = []
        images: list[Span] = []
        breakpoints: list[Breakpoint] = []
        for node in ast.walk(self.module.tree):
            if isinstance(node, ast.Call):
                call = self._prompt_call(node)
                if call is not None:
                    calls.append(call)
            elif isinstance(node, ast.Dict):
                keys = _constant_keys(node)
                if _undetailed_image(keys):
                    images.append(self.resolver.span(node, self.module))
                if "cache_control" in keys:
                    text = keys.get("text", keys.get("content"))
                    if text is not None:
                        breakpoints.append(Breakpoint(self.resolver.span(node, self.module),
                                                      tuple(self._pieces(text, node))))
        return FileFacts(tuple(calls), tuple(images), tuple(breakpoints))

    def _scope(self, node: ast.AST) -> Scope:
        function = self._owners.get(node)
        if function is None:
            return self.module.scope
        scope = self._scopes.get(function)
        if scope is None:
            scope = self._scopes[function] = function_scope(self.module, function)
        return scope

    def _pieces(self, node: ast.expr, at: ast.AST) -> list[Piece]:
        return self.resolver.pieces(node, self._scope(at))

    def _prompt_call(self, node: ast.Call) -> PromptCall | None:
        name = dotted(node.func)
        keywords = {keyword.arg: keyword.value for keyword in node.keywords if keyword.arg}
        scope = self._scope(node)
        parts: list[Part] = []
        if name.endswith(_CHAT) or name in _LITELLM or name.endswith(_MESSAGES):
            if "system" in keywords:
                parts.append(Part(Section.SYSTEM, self._content(keywords["system"], scope)))
            if "messages" in keywords:
                parts += self._messages(keywords["messages"], scope)
        elif name.endswith(_RESPONSES):
            if "instructions" in keywords:
                parts.append(Part(Section.INSTRUCTIONS,
                                  self._content(keywords["instructions"], scope)))
            given = keywords.get("input")
            if given is not None:
                resolved = self._list(given, scope)
                parts += self._messages(given, scope) if resolved is not None else [
                    Part(Section.LAST_MESSAGE, self._content(given, scope))]
        elif name.rsplit(".", 1)[-1] in _LANGCHAIN and "." in name and node.args and \
                self._list(node.args[0], scope) is not None:
            parts += self._messages(node.args[0], scope)
        else:
            return None
        tools = keywords.get("tools")
        cache_key = keywords.get("prompt_cache_key")
        extra = keywords.get("extra_body")
        if cache_key is None and isinstance(extra, ast.Dict):
            cache_key = _constant_keys(extra).get("prompt_cache_key")
        return PromptCall(
            self.resolver.span(node, self.module), tuple(parts),
            self._unordered(tools, scope, 0) if tools is not None else None,
            tuple(self.resolver.pieces(cache_key, scope)) if cache_key is not None else ())

    def _list(self, node: ast.expr, scope: Scope) -> tuple[list[ast.expr], Scope] | None:
        """The elements of a list literal the expression is (or a name or helper binds),
        with any ``.append``/``.extend`` made to it afterwards; None when not a list."""
        if isinstance(node, ast.List | ast.Tuple):
            return list(node.elts), scope
        resolved = self.resolver.value_of(node, scope)
        if resolved is None:
            return None
        value, where = resolved
        if not isinstance(value, ast.List):
            return self._list(value, where) if isinstance(value, ast.Name | ast.Call) else None
        elements = list(value.elts)
        if isinstance(node, ast.Name):
            elements += list(_appended(node.id, where))
        return elements, where

    def _messages(self, node: ast.expr, scope: Scope) -> list[Part]:
        found = self._list(node, scope)
        if found is None:
            return [Part(Section.MESSAGE, (Opaque(),))]
        elements, where = found
        parts = []
        for index, element in enumerate(elements):
            last = index == len(elements) - 1
            role, content = _role_and_content(element)
            if content is None:
                parts.append(Part(Section.MESSAGE, (Opaque(),)))
                continue
            section = (Section.LAST_MESSAGE if last else
                       Section.SYSTEM if role in ("system", "developer") else Section.MESSAGE)
            parts.append(Part(section, self._content(content, where)))
        return parts

    def _content(self, node: ast.expr, scope: Scope) -> tuple[Piece, ...]:
        """A message's content (text, or a list of blocks) as pieces; an argument passed
        whole is opaque (a prompt handed in is not per-request data by itself)."""
        blocks = self._list(node, scope) if not isinstance(node, ast.Constant) else None
        if blocks is not None:
            pieces: list[Piece] = []
            for block in blocks[0]:
                text = _constant_keys(block).get("text") if isinstance(block, ast.Dict) \
                    else block
                if text is not None:
                    pieces += self.resolver.pieces(text, blocks[1])
            return tuple(pieces)
        pieces = self.resolver.pieces(node, scope)
        if len(pieces) == 1 and isinstance(pieces[0], Volatile) and \
                pieces[0].kind is Volatility.USER:
            return (Opaque(),)
        return tuple(pieces)

    def _unordered(self, node: ast.expr, scope: Scope, depth: int) -> UnorderedTools | None:
        """Where the tools' order comes from, when it is not fixed."""
        if depth > 8:
            return None
        span = self.resolver.span(node, scope.module)
        if isinstance(node, ast.Set | ast.SetComp):
            return UnorderedTools("a set", span)
        if isinstance(node, ast.ListComp | ast.GeneratorExp):
            return self._unordered(node.generators[0].iter, scope, depth + 1)
        if isinstance(node, ast.Call):
            name = dotted(node.func)
            last = name.rsplit(".", 1)[-1]
            if last in ("set", "frozenset") and name == last:
                return UnorderedTools(f"{name}(...)", span)
            if last in _UNSORTED_LISTINGS:
                return UnorderedTools(_UNSORTED_LISTINGS[last], span)
            if name in ("list", "tuple") and node.args:
                return self._unordered(node.args[0], scope, depth + 1)
            if last in ("values", "keys", "items") and isinstance(node.func, ast.Attribute):
                source = self._unordered(node.func.value, scope, depth + 1)
                if source is not None:
                    return UnorderedTools(f"a dict view of {source.source}", span)
                return None
            if name == "dict.fromkeys" and node.args:
                return self._unordered(node.args[0], scope, depth + 1)
        if isinstance(node, ast.DictComp):
            return self._unordered(node.generators[0].iter, scope, depth + 1)
        if isinstance(node, ast.Name):
            shuffled = _shuffled(node.id, scope)
            if shuffled is not None:
                return UnorderedTools("random.shuffle", self.resolver.span(shuffled,
                                                                           scope.module))
            resolved = self.resolver.value_of(node, scope)
            if resolved is not None:
                found = self._unordered(resolved[0], resolved[1], depth + 1)
                if found is not None or not (isinstance(resolved[0], ast.List)
                                             and not resolved[0].elts):
                    return found
                return self._filled_from(node.id, resolved[1], depth)
        if isinstance(node, ast.Call):
            resolved = self.resolver.value_of(node, scope)
            if resolved is not None:
                return self._unordered(resolved[0], resolved[1], depth + 1)
        return None

    def _filled_from(self, name: str, scope: Scope, depth: int) -> UnorderedTools | None:
        """For a list built empty and filled in a loop: the loop's source, if unordered."""
        for loop in _loops_appending(name, scope):
            found = self._unordered(loop.iter, scope, depth + 1)
            if found is not None:
                return found
        return None


def _constant_keys(node: ast.Dict) -> dict[str, ast.expr]:
    return {key.value: value for key, value in zip(node.keys, node.values, strict=True)
            if isinstance(key, ast.Constant) and isinstance(key.value, str)}


def _undetailed_image(keys: dict[str, ast.expr]) -> bool:
    kind = keys.get("type")
    if not isinstance(kind, ast.Constant):
        return False
    if kind.value == "input_image":
        return "detail" not in keys
    if kind.value == "image_url":
        image = keys.get("image_url")
        return not isinstance(image, ast.Dict) or (
            "detail" not in _constant_keys(image) and None not in image.keys)
    return False


def _role_and_content(element: ast.expr) -> tuple[str, ast.expr | None]:
    if isinstance(element, ast.Dict):
        keys = _constant_keys(element)
        role = keys.get("role")
        return (_text(role), keys.get("content"))
    if isinstance(element, ast.Tuple) and len(element.elts) == 2:
        return (_text(element.elts[0]), element.elts[1])
    if isinstance(element, ast.Call):
        kind = dotted(element.func).rsplit(".", 1)[-1]
        if kind in _ROLES:
            content = next((keyword.value for keyword in element.keywords
                            if keyword.arg == "content"), element.args[0] if element.args
                           else None)
            return _ROLES[kind], content
    return "", None


def _text(node: ast.expr | None) -> str:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""


def _statements(scope: Scope) -> Iterator[ast.AST]:
    """Every node of the scope's function (or module)."""
    yield from ast.walk(scope.owner if scope.owner is not None else scope.module.tree)


def _appended(name: str, scope: Scope) -> Iterator[ast.expr]:
    for node in _statements(scope):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                isinstance(node.func.value, ast.Name) and node.func.value.id == name and \
                node.args:
            if node.func.attr == "append":
                yield node.args[0]
            elif node.func.attr == "extend" and isinstance(node.args[0], ast.List):
                yield from node.args[0].elts


def _shuffled(name: str, scope: Scope) -> ast.Call | None:
    for node in _statements(scope):
        if isinstance(node, ast.Call) and dotted(node.func) in ("random.shuffle", "shuffle") \
                and node.args and isinstance(node.args[0], ast.Name) and \
                node.args[0].id == name:
            return node
    return None


def _loops_appending(name: str, scope: Scope) -> Iterator[ast.For | ast.AsyncFor]:
    for node in _statements(scope):
        if isinstance(node, ast.For | ast.AsyncFor) and any(
                isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute)
                and inner.func.attr == "append" and isinstance(inner.func.value, ast.Name)
                and inner.func.value.id == name for inner in ast.walk(node)):
            yield node
