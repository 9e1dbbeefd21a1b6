"""Stacks with custom resources, driven by the account (an account extension).

moto's CloudFormation never runs a custom resource (it hangs in ``CREATE_IN_PROGRESS``),
so the account drives such a stack: the custom resources run here, as CloudFormation
runs them (:mod:`.cfn_requests`), and every other resource goes to the local cloud's
CloudFormation, in a moto stack of the same name and id:

1. the resources that need no custom resource are created in moto first (with hidden
   outputs carrying the ``Ref`` and ``Fn::GetAtt`` values custom resources read);
2. the custom resources, in dependency order, each sent its request and waited for;
3. the moto stack is updated to the whole template, references to custom resources
   replaced by their values (``Ref`` = PhysicalResourceId, ``Fn::GetAtt`` = ``Data``),
   which also resolves the ``Outputs``.

A FAILED (or missing) answer rolls back: Delete requests for what was created (the failed
resource included), the moto resources removed, ``ROLLBACK_COMPLETE``.  An update sends
Update only to custom resources whose properties changed; a new PhysicalResourceId
is a replacement, whose old id gets a Delete in ``UPDATE_COMPLETE_CLEANUP_IN_PROGRESS``;
a failed update sends the changed resources an Update back to their old properties
(``UPDATE_ROLLBACK_COMPLETE``).  The status and events of these stacks are also what
``describe_stacks`` and ``describe_stack_events`` answer (:mod:`.cfn_moto`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any

from ..common.errors import LambdaMagicError
from .cfn_operations import StackOperation, moto_parameters, moto_template
from .cfn_responses import ResponseUrls
from .cfn_stack import CustomResource, Stack
from .cfn_template import TemplateError, creation_order, parse_template

EXTENSION = "cloudformation_stacks"
HOOK = "lambda_magic.endpoints.cfn_moto"


class CloudFormationError(LambdaMagicError):
    """CloudFormation refused the call (``code``: ``ValidationError``, ``AlreadyExistsException``)."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code


class CloudFormationStacks:
    """The account's driven stacks, by stack id (thread-safe)."""

    def __init__(self, account: Any):
        self.account = account
        self.responses = ResponseUrls.of(account)
        self._lock = threading.Lock()
        self._stacks: dict[str, Stack] = {}
        self._running: set[threading.Thread] = set()
        account.cloud_hooks.add(HOOK, self._describe)

    @classmethod
    def of(cls, account: Any) -> CloudFormationStacks:
        return account.extension(EXTENSION, lambda: cls(account))

    # --- the API ------------------------------------------------------------------------------------

    def get(self, name_or_id: str) -> Stack:
        """The live stack ``name_or_id`` (or a deleted one by id)."""
        with self._lock:
            stacks = list(self._stacks.values())
        for stack in stacks:
            if stack.stack_id == name_or_id or (stack.name == name_or_id and stack.status != "DELETE_COMPLETE"):
                return stack
        raise CloudFormationError("ValidationError", f"Stack with id {name_or_id} does not exist")

    def stacks(self) -> list[Stack]:
        with self._lock:
            return list(self._stacks.values())

    def create_stack(self, name: str, template: Any, parameters: Mapping[str, Any] | None = None) -> Stack:
        """Start creating stack ``name`` (returns at once; ``stack.wait()`` for the end)."""
        parsed = self._parse(template)
        try:
            live = self.get(name)
        except CloudFormationError:
            live = None
        if live is not None:
            raise CloudFormationError("AlreadyExistsException", f"Stack [{name}] already exists")
        values = _parameters(parsed, parameters)
        stack_id = self.cloud().create_stack(
            StackName=name,
            TemplateBody=json.dumps(moto_template(parsed, {})),
            Parameters=moto_parameters(parsed, values),
        )["StackId"]
        stack = Stack(name, stack_id, self.account)
        with self._lock:
            self._stacks[stack_id] = stack
        self._start(StackOperation(self, stack, parsed, values).create)
        return stack

    def update_stack(self, name: str, template: Any, parameters: Mapping[str, Any] | None = None) -> Stack:
        stack = self.get(name)
        if not stack.status.endswith("_COMPLETE") or stack.status == "ROLLBACK_COMPLETE":
            raise CloudFormationError(
                "ValidationError", f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated."
            )
        parsed = self._parse(template)
        values = _parameters(parsed, parameters)
        stack.begin()
        stack.set_status("UPDATE_IN_PROGRESS", "User Initiated")
        self._start(StackOperation(self, stack, parsed, values).update)
        return stack

    def delete_stack(self, name: str) -> Stack:
        stack = self.get(name)
        if stack.status.endswith("_IN_PROGRESS"):
            raise CloudFormationError(
                "ValidationError", f"Stack:{stack.stack_id} is in {stack.status} state and can not be deleted."
            )
        stack.begin()
        stack.set_status("DELETE_IN_PROGRESS", "User Initiated")
        self._start(StackOperation(self, stack, stack.template, stack.parameters).delete)
        return stack

    # --- the account's side ---------------------------------------------------------------------------

    def settle(self) -> bool:
        """True while a stack operation runs (``account.wait`` waits for it)."""
        with self._lock:
            self._running = {thread for thread in self._running if thread.is_alive()}
            running = bool(self._running)
        if running:
            threading.Event().wait(0.02)  # not a busy loop in account.wait()
        return running

    def stop(self) -> None:
        self.account.cloud_hooks.discard(HOOK)

    def cloud(self) -> Any:
        """boto3's cloudformation client on the local cloud."""
        return self.account.cloud.client("cloudformation")

    def _start(self, operation: Any) -> None:
        thread = threading.Thread(target=operation, name="lambda_magic-cloudformation", daemon=True)
        with self._lock:
            self._running.add(thread)
        thread.start()

    def _parse(self, template: Any) -> dict[str, Any]:
        try:
            parsed = parse_template(template)
            creation_order(parsed)
        except TemplateError as exc:
            raise CloudFormationError("ValidationError", str(exc)) from None
        return parsed

    def _describe(self, payload: dict[str, Any], signer: str | None) -> Any:
        """The moto side asks for the status and events of the stacks it is about to describe."""
        with self._lock:
            known = {
                stack_id: self._stacks[stack_id]
                for stack_id in payload.get("stack_ids", [])
                if stack_id in self._stacks
            }
        return {stack_id: stack.snapshot() for stack_id, stack in known.items()}


def _parameters(template: Mapping[str, Any], given: Mapping[str, Any] | None) -> dict[str, Any]:
    """The parameter values: given ones, else the defaults (CloudFormation's messages)."""
    declared = template.get("Parameters") or {}
    given = dict(given or {})
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise CloudFormationError("ValidationError", f"Parameters: {unknown} do not exist in the template")
    values: dict[str, Any] = {}
    missing = []
    for name, spec in declared.items():
        value = given.get(name, (spec or {}).get("Default"))
        if value is None:
            missing.append(name)
            continue
        text = ",".join(map(str, value)) if isinstance(value, list) else cfn_text(value)
        values[name] = text.split(",") if (spec or {}).get("Type") == "CommaDelimitedList" else text
    if missing:
        raise CloudFormationError("ValidationError", f"Parameters: {missing} must have values")
    return values


def cfn_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


__all__ = ["CloudFormationError", "CloudFormationStacks", "CustomResource", "Stack"]
