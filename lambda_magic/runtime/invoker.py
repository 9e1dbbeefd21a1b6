"""The Lambda service's invoke path for one request on one function.

Take a warm environment or start one (INIT_START, init phase, and on failure the
"suppressed init" retried inside the invoke), run the invoke phase under the
deadline, and turn what happened into an :class:`Invocation` with Lambda's
platform log lines, billing and error documents.
"""

from __future__ import annotations

import itertools
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..common import limits
from ..common.errors import EnvironmentStartError, InvocationInterrupted
from . import logformat, platform_lines
from .billing import billed_duration_ms
from .concurrency import TooManyRequestsException
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
from .invocation import Invocation
from .package import PackageCache
from .xray import TraceContext, report_tracing, report_xray_line, xray

if TYPE_CHECKING:
    from .account import LocalAccount

_PRINT_FILTERED_LEVELS = ("WARN", "ERROR", "FATAL")


@dataclass
class _Ready:
    """An environment ready for the invoke phase (or the failure that stops it)."""

    env: Any
    init_ms: float | None
    failure: InvokeResult | None
    dropped: int
    invoke_started: float  # perf_counter
    invoke_started_at: float  # epoch seconds
    suppressed: bool


@dataclass
class _InFlight:
    """The environment an invocation is using, known as soon as it exists (for an interrupt)."""

    env: Any
    invoke_started: float  # perf_counter


