"""The account's versions, aliases and concurrency settings (a part of :class:`~.account.LocalAccount`):
``PublishVersion``, aliases, reserved and provisioned concurrency, ``PutFunctionEventInvokeConfig``."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..common.errors import InvalidParameterValueException
from .async_invocation import AsyncConfig
from .config import check_function_name
from .destinations import destination_kind
from .function import LATEST, Function
from .registry import Alias
from .requests import parse_function_name

if TYPE_CHECKING:
    from .async_invocation import AsyncInvoker
    from .concurrency import ConcurrencyGovernor
    from .invoker import Invoker
    from .pool import EnvironmentPool
    from .registry import FunctionRegistry


class VersionsAndConcurrency:
    """Mixed into the account, whose state these methods change."""

    registry: FunctionRegistry
    governor: ConcurrencyGovernor
    pool: EnvironmentPool
    invoker: Invoker
    async_invoker: AsyncInvoker
    _provisioned: dict[tuple[str, str], int]
    _lock: threading.RLock

    def get_function(self, name: str) -> Function:  # the account's
        raise NotImplementedError

    def publish_version(self, name: str, description: str = "") -> Function:
        """Publish ``$LATEST`` as an immutable numbered version."""
        return self.registry.publish_version(self.get_function(name).name, description)

    def create_alias(
        self,
        name: str,
        alias: str,
        function_version: str,
        *,
        routing: Mapping[str, float] | None = None,
        description: str = "",
    ) -> Alias:
        """Create an alias pointing at a version (``routing``: extra version -> weight)."""
        return self.registry.put_alias(
            self.get_function(name).name,
            alias,
            function_version,
            additional_version_weights=routing,
            description=description,
        )

    def update_alias(
        self,
        name: str,
        alias: str,
        function_version: str,
        *,
        routing: Mapping[str, float] | None = None,
        description: str = "",
    ) -> Alias:
        return self.registry.put_alias(
            self.get_function(name).name,
            alias,
            function_version,
            additional_version_weights=routing,
            description=description,
            create=False,
        )

    def put_function_concurrency(self, name: str, reserved: int | None) -> None:
        """Reserve concurrency for a function (``None`` removes the reservation; 0 stops it)."""
        function = self.get_function(name)
        self.governor.check_reserved(function.name, reserved)
        self.registry.set_reserved_concurrency(function.name, reserved)
        self.governor.set_reserved(function.name, reserved)

    def put_provisioned_concurrency(self, name: str, qualifier: str, count: int) -> list[str]:
        """Initialise ``count`` environments ahead of requests for a version or alias.

        Returns the error types of environments whose init failed (empty when all are ready).
        """
        function_name, _ = parse_function_name(name)
        if qualifier in (None, LATEST):
            raise InvalidParameterValueException(
                "provisioned concurrency needs a published version or an alias, not $LATEST"
            )
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise InvalidParameterValueException(f"provisioned concurrency must be a whole number >= 1, got {count!r}")
        version = self.registry.resolve(function_name, qualifier)
        reserved = self.governor.reserved(function_name)
        if reserved is not None and count > reserved:
            raise InvalidParameterValueException(
                f"provisioned concurrency {count} exceeds the reserved concurrency {reserved} of {function_name}"
            )
        with self._lock:
            self._provisioned[(function_name, version.version)] = count
        self.pool.retire(function_name, version.version)
        return self.invoker.environments.provision(version, count)

    def has_provisioned(self, name: str, version: str) -> bool:
        return (name, version) in self._provisioned

    def provisioned_concurrency(self) -> dict[tuple[str, str], int]:
        """The provisioned concurrency by (function, version) (a copy)."""
        with self._lock:
            return dict(self._provisioned)

    def configure_async(
        self,
        name: str,
        *,
        max_retry_attempts: int = 2,
        max_event_age_s: int = 21_600,
        on_success: str | None = None,
        on_failure: str | None = None,
        dead_letter_target: str | None = None,
    ) -> AsyncConfig:
        """``PutFunctionEventInvokeConfig``: retries, maximum event age and destinations."""
        function = self.get_function(name)
        if on_success is not None:
            self._check_destination(on_success, dead_letter=False, on_success=True)
        if on_failure is not None:
            self._check_destination(on_failure, dead_letter=False)
        if dead_letter_target is not None:
            self._check_destination(dead_letter_target, dead_letter=True)
        config = AsyncConfig(max_retry_attempts, max_event_age_s, on_success, on_failure, dead_letter_target)
        self.async_invoker.configure(function.name, config)
        return config

    @staticmethod
    def _check_destination(target: str, *, dead_letter: bool, on_success: bool = False) -> None:
        kind = destination_kind(target)
        if kind == "lambda" and not dead_letter:
            name, _ = parse_function_name(target)
            check_function_name(name)
            return
        allowed = ("sqs", "sns") if dead_letter else ("sqs", "sns", "events", "s3")
        if kind == "s3" and on_success:
            raise InvalidParameterValueException(f"{target!r}: S3 buckets can only be on-failure destinations")
        if kind not in allowed:
            what = "a dead-letter target" if dead_letter else "a destination"
            raise InvalidParameterValueException(
                f"{target!r} cannot be {what}: use "
                + (
                    "an SQS queue or SNS topic ARN"
                    if dead_letter
                    else "a function name or an SQS, SNS, EventBridge or S3 ARN"
                )
            )
