"""Create or update a function on Lambda: only what changed, waiters between steps, retries.

Lambda refuses a change while the previous one is in progress (``ResourceConflictException``),
answers ``InvalidParameterValueException`` ("The role defined for the function cannot be
assumed by Lambda") for seconds after the role was made (IAM propagates), and runs an update
only once ``LastUpdateStatus`` is ``Successful``: hence the waiters and bounded retries.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from ..runtime.package import DeploymentPackage

T = TypeVar("T")
ROLE_NOT_READY = "cannot be assumed by Lambda"
#: What CreateEventSourceMapping answers while a policy just attached to the role propagates.
POLICY_NOT_READY = "execution role does not have permissions"


@dataclass(frozen=True)
class FunctionSettings:
    """What ``CreateFunction``/``UpdateFunctionConfiguration`` set (besides the code)."""

    role: str
    handler: str
    runtime: str
    memory_mb: int
    timeout_s: int
    env: Mapping[str, str] = field(default_factory=dict)
    architecture: str = "x86_64"
    description: str = ""
    log_format: str = "Text"
    #: ``TracingConfig.Mode``: ``Active`` or ``PassThrough``.
    tracing: str = "PassThrough"
    #: ``Layers``: layer version ARNs, in order (an empty list takes a function's layers away).
    layers: tuple[str, ...] = ()

    def configuration(self) -> dict[str, Any]:
        """The ``UpdateFunctionConfiguration`` parameters (without ``FunctionName``)."""
        return {
            "Role": self.role,
            "Handler": self.handler,
            "Runtime": self.runtime,
            "MemorySize": self.memory_mb,
            "Timeout": self.timeout_s,
            "Environment": {"Variables": dict(self.env)},
            "Description": self.description,
            "LoggingConfig": {"LogFormat": self.log_format},
            "TracingConfig": {"Mode": self.tracing},
            "Layers": list(self.layers),
        }

    def differs_from(self, current: Mapping[str, Any]) -> bool:
        """True when ``GetFunction``'s ``Configuration`` is not what these settings set."""
        logging = current.get("LoggingConfig") or {}  # moto leaves it out: no difference then
        return (
            current.get("Role") != self.role
            or current.get("Handler") != self.handler
            or current.get("Runtime") != self.runtime
            or current.get("MemorySize") != self.memory_mb
            or current.get("Timeout") != self.timeout_s
            or (current.get("Environment") or {}).get("Variables", {}) != dict(self.env)
            or (current.get("Description") or "") != self.description
            or logging.get("LogFormat", self.log_format) != self.log_format
            or (current.get("TracingConfig") or {}).get("Mode", "PassThrough") != self.tracing
            or [layer.get("Arn") for layer in current.get("Layers") or ()] != list(self.layers)
        )


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def retrying(
    call: Callable[[], T],
    *,
    attempts: int = 8,
    delay_s: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
    also: tuple[str, ...] = (),
    also_code: str = "InvalidParameterValueException",
) -> T:
    """``call()``, again after a growing pause while Lambda answers a conflict (an update in
    progress) or that the role cannot be assumed yet (IAM propagation; ``also``: other messages
    of an ``also_code`` error that propagation explains), at most ``attempts`` times."""
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except ClientError as exc:
            code, message = _error_code(exc), str(exc)
            transient = (
                code == "ResourceConflictException"
                or (code == "InvalidParameterValueException" and ROLE_NOT_READY in message)
                or (code == also_code and any(m in message for m in also))
            )
            if not transient or attempt == attempts:
                raise
            sleep(delay_s * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass
class Deployment:
    """What one deploy did: ``created``, ``updated`` (which parts) or ``unchanged``."""

    action: str
    configuration: dict[str, Any]
    steps: list[str] = field(default_factory=list)


class Deployer:
    """Deploys packages with one Lambda client (``waiter_delay_s``/``retry_delay_s``: tests use 0)."""

    def __init__(
        self,
        client: Any,
        *,
        waiter_delay_s: float = 1.0,
        retry_delay_s: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.client = client
        self.waiter_delay_s = waiter_delay_s
        self.retry_delay_s = retry_delay_s
        self.sleep = sleep

    def _retry(self, call: Callable[[], T]) -> T:
        return retrying(call, delay_s=self.retry_delay_s, sleep=self.sleep)

    def wait(self, waiter: str, name: str) -> None:
        """Wait with boto3's ``function_active_v2`` or ``function_updated_v2`` waiter."""
        self.client.get_waiter(waiter).wait(
            FunctionName=name, WaiterConfig={"Delay": self.waiter_delay_s, "MaxAttempts": 300}
        )

    def current(self, name: str) -> dict[str, Any] | None:
        """``GetFunction``'s ``Configuration``, or None when there is no such function."""
        try:
            return dict(self.client.get_function(FunctionName=name)["Configuration"])
        except ClientError as exc:
            if _error_code(exc) == "ResourceNotFoundException":
                return None
            raise

    def deploy(self, name: str, package: DeploymentPackage, settings: FunctionSettings) -> Deployment:
        """Create ``name``, or update its code and then its configuration, each only if it changed."""
        current = self.current(name)
        if current is None:
            created = self._retry(
                lambda: self.client.create_function(
                    FunctionName=name,
                    Code={"ZipFile": package.zip_file},
                    Architectures=[settings.architecture],
                    PackageType="Zip",
                    **settings.configuration(),
                )
            )
            self.wait("function_active_v2", name)
            return Deployment("created", dict(created), ["CreateFunction"])
        steps = []
        configuration = current
        if current.get("CodeSha256") != package.code_sha256 or current.get("Architectures", ["x86_64"]) != [
            settings.architecture
        ]:
            self.wait("function_updated_v2", name)  # a change still in progress would conflict
            configuration = self._retry(
                lambda: self.client.update_function_code(
                    FunctionName=name, ZipFile=package.zip_file, Architectures=[settings.architecture]
                )
            )
            steps.append("UpdateFunctionCode")
        if settings.differs_from(current):
            self.wait("function_updated_v2", name)
            configuration = self._retry(
                lambda: self.client.update_function_configuration(FunctionName=name, **settings.configuration())
            )
            steps.append("UpdateFunctionConfiguration")
        if not steps:
            return Deployment("unchanged", current)
        self.wait("function_updated_v2", name)
        return Deployment("updated", dict(configuration), steps)
