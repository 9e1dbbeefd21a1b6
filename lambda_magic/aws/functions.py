"""Lambda's ``FunctionConfiguration`` read into this package's :class:`Function`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from typing import Any

from ..common import limits
from ..common.errors import LambdaMagicError
from ..runtime.config import FunctionConfig, local_python_runtime
from ..runtime.function import LATEST, Function
from ..runtime.layers import LayerVersion
from ..runtime.package import DeploymentPackage
from ..runtime.preflight import PreflightWarning
from .remote_code import RemoteCode


@dataclass(frozen=True)
class DeployedFunction(RemoteCode, Function):
    """A function as Lambda reports it: ``CodeSha256`` and ``CodeSize`` are AWS's own (the package's
    bytes are known only for what this kernel deployed)."""

    @cached_property
    def deployment_package(self) -> DeploymentPackage:
        """The zip this kernel deployed (another kernel's: download ``GetFunction``'s ``Code.Location``)."""
        if self.package is None:
            raise LambdaMagicError(
                f"{self.name}'s package was not deployed from this kernel: GetFunction's Code.Location has it"
            )
        return self.package

    @cached_property
    def warnings(self) -> tuple[PreflightWarning, ...]:
        """The package's preflight warnings when this kernel deployed it (else none are known)."""
        return super().warnings if self.package is not None else ()


def layer_arns(c: Mapping[str, Any]) -> tuple[str, ...]:
    """A ``FunctionConfiguration``'s ``Layers`` (``[{"Arn": ..., "CodeSize": ...}]``) as their ARNs."""
    return tuple(str(layer["Arn"]) for layer in c.get("Layers") or ())


def _config(c: dict[str, Any]) -> FunctionConfig:
    runtime = c.get("Runtime") or local_python_runtime()
    try:
        return FunctionConfig(
            handler=c.get("Handler") or "lambda_function.lambda_handler",
            memory_mb=c.get("MemorySize", limits.MEMORY_DEFAULT_MB),
            timeout_s=c.get("Timeout", limits.TIMEOUT_DEFAULT_S),
            env=(c.get("Environment") or {}).get("Variables", {}),
            runtime=runtime if runtime in limits.PYTHON_RUNTIMES else local_python_runtime(),
            architecture=(c.get("Architectures") or ["x86_64"])[0],
            description=c.get("Description") or "",
            log_format=(c.get("LoggingConfig") or {}).get("LogFormat", "Text"),
            layers=layer_arns(c),
        )
    except LambdaMagicError:  # a function this package could not have made (another language...)
        return FunctionConfig(handler="lambda_function.lambda_handler")


def modified_time(text: str | None) -> datetime:
    """A ``LastModified``/``CreatedDate`` of Lambda's answers (now when there is none)."""
    if not text:
        return datetime.now(timezone.utc)
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            return datetime.now(timezone.utc)


def from_configuration(
    configuration: dict[str, Any],
    *,
    region: str,
    account_id: str,
    code: str = "",
    package: DeploymentPackage | None = None,
    reserved_concurrency: int | None = None,
    layers: Mapping[str, LayerVersion] | None = None,
) -> DeployedFunction:
    """The :class:`Function` for one ``FunctionConfiguration`` (``GetFunction``, ``ListFunctions``...);
    ``layers``: the layer versions this kernel published, by ARN (``Function.layers`` holds those
    among its ``Layers``; ``config.layers`` has every ARN)."""
    known = layers or {}
    return DeployedFunction(
        name=configuration["FunctionName"],
        code=code,
        config=_config(configuration),
        region=region,
        account_id=account_id,
        last_modified=modified_time(configuration.get("LastModified")),
        version=configuration.get("Version") or LATEST,
        reserved_concurrency=reserved_concurrency,
        package=package,
        layers=tuple(known[arn] for arn in layer_arns(configuration) if arn in known),
        backend="aws",
        remote_sha256=configuration.get("CodeSha256", ""),
        remote_size=int(configuration.get("CodeSize", 0)),
    )
