"""Concurrency: the account limit, reserved concurrency, the scaling rate and the
request-rate limit, enforced the way Lambda throttles (429 TooManyRequestsException).

* Concurrency is the number of invocations in flight.  A function with reserved
  concurrency N may have at most N; the others share what is left of the account
  limit (at least 100 always stays unreserved).
* Each environment serves at most 10 synchronous requests per second, so a
  function's request rate is at most 10 x its concurrency limit.
* Each function may add at most 1,000 new environments every 10 seconds (refilled
  continuously).
All rates run on the account clock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from .clock import AccountClock
from ..common.errors import InvalidParameterValueException

UNRESERVED_MINIMUM = 100
SCALING_BURST = 1000
SCALING_REFILL_PER_S = 100.0  # 1,000 every 10 s
REQUESTS_PER_ENVIRONMENT_PER_S = 10


class TooManyRequestsException(Exception):
    """A throttled invocation (HTTP 429), with AWS's ``Reason`` and ``retryAfterSeconds``."""

    status_code = 429

    def __init__(self, reason: str, retry_after_seconds: int, function_name: str = ""):
        super().__init__(
            f"Rate Exceeded. ({reason}{' for ' + function_name if function_name else ''}; "
            f"retry after {retry_after_seconds} s)"
        )
        self.reason = reason
        self.retry_after_seconds = retry_after_seconds
        self.function_name = function_name
        #: The throttle as recorded among the account's invocations (set by the invoker).
        self.invocation: Any = None


@dataclass
class _Bucket:
    """A token bucket on the account clock."""

    capacity: float
    refill_per_s: float
    tokens: float
    updated: float

    def take(self, now: float) -> bool:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.refill_per_s)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class ConcurrencyGovernor:
    """Counts invocations in flight and decides who is throttled (thread-safe)."""

    def __init__(self, clock: AccountClock, account_limit: int = 1000):
        self._clock = clock
        self.account_limit = account_limit
        self._lock = threading.Lock()
        self._in_flight: dict[str, int] = {}
        self._reserved: dict[str, int] = {}
        self._unreserved_in_flight = 0
        self._unreserved_of: dict[str, int] = {}
        self._scaling: dict[str, _Bucket] = {}
        self._rates: dict[str, _Bucket] = {}
        #: Peak concurrency seen per function and for the account (for metrics).
        self.peak: dict[str, int] = {}

    # --- configuration ---------------------------------------------------------------------------

    def check_reserved(self, name: str, value: int | None) -> None:
        """Refuse a reserved concurrency the account cannot give (AWS's rule)."""
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidParameterValueException(f"reserved concurrency must be a whole number >= 0, got {value!r}")
        with self._lock:
            others = sum(v for k, v in self._reserved.items() if k != name)
        available = self.account_limit - UNRESERVED_MINIMUM - others
        if value > available:
            raise InvalidParameterValueException(
                f"reserved concurrency {value} for {name} leaves less than {UNRESERVED_MINIMUM} unreserved: "
                f"at most {available} can be reserved (account limit {self.account_limit})"
            )

    def set_reserved(self, name: str, value: int | None) -> None:
        with self._lock:
            if value is None:
                self._reserved.pop(name, None)
            else:
                self._reserved[name] = value
            self._rates.pop(name, None)

    def set_account_limit(self, limit: int) -> None:
        with self._lock:
            reserved = sum(self._reserved.values())
            if limit < reserved + UNRESERVED_MINIMUM:
                raise InvalidParameterValueException(
                    f"account concurrency {limit} is below reserved ({reserved}) + {UNRESERVED_MINIMUM} unreserved"
                )
            self.account_limit = limit
            self._rates.clear()

    def reserved(self, name: str) -> int | None:
        return self._reserved.get(name)

    # --- admission -------------------------------------------------------------------------------

    def acquire(self, name: str, *, synchronous: bool, new_environment: bool) -> None:
        """Admit one invocation of ``name`` or raise TooManyRequestsException."""
        now = self._clock.time()
        with self._lock:
            reserved = self._reserved.get(name)
            in_flight = self._in_flight.get(name, 0)
            if reserved is not None:
                if in_flight >= reserved:
                    raise TooManyRequestsException("ReservedFunctionConcurrentInvocationLimitExceeded", 1, name)
                limit = reserved
            else:
                limit = self.account_limit - sum(self._reserved.values())
                if self._unreserved_in_flight >= limit:
                    raise TooManyRequestsException("ConcurrentInvocationLimitExceeded", 1, name)
            if synchronous:
                rate = self._rates.get(name)
                if rate is None:
                    capacity = REQUESTS_PER_ENVIRONMENT_PER_S * max(limit, 0)
                    rate = self._rates[name] = _Bucket(capacity, capacity, capacity, now)
                if not rate.take(now):
                    reason = (
                        "ReservedFunctionInvocationRateLimitExceeded"
                        if reserved is not None
                        else "FunctionInvocationRateLimitExceeded"
                    )
                    raise TooManyRequestsException(reason, 1, name)
            if new_environment:
                scaling = self._scaling.get(name)
                if scaling is None:
                    scaling = self._scaling[name] = _Bucket(SCALING_BURST, SCALING_REFILL_PER_S, SCALING_BURST, now)
                if not scaling.take(now):
                    raise TooManyRequestsException("FunctionInvocationRateLimitExceeded", 10, name)
            self._in_flight[name] = in_flight + 1
            if reserved is None:
                self._unreserved_in_flight += 1
                self._unreserved_of[name] = self._unreserved_of.get(name, 0) + 1
            if in_flight + 1 > self.peak.get(name, 0):
                self.peak[name] = in_flight + 1

    def release(self, name: str) -> None:
        with self._lock:
            self._in_flight[name] -= 1
            if self._unreserved_of.get(name, 0) > 0:  # it was admitted from the unreserved pool
                self._unreserved_of[name] -= 1
                self._unreserved_in_flight -= 1

    def in_flight(self, name: str | None = None) -> int:
        with self._lock:
            return sum(self._in_flight.values()) if name is None else self._in_flight.get(name, 0)

    def available(self, name: str) -> int:
        """How many more invocations of ``name`` could start now (concurrency only)."""
        with self._lock:
            reserved = self._reserved.get(name)
            if reserved is not None:
                return reserved - self._in_flight.get(name, 0)
            return self.account_limit - sum(self._reserved.values()) - self._unreserved_in_flight

    def reset(self) -> None:
        with self._lock:
            self._in_flight.clear()
            self._reserved.clear()
            self._unreserved_in_flight = 0
            self._unreserved_of.clear()
            self._scaling.clear()
            self._rates.clear()
            self.peak.clear()
