"""The rendering engine: walk a template body and replace its placeholders by values.

A placeholder is a JSON object whose first key starts with ``$`` (the scheme is in the
package README).  Values are inserted as JSON values, never pasted into JSON text, so a
body of ``{"a": 1}`` or a key with quotes can never break the event.  Parameter values
are opaque: a user value that happens to contain ``"$param"`` is data, not a placeholder.
"""

from __future__ import annotations

import copy
import string
from collections import ChainMap
from collections.abc import Mapping
from typing import Any

from ..common.errors import InvalidParameterValueException
from .coerce import MAX_RECORDS
from .context import RenderContext
from .derive import DERIVATIONS

#: The marker for "leave this key (or list element) out".
OMIT = object()
OPERATORS = ("$param", "$var", "$fmt", "$id", "$seq", "$time", "$derive", "$records", "$if", "$omit", "$literal")


class TemplateBodyError(ValueError):
    """A template body uses a placeholder wrongly (a packaging bug, not a user mistake)."""


class Renderer:
    """Renders one template body with checked parameter values in one :class:`RenderContext`."""

    def __init__(self, template_id: str, params: Mapping[str, Any], ctx: RenderContext) -> None:
        self.template_id = template_id
        self.params = dict(params)  # a ChainMap layer below the scope (read only here)
        self.ctx = ctx

    def render(self, variables: Mapping[str, Any], body: Any) -> Any:
        """Evaluate ``variables`` in order (each may use the ones before it), then ``body``."""
        scope = self._with_vars(ChainMap({}, self.ctx.builtins()), variables)
        result = self.evaluate(body, scope)
        if result is OMIT:
            raise TemplateBodyError("the body itself was omitted")
        return result

    def _with_vars(self, scope: ChainMap, variables: Mapping[str, Any]) -> ChainMap:
        local: dict[str, Any] = {}
        child = scope.new_child(local)
        for name, expression in variables.items():
            value = self.evaluate(expression, child)
            if value is not OMIT:
                local[name] = value
        return child

    def evaluate(self, node: Any, scope: ChainMap) -> Any:
        """The value of one node of a template body."""
        if isinstance(node, list):
            return [v for v in (self.evaluate(item, scope) for item in node) if v is not OMIT]
        if not isinstance(node, dict):
            return node
        operator = next(iter(node), None)
        if operator is not None and operator.startswith("$"):
            if operator not in OPERATORS:
                raise TemplateBodyError(f"unknown placeholder {operator!r}; placeholders are {OPERATORS}")
            return getattr(self, "_op_" + operator[1:])(node, scope)
        result = {}
        for key, item in node.items():
            value = self.evaluate(item, scope)
            if value is not OMIT:
                result[key] = value
        return result

    # --- operators ---------------------------------------------------------------------

    def _op_param(self, node: dict, scope: ChainMap) -> Any:
        name = node["$param"]
        if name not in self.params:
            raise TemplateBodyError(f"$param {name!r} is not a parameter of this template")
        value = self.params[name]
        if value is None and "or" in node:  # a null parameter means "generate one"
            return self.evaluate(node["or"], scope)
        return copy.deepcopy(value)

    def _op_var(self, node: dict, scope: ChainMap) -> Any:
        path = node["$var"].split(".")
        if path[0] not in scope:
            raise TemplateBodyError(f"$var {path[0]!r} is not defined here")
        value = scope[path[0]]
        for part in path[1:]:
            if not isinstance(value, dict) or part not in value:
                if node.get("optional"):
                    return OMIT
                raise TemplateBodyError(f"$var {node['$var']!r}: no {part!r}")
            value = value[part]
        return copy.deepcopy(value)

    def _op_fmt(self, node: dict, scope: ChainMap) -> str:
        names = ChainMap(scope, self.params)
        try:
            return string.Formatter().vformat(node["$fmt"], (), _Strict(names))
        except KeyError as exc:
            raise TemplateBodyError(f"$fmt {node['$fmt']!r}: {exc.args[0]} is not defined") from None

    def _op_id(self, node: dict, scope: ChainMap) -> str:
        return self.ctx.token(node["$id"], int(node.get("length", 0)))

    def _op_seq(self, node: dict, scope: ChainMap) -> str:
        start = self.evaluate(node.get("start"), scope)
        return self.ctx.sequence(node["$seq"], int(node["digits"]), start, scope.get("index", 0))

    def _op_time(self, node: dict, scope: ChainMap) -> Any:
        return self.ctx.time(node["$time"], int(node.get("offset_ms", 0)))

    def _op_derive(self, node: dict, scope: ChainMap) -> Any:
        name = node["$derive"]
        if name not in DERIVATIONS:
            raise TemplateBodyError(f"unknown derivation {name!r}; derivations are {sorted(DERIVATIONS)}")
        options = {
            key: self.evaluate(value, scope) for key, value in node.items() if key not in ("$derive", "omit_null")
        }
        value = options.pop("of", None)
        try:
            result = DERIVATIONS[name](value, options, self.ctx)
        except (ValueError, TypeError) as exc:
            raise InvalidParameterValueException(f"{self.template_id}: {exc}") from None
        return OMIT if result is None and node.get("omit_null") else result

    def _op_records(self, node: dict, scope: ChainMap) -> list[Any]:
        source = node.get("from", "records")
        records = self.params[source]
        limit = int(node.get("max", MAX_RECORDS))
        count = records if isinstance(records, int) else len(records)
        if count > limit:
            raise InvalidParameterValueException(
                f"parameter {source!r} of {self.template_id} asks for {count} records; "
                f"this source sends at most {limit} in one event"
            )
        if isinstance(records, int):
            default = self.evaluate(node.get("default"), scope)
            if node.get("cycle"):
                items = [copy.deepcopy(default[i % len(default)]) for i in range(count)]
            else:
                items = [copy.deepcopy(default) for _ in range(count)]
        else:
            items = records
        out = []
        for index, item in enumerate(items):
            record_scope = scope.new_child({"item": item, "index": index})
            record_scope = self._with_vars(record_scope, node.get("vars", {}))
            value = self.evaluate(node["$records"], record_scope)
            if value is not OMIT:
                out.append(value)
        return out

    def _op_if(self, node: dict, scope: ChainMap) -> Any:
        value = self.evaluate(node["$if"], scope)
        if "equals" in node:
            chosen = value == node["equals"]
        elif "in" in node:
            chosen = value in node["in"]
        else:
            chosen = bool(value)
        branch = "then" if chosen else "else"
        return self.evaluate(node[branch], scope) if branch in node else OMIT

    def _op_omit(self, node: dict, scope: ChainMap) -> Any:
        return OMIT

    def _op_literal(self, node: dict, scope: ChainMap) -> Any:
        return copy.deepcopy(node["$literal"])


class _Strict(dict):
    """A format mapping that fails loudly on a missing or non-scalar name."""

    def __init__(self, names: Mapping[str, Any]) -> None:
        super().__init__()
        self.names = names

    def __missing__(self, key: str) -> Any:
        value = self.names[key]
        if value is None or isinstance(value, (dict, list, bool)):
            raise TemplateBodyError(f"$fmt cannot insert {key}={value!r} into text")
        return value
