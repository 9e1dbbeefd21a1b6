"""A function's configuration and its validation, as Lambda's API validates it."""

from __future__ import annotations

import keyword
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..common import limits
from ..common.errors import InvalidParameterValueException

_FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_ENV_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]+$")
ISOLATIONS = ("process", "inline")
_HANDLER_MAX = 128  # Handler: at most 128 characters


def local_python_runtime() -> str:
    """The Lambda runtime name matching the interpreter that runs the handlers."""
    return f"python{sys.version_info.major}.{sys.version_info.minor}"


@dataclass(frozen=True)
class FunctionConfig:
    """Everything `CreateFunction` would accept, validated on construction."""

    handler: str = "lambda_handler"
    memory_mb: int = limits.MEMORY_DEFAULT_MB
    timeout_s: int = limits.TIMEOUT_DEFAULT_S
    env: Mapping[str, str] = field(default_factory=dict)
    runtime: str = field(default_factory=local_python_runtime)
    architecture: str = "x86_64"
    description: str = ""
    log_format: str = "Text"
    log_level: str | None = None
    isolation: str = "process"
    #: ``Layers``: the layer version ARNs, in the order they are extracted to ``/opt``.
    layers: tuple[str, ...] = ()
    #: CPU in proportion to memory (``on``), or unlimited (``off``); None: the account's setting.
    cpu_share: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "env", dict(self.env or {}))
        object.__setattr__(self, "layers", tuple(self.layers or ()))
        _check_handler(self.handler)
        _check_int("memory", self.memory_mb, limits.MEMORY_MIN_MB, limits.MEMORY_MAX_MB, "MB")
        _check_int("timeout", self.timeout_s, limits.TIMEOUT_MIN_S, limits.TIMEOUT_MAX_S, "seconds")
        _check_env(self.env)
        _check_choice("runtime", self.runtime, limits.PYTHON_RUNTIMES)
        _check_choice("architecture", self.architecture, limits.ARCHITECTURES)
        _check_choice("log format", self.log_format, limits.LOG_FORMATS)
        _check_choice("isolation", self.isolation, ISOLATIONS)
        if self.cpu_share is not None:
            _check_choice("cpu share", self.cpu_share, ("on", "off"))
        if len(self.description) > limits.DESCRIPTION_MAX:
            raise InvalidParameterValueException(
                f"description is {len(self.description)} characters; Lambda allows at most {limits.DESCRIPTION_MAX}"
            )
        if self.log_level is not None:
            level = self.log_level.upper()
            _check_choice("log level", level, limits.APPLICATION_LOG_LEVELS)
            if self.log_format != "JSON":
                raise InvalidParameterValueException(
                    "a log level needs the JSON log format (Lambda filters levels only in JSON): add --log-format JSON"
                )
            object.__setattr__(self, "log_level", level)

    @property
    def handler_setting(self) -> str:
        """The handler as Lambda's configuration shows it: ``module.function`` (a bare name is
        a function of the cell, module ``lambda_function``)."""
        return self.handler if "." in self.handler else f"lambda_function.{self.handler}"

    @property
    def handler_module(self) -> str:
        """The module the runtime imports (``pkg/mod.fn`` and ``pkg.mod.fn`` both give ``pkg.mod``)."""
        return self.handler_setting.rpartition(".")[0].replace("/", ".")

    @property
    def handler_function(self) -> str:
        return self.handler_setting.rpartition(".")[2]


def check_function_name(name: str) -> str:
    """Return ``name`` if Lambda accepts it as a function name, else raise."""
    if not isinstance(name, str) or not _FUNCTION_NAME.match(name):
        raise InvalidParameterValueException(f"invalid function name {name!r}: use 1-64 letters, digits, '-' or '_'")
    return name


def _check_handler(handler: str) -> None:
    if not isinstance(handler, str) or len(handler) > _HANDLER_MAX:
        raise InvalidParameterValueException(f"handler {handler!r} is too long: Lambda allows at most 128 characters")
    module, dot, func = handler.rpartition(".")
    if dot and not all(part.isidentifier() for part in module.replace("/", ".").split(".")):
        raise InvalidParameterValueException(
            f"handler {handler!r}: the module part must be a Python module path such as 'app' or 'pkg.mod'"
        )
    if not func.isidentifier() or keyword.iskeyword(func):
        raise InvalidParameterValueException(
            f"handler {handler!r} is not a valid Python identifier; name a function defined in the cell"
        )


def _check_int(what: str, value: object, low: int, high: int, unit: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameterValueException(f"{what} must be a whole number of {unit}, got {value!r}")
    if not low <= value <= high:
        raise InvalidParameterValueException(f"{what} {value} is out of range: Lambda allows {low}-{high} {unit}")


def _check_choice(what: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise InvalidParameterValueException(f"{what} {value!r} is not supported; choose one of {', '.join(choices)}")


def _check_env(env: Mapping[str, str]) -> None:
    total = 0
    for key, value in env.items():
        if not isinstance(key, str) or not _ENV_KEY.match(key):
            raise InvalidParameterValueException(
                f"environment variable name {key!r} is invalid: start with a letter, use letters, digits and '_', "
                "at least 2 characters"
            )
        if key in limits.RESERVED_ENVIRONMENT_VARIABLES:
            raise InvalidParameterValueException(
                f"environment variable {key} is reserved by Lambda and cannot be set; choose another name"
            )
        if not isinstance(value, str):
            raise InvalidParameterValueException(f"environment variable {key} must be a string, got {value!r}")
        total += len(key.encode()) + len(value.encode())
    if total > limits.ENVIRONMENT_MAX_BYTES:
        raise InvalidParameterValueException(
            f"environment variables total {total} bytes; "
            f"Lambda allows at most 4 KB ({limits.ENVIRONMENT_MAX_BYTES} bytes)"
        )
