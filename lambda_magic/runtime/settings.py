"""The local account's settings: identity, defaults for new functions, housekeeping."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..common import limits
from ..common.errors import InvalidParameterValueException
from .retention import check_retention

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


@dataclass
class AccountSettings:
    """Mutable settings; ``validate()`` is called whenever they change."""

    region: str = "us-east-1"
    account_id: str = "123456789012"
    memory_mb: int = limits.MEMORY_DEFAULT_MB
    timeout_s: int = limits.TIMEOUT_DEFAULT_S
    isolation: str = "process"
    #: Idle execution environments are reaped after this many seconds.
    idle_timeout_s: float = 600.0
    #: Log output kept per invocation; the rest is counted, not kept.
    max_log_bytes: int = 1024 * 1024
    #: Threads that run ``Event`` invocations in the background (at most this many at once).
    async_workers: int = 16
    #: The account's concurrency limit (AWS's default quota is 1,000).
    account_concurrency: int = 1000
    #: The account clock: auto (skips idle waits), real, scaled or manual.
    clock_mode: str = "auto"
    clock_scale: float = 60.0
    #: Another AWS-compatible endpoint to use instead of the embedded moto server.
    cloud_endpoint: str | None = None
    #: Invocation records kept in full detail (``lm.invocations()``): the most recent ones;
    #: older ones are dropped and counted (memory is freed in batches, so up to a sixteenth
    #: more may be held a while).  ``None`` keeps every one, and memory grows (~2 KB each).
    #: Metrics and the async books stay exact whatever this is.
    retained_invocations: int | None = 10_000
    #: Log events kept (``lm.logs()``), like a CloudWatch log group's retention, by count.
    retained_log_events: int | None = 100_000
    #: CPU in proportion to memory, as on Lambda (``on``; see ``cpu_share``), or unlimited (``off``).
    cpu_share: str = "on"

    def validate(self) -> None:
        if not _REGION.match(self.region):
            raise InvalidParameterValueException(f"region {self.region!r} is not a region name like 'us-east-1'")
        if not re.fullmatch(r"\d{12}", self.account_id):
            raise InvalidParameterValueException(f"account id {self.account_id!r} must be 12 digits")
        if not limits.MEMORY_MIN_MB <= self.memory_mb <= limits.MEMORY_MAX_MB:
            raise InvalidParameterValueException(
                f"memory {self.memory_mb} is out of range: "
                f"Lambda allows {limits.MEMORY_MIN_MB}-{limits.MEMORY_MAX_MB} MB"
            )
        if not limits.TIMEOUT_MIN_S <= self.timeout_s <= limits.TIMEOUT_MAX_S:
            raise InvalidParameterValueException(
                f"timeout {self.timeout_s} is out of range: "
                f"Lambda allows {limits.TIMEOUT_MIN_S}-{limits.TIMEOUT_MAX_S} seconds"
            )
        if self.idle_timeout_s <= 0:
            raise InvalidParameterValueException("idle timeout must be a positive number of seconds")
        if self.account_concurrency < 100:
            raise InvalidParameterValueException(
                "account concurrency must be at least 100 (100 always stay unreserved)"
            )
        if self.async_workers < 1:
            raise InvalidParameterValueException("async_workers must be at least 1")
        if self.clock_mode not in ("auto", "real", "scaled", "manual"):
            raise InvalidParameterValueException(f"clock mode {self.clock_mode!r}: choose auto, real, scaled or manual")
        if not self.clock_scale > 0:
            raise InvalidParameterValueException("the clock scale must be a positive factor, e.g. 60")
        check_retention("retained_invocations", self.retained_invocations)
        check_retention("retained_log_events", self.retained_log_events)
        if self.cpu_share not in ("on", "off"):
            raise InvalidParameterValueException(f"cpu_share {self.cpu_share!r}: choose on or off")
        if self.isolation not in ("process", "inline"):
            raise InvalidParameterValueException(f"isolation {self.isolation!r}: choose process or inline")

    def credentials(self) -> dict[str, str]:
        """Dummy credentials of the execution role, as Lambda sets them."""
        return {
            "AWS_ACCESS_KEY_ID": "ASIALAMBDAMAGICLOCAL",
            "AWS_SECRET_ACCESS_KEY": "lambda-magic-local-secret-access-key",
            "AWS_SESSION_TOKEN": "lambda-magic-local-session-token",
        }
