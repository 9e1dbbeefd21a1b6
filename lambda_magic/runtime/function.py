"""A registered function: its code, configuration and identity (ARN, CodeSha256)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from typing import TYPE_CHECKING

from .config import FunctionConfig

if TYPE_CHECKING:
    from .preflight import PreflightWarning

MODULE_NAME = "lambda_function"
#: Where the code "lives" inside an execution environment, as on Lambda.
TASK_ROOT = "/var/task"
CODE_FILENAME = f"{TASK_ROOT}/{MODULE_NAME}.py"
LATEST = "$LATEST"


def code_sha256(code: str) -> str:
    """Base64 of the SHA-256 of the code, the way Lambda reports ``CodeSha256``."""
    return base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()


@dataclass(frozen=True)
class Function:
    """One version of a function (``$LATEST`` or a published number): immutable.

    Updating ``$LATEST`` makes a new object with a new ``revision``; environments
    of an older revision are never reused.
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

    @property
    def code_sha256(self) -> str:
        return code_sha256(self.code)

    @property
    def code_size(self) -> int:
        """Size of the code in bytes (Lambda reports the size of the package)."""
        return len(self.code.encode())

    @cached_property
    def warnings(self) -> tuple[PreflightWarning, ...]:
        """What the first invoke will answer when it must fail (a syntax error, no handler), read
        from the code at registration; empty when nothing is seen.  Registration still succeeds."""
        from .preflight import check_code

        return check_code(self.code, self.config.handler)

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
