"""Where a Python name gets its value: the assignments of a function or module, its
parameters, its helper functions, and constants imported from a sibling module."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

_SELF = frozenset({"self", "cls"})


@dataclass(slots=True)
class PythonModule:
    """One parsed source file and what its top level binds."""

    path: Path
    tree: ast.Module
    source_lines: list[str]
    scope: Scope = field(init=False)
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)
    """Module-level functions and methods, by name (a method as ``name`` too, for
    ``self.name()``)."""
    imported: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Local name -> (module, name) of ``from module import name``; (module, '') for
    ``import module``."""

    def __post_init__(self) -> None:
        self.scope = Scope(self, None, _bindings(self.tree.body), frozenset())
        for node in ast.walk(self.tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions.setdefault(node.name, node)
        for statement in self.tree.body:
            if isinstance(statement, ast.ImportFrom) and statement.module:
                for alias in statement.names:
                    self.imported[alias.asname or alias.name] = (statement.module, alias.name)
            elif isinstance(statement, ast.Import):
                for alias in statement.names:
                    self.imported[alias.asname or alias.name] = (alias.name, "")


@dataclass(slots=True)
class Scope:
    """The names a function (or the module) binds, in source order."""

    module: PythonModule
    parent: Scope | None
    """The module's scope for a function; None for the module."""
    assignments: dict[str, list[ast.stmt]]
    parameters: frozenset[str]
    bound: dict[str, ast.expr] = field(default_factory=dict)
    """A helper's parameters bound to the caller's arguments."""
    caller: Scope | None = None
    """Where ``bound`` arguments are evaluated."""
    owner: ast.AST | None = None
    """The function (None: the module) whose body this is."""

    def assigned(self, name: str, before_line: int) -> list[ast.stmt]:
        """The statements binding ``name`` that reach ``before_line``: the last plain
        assignment before it (or the last of all) and the ``+=`` after that one."""
        statements = self.assignments.get(name, [])
        earlier = [statement for statement in statements if statement.lineno < before_line]
        chosen = earlier or statements
        start = max((index for index, statement in enumerate(chosen)
                     if not isinstance(statement, ast.AugAssign)), default=None)
        return chosen[start:] if start is not None else []


def function_scope(module: PythonModule, function: ast.FunctionDef | ast.AsyncFunctionDef,
                   bound: dict[str, ast.expr] | None = None,
                   caller: Scope | None = None) -> Scope:
    """The scope of ``function`` (its parameters, then its assignments)."""
    arguments = function.args
    names = [argument.arg for argument in (*arguments.posonlyargs, *arguments.args,
                                           *arguments.kwonlyargs)]
    names += [extra.arg for extra in (arguments.vararg, arguments.kwarg) if extra is not None]
    return Scope(module, module.scope, _bindings(function.body),
                 frozenset(names) - _SELF, bound or {}, caller, function)


def enclosing_functions(tree: ast.Module) -> dict[ast.AST, ast.FunctionDef | ast.AsyncFunctionDef]:
    """Each node inside a function -> its innermost function."""
    owner: dict[ast.AST, ast.FunctionDef | ast.AsyncFunctionDef] = {}

    def visit(node: ast.AST, function: ast.FunctionDef | ast.AsyncFunctionDef | None) -> None:
        for child in ast.iter_child_nodes(node):
            inner = child if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) \
                else function
            if inner is not None:
                owner[child] = inner
            visit(child, inner)

    visit(tree, None)
    return owner


def _bindings(body: list[ast.stmt]) -> dict[str, list[ast.stmt]]:
    """Name -> its assignments (``=``, annotated, ``+=``) in the body, nested blocks included
    but not nested functions, in line order."""
    found: dict[str, list[ast.stmt]] = {}
    pending: list[ast.AST] = list(body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append(node)
        elif isinstance(node, ast.AnnAssign | ast.AugAssign) and isinstance(
                node.target, ast.Name) and node.value is not None:
            found.setdefault(node.target.id, []).append(node)
        pending.extend(ast.iter_child_nodes(node))
    for statements in found.values():
        statements.sort(key=lambda statement: (statement.lineno, statement.col_offset))
    return found


def assigned_value(statement: ast.stmt) -> ast.expr | None:
    """The value an assignment statement binds."""
    if isinstance(statement, ast.Assign | ast.AnnAssign | ast.AugAssign):
        return statement.value
    return None
