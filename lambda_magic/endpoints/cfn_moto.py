"""CloudFormation's side in the local cloud's server process (imported there only).

A stack with custom resources is driven by the account (:mod:`.cfn_stacks`): moto holds
the stack and its other resources, but not where the custom resources are, nor what
their stack events say.  The patches here ask the account (operation ``stacks``) about
the stacks a ``DescribeStacks``, ``ListStacks`` or ``DescribeStackEvents`` answers with,
and set each driven stack's status and events to the account's before moto answers, so
that ``describe_stacks`` says ``CREATE_IN_PROGRESS`` while a custom resource works and
``ROLLBACK_COMPLETE`` after a failed create.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

Call = Callable[[dict[str, Any]], Any]
#: The attribute that marks what this module patched (a server loads it once; an account may ask again).
MARK = "_lambda_magic_cloudformation"


def _patch(owner: Any, name: str, make: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    current = getattr(owner, name)
    if getattr(current, MARK, False):
        return
    replacement = make(current)
    setattr(replacement, MARK, True)
    setattr(owner, name, replacement)


def install(call: Call) -> None:
    from moto.cloudformation import models

    def refresh(stacks: Iterable[Any]) -> None:
        stacks = list(stacks)
        if not stacks:
            return
        try:
            states = call({"op": "stacks", "stack_ids": [stack.stack_id for stack in stacks]}) or {}
        except Exception:  # no account answers (its extension stopped): moto's own view
            return
        for stack in stacks:
            state = states.get(stack.stack_id)
            if state is None:
                continue
            stack.status = state["status"]
            events = []
            for item in state["events"]:
                event = models.Event(
                    stack_id=stack.stack_id,
                    stack_name=stack.name,
                    logical_resource_id=item["logical_id"],
                    physical_resource_id=item["physical_id"],
                    resource_type=item["resource_type"],
                    resource_status=item["status"],
                    resource_status_reason=item["reason"],
                    resource_properties=None,
                )
                event.timestamp = datetime.fromtimestamp(item["timestamp"], timezone.utc)
                event.event_id = item["event_id"]
                events.append(event)
            stack.events = events

    def describe_stacks(original: Callable[..., Any]) -> Callable[..., Any]:
        def replacement(self: Any, name_or_stack_id: str) -> Any:
            stacks = original(self, name_or_stack_id)
            refresh(stacks)
            return stacks

        return replacement

    def list_stacks(original: Callable[..., Any]) -> Callable[..., Any]:
        def replacement(self: Any, status_filter: Any = None) -> Any:
            refresh([*self.stacks.values(), *self.deleted_stacks.values()])
            return original(self, status_filter)

        return replacement

    def describe_stack_events(original: Callable[..., Any]) -> Callable[..., Any]:
        def replacement(self: Any, stack_name: str) -> Any:
            refresh([self.get_stack(stack_name)])
            return original(self, stack_name)

        return replacement

    backend = models.CloudFormationBackend
    _patch(backend, "describe_stacks", describe_stacks)
    _patch(backend, "list_stacks", list_stacks)
    _patch(backend, "describe_stack_events", describe_stack_events)