class Invoker:
    """Runs invocations for one account (thread-safe: one environment per call)."""

    def __init__(self, account: LocalAccount):
        self._account = account
        self._env_ids = itertools.count(1)
        #: Request and trace ids need uniqueness, not secrecy: a generator seeded once from the OS.
        self._random = random.Random(os.urandom(32))
        self._inline_lock = threading.Lock()

    # --- environments ------------------------------------------------------------------------

    def _new_environment(
        self, function: Function, sandbox: Sandbox | None = None, initialization_type: str = "on-demand"
    ) -> Any:
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

    # --- one invocation ----------------------------------------------------------------------

    def invoke(
        self,
        function: Function,
        payload: bytes,
        *,
        event: Any,
        invocation_type: str,
        qualifier: str | None,
        client_context: dict[str, Any] | None,
        identity: dict[str, Any] | None = None,
        trigger: str = "direct",
        request_id: str | None = None,
        attempt: int | None = None,
        caller_request_id: str | None = None,
        trace_header: str | None = None,
    ) -> Invocation:
        """Run one invocation of ``function`` (a resolved version).

        Raises TooManyRequestsException when throttled (recorded as a throttle).
        """
        account = self._account
        entropy = self._random.getrandbits(288).to_bytes(36, "little")
        request_id = request_id or _request_id(entropy[:16])
        # the chain of requests: raises RecursiveInvocationException for the 17th time around a loop
        account.lineage.admit(
            function.name, request_id, caller_request_id, trigger=trigger, invocation_type=invocation_type
        )
        started_at = time.time()
        env = None
        if account.has_provisioned(function.name, function.version):
            env = account.pool.take((function.name, function.version, True), function.revision)
        if env is None:
            env = account.pool.take((function.name, function.version, False), function.revision)
        scheduler = account.scheduler
        scheduler.add_activity()  # before it counts as in flight: lm.wait() waits for it from then on
        try:
            account.governor.acquire(
                function.name, synchronous=invocation_type == "RequestResponse", new_environment=env is None
            )
        except TooManyRequestsException as exc:
            try:
                if env is not None:
                    account.pool.give_back(env, function.revision)
                exc.invocation = self._throttled(
                    function, request_id, invocation_type, started_at, event, trigger, attempt, exc
                )
                exc.invocation.caller_request_id = caller_request_id
                exc.invocation.qualifier = qualifier
                account.record(exc.invocation)
            finally:
                scheduler.done_activity()  # once the throttle is on record
            raise
        # (the activity added above: the auto clock does not skip time while an invocation runs)
        account.metrics.enter(function.name)  # ConcurrentExecutions
        try:
            return self._run(
                function,
                env,
                payload,
                entropy,
                request_id,
                started_at,
                event=event,
                invocation_type=invocation_type,
                qualifier=qualifier,
                client_context=client_context,
                identity=identity,
                trigger=trigger,
                attempt=attempt,
                caller=caller_request_id,
                trace_header=trace_header,
            )
        finally:
            account.metrics.leave(function.name)
            scheduler.done_activity()
            account.governor.release(function.name)

    def _run(
        self,
        function: Function,
        env: Any,
        payload: bytes,
        entropy: bytes,
        request_id: str,
        started_at: float,
        *,
        event: Any,
        invocation_type: str,
        qualifier: str | None,
        client_context: dict[str, Any] | None,
        identity: dict[str, Any] | None,
        trigger: str,
        attempt: int | None,
        caller: str | None = None,
        trace_header: str | None = None,
    ) -> Invocation:
        account = self._account
        config = function.config
        init_events: list[Event] = []
        events: list[Event] = []
        cold = env is None
        inflight = _InFlight(env, time.perf_counter())
        trace = xray(account).begin(function, request_id, caller, started_at, entropy[16:], trace_header)  # X-Ray
        returned_at = None
        try:
            if cold:
                ready = self._cold_start(function, request_id, init_events, events, inflight)
                env = ready.env
            else:
                ready = _Ready(env, None, None, 0, time.perf_counter(), started_at, False)
            if not ready.suppressed:  # (a suppressed init wrote START before it)
                events.append(
                    (
                        ready.invoke_started_at * 1000,
                        "SYSTEM",
                        platform_lines.start(config, request_id, function.version),
                    )
                )
            result = ready.failure
            if result is None:
                request = (
                    request_id,
                    payload,
                    int(ready.invoke_started_at * 1000) + config.timeout_s * 1000,  # the deadline, epoch ms
                    function.qualified_arn(qualifier),
                    client_context,
                    identity,
                    trace.header,
                )
                env.request_id = request_id  # who is calling, for calls the handler makes to the Lambda API
                try:
                    result = env.invoke(request, config.timeout_s - (time.perf_counter() - ready.invoke_started))
                finally:
                    env.request_id = None
                returned_at = time.time()  # X-Ray: the Invocation subsegment ends here
                if ready.suppressed:  # the init ran inside the invoke: its time is part of Duration
                    result.duration_ms = (time.perf_counter() - ready.invoke_started) * 1000
            events.extend(result.events)
            dropped = ready.dropped + result.dropped_bytes
            if config.log_format == "JSON" and config.log_level in _PRINT_FILTERED_LEVELS:
                events = [e for e in events if e[1] is not None]  # print lines count as INFO
                init_events[:] = [e for e in init_events if e[1] is not None]
            if dropped:
                events.append(
                    (
                        time.time() * 1000,
                        "SYSTEM",
                        f"[lambda_magic] {dropped} bytes of log output were not "
                        f"kept (limit {account.settings.max_log_bytes} bytes per invocation)",
                    )
                )
            invocation = self._finish(
                function,
                env,
                request_id,
                cold,
                ready.init_ms,
                result,
                started_at,
                invocation_type,
                event,
                trigger,
                init_events,
                events,
                attempt,
                caller,
                trace,
                qualifier,
            )
            if trace.sampled:  # X-Ray: Lambda's segments, and what the handler's SDK sent
                xray(account).finish(trace, function, invocation, started_at, ready.invoke_started_at, returned_at)
        except KeyboardInterrupt:  # Kernel > Interrupt: stop the environment, record what happened so far
            try:
                interrupted = self._interrupted(
                    function,
                    inflight,
                    request_id,
                    cold,
                    started_at,
                    invocation_type,
                    event,
                    trigger,
                    init_events,
                    events,
                    attempt,
                )
            finally:
                if inflight.env is not None:
                    account.pool.give_back(inflight.env, None)
            raise InvocationInterrupted(interrupted) from None
        except BaseException:  # the machinery failed: end the environment, keep nothing running
            if inflight.env is not None:
                account.pool.give_back(inflight.env, None)
            raise
        account.pool.give_back(env, account.current_revision(function.name, function.version))
        return invocation

    def provision(self, function: Function, count: int) -> list[str]:
        """Start ``count`` provisioned-concurrency environments for a published version
        (init now, logged with INIT_REPORT); returns the error types of failed inits."""
        account = self._account
        failures = []
        for _ in range(count):
            env = self._new_environment(function, initialization_type="provisioned-concurrency")
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

    def _throttled(
        self,
        function: Function,
        request_id: str,
        invocation_type: str,
        started_at: float,
        event: Any,
        trigger: str,
        attempt: int | None,
        exc: TooManyRequestsException,
    ) -> Invocation:
        account = self._account
        return Invocation(
            request_id=request_id,
            function_name=function.name,
            version=function.version,
            invocation_type=invocation_type,
            status_code=429,
            status="throttled",
            error_type="TooManyRequestsException",
            error_message=str(exc),
            memory_size_mb=function.config.memory_mb,
            trigger=trigger,
            start=account.clock.from_real(started_at),
            timeout_s=function.config.timeout_s,
            isolation=function.config.isolation,
            event=event,
            architecture=function.config.architecture,
            attempt=attempt,
            throttle_reason=exc.reason,
            presenter=account.presenter,
        )

    def _cold_start(
        self, function: Function, request_id: str, init_events: list[Event], events: list[Event], inflight: _InFlight
    ) -> _Ready:
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
            env = inflight.env = self._new_environment(function)
            init_events.append((time.time() * 1000, "SYSTEM", platform_lines.init_start(function)))
            init = env.initialize(limits.INIT_TIMEOUT_S)
            init_events.extend(init.events)
            dropped += init.dropped_bytes
            if init.status == "success":
                inflight.invoke_started = time.perf_counter()
                return _Ready(env, init.init_ms, None, dropped, inflight.invoke_started, time.time(), False)
            init_events.append((time.time() * 1000, "SYSTEM", platform_lines.init_report(config, init, "init")))
            account.pool.forget(env)
            env.shutdown(keep_sandbox=True)
            sandbox = env.sandbox() if isinstance(env, ProcessEnvironment) else None
        env = inflight.env = self._new_environment(function, sandbox)
        invoke_started, invoke_started_at = time.perf_counter(), time.time()
        inflight.invoke_started = invoke_started
        events.append((invoke_started_at * 1000, "SYSTEM", platform_lines.start(config, request_id, function.version)))
        init = env.initialize(config.timeout_s)
        events.extend(init.events)
        dropped += init.dropped_bytes
        failure = None
        if init.status != "success":
            events.append((time.time() * 1000, "SYSTEM", platform_lines.init_report(config, init, "invoke")))
            failure = self._failed_init(init, invoke_started)
        return _Ready(env, None, failure, dropped, invoke_started, invoke_started_at, True)

    def _interrupted(
        self,
        function: Function,
        inflight: _InFlight,
        request_id: str,
        cold: bool,
        started_at: float,
        invocation_type: str,
        event: Any,
        trigger: str,
        init_events: list[Event],
        events: list[Event],
        attempt_number: int | None,
    ) -> Invocation:
        """Stop the environment of an interrupted invocation; log and record it (status ``interrupted``)."""
        account = self._account
        config = function.config
        env = inflight.env
        duration = (time.perf_counter() - inflight.invoke_started) * 1000
        if env is not None:
            logged, _ = env.interrupted()
            # START is written once the init phase is over (or before a suppressed init): before it,
            # what the environment logged belongs to the init
            (events if events else init_events).extend(logged)
        note = f"[lambda_magic] {InvocationInterrupted.MESSAGE} (RequestId: {request_id})"
        events.append((time.time() * 1000, "SYSTEM", note))
        stream = env.log_stream_name if env is not None else None
        if stream is not None:
            if init_events:
                self._log(function.name, stream, None, init_events)
            self._log(function.name, stream, request_id, events)
        billed = billed_duration_ms(duration, None)
        invocation = Invocation(
            request_id=request_id,
            function_name=function.name,
            version=function.version,
            invocation_type=invocation_type,
            status_code=0,
            status="interrupted",
            error_message=InvocationInterrupted.MESSAGE,
            duration_ms=duration,
            billed_duration_ms=billed,
            memory_size_mb=config.memory_mb,
            max_memory_used_mb=env.max_memory_mb if env is not None else None,
            cold_start=cold,
            log_lines=[message for _, _, message in events],
            init_log_lines=[message for _, _, message in init_events],
            cost_usd=account.prices.cost_usd(billed, config.memory_mb, config.architecture),
            trigger=trigger,
            start=account.clock.from_real(started_at),
            timeout_s=config.timeout_s,
            isolation=config.isolation,
            log_stream=stream,
            limitations=env.limitations if env is not None else (),
            cpu_share=env.cpu_share.describe() if env is not None else None,
            event=event,
            architecture=config.architecture,
            attempt=attempt_number,
            presenter=account.presenter,
        )
        account.record(invocation)
        return invocation

    def _failed_init(self, init: InitResult, started: float) -> InvokeResult:
        elapsed = (time.perf_counter() - started) * 1000
        if init.status == "timeout":
            return InvokeResult("timeout", elapsed, max_memory_mb=init.max_memory_mb)
        return InvokeResult("error", elapsed, error=init.error, log_error=False, max_memory_mb=init.max_memory_mb)

    def _finish(
        self,
        function: Function,
        env: Any,
        request_id: str,
        cold: bool,
        init_ms: float | None,
        result: InvokeResult,
        started_at: float,
        invocation_type: str,
        event: Any,
        trigger: str,
        init_events: list,
        events: list,
        attempt: int | None,
        caller: str | None = None,
        trace: TraceContext | None = None,
        qualifier: str | None = None,
    ) -> Invocation:
        account = self._account
        config = function.config
        status, error, error_type = result.status, result.error, None
        if status == "timeout":
            error = {
                "errorType": "Sandbox.Timedout",
                "errorMessage": f"RequestId: {request_id} Error: Task timed out after {config.timeout_s:.2f} seconds",
            }
        elif status == "oom":
            error = {
                "errorType": "Runtime.OutOfMemory",
                "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: signal: killed",
            }
        elif status == "exit":
            error = {
                "errorType": "Runtime.ExitError",
                "errorMessage": f"RequestId: {request_id} Error: {result.exit_reason}",
            }
        if status in ("oom", "exit"):
            status = "error"
        if error is not None:
            error_type = error.get("errorType")
        duration = result.duration_ms
        billed = billed_duration_ms(duration, init_ms)
        used = result.max_memory_mb
        now = time.time() * 1000
        if config.log_format == "JSON":
            record = logformat.report_record(
                request_id, duration, billed, config.memory_mb, used, init_ms, status, error_type
            )
            if trace is not None and trace.sampled:
                record["tracing"] = report_tracing(trace)
            report = logformat.platform_json("platform.report", record)
            events.append((now, "SYSTEM", report))
        else:
            report = logformat.report_text(
                request_id, duration, billed, config.memory_mb, used, init_ms, status, error_type
            )
            if trace is not None and trace.sampled:
                report += report_xray_line(trace)
            events.append((now, "SYSTEM", logformat.end_text(request_id)))
            events.append((now, "SYSTEM", report))
        stream = env.log_stream_name
        if init_events:
            self._log(function.name, stream, None, init_events)
        self._log(function.name, stream, request_id, events)
        invocation = Invocation(
            request_id=request_id,
            function_name=function.name,
            version=function.version,
            invocation_type=invocation_type,
            status_code=202 if invocation_type == "Event" else 200,
            status=status,
            function_error="Unhandled" if error is not None else None,
            error_type=error_type,
            error_message=error.get("errorMessage") if error is not None else None,
            duration_ms=duration,
            billed_duration_ms=billed,
            init_duration_ms=init_ms,
            memory_size_mb=config.memory_mb,
            max_memory_used_mb=used,
            cold_start=cold,
            log_lines=[message for _, _, message in events],
            init_log_lines=[message for _, _, message in init_events],
            report=report,
            cost_usd=account.prices.cost_usd(billed, config.memory_mb, config.architecture),
            trigger=trigger,
            start=account.clock.from_real(started_at),
            timeout_s=config.timeout_s,
            isolation=config.isolation,
            log_stream=stream,
            limitations=env.limitations,
            cpu_share=env.cpu_share.describe(),
            event=event,
            architecture=config.architecture,
            body=result.body if error is None else None,
            error=error,
            attempt=attempt,
            caller_request_id=caller,
            qualifier=qualifier,
            presenter=account.presenter,
        )
        account.record(invocation)
        return invocation

    def _log(self, function_name: str, stream: str, request_id: str | None, events: list[Event]) -> None:
        """Store events in CloudWatch Logs, stamped with account time."""
        real, clock, rate = self._account.clock.anchor
        base = clock * 1000 - real * 1000 * rate
        self._account.logs.extend(
            [(base + t * rate, function_name, stream, request_id, level, message) for t, level, message in events]
        )


def _request_id(random: bytes) -> str:
    """A version-4 UUID string from 16 random bytes (what ``str(uuid.uuid4())`` gives, faster)."""
    value = bytearray(random)
    value[6] = (value[6] & 0x0F) | 0x40
    value[8] = (value[8] & 0x3F) | 0x80
    h = value.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _runtime_version(runtime: str) -> tuple[int, ...]:
    return tuple(int(part) for part in runtime.removeprefix("python").split("."))
