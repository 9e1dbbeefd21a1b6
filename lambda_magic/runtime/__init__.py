"""The core: functions, execution environments, invocations, logs and billing.

Pure Python: nothing here imports IPython, pandas, ipywidgets or matplotlib.
"""

from ..common.errors import (
    EnvironmentStartError,
    InvalidParameterValueException,
    InvalidRequestContentException,
    LambdaMagicError,
    RequestTooLargeException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from .account import LocalAccount
from .concurrency import TooManyRequestsException
from .function import Function
from .invocation import Invocation
from .settings import AccountSettings

__all__ = [
    "AccountSettings",
    "EnvironmentStartError",
    "Function",
    "InvalidParameterValueException",
    "InvalidRequestContentException",
    "Invocation",
    "LambdaMagicError",
    "LocalAccount",
    "RequestTooLargeException",
    "ResourceConflictException",
    "ResourceNotFoundException",
    "TooManyRequestsException",
]
