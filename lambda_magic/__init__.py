"""lambda_magic: AWS Lambda you can see and touch in Jupyter.

``%load_ext lambda_magic`` for the magics, or ``import lambda_magic as lm``.
"""

from __future__ import annotations

from typing import Any

from . import alexa, cloudformation, codepipeline

# The ``endpoints`` subpackage is imported first (it is light), so that the name
# ``lambda_magic.endpoints`` stays the public function ``endpoints()`` bound below: a first
# import of a subpackage later would rebind the package attribute to the module.
# ``from lambda_magic.endpoints import LambdaAPI`` works either way.
from . import endpoints as _endpoints_package  # noqa: F401
from .api import (
    account,
    add_trigger,
    builder,
    client,
    clock,
    cloud,
    configure_async,
    create_alias,
    delete,
    endpoints,
    event,
    flow,
    functions,
    insights,
    invocations,
    invoke,
    invoke_many,
    logs,
    metrics,
    package,
    publish_layer_version,
    publish_version,
    put_function_concurrency,
    put_provisioned_concurrency,
    queue,
    register,
    reset,
    resource,
    templates,
    timeline,
    wait,
)
from .api_export import export
from .api_gateway import api_url, api_view, apis, http_api, rest_api
from .api_mappings import (
    create_event_source_mapping,
    delete_event_source_mapping,
    enable_event_source_mapping,
    event_source_mappings,
    triggers,
)
from .backends import backend, use_backend
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
from .debugging import debug, debugger_commands
from .runtime.concurrency import TooManyRequestsException
from .runtime.function import Function
from .runtime.invocation import Invocation
from .tracing import trace, traces
from .tuning import power_tune

__version__ = "0.1.0"

__all__ = [
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
    "TooManyRequestsException",
    "account",
    "add_trigger",
    "alexa",
    "api_url",
    "api_view",
    "apis",
    "backend",
    "builder",
    "client",
    "clock",
    "cloud",
    "cloudformation",
    "codepipeline",
    "configure_async",
    "create_alias",
    "create_event_source_mapping",
    "debug",
    "debugger_commands",
    "delete",
    "delete_event_source_mapping",
    "enable_event_source_mapping",
    "endpoints",
    "event",
    "event_source_mappings",
    "export",
    "flow",
    "functions",
    "http_api",
    "insights",
    "invocations",
    "invoke",
    "invoke_many",
    "load_ipython_extension",
    "logs",
    "metrics",
    "package",
    "power_tune",
    "publish_layer_version",
    "publish_version",
    "put_function_concurrency",
    "put_provisioned_concurrency",
    "queue",
    "register",
    "reset",
    "resource",
    "rest_api",
    "templates",
    "timeline",
    "trace",
    "traces",
    "triggers",
    "unload_ipython_extension",
    "use_backend",
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
