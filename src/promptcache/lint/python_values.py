"""Python expressions as prompt pieces: which parts of a value are stable text and which
change per request, following names, helpers and sibling modules' constants."""

from __future__ import annotations

import ast
import string
from collections.abc import Callable
from pathlib import Path

from promptcache.lint.pieces import Opaque, Piece, Span, Stable, Volatile, Volatility
from promptcache.lint.python_scope import (
    PythonModule,
    Scope,
    assigned_value,
    function_scope,
)
from promptcache.lint.time_formats import day_only_format

_MAX_DEPTH = 12
"""How far names and helpers are followed (a cycle, or code too indirect to judge)."""

_CALLS: dict[str, Volatility | None] = {
    **dict.fromkeys(("datetime.now", "datetime.utcnow", "datetime.today", "time.time",
                     "time.time_ns", "time.ctime", "time.localtime", "time.gmtime",
                     "time.asctime", "pendulum.now", "arrow.now", "arrow.utcnow",
                     "timezone.now"), Volatility.TIME),
    **dict.fromkeys(("uuid.uuid4", "uuid4", "uuid.uuid1", "uuid1", "uuid.uuid7", "uuid7",
                     "os.getpid", "getpid", "secrets.token_hex", "secrets.token_urlsafe",
                     "token_hex", "token_urlsafe", "nanoid.generate", "shortuuid.uuid"),
                    Volatility.ID),
    **dict.fromkeys(("random.random", "random.randint", "random.choice", "random.uniform",
                     "random.randrange", "random.sample", "random.getrandbits",
                     "secrets.randbelow", "secrets.choice"), Volatility.RANDOM),
    "date.today": None,  # a date changes once a day: see the timestamp rule's doc
}
"""Calls whose value changes per request (None: changes only once a day)."""

_PASS_THROUGH = frozenset({"str", "repr", "int", "float", "round", "format", "json.dumps",
                           "dumps", "strip", "lower", "upper", "title", "hex", "isoformat",
                           "timestamp", "replace", "astimezone", "encode", "decode", "rstrip",
                           "lstrip", "capitalize", "dedent", "textwrap.dedent"})
"""Functions and methods whose result changes when their input (or receiver) does."""


