"""What the first invoke of a function will answer, read from its code without running it.

Lambda accepts any code at registration and fails only when an environment
imports it.  :func:`check_code` finds the two failures that can be seen in the
text: code that does not compile (``Runtime.UserCodeSyntaxError``) and a module
that never binds the handler's name (``Runtime.HandlerNotFound``).  The messages
are the ones the runtime (``python_runtime.load_handler``) produces.  When the
module may bind names in ways a reader cannot follow (``from x import *``,
``globals()``, ``exec``, ``global`` in a function, ...), no warning is given.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass

from .function import CODE_FILENAME, MODULE_NAME

#: Names whose use means the module's globals may be set dynamically.
_DYNAMIC_NAMES = frozenset({"globals", "vars", "locals", "exec", "eval", "setattr", "__import__", "__dict__"})


@dataclass(frozen=True)
class PreflightWarning:
    """A failure the first invoke will report, found before anything ran."""

    error_type: str
    error_message: str
    #: The line of the code it is about (1-based), when there is one.
    line: int | None = None
    #: That line's text.
    text: str | None = None

    def __str__(self) -> str:
        text = f"the first invoke will answer {self.error_type}: {self.error_message}"
        return text + (f"\n    {self.text.strip()}" if self.text and self.text.strip() else "")


def missing_module(module: str) -> PreflightWarning:
    """The package does not hold the handler's module."""
    return PreflightWarning(
        "Runtime.ImportModuleError", f"Unable to import module '{module}': No module named '{module.partition('.')[0]}'"
    )


def check_code(
    code: str, handler: str, *, module: str = MODULE_NAME, filename: str = CODE_FILENAME
) -> tuple[PreflightWarning, ...]:
    """The failures the first invoke of ``code`` (module ``module``) with handler ``handler``
    will report (none: empty)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarnings belong to the run, not to registration
        try:
            compile(code, filename, "exec")  # as the runtime does, for the same message
        except SyntaxError as exc:
            lines = code.splitlines()
            text = exc.text or (lines[exc.lineno - 1] if exc.lineno and exc.lineno <= len(lines) else None)
            return (
                PreflightWarning(
                    "Runtime.UserCodeSyntaxError",
                    f"Syntax error in module '{module}': {exc}",
                    exc.lineno,
                    text.rstrip("\n") if text else None,
                ),
            )
        except ValueError as exc:  # e.g. a NUL byte in the source
            return (PreflightWarning("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module}': {exc}"),)
        tree = ast.parse(code)
    names = _module_bindings(tree)
    if names is None or handler in names:
        return ()
    return (PreflightWarning("Runtime.HandlerNotFound", f"Handler '{handler}' missing on module '{module}'"),)


def _module_bindings(tree: ast.Module) -> set[str] | None:
    """Every name the module's top level may bind, or None when bindings may be dynamic.

    Generous on purpose: any store into a name outside function and class bodies
    counts (comprehension variables too), so that a warning is never wrong.
    """
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names):
            return None
        if isinstance(node, ast.Global):
            return None  # a function may bind any module name
        if isinstance(node, ast.Name) and node.id in _DYNAMIC_NAMES:
            return None
        if isinstance(node, ast.Attribute) and node.attr in ("__dict__", "modules"):
            return None  # module.__dict__[...] = ..., sys.modules[__name__].x = ...
    names: set[str] = set()
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            stack.extend(_evaluated_at_definition(node))  # the body runs in its own scope
            continue
        if isinstance(node, ast.AnnAssign) and node.value is None:
            stack.append(node.annotation)  # ``x: int`` alone binds nothing
            continue
        if isinstance(node, ast.Lambda):
            stack.extend(node.args.defaults + [d for d in node.args.kw_defaults if d is not None])
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update(alias.asname or alias.name.partition(".")[0] for alias in node.names)
        elif (isinstance(node, ast.ExceptHandler) and node.name) or (
            isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name
        ):
            names.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.add(node.rest)
        stack.extend(ast.iter_child_nodes(node))
    return None if "__getattr__" in names else names  # a module __getattr__ answers any name


def _evaluated_at_definition(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> list[ast.AST]:
    """The parts of a ``def`` or ``class`` that run where it stands: decorators, defaults, bases."""
    parts: list[ast.AST] = list(node.decorator_list)
    if isinstance(node, ast.ClassDef):
        parts.extend(node.bases)
        parts.extend(keyword.value for keyword in node.keywords)
    else:
        parts.extend(node.args.defaults)
        parts.extend(default for default in node.args.kw_defaults if default is not None)
    return parts
