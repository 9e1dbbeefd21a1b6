"""lambda_magic: AWS Lambda you can see and touch in Jupyter.

``%load_ext lambda_magic`` for the magics, or ``import lambda_magic as lm``.
"""

from __future__ import annotations

from typing import Any

from .api import (
    account,
    builder,
    client,
    clock,
    cloud,
    configure_async,
    create_alias,
    create_event_source_mapping,
    delete_event_source_mapping,
    enable_event_source_mapping,
    event_source_mappings,
    invoke_many,
    metrics,
    publish_version,
    put_function_concurrency,
    put_provisioned_concurrency,
    queue,
    timeline,
    triggers,
    delete,
    event,
    functions,
    invocations,
    invoke,
    logs,
    package,
    publish_layer_version,
    register,
    reset,
    resource,
    templates,
    wait,
)
from .common.errors import (
    EnvironmentStartError,
    InvalidParameterValueException,
    InvalidRequestContentException,
    InvocationInterrupted,
    LambdaMagicError,
    RequestTooLargeException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from .runtime.concurrency import TooManyRequestsException
from .runtime.function import Function
from .runtime.invocation import Invocation

__version__ = "0.1.0"

__all__ = [
    "TooManyRequestsException",
    "client",
    "clock",
    "cloud",
    "resource",
    "configure_async",
    "create_alias",
    "create_event_source_mapping",
    "delete_event_source_mapping",
    "enable_event_source_mapping",
    "event_source_mappings",
    "invoke_many",
    "metrics",
    "publish_version",
    "put_function_concurrency",
    "put_provisioned_concurrency",
    "queue",
    "timeline",
    "triggers",
    "EnvironmentStartError",
    "Function",
    "InvalidParameterValueException",
    "InvalidRequestContentException",
    "Invocation",
    "InvocationInterrupted",
    "LambdaMagicError",
    "RequestTooLargeException",
    "ResourceConflictException",
    "ResourceNotFoundException",
    "account",
    "builder",
    "delete",
    "event",
    "functions",
    "invocations",
    "invoke",
    "load_ipython_extension",
    "logs",
    "package",
    "publish_layer_version",
    "register",
    "reset",
    "templates",
    "unload_ipython_extension",
    "wait",
]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext lambda_magic``: register ``%lambda`` and ``%%lambda``."""
    from .magics import load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext lambda_magic``: remove the magics and end every environment."""
    from .magics import unload

    unload(ipython)