def dotted(node: ast.expr) -> str:
    """``a.b.c`` for an attribute chain on a name; '' for anything else."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call):  # a chain through a call: client().chat.completions
        inner = dotted(node.func)
        return ".".join([inner, *reversed(parts)]) if inner else ""
    return ""


class Resolver:
    """Evaluates expressions of the modules of one run into pieces."""

    def __init__(self, load: Callable[[Path], PythonModule | None]) -> None:
        self._load = load

    def span(self, node: ast.AST, module: PythonModule) -> Span:
        """Where ``node`` is, with a short snippet of its source."""
        line = getattr(node, "lineno", 1)
        text = module.source_lines[line - 1] if line <= len(module.source_lines) else ""
        column = len(text.encode()[:getattr(node, "col_offset", 0)].decode(errors="replace")) + 1
        segment = ast.get_source_segment("\n".join(module.source_lines), node) or ""
        return Span(line, column, _snippet(segment))

    def pieces(self, node: ast.expr, scope: Scope, depth: int = 0) -> list[Piece]:
        """The pieces of the value of ``node`` in ``scope``, in text order."""
        if depth > _MAX_DEPTH:
            return [Opaque()]
        inner = depth + 1
        if isinstance(node, ast.Constant):
            return [Stable(node.value)] if isinstance(node.value, str) else [Stable("")]
        if isinstance(node, ast.JoinedStr):
            return self._joined(node, scope, inner)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.pieces(node.left, scope, inner) + self.pieces(node.right, scope, inner)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            return self._percent(node, scope, inner)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            # "text" * 3: repeated, the text is as stable (or not) as it is once.
            for text, count in ((node.left, node.right), (node.right, node.left)):
                if isinstance(count, ast.Constant) and isinstance(count.value, int):
                    return self.pieces(text, scope, inner)
            return [Opaque()]
        if isinstance(node, ast.List | ast.Tuple):
            return [piece for element in node.elts
                    for piece in self.pieces(element, scope, inner)]
        if isinstance(node, ast.Call):
            return self._call(node, scope, inner)
        if isinstance(node, ast.Name):
            return self._name(node, scope, inner)
        if isinstance(node, ast.Attribute | ast.Subscript):
            return self._member(node, scope, inner)
        return [Opaque()]

    def value_of(self, node: ast.expr, scope: Scope, depth: int = 0) -> \
            tuple[ast.expr, Scope] | None:
        """What a name or helper call stands for (its assigned expression or returned value,
        with the scope to read it in); None when it cannot be followed."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(node, ast.Name):
            found = self._binding(node.id, node.lineno, scope)
            if found is None or isinstance(found[0], ast.AugAssign):
                return None
            value = assigned_value(found[0])
            return (value, found[1]) if value is not None else None
        if isinstance(node, ast.Call):
            helper = self._helper(node, scope)
            if helper is not None:
                return helper
        return None

    def _binding(self, name: str, line: int, scope: Scope) -> tuple[ast.stmt, Scope] | None:
        current: Scope | None = scope
        while current is not None:
            statements = current.assigned(name, line if current is scope else 1 << 30)
            if statements:
                return statements[0], current
            current = current.parent
        return None

    def _joined(self, node: ast.JoinedStr, scope: Scope, depth: int) -> list[Piece]:
        found: list[Piece] = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                found.append(Stable(str(value.value)))
            elif isinstance(value, ast.FormattedValue):
                spec = value.format_spec
                if isinstance(spec, ast.JoinedStr) and all(
                        isinstance(part, ast.Constant) for part in spec.values):
                    text = "".join(str(part.value) for part in spec.values
                                   if isinstance(part, ast.Constant))
                    if day_only_format(text):
                        found.append(Stable(""))
                        continue
                found += self.pieces(value.value, scope, depth)
        return found

    def _percent(self, node: ast.BinOp, scope: Scope, depth: int) -> list[Piece]:
        arguments = self.pieces(node.right, scope, depth)
        if isinstance(node.left, ast.Constant) and isinstance(node.left.value, str):
            head, _, tail = node.left.value.partition("%")
            return [Stable(head), *arguments, Stable(tail)]
        return self.pieces(node.left, scope, depth) + arguments

    def _call(self, node: ast.Call, scope: Scope, depth: int) -> list[Piece]:
        name = dotted(node.func)
        last_two = ".".join(name.split(".")[-2:])
        if last_two in _CALLS or name in _CALLS:
            kind = _CALLS.get(last_two, _CALLS.get(name))
            return [Stable("")] if kind is None else [Volatile(kind, self.span(node, scope.module))]
        func = node.func
        if isinstance(func, ast.Attribute):
            receiver = func.value
            if func.attr == "format" and isinstance(receiver, ast.Constant) and isinstance(
                    receiver.value, str):
                return self._format(receiver.value, node, scope, depth)
            if func.attr == "join" and node.args:
                return self.pieces(node.args[0], scope, depth)
            if func.attr == "strftime" and node.args:
                return self._strftime(receiver, node.args[0], scope, depth)
            if func.attr == "date" and not node.args:  # datetime.now().date(): the day
                return [Stable("")]
            if func.attr in _PASS_THROUGH:
                return self.pieces(receiver, scope, depth)
        if isinstance(func, ast.Name) and func.id in _PASS_THROUGH and node.args:
            return self.pieces(node.args[0], scope, depth)
        if name in _PASS_THROUGH and node.args:
            return self.pieces(node.args[0], scope, depth)
        helper = self._helper(node, scope)
        if helper is not None:
            return self.pieces(helper[0], helper[1], depth)
        return [Opaque()]

    def _strftime(self, receiver: ast.expr, fmt: ast.expr, scope: Scope,
                  depth: int) -> list[Piece]:
        if isinstance(fmt, ast.Constant) and isinstance(fmt.value, str) and day_only_format(
                fmt.value):
            return [Stable("")]
        if isinstance(receiver, ast.Name) and receiver.id == "time":  # time.strftime(fmt)
            return [Volatile(Volatility.TIME, self.span(fmt, scope.module))]
        return self.pieces(receiver, scope, depth)

    def _format(self, template: str, node: ast.Call, scope: Scope, depth: int) -> list[Piece]:
        keywords = {keyword.arg: keyword.value for keyword in node.keywords if keyword.arg}
        found: list[Piece] = []
        automatic = 0
        try:
            fields = list(string.Formatter().parse(template))
        except ValueError:
            return [Opaque()]
        for text, field_name, spec, _ in fields:
            found.append(Stable(text))
            if field_name is None:
                continue
            key = field_name.split(".")[0].split("[")[0]
            argument: ast.expr | None
            if key == "":
                argument = node.args[automatic] if automatic < len(node.args) else None
                automatic += 1
            elif key.isdigit():
                argument = node.args[int(key)] if int(key) < len(node.args) else None
            else:
                argument = keywords.get(key)
            if spec and day_only_format(spec):
                found.append(Stable(""))
            elif argument is not None:
                found += self.pieces(argument, scope, depth)
            else:
                found.append(Opaque())
        return found

    def _name(self, node: ast.Name, scope: Scope, depth: int) -> list[Piece]:
        if node.id in scope.bound and scope.caller is not None:
            return self.pieces(scope.bound[node.id], scope.caller, depth)
        found = self._binding(node.id, node.lineno, scope)
        if found is not None:
            statements = found[1].assigned(node.id, node.lineno if found[1] is scope
                                           else 1 << 30)
            pieces: list[Piece] = []
            for statement in statements:
                value = assigned_value(statement)
                if value is not None:
                    pieces += self.pieces(value, found[1], depth)
            if found[1].module is scope.module and all(
                    isinstance(piece, Volatile) for piece in pieces):
                # ``now = datetime.now()`` used in a prompt: the use is what to move.
                span = self.span(node, scope.module)
                return [Volatile(piece.kind, span) for piece in pieces
                        if isinstance(piece, Volatile)]
            return pieces
        if node.id in scope.parameters:
            return [Volatile(Volatility.USER, self.span(node, scope.module))]
        imported = self.imported(node.id, scope.module)
        if imported is not None:
            return self._here(self.pieces(imported[0], imported[1], depth), node, scope)
        return [Opaque()]

    def _here(self, pieces: list[Piece], node: ast.expr, scope: Scope) -> list[Piece]:
        """A sibling module's value, its changing pieces placed at the use in this module
        (where the finding is reported, and where the fix goes)."""
        span = self.span(node, scope.module)
        return [Volatile(piece.kind, span) if isinstance(piece, Volatile) else piece
                for piece in pieces]

    def _member(self, node: ast.Attribute | ast.Subscript, scope: Scope,
                depth: int) -> list[Piece]:
        base: ast.expr = node
        while isinstance(base, ast.Attribute | ast.Subscript):
            base = base.value
        if isinstance(base, ast.Name) and base.id in scope.parameters:
            passed = scope.bound.get(base.id)
            if passed is None or (scope.caller is not None and any(
                    isinstance(piece, Volatile) and piece.kind is Volatility.USER
                    for piece in self.pieces(passed, scope.caller, depth))):
                return [Volatile(Volatility.USER, self.span(node, scope.module))]
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            # prompts.SYSTEM, where ``import prompts`` names a sibling module
            target = scope.module.imported.get(node.value.id)
            if target is not None and not target[1]:
                sibling = self._sibling(target[0], scope.module)
                if sibling is not None:
                    statements = sibling.scope.assigned(node.attr, 1 << 30)
                    value = assigned_value(statements[0]) if statements else None
                    if value is not None:
                        return self._here(self.pieces(value, sibling.scope, depth), node,
                                          scope)
        if isinstance(node, ast.Attribute) and node.attr in _PASS_THROUGH:  # uuid4().hex
            return self.pieces(node.value, scope, depth)
        return [Opaque()]

    def imported(self, name: str, module: PythonModule) -> tuple[ast.expr, Scope] | None:
        """The value of a constant imported from a sibling module that resolves."""
        target = module.imported.get(name)
        if target is None or not target[1]:
            return None
        sibling = self._sibling(target[0], module)
        if sibling is None:
            return None
        statements = sibling.scope.assigned(target[1], 1 << 30)
        value = assigned_value(statements[0]) if statements else None
        return (value, sibling.scope) if value is not None else None

    def _sibling(self, dotted_module: str, module: PythonModule) -> PythonModule | None:
        name = dotted_module.lstrip(".").rsplit(".", 1)[-1]
        return self._load(module.path.parent / f"{name}.py") if name else None

    def _helper(self, node: ast.Call, scope: Scope) -> tuple[ast.expr, Scope] | None:
        """The value a helper of this module returns, its parameters bound to the call's
        arguments."""
        module = scope.module
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(
            func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in (
            "self", "cls") else None
        function = module.functions.get(name) if name else None
        if function is None:
            return None
        returned = [statement.value for statement in ast.walk(function)
                    if isinstance(statement, ast.Return) and statement.value is not None]
        if not returned:
            return None
        arguments = function.args
        names = [argument.arg for argument in (*arguments.posonlyargs, *arguments.args)
                 if argument.arg not in ("self", "cls")]
        bound = dict(zip(names, node.args, strict=False))
        bound.update({keyword.arg: keyword.value for keyword in node.keywords
                      if keyword.arg})
        return returned[-1], function_scope(module, function, bound, scope)


def _snippet(text: str, limit: int = 60) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit - 1] + "…"
