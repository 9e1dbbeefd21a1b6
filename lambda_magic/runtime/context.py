"""The ``context`` object handed to the handler, as the Python runtime (awslambdaric) builds it.

A plain object: code may add attributes to it (``context.foo = 1``), as libraries
do.  The string attributes are read from the environment variables when the
context is built, so ``memory_limit_in_mb`` is a ``str``; ``identity`` is always an
object while ``client_context`` is ``None`` unless the caller passed one.  The
nested objects have fixed attributes (``__slots__``), as in the runtime.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Mapping
from typing import Any


class CognitoIdentity:
    """``context.identity``: both attributes are ``None`` unless Cognito called."""

    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, cognito_identity_id: str | None = None, cognito_identity_pool_id: str | None = None):
        self.cognito_identity_id = cognito_identity_id
        self.cognito_identity_pool_id = cognito_identity_pool_id

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}([cognito_identity_id={self.cognito_identity_id},"
            f"cognito_identity_pool_id={self.cognito_identity_pool_id}])"
        )


class Client:
    """``context.client_context.client``: the calling mobile app."""

    __slots__ = ("app_package_name", "app_title", "app_version_code", "app_version_name", "installation_id")

    def __init__(self, client: Mapping[str, Any]):
        for name in self.__slots__:
            setattr(self, name, client.get(name))

    def __repr__(self) -> str:
        fields = ",".join(f"{name}={getattr(self, name)}" for name in self.__slots__)
        return f"{type(self).__name__}([{fields}])"


class ClientContext:
    """``context.client_context``: ``custom``, ``env`` and ``client``; missing keys are ``None``."""

    __slots__ = ("client", "custom", "env")

    def __init__(self, client_context: Mapping[str, Any]):
        self.custom = client_context.get("custom")
        self.env = client_context.get("env")
        client = client_context.get("client")
        self.client = Client(client) if client is not None else None

    def __repr__(self) -> str:
        return f"{type(self).__name__}([custom={self.custom},env={self.env},client={self.client}])"


class LambdaContext:
    """The Python runtime's context: same attributes, same types, same methods, open to new attributes."""

    def __init__(
        self,
        invoke_id: str,
        client_context: Mapping[str, Any] | None,
        cognito_identity: Mapping[str, Any] | None,
        epoch_deadline_time_in_ms: int,
        invoked_function_arn: str | None = None,
        tenant_id: str | None = None,
    ):
        environ = os.environ
        self.aws_request_id = invoke_id
        self.log_group_name = environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.tenant_id = tenant_id
        self.client_context = ClientContext(client_context) if client_context is not None else None
        identity = cognito_identity or {}
        self.identity = CognitoIdentity(identity.get("cognitoIdentityId"), identity.get("cognitoIdentityPoolId"))
        #: The deadline, epoch milliseconds (the runtime's own attribute name, which some libraries read).
        self._epoch_deadline_time_in_ms = epoch_deadline_time_in_ms

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the deadline; counts down while the handler runs, never below 0."""
        return max(self._epoch_deadline_time_in_ms - int(time.time() * 1000), 0)

    def log(self, msg: object) -> None:
        """Write ``str(msg)`` to the log as one event (one telemetry frame per call, as on Lambda),
        or to ``sys.stdout`` when the runtime's log handler is not on the root logger."""
        for handler in logging.getLogger().handlers:
            sink = getattr(handler, "log_sink", None)
            if callable(sink):
                sink(_one_event(str(msg)))
                return
        sys.stdout.write(str(msg))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}([aws_request_id={self.aws_request_id},log_group_name={self.log_group_name},"
            f"log_stream_name={self.log_stream_name},function_name={self.function_name},"
            f"memory_limit_in_mb={self.memory_limit_in_mb},function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},client_context={self.client_context},"
            f"identity={self.identity},tenant_id={self.tenant_id}])"
        )


def _one_event(text: str) -> str:
    """The message of a ``context.log`` event: the store keeps messages without their final newline."""
    return text[:-1] if text.endswith("\n") else text
