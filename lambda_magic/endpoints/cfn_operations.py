"""Create, update and delete of a driven stack, as CloudFormation runs them (see :mod:`.cfn_stacks`).

Each operation runs on its own thread and ends with a terminal status; whatever goes
wrong inside (the local cloud refusing a resource, a bad reference) is a failure of the
stack, never an exception lost on the thread.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any

from . import cfn_requests
from .cfn_requests import Outcome
from .cfn_stack import CustomResource, Stack
from .cfn_template import (
    NO_VALUE,
    Resolver,
    TemplateError,
    attribute_value,
    creation_order,
    dependencies,
    is_custom,
    stringify,
    substitute,
    uses,
)

_HIDDEN = "LambdaMagicValue"
_MASK = "*****"


def moto_template(
    template: Mapping[str, Any], resources: Mapping[str, Any], outputs: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A template for the moto stack: the template's parameters, and the given resources and outputs."""
    moto: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": dict(resources)}
    for key in ("Parameters", "Conditions", "Mappings"):
        if template.get(key):
            moto[key] = template[key]
    if outputs:
        moto["Outputs"] = dict(outputs)
    return moto


def moto_parameters(template: Mapping[str, Any], values: Mapping[str, Any]) -> list[dict[str, str]]:
    declared = template.get("Parameters") or {}
    return [
        {"ParameterKey": name, "ParameterValue": ",".join(value) if isinstance(value, list) else value}
        for name, value in values.items()
        if name in declared
    ]


