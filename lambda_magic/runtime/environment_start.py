"""Starting execution environments for the invoke path: a new environment for a function,
its init phase on a cold start (and the "suppressed init" retried inside the invoke), and
provisioned concurrency's environments, initialised ahead of any invocation.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..common import limits
from ..common.errors import EnvironmentStartError
from . import platform_lines
from .cpu_share import CpuShare, unlimited
from .debugger_console import KernelDebugger
from .environment import (
    Event,
    InitResult,
    InvokeResult,
    ProcessEnvironment,
    Sandbox,
    environment_access_key,
    environment_variables,
)
from .function import Function
from .inline_environment import InlineEnvironment
from .package import PackageCache

if TYPE_CHECKING:
    from .account import LocalAccount

#: Stores an environment's log events: (function name, log stream, request id or None, events).
LogWriter = Callable[[str, str, str | None, list[Event]], None]


@dataclass
class Ready:
    """An environment ready for the invoke phase (or the failure that stops it)."""

    env: Any
    init_ms: float | None
    failure: InvokeResult | None
    dropped: int
    invoke_started: float  # perf_counter
    invoke_started_at: float  # epoch seconds
    suppressed: bool


@dataclass
class InFlight:
    """The environment an invocation is using, known as soon as it exists (for an interrupt)."""

    env: Any
    invoke_started: float  # perf_counter


class EnvironmentStarter:
    """Makes the execution environments of one account (thread-safe)."""

    def __init__(self, account: LocalAccount, log: LogWriter):
        self._account = account
        self._log = log
        self._env_ids = itertools.count(1)
        self._inline_lock = threading.Lock()

    def new(self, function: Function, sandbox: Sandbox | None = None, initialization_type: str = "on-demand") -> Any:
        """A new environment of ``function`` (busy in the pool; its init not yet run)."""
        account = self._account
        config = function.config
        settings = account.settings
        spec = {
            **account.extension("packages", PackageCache).roots(function),  # task_root, opt_root, python_version
            "handler": config.handler_setting,
            "memory_mb": config.memory_mb,
            "json_logs": config.log_format == "JSON",
            "log_level": config.log_level,
            "ensure_ascii": _runtime_version(config.runtime) < (3, 12),
            "max_log_bytes": settings.max_log_bytes,
            "environment": environment_variables(
                function, "", initialization_type, settings.credentials(), account.endpoints.environment()
            ),  # every SDK call stays local
        }
        if account.shutting_down:  # the attempt's environment was ended by shutdown(): it fails, nothing restarts
            raise EnvironmentStartError("the account is shutting down: no execution environment can start")
        env_id = f"env-{next(self._env_ids)}"
        # Its own dummy access key id: the account's Lambda API tells the calling environment by it.
        spec["environment"]["AWS_ACCESS_KEY_ID"] = environment_access_key(env_id)
        env: InlineEnvironment | ProcessEnvironment
        if config.isolation == "inline":
            env = InlineEnvironment(env_id, function, spec, initialization_type, self._inline_lock)
        else:
            env = ProcessEnvironment(
                env_id, function, account.template(), spec, initialization_type, sandbox, cpu=self._cpu_share(function)
            )
        env.debugger = account.extension("debugger", KernelDebugger)  # breakpoint() in the handler
        account.pool.add_busy(env)
        return env

    def _cpu_share(self, function: Function) -> Callable[[int, str], CpuShare]:
        """How a new environment of ``function`` gets its CPU share (the function's setting, else the account's)."""
        setting = function.config.cpu_share or self._account.settings.cpu_share
        if setting == "off":
            return lambda pid, env_id: unlimited("cpu_share is off")
        limiter = self._account.cpu_limiter()
        memory_mb = function.config.memory_mb
        return lambda pid, env_id: limiter.attach(pid, env_id, memory_mb)

    def cold_start(
        self, function: Function, request_id: str, init_events: list[Event], events: list[Event], inflight: InFlight
    ) -> Ready:
        """Start an environment and run its init.

        A fresh environment runs INIT_START and the init phase (up to 10 s, not
        counted in the function timeout).  If that fails, or if the function has an
        environment waiting for its reset (after a timeout or crash), the init is
        "suppressed": it runs again inside the invoke, under the function timeout,
        and its time is part of Duration.
        """
        account = self._account
        config = function.config
        dropped = 0
        sandbox = account.pool.take_reset((function.name, function.version, False), function.revision)
        if sandbox is None:
            env = inflight.env = self.new(function)
            init_events.append((time.time() * 1000, "SYSTEM", platform_lines.init_start(function)))
            init = env.initialize(limits.INIT_TIMEOUT_S)
            init_events.extend(init.events)
            dropped += init.dropped_bytes
            if init.status == "success":
                inflight.invoke_started = time.perf_counter()
                return Ready(env, init.init_ms, None, dropped, inflight.invoke_started, time.time(), False)
            init_events.append((time.time() * 1000, "SYSTEM", platform_lines.init_report(config, init, "init")))
            account.pool.forget(env)
            env.shutdown(keep_sandbox=True)
            sandbox = env.sandbox() if isinstance(env, ProcessEnvironment) else None
        env = inflight.env = self.new(function, sandbox)
        invoke_started, invoke_started_at = time.perf_counter(), time.time()
        inflight.invoke_started = invoke_started
        events.append((invoke_started_at * 1000, "SYSTEM", platform_lines.start(config, request_id, function.version)))
        init = env.initialize(config.timeout_s)
        events.extend(init.events)
        dropped += init.dropped_bytes
        failure = None
        if init.status != "success":
            events.append((time.time() * 1000, "SYSTEM", platform_lines.init_report(config, init, "invoke")))
            failure = _failed_init(init, invoke_started)
        return Ready(env, None, failure, dropped, invoke_started, invoke_started_at, True)

    def provision(self, function: Function, count: int) -> list[str]:
        """Start ``count`` provisioned-concurrency environments for a published version
        (init now, logged with INIT_REPORT); returns the error types of failed inits."""
        account = self._account
        failures = []
        for _ in range(count):
            env = self.new(function, initialization_type="provisioned-concurrency")
            events: list[Event] = [
                (time.time() * 1000, "SYSTEM", platform_lines.init_start(function, "provisioned-concurrency"))
            ]
            init = env.initialize(max(130.0, function.config.timeout_s))
            events.extend(init.events)
            events.append(
                (
                    time.time() * 1000,
                    "SYSTEM",
                    platform_lines.init_report(function.config, init, "init", "provisioned-concurrency"),
                )
            )
            self._log(function.name, env.log_stream_name, None, events)
            if init.status == "success":
                account.pool.give_back(env, function.revision)
            else:
                failures.append(init.error.get("errorType") if init.error else "Sandbox.Timedout")
                account.pool.give_back(env, None)
        return failures


def _failed_init(init: InitResult, started: float) -> InvokeResult:
    elapsed = (time.perf_counter() - started) * 1000
    if init.status == "timeout":
        return InvokeResult("timeout", elapsed, max_memory_mb=init.max_memory_mb)
    return InvokeResult("error", elapsed, error=init.error, log_error=False, max_memory_mb=init.max_memory_mb)


def _runtime_version(runtime: str) -> tuple[int, ...]:
    return tuple(int(part) for part in runtime.removeprefix("python").split("."))
