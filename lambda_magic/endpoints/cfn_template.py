"""A CloudFormation template as the stack driver needs it: parsed, ordered, resolved.

* :func:`parse_template`: a dict, or JSON or YAML text (with the short forms ``!Ref``,
  ``!GetAtt``, ``!Sub``, ...);
* :func:`dependencies` / :func:`creation_order`: what each resource refers to (``Ref``,
  ``Fn::GetAtt``, ``${...}`` in ``Fn::Sub``, ``DependsOn``), in CloudFormation's order;
* :class:`Resolver`: evaluates the intrinsic functions of a custom resource's properties
  (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``Fn::Join``, ``Fn::Select``, ``Fn::Split``,
  pseudo parameters), and :func:`substitute` replaces only the references to custom
  resources in what the local cloud's CloudFormation (moto) resolves itself;
* :func:`stringify`: properties as CloudFormation sends them (``3`` -> ``"3"``,
  ``true`` -> ``"true"``).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

#: CloudFormation's error code for a template or parameter it refuses.
VALIDATION_ERROR = "ValidationError"
_SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")
NO_VALUE = object()


class TemplateError(ValueError):
    """A template CloudFormation would refuse (``ValidationError``)."""


def is_custom(resource_type: Any) -> bool:
    """``Custom::Name`` or ``AWS::CloudFormation::CustomResource``."""
    return isinstance(resource_type, str) and (
        resource_type.startswith("Custom::") or resource_type == "AWS::CloudFormation::CustomResource"
    )


def _yaml_loader() -> Any:
    import yaml  # type: ignore[import-untyped]

    class Loader(yaml.SafeLoader):
        pass

    def construct(loader: Any, suffix: str, node: Any) -> Any:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        if suffix == "Ref":
            return {"Ref": value}
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
        return {f"Fn::{suffix}": value}

    Loader.add_multi_constructor("!", construct)
    return Loader


def parse_template(template: Any) -> dict[str, Any]:
    """The template as a dict (a copy); raises :class:`TemplateError` for what CloudFormation refuses."""
    if isinstance(template, Mapping):
        parsed: Any = copy.deepcopy(dict(template))
    elif isinstance(template, str):
        try:
            parsed = json.loads(template)
        except ValueError:
            import yaml

            try:
                parsed = yaml.load(template, Loader=_yaml_loader())
            except yaml.YAMLError as exc:
                raise TemplateError(f"Template format error: {str(exc).splitlines()[0]}") from None
    else:
        raise TemplateError(f"the template must be a dict or JSON/YAML text, not {type(template).__name__}")
    if not isinstance(parsed, dict):
        raise TemplateError("Template format error: JSON not well-formed")
    resources = parsed.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise TemplateError("Template format error: At least one Resources member must be defined.")
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
            raise TemplateError(
                f"Template format error: [/Resources/{logical_id}] Every Resources object must contain a Type member."
            )
    return parsed


def references(value: Any) -> set[str]:
    """The names ``value`` refers to with ``Ref``, ``Fn::GetAtt`` and ``Fn::Sub``."""
    found: set[str] = set()
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, item),) = value.items()
            if key == "Ref" and isinstance(item, str):
                found.add(item)
            elif key == "Fn::GetAtt":
                target = item.split(".", 1)[0] if isinstance(item, str) else item[0] if item else None
                if isinstance(target, str):
                    found.add(target)
            elif key == "Fn::Sub":
                text, variables = (item, {}) if isinstance(item, str) else (item[0], item[1] if len(item) > 1 else {})
                local = set(variables) if isinstance(variables, dict) else set()
                found |= {m.split(".", 1)[0] for m in _SUB_VARIABLE.findall(str(text))} - local
                found |= references(variables)
                return found
        for item in value.values():
            found |= references(item)
    elif isinstance(value, list):
        for item in value:
            found |= references(item)
    return found


def uses(value: Any) -> set[tuple[str, str | None]]:
    """The ``(resource, attribute or None)`` pairs ``value`` reads with Ref, Fn::GetAtt and Fn::Sub."""
    found: set[tuple[str, str | None]] = set()
    if isinstance(value, list):
        for item in value:
            found |= uses(item)
    elif isinstance(value, dict):
        if len(value) == 1:
            ((key, item),) = value.items()
            if key == "Ref" and isinstance(item, str):
                return {(item, None)}
            if key == "Fn::GetAtt":
                name, attr = item.split(".", 1) if isinstance(item, str) else item
                return {(name, attr if isinstance(attr, str) else None)}
            if key == "Fn::Sub":
                text = item if isinstance(item, str) else item[0]
                for name in _SUB_VARIABLE.findall(str(text)):
                    target, _, attr = name.partition(".")
                    found.add((target, attr or None))
                if isinstance(item, list) and len(item) > 1:
                    found |= uses(item[1])
                return found
        for item in value.values():
            found |= uses(item)
    return found


def dependencies(template: Mapping[str, Any]) -> dict[str, set[str]]:
    """For each resource, the other resources it needs first."""
    resources = template["Resources"]
    result = {}
    for logical_id, resource in resources.items():
        depends = resource.get("DependsOn", [])
        depends = [depends] if isinstance(depends, str) else list(depends)
        needed = (references(resource.get("Properties", {})) | set(depends)) & set(resources)
        result[logical_id] = needed - {logical_id}
    return result


def creation_order(template: Mapping[str, Any]) -> list[str]:
    """The resources in an order CloudFormation could create them (template order among equals)."""
    needs = dependencies(template)
    order: list[str] = []
    done: set[str] = set()
    while len(order) < len(needs):
        ready = [name for name in needs if name not in done and needs[name] <= done]
        if not ready:
            raise TemplateError(f"Circular dependency between resources: {sorted(set(needs) - done)}")
        order.extend(ready)
        done.update(ready)
    return order


def stringify(value: Any) -> Any:
    """Scalars as CloudFormation passes a custom resource's properties: strings."""
    if isinstance(value, dict):
        return {key: stringify(item) for key, item in value.items()}
    if isinstance(value, list):
        return [stringify(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


class Resolver:
    """Evaluates intrinsic functions, with ``ref(name)`` and ``attribute(name, attr)`` for the rest."""

    def __init__(self, ref: Callable[[str], Any], attribute: Callable[[str, str], Any]):
        self.ref = ref
        self.attribute = attribute

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in (self.resolve(i) for i in value) if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, item),) = value.items()
            if key == "Ref":
                return self.ref(item)
            if key.startswith("Fn::"):
                return self._function(key, item)
        result = {}
        for key, item in value.items():
            resolved = self.resolve(item)
            if resolved is not NO_VALUE:
                result[key] = resolved
        return result

    def _function(self, key: str, item: Any) -> Any:
        if key == "Fn::GetAtt":
            name, attr = item.split(".", 1) if isinstance(item, str) else item
            return self.attribute(name, self.resolve(attr))
        if key == "Fn::Join":
            separator, parts = item
            return str(separator).join(str(part) for part in self.resolve(parts))
        if key == "Fn::Select":
            index, items = self.resolve(item)
            return items[int(index)]
        if key == "Fn::Split":
            separator, text = self.resolve(item)
            return str(text).split(separator)
        if key == "Fn::Sub":
            text, variables = (item, {}) if isinstance(item, str) else (item[0], item[1] if len(item) > 1 else {})
            local = {name: self.resolve(v) for name, v in variables.items()}

            def replace(match: re.Match[str]) -> str:
                name = match.group(1)
                if name in local:
                    return str(local[name])
                if "." in name and not name.startswith("AWS::"):
                    target, attr = name.split(".", 1)
                    return str(self.attribute(target, attr))
                return str(self.ref(name))

            return _SUB_VARIABLE.sub(replace, str(text))
        raise TemplateError(f"{key} is not supported in a custom resource's properties by lambda_magic")


