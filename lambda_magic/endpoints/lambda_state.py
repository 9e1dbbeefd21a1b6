"""What the Lambda API keeps beyond the account's registry: per-function settings that
only the API sets (role, tags, resource-based policies, event invoke config times)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FunctionExtras:
    """The API's own settings of one function (all versions share them, except policies)."""

    role: str | None = None
    ephemeral_storage_mb: int = 512
    tags: dict[str, str] = field(default_factory=dict)
    #: Resource-based policy statements per qualifier ("" = unqualified), by Sid.
    policies: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    #: When PutFunctionEventInvokeConfig last ran (epoch seconds); None when there is none.
    event_invoke_config_modified: float | None = None
    policy_revision: int = 0


class ApiState:
    """Thread-safe store of :class:`FunctionExtras` by function name."""

    def __init__(self) -> None:
        self._functions: dict[str, FunctionExtras] = {}
        self.lock = threading.RLock()
        #: When each event source mapping was last changed through the API (epoch seconds).
        self.mapping_modified: dict[str, float] = {}

    def function(self, name: str) -> FunctionExtras:
        with self.lock:
            return self._functions.setdefault(name, FunctionExtras())

    def forget(self, name: str) -> None:
        """A deleted function loses its tags, policies and settings, as on AWS."""
        with self.lock:
            self._functions.pop(name, None)
