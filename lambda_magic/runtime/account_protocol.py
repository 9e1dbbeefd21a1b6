"""The account protocol: what the module-level API asks of an account, whichever backend runs it.

``LocalAccount`` (this package's emulator) and ``lambda_magic.aws.AwsAccount`` (boto3 against
Lambda, or any endpoint that speaks its API) both satisfy it; ``lm.use_backend`` chooses which
one ``lm.register``, ``lm.invoke``, ``lm.logs``... act on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from .function import Function
from .invocation import Invocation


@runtime_checkable
class Account(Protocol):
    """One AWS account's Lambda service: functions, invocations, logs and their settings."""

    def register(
        self,
        name: str,
        code: str | None = None,
        *,
        handler: str = "lambda_handler",
        path: Any = None,
        zip_file: bytes | None = None,
        files: Mapping[str, str | bytes] | None = None,
        memory_mb: int | None = None,
        timeout_s: int | None = None,
        env: Mapping[str, str] | None = None,
        runtime: str | None = None,
        architecture: str = "x86_64",
        description: str = "",
    ) -> Function:
        """``CreateFunction`` or ``UpdateFunctionCode``/``UpdateFunctionConfiguration`` of ``$LATEST``."""
        ...

    def get_function(self, name: str) -> Function:
        """``GetFunction``: the function's ``$LATEST``."""
        ...

    def list_functions(self) -> list[Function]:
        """``ListFunctions``."""
        ...

    def delete_function(self, name: str) -> None:
        """``DeleteFunction``."""
        ...

    def invoke(
        self,
        name: str,
        event: Any = None,
        *,
        invocation_type: str = "RequestResponse",
        qualifier: str | None = None,
        client_context: Mapping[str, Any] | None = None,
        trigger: str = "direct",
    ) -> Invocation:
        """``Invoke``: the invocation's record."""
        ...

    def invocation_records(self, name: str | None = None) -> Sequence[Invocation]:
        """The invocations made through this account (of function ``name``)."""
        ...

    def log_events(
        self,
        name: str | None = None,
        *,
        request_id: str | None = None,
        filter_pattern: str | None = None,
        tail: int | None = None,
    ) -> Sequence[Any]:
        """The functions' log events (``FilterLogEvents`` on ``/aws/lambda/NAME``)."""
        ...

    def publish_version(self, name: str, description: str = "") -> Any:
        """``PublishVersion``."""
        ...

    def create_alias(
        self, name: str, alias: str, function_version: str, *, routing: Mapping[str, float] | None = None
    ) -> Any:
        """``CreateAlias``."""
        ...

    def put_function_concurrency(self, name: str, reserved: int | None) -> None:
        """``PutFunctionConcurrency`` (``None``: ``DeleteFunctionConcurrency``)."""
        ...

    def configure_async(
        self,
        name: str,
        *,
        max_retry_attempts: int = 2,
        max_event_age_s: int = 21_600,
        on_success: str | None = None,
        on_failure: str | None = None,
        dead_letter_target: str | None = None,
    ) -> Any:
        """``PutFunctionEventInvokeConfig``."""
        ...


if TYPE_CHECKING:
    from .account import LocalAccount

    def _local_is_an_account(account: LocalAccount) -> Account:  # mypy checks the structural match
        return account