class StackOperation:
    """One operation on ``stack`` with ``template`` and parameter ``values``."""

    def __init__(self, stacks: Any, stack: Stack, template: dict[str, Any], values: dict[str, Any]):
        self.stacks = stacks
        self.account = stacks.account
        self.stack = stack
        self.template = template
        self.values = values
        self.resources: dict[str, Any] = template["Resources"]
        self.order = creation_order(template)
        self.custom_ids = [name for name in self.order if is_custom(self.resources[name]["Type"])]
        needs = dependencies(template)
        tainted = set(self.custom_ids)
        for name in self.order:
            if needs[name] & tainted:
                tainted.add(name)
        #: The other resources that need no custom resource: made in moto first.
        self.first = [name for name in self.order if name not in tainted]
        self._hidden: dict[tuple[str, str | None], str] = {}
        self._hidden_values: dict[str, Any] = {}

    # --- the three operations ---------------------------------------------------------------------

    def create(self) -> None:
        try:
            self._create()
        except Exception as exc:  # the local cloud refused something: the stack fails, visibly
            self.stack.set_status("CREATE_FAILED", f"{type(exc).__name__}: {exc}")

    def update(self) -> None:
        try:
            self._update()
        except Exception as exc:
            self.stack.set_status("UPDATE_ROLLBACK_FAILED", f"{type(exc).__name__}: {exc}")

    def delete(self) -> None:
        try:
            self._delete()
        except Exception as exc:
            self.stack.set_status("DELETE_FAILED", f"{type(exc).__name__}: {exc}")

    def _create(self) -> None:
        stack = self.stack
        self._apply_first({})
        created: list[str] = []
        failed: tuple[str, Outcome, dict[str, Any]] | None = None
        for logical in self.custom_ids:
            outcome, properties = self._request_create(logical)
            if not outcome.ok:
                failed = (logical, outcome, properties)
                break
            created.append(logical)
        if failed is None:
            try:
                self._apply_all()
            except Exception as exc:
                failed = ("", Outcome("FAILED", None, f"{type(exc).__name__}: {exc}", sent=False), {})
        if failed is None:
            stack.template, stack.parameters = self.template, self.values
            stack.set_status("CREATE_COMPLETE")
            return
        logical, outcome, properties = failed
        reason = f"The following resource(s) failed to create: [{logical}]. Rollback requested by user."
        stack.set_status("ROLLBACK_IN_PROGRESS", reason if logical else outcome.reason)
        ok = True
        if outcome.sent:  # CloudFormation deletes what it asked for, with the id the answer gave
            physical = outcome.physical_id or f"{stack.name}-{logical}-{secrets.token_hex(6).upper()}"
            ok &= self._request_delete(CustomResource(logical, self.resources[logical]["Type"], properties, physical))
        for name in reversed(created):
            ok &= self._request_delete(stack.customs.pop(name))
        ok &= self._apply(self.template, self.values, {}, None)
        stack.template, stack.parameters = self.template, self.values
        stack.set_status("ROLLBACK_COMPLETE" if ok else "ROLLBACK_FAILED")

    def _update(self) -> None:
        stack = self.stack
        old_template, old_values = stack.template, stack.parameters
        old_customs, old_moto, old_outputs = dict(stack.customs), dict(stack.moto_resources), stack.moto_outputs
        self._apply_first({name: item for name, item in old_moto.items() if name not in self.first})
        created: list[str] = []
        changed: list[tuple[CustomResource, dict[str, Any]]] = []
        replaced: list[CustomResource] = []
        failed: str | None = None
        for logical in self.custom_ids:
            old = old_customs.get(logical)
            if old is None:
                outcome, _ = self._request_create(logical)
                if not outcome.ok:
                    failed = logical
                    break
                created.append(logical)
                continue
            resource_type = self.resources[logical]["Type"]
            try:
                properties = self._properties(logical)
            except TemplateError as exc:
                stack.add_event(logical, old.physical_id, resource_type, "UPDATE_FAILED", str(exc))
                failed = logical
                break
            if resource_type != old.resource_type:
                reason = (
                    "Update of resource type is not permitted. "
                    f"The new template modifies resource type of resource [{logical}]."
                )
                stack.add_event(logical, old.physical_id, resource_type, "UPDATE_FAILED", reason)
                failed = logical
                break
            if properties == old.properties:
                continue  # CloudFormation sends Update only when the properties changed
            changed.append((old, properties))
            outcome = self._request_update(old, properties)
            if not outcome.ok:
                failed = logical
                break
            if stack.customs[logical].physical_id != old.physical_id:
                replaced.append(old)
        if failed is None:
            try:
                self._apply_all()
            except Exception as exc:
                stack.add_event(stack.name, stack.stack_id, "AWS::CloudFormation::Stack", stack.status, str(exc))
                failed = "the local cloud"
        if failed is None:
            removed = [item for name, item in old_customs.items() if name not in self.custom_ids]
            if replaced or removed:
                stack.set_status("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
                for item in [*replaced, *reversed(removed)]:
                    self._request_delete(item)  # a failed cleanup delete leaves the update complete
                    if stack.customs.get(item.logical_id) is item:
                        del stack.customs[item.logical_id]
            stack.template, stack.parameters = self.template, self.values
            stack.set_status("UPDATE_COMPLETE")
            return
        stack.set_status("UPDATE_ROLLBACK_IN_PROGRESS", f"The following resource(s) failed to update: [{failed}]. ")
        ok = True
        for old, properties in reversed(changed):  # back to the old properties, the new ones as Old
            current = stack.customs[old.logical_id]
            restore = CustomResource(old.logical_id, old.resource_type, properties, current.physical_id)
            ok &= self._request_update(restore, old.properties).ok
        for name in reversed(created):
            ok &= self._request_delete(stack.customs.pop(name))
        ok &= self._apply(old_template, old_values, old_moto, old_outputs)
        stack.set_status("UPDATE_ROLLBACK_COMPLETE" if ok else "UPDATE_ROLLBACK_FAILED")

    def _delete(self) -> None:
        stack = self.stack
        for logical in reversed(creation_order(stack.template)):
            custom = stack.customs.get(logical)
            if custom is None:
                continue
            if not self._request_delete(custom):
                stack.set_status("DELETE_FAILED", f"The following resource(s) failed to delete: [{logical}]. ")
                return
            del stack.customs[logical]
        cloud = self.stacks.cloud()
        resources = cloud.describe_stack_resources(StackName=stack.stack_id)["StackResources"]
        cloud.delete_stack(StackName=stack.stack_id)
        for item in resources:
            stack.add_event(
                item["LogicalResourceId"], item.get("PhysicalResourceId"), item["ResourceType"], "DELETE_COMPLETE"
            )
        stack.moto_resources = {}
        stack.set_status("DELETE_COMPLETE")

    # --- custom resource requests -------------------------------------------------------------------

    def _send(self, custom: CustomResource, request_type: str, **options: Any) -> Outcome:
        _, outcome = cfn_requests.send(
            self.account,
            self.stacks.responses,
            stack_id=self.stack.stack_id,
            logical_id=custom.logical_id,
            resource_type=custom.resource_type,
            request_type=request_type,
            trigger=f"cloudformation:{self.stack.name}",
            invoked=self.stack.invoked,
            **options,
        )
        return outcome

    def _request_create(self, logical: str) -> tuple[Outcome, dict[str, Any]]:
        resource_type = self.resources[logical]["Type"]
        self.stack.add_event(logical, None, resource_type, "CREATE_IN_PROGRESS")
        try:
            properties = self._properties(logical)
        except TemplateError as exc:
            self.stack.add_event(logical, None, resource_type, "CREATE_FAILED", str(exc))
            return Outcome("FAILED", None, str(exc), sent=False), {}
        custom = CustomResource(logical, resource_type, properties, "")
        outcome = self._send(custom, "Create", properties=properties)
        if outcome.ok:
            assert outcome.physical_id is not None
            self.stack.customs[logical] = CustomResource(
                logical, resource_type, properties, outcome.physical_id, outcome.data, outcome.no_echo
            )
            self.stack.add_event(logical, outcome.physical_id, resource_type, "CREATE_COMPLETE")
        else:
            self.stack.add_event(logical, outcome.physical_id, resource_type, "CREATE_FAILED", outcome.reason)
        return outcome, properties

    def _request_update(self, old: CustomResource, properties: dict[str, Any]) -> Outcome:
        stack = self.stack
        stack.add_event(old.logical_id, old.physical_id, old.resource_type, "UPDATE_IN_PROGRESS")
        outcome = self._send(
            old, "Update", properties=properties, old_properties=old.properties, physical_id=old.physical_id
        )
        if not outcome.ok:
            stack.add_event(old.logical_id, old.physical_id, old.resource_type, "UPDATE_FAILED", outcome.reason)
            return outcome
        assert outcome.physical_id is not None
        if outcome.physical_id != old.physical_id:
            stack.add_event(
                old.logical_id,
                outcome.physical_id,
                old.resource_type,
                "UPDATE_IN_PROGRESS",
                "Requested update required the provider to create a new physical resource",
            )
        stack.customs[old.logical_id] = CustomResource(
            old.logical_id, old.resource_type, properties, outcome.physical_id, outcome.data, outcome.no_echo
        )
        stack.add_event(old.logical_id, outcome.physical_id, old.resource_type, "UPDATE_COMPLETE")
        return outcome

    def _request_delete(self, custom: CustomResource) -> bool:
        stack = self.stack
        stack.add_event(custom.logical_id, custom.physical_id, custom.resource_type, "DELETE_IN_PROGRESS")
        outcome = self._send(custom, "Delete", properties=custom.properties, physical_id=custom.physical_id)
        status = "DELETE_COMPLETE" if outcome.ok else "DELETE_FAILED"
        stack.add_event(custom.logical_id, custom.physical_id, custom.resource_type, status, outcome.reason)
        return outcome.ok

    # --- values --------------------------------------------------------------------------------------

    def _pseudo(self) -> dict[str, Any]:
        settings = self.account.settings
        return {
            "AWS::Region": settings.region,
            "AWS::AccountId": settings.account_id,
            "AWS::StackName": self.stack.name,
            "AWS::StackId": self.stack.stack_id,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NotificationARNs": [],
        }

    def _properties(self, logical: str) -> dict[str, Any]:
        """A custom resource's properties, resolved and stringified as CloudFormation sends them."""
        pseudo = self._pseudo()
        customs = self.stack.customs

        def ref(name: str) -> Any:
            if name == "AWS::NoValue":
                return NO_VALUE
            if name in self.values:
                return self.values[name]
            if name in pseudo:
                return pseudo[name]
            if name in customs and name in self.resources:
                return customs[name].physical_id
            return self._moto_value(name, None)

        def attribute(name: str, attr: str) -> Any:
            if name in customs and name in self.resources:
                return attribute_value(customs[name].data, name, attr)
            return self._moto_value(name, attr)

        resolved = Resolver(ref, attribute).resolve(self.resources[logical].get("Properties") or {})
        return stringify(resolved)

    def _moto_value(self, name: str, attr: str | None) -> Any:
        key = self._hidden.get((name, attr))
        if key is None or key not in self._hidden_values:
            raise TemplateError(
                f"Template format error: Unresolved resource dependencies [{name}] "
                "in the Resources block of the template"
            )
        return self._hidden_values[key]

    # --- the moto stack -------------------------------------------------------------------------------

    def _apply_first(self, kept: Mapping[str, Any]) -> None:
        """Phase 1: the resources that need no custom resource, with hidden outputs for the values
        the custom resources read from them."""
        first = set(self.first)
        outputs = {}
        for logical in self.custom_ids:
            for name, attr in uses(self.resources[logical].get("Properties") or {}):
                if name in first and (name, attr) not in self._hidden:
                    key = f"{_HIDDEN}{len(self._hidden)}"
                    self._hidden[(name, attr)] = key
                    outputs[key] = {"Value": {"Ref": name} if attr is None else {"Fn::GetAtt": [name, attr]}}
        resources = {**kept, **{name: self.resources[name] for name in self.first}}
        self._apply(self.template, self.values, resources, outputs, keep_outputs=False)
        self._hidden_values = self._outputs(hidden=True)

    def _apply_all(self) -> None:
        """Phase 3: every other resource, and the outputs, references to custom resources replaced."""
        real = {name: (c.physical_id, c.data) for name, c in self.stack.customs.items()}
        masked = {
            name: (c.physical_id, dict.fromkeys(c.data, _MASK) if c.no_echo else c.data)
            for name, c in self.stack.customs.items()
        }
        resources = {
            name: substitute(item, real) for name, item in self.resources.items() if not is_custom(item["Type"])
        }
        outputs = substitute(self.template.get("Outputs") or {}, masked)
        if not self._apply(self.template, self.values, resources, outputs):
            raise RuntimeError("the local cloud refused the stack's resources")

    def _apply(
        self,
        template: Mapping[str, Any],
        values: Mapping[str, Any],
        resources: Mapping[str, Any],
        outputs: Mapping[str, Any] | None,
        *,
        keep_outputs: bool = True,
    ) -> bool:
        """Update the moto stack to ``resources`` and ``outputs`` (events for what changed); False if refused."""
        stack = self.stack
        cloud = self.stacks.cloud()
        before = dict(stack.moto_resources)
        try:
            cloud.update_stack(
                StackName=stack.stack_id,
                TemplateBody=json.dumps(moto_template(template, resources, outputs)),
                Parameters=moto_parameters(template, values),
            )
            listed = cloud.describe_stack_resources(StackName=stack.stack_id)["StackResources"]
        except Exception as exc:
            stack.add_event(stack.name, stack.stack_id, "AWS::CloudFormation::Stack", stack.status, f"{exc}")
            return False
        physical = {item["LogicalResourceId"]: item.get("PhysicalResourceId") for item in listed}
        for name, item in resources.items():
            if name not in before:
                stack.add_event(name, None, item["Type"], "CREATE_IN_PROGRESS")
                stack.add_event(name, physical.get(name), item["Type"], "CREATE_COMPLETE")
            elif before[name] != item:
                stack.add_event(name, physical.get(name), item["Type"], "UPDATE_COMPLETE")
        for name, item in before.items():
            if name not in resources:
                stack.add_event(name, None, item["Type"], "DELETE_COMPLETE")
        stack.moto_resources = dict(resources)
        if keep_outputs:
            stack.moto_outputs = dict(outputs or {})
            stack.outputs = self._outputs(hidden=False)
        return True

    def _outputs(self, *, hidden: bool) -> dict[str, Any]:
        described = self.stacks.cloud().describe_stacks(StackName=self.stack.stack_id)["Stacks"][0]
        pairs = {item["OutputKey"]: item.get("OutputValue") for item in described.get("Outputs") or []}
        return {key: value for key, value in pairs.items() if key.startswith(_HIDDEN) == hidden}