def substitute(value: Any, customs: Mapping[str, tuple[str, Mapping[str, Any]]]) -> Any:
    """``value`` with references to the custom resources ``{name: (physical id, Data)}`` replaced
    by their values, everything else left for the local cloud's CloudFormation to resolve."""
    if isinstance(value, list):
        return [substitute(item, customs) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, item),) = value.items()
        if key == "Ref" and item in customs:
            return customs[item][0]
        if key == "Fn::GetAtt":
            name, attr = item.split(".", 1) if isinstance(item, str) else item
            if name in customs:
                return attribute_value(customs[name][1], name, attr)
        if key == "Fn::Sub":
            text, variables = (item, {}) if isinstance(item, str) else (item[0], item[1] if len(item) > 1 else {})

            def replace(match: re.Match[str]) -> str:
                name = match.group(1)
                target, _, attr = name.partition(".")
                if target in customs and name not in variables:
                    return str(attribute_value(customs[target][1], target, attr) if attr else customs[target][0])
                return match.group(0)

            text = _SUB_VARIABLE.sub(replace, str(text))
            variables = substitute(variables, customs)
            return {"Fn::Sub": [text, variables] if variables else text}
    return {key: substitute(item, customs) for key, item in value.items()}


def attribute_value(data: Mapping[str, Any], name: str, attr: str) -> Any:
    if attr not in data:
        raise TemplateError(
            f"CustomResource attribute error: Vendor response doesn't contain {attr} attribute in object {name}"
        )
    return data[attr]
