"""Triggers: event source mappings whose pollers read SQS, Kinesis and DynamoDB Streams
in the local cloud and invoke functions, as Lambda's pollers do on AWS.

Each source is a plugin on :class:`~lambda_magic.sources.base.Poller`.
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..common.errors import ResourceNotFoundException
from .base import Poller
from .mapping import EventSourceMapping

if TYPE_CHECKING:
    from ..runtime.account import LocalAccount

#: The poller plugin of each source: (module, class), imported on first use.
POLLERS = {
    "sqs": ("lambda_magic.sources.sqs", "SqsPoller"),
    "kinesis": ("lambda_magic.sources.kinesis", "KinesisPoller"),
    "dynamodb": ("lambda_magic.sources.dynamodb", "DynamoDbStreamsPoller"),
}

__all__ = ["POLLERS", "EventSourceMapping", "EventSourceMappings", "Poller"]


def poller_class(source: str) -> type[Poller]:
    module, name = POLLERS[source]
    return getattr(importlib.import_module(module), name)


class EventSourceMappings:
    """The account's event source mappings and their pollers (hangs off the account)."""

    def __init__(self, account: LocalAccount):
        self.account = account
        self._pollers: dict[str, Poller] = {}
        self._lock = threading.Lock()

    @classmethod
    def of(cls, account: LocalAccount) -> EventSourceMappings:
        """The account's mappings (created on first use and registered with the account)."""
        return account.extension("event_source_mappings", lambda: cls(account))

    def create(self, function_name: str, event_source_arn: str, **settings: Any) -> EventSourceMapping:
        """``CreateEventSourceMapping``: validated like AWS, then polled at once if enabled."""
        function = self.account.get_function(function_name)
        criteria = settings.pop("filter_criteria", None)
        mapping = EventSourceMapping(function.name, event_source_arn, **settings)
        if criteria is not None:
            from .filters import FilterCriteria

            mapping.filter_criteria = FilterCriteria.parse(criteria, source=mapping.source)
        cls = poller_class(mapping.source)
        cls.validate(self.account, mapping)
        poller = cls(self.account, mapping)
        with self._lock:
            self._pollers[mapping.uuid] = poller
        if mapping.enabled:
            poller.start()
        return mapping

    def mappings(self) -> list[EventSourceMapping]:
        with self._lock:
            return [poller.mapping for poller in self._pollers.values()]

    def pollers(self) -> list[Poller]:
        with self._lock:
            return list(self._pollers.values())

    def get(self, mapping_uuid: str) -> Poller:
        with self._lock:
            poller = self._pollers.get(mapping_uuid)
        if poller is None:
            raise ResourceNotFoundException(f"no event source mapping {mapping_uuid}; see lm.event_source_mappings()")
        return poller

    def set_enabled(self, mapping_uuid: str, enabled: bool) -> EventSourceMapping:
        poller = self.get(mapping_uuid)
        poller.mapping.enabled = enabled
        if enabled:
            poller.kick()
        return poller.mapping

    def delete(self, mapping_uuid: str) -> EventSourceMapping:
        poller = self.get(mapping_uuid)
        poller.stop()
        with self._lock:
            self._pollers.pop(mapping_uuid, None)
        return replace(poller.mapping, enabled=False)

    # --- the account's hooks ----------------------------------------------------------------------

    def settle(self) -> bool:
        """Kick every poller whose source still holds records; True when one did."""
        busy = False
        for poller in self.pollers():
            if poller.mapping.enabled and poller.pending():
                poller.kick()
                busy = True
        return busy

    def stop(self) -> None:
        for poller in self.pollers():
            poller.stop()
        with self._lock:
            self._pollers.clear()
