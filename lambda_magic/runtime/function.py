"""A registered function: its code, configuration and identity (ARN, CodeSha256)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from typing import TYPE_CHECKING

from .config import FunctionConfig
from .package import DeploymentPackage

if TYPE_CHECKING:
    from .layers import LayerVersion
    from .preflight import PreflightWarning

MODULE_NAME = "lambda_function"
#: Where the code "lives" inside an execution environment, as on Lambda.
TASK_ROOT = "/var/task"
CODE_FILENAME = f"{TASK_ROOT}/{MODULE_NAME}.py"
#: Where Lambda extracts the function's layers.
OPT_ROOT = "/opt"
LATEST = "$LATEST"


def code_sha256(zip_file: bytes) -> str:
    """Base64 of the SHA-256 of a deployment package's bytes, the way Lambda reports ``CodeSha256``."""
    return base64.b64encode(hashlib.sha256(zip_file).digest()).decode()


@dataclass(frozen=True)
class Function:
    """One version of a function (``$LATEST`` or a published number): immutable.

    Updating ``$LATEST`` makes a new object with a new ``revision``; environments
    of an older revision are never reused.  ``code`` is the cell's source (a
    function registered from a zip or folder: its handler module's source, when the
    package holds it); ``package`` is the deployment package (for a cell: a zip
    holding ``lambda_function.py``, built from ``code``).
    """

    name: str
    code: str
    config: FunctionConfig
    region: str
    account_id: str
    revision: int = 1
    last_modified: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    version: str = LATEST
    #: Reserved concurrency of the function (None: it uses the unreserved pool).
    reserved_concurrency: int | None = None
    package: DeploymentPackage | None = None
    #: The layer versions named in ``config.layers``, as they were when the function was registered.
    layers: tuple[LayerVersion, ...] = ()
    #: Where the function lives: ``local`` (this account's emulator) or ``aws`` (``lm.use_backend``).
    backend: str = "local"

    @property
    def arn(self) -> str:
        """The unqualified function ARN."""
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.name}"

    def qualified_arn(self, qualifier: str | None) -> str:
        """The ARN the caller used: unqualified, or ending in ``:qualifier``."""
        return self.arn if qualifier is None else f"{self.arn}:{qualifier}"

    @property
    def version_arn(self) -> str:
        """The ARN qualified with this version (how invocation records name it)."""
        return f"{self.arn}:{self.version}"

    @cached_property
    def deployment_package(self) -> DeploymentPackage:
        """The zip Lambda would store (``GetFunction``'s ``Code.Location`` serves these bytes)."""
        return self.package if self.package is not None else DeploymentPackage.from_cell(self.code)

    @property
    def code_sha256(self) -> str:
        """``CodeSha256``: base64 of the SHA-256 of the deployment package's bytes."""
        return self.deployment_package.code_sha256

    @property
    def code_size(self) -> int:
        """``CodeSize``: the deployment package's size in bytes."""
        return self.deployment_package.code_size

    @cached_property
    def warnings(self) -> tuple[PreflightWarning, ...]:
        """What the first invoke will answer when it must fail (a syntax error, no handler, no
        module), read from the package at registration; empty when nothing is seen.  Registration
        still succeeds."""
        from .preflight import check_code, missing_module

        c = self.config
        module = c.handler_module
        found = self.deployment_package.module_source(module)
        if found is None:
            if self.layers or self.config.layers or self.deployment_package.has_module(module):
                return ()  # a layer, bytecode or a namespace package may provide it
            return (missing_module(module),)
        path, source = found
        return check_code(source, c.handler_function, module=module, filename=f"{TASK_ROOT}/{path}")

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.name}"

    def __repr__(self) -> str:
        c = self.config
        return (
            f"Function {self.name} ({c.runtime}, {c.architecture}, handler {c.handler_setting}, "
            f"{c.memory_mb} MB, timeout {c.timeout_s} s, isolation {c.isolation})\n"
            f"  {self.arn}\n  CodeSha256 {self.code_sha256}, {self.code_size} bytes"
        ) + "".join(f"\n  Warning: {warning}" for warning in self.warnings)
