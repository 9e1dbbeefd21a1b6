"""A CloudFormation stack in the notebook: its status, outputs and the stack events as a DataFrame."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

#: The columns of :meth:`StackView.events`.
EVENT_COLUMNS = ["timestamp", "logical_id", "resource_type", "status", "reason", "physical_id"]


def stack_events_frame(events: Any) -> pd.DataFrame:
    """Stack events, oldest first, one row each (``timestamp`` in UTC on the account clock)."""
    import pandas as pd

    rows = [
        {
            "timestamp": datetime.fromtimestamp(event.timestamp, timezone.utc),
            "logical_id": event.logical_id,
            "resource_type": event.resource_type,
            "status": event.status,
            "reason": event.reason or "",
            "physical_id": event.physical_id,
        }
        for event in events
    ]
    return pd.DataFrame(rows, columns=EVENT_COLUMNS)


class StackView:
    """What ``lm.cloudformation.create_stack`` returns: a live view of one stack."""

    def __init__(self, stack: Any):
        self._stack = stack

    @property
    def name(self) -> str:
        return str(self._stack.name)

    @property
    def stack_id(self) -> str:
        return str(self._stack.stack_id)

    @property
    def status(self) -> str:
        """CloudFormation's status name, e.g. ``CREATE_COMPLETE`` or ``ROLLBACK_COMPLETE``."""
        return str(self._stack.status)

    @property
    def status_reason(self) -> str | None:
        return self._stack.status_reason

    @property
    def outputs(self) -> dict[str, Any]:
        """``{OutputKey: OutputValue}`` (a NoEcho resource's data shows as ``*****``)."""
        return dict(self._stack.outputs)

    @property
    def physical_ids(self) -> dict[str, str]:
        """The custom resources' PhysicalResourceIds, by logical id."""
        return {name: custom.physical_id for name, custom in self._stack.customs.items()}

    def wait(self, timeout_s: float | None = None) -> StackView:
        """Block until the running operation ends and the invocations it sent have ended (returns the view)."""
        self._stack.wait(timeout_s)
        return self

    def events(self) -> pd.DataFrame:
        """The stack events, oldest first: timestamp, logical_id, resource_type, status, reason, physical_id."""
        return stack_events_frame(self._stack.events())

    def __repr__(self) -> str:
        return f"<Stack {self.name}: {self.status}>"
