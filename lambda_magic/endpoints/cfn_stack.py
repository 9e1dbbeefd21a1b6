"""A driven stack's state: status, custom resources, outputs and stack events."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

#: The statuses a stack operation ends in.
TERMINAL = frozenset(
    {
        "CREATE_COMPLETE",
        "CREATE_FAILED",
        "ROLLBACK_COMPLETE",
        "ROLLBACK_FAILED",
        "UPDATE_COMPLETE",
        "UPDATE_ROLLBACK_COMPLETE",
        "UPDATE_ROLLBACK_FAILED",
        "DELETE_COMPLETE",
        "DELETE_FAILED",
    }
)
STACK_TYPE = "AWS::CloudFormation::Stack"


@dataclass
class StackEvent:
    """One stack event, as ``describe_stack_events`` lists it."""

    timestamp: float  # account time
    logical_id: str
    physical_id: str
    resource_type: str
    status: str
    reason: str | None = None
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class CustomResource:
    """A custom resource as CloudFormation remembers it after a successful request."""

    logical_id: str
    resource_type: str
    properties: dict[str, Any]
    physical_id: str
    data: dict[str, Any] = field(default_factory=dict)
    no_echo: bool = False


class Stack:
    """A stack the account drives (thread-safe); the operations live in :mod:`.cfn_operations`."""

    def __init__(self, name: str, stack_id: str, account: Any):
        self.name = name
        self.stack_id = stack_id
        self._account = account
        self._lock = threading.Lock()
        self._finished = threading.Event()
        self.status = "CREATE_IN_PROGRESS"
        self.status_reason: str | None = None
        #: The template and parameter values last applied (the rollback target).
        self.template: dict[str, Any] = {"Resources": {}}
        self.parameters: dict[str, Any] = {}
        #: What the moto stack holds now (its resources, references to custom resources replaced).
        self.moto_resources: dict[str, Any] = {}
        self.customs: dict[str, CustomResource] = {}
        self.moto_outputs: dict[str, Any] = {}
        #: The stack's outputs as the local cloud resolved them (NoEcho data masked).
        self.outputs: dict[str, Any] = {}
        self._events: list[StackEvent] = []
        #: The request ids of the invocations the running (or last) operation sent.
        self.invoked: list[str] = []
        self.add_event(name, stack_id, STACK_TYPE, "CREATE_IN_PROGRESS", "User Initiated")

    # --- state --------------------------------------------------------------------------------------

    def add_event(
        self, logical_id: str, physical_id: str | None, resource_type: str, status: str, reason: str | None = None
    ) -> None:
        event = StackEvent(self._account.clock.time(), logical_id, physical_id or "", resource_type, status, reason)
        with self._lock:
            self._events.append(event)

    def set_status(self, status: str, reason: str | None = None) -> None:
        """The stack's new status (and its stack event)."""
        self.add_event(self.name, self.stack_id, STACK_TYPE, status, reason)
        with self._lock:
            self.status, self.status_reason = status, reason
            if status in TERMINAL:
                self._finished.set()

    def begin(self) -> None:
        """A new operation starts (``wait`` waits for its end)."""
        self._finished.clear()
        self.invoked = []

    def events(self) -> list[StackEvent]:
        """The stack events, oldest first."""
        with self._lock:
            return list(self._events)

    def snapshot(self) -> dict[str, Any]:
        """Status and events for the moto side (JSON)."""
        with self._lock:
            return {
                "status": self.status,
                "events": [event.__dict__.copy() for event in self._events],
            }

    @property
    def finished(self) -> bool:
        return self._finished.is_set()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the running operation ends, and the invocations it sent that are still
        running (a function that answered and goes on) end too, so that their logs are in;
        False on timeout.  A manual account clock is moved to each next timer meanwhile
        (a custom resource's timeout, Lambda's retries)."""
        import time

        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while not self._finished.wait(0.05):
            if deadline is not None and time.monotonic() >= deadline:
                return False
            if self._account.clock.mode == "manual":
                self._account.scheduler.wait(0.05)
        remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        return self._account.async_invoker.wait_for_attempts(list(self.invoked), remaining)

    def __repr__(self) -> str:
        return f"Stack({self.name!r}, {self.status})"
