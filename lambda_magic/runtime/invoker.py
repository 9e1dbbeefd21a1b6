"""The Lambda service's invoke path for one request on one function.

Take a warm environment or start one (:mod:`.environment_start`), run the invoke
phase under the deadline, and turn what happened into an :class:`Invocation` with Lambda's
platform log lines, billing and error documents.
"""

from __future__ import annotations

import os
import random
import time
from typing import TYPE_CHECKING, Any

from ..common.errors import InvocationInterrupted
from . import logformat, platform_lines
from .billing import billed_duration_ms
from .concurrency import TooManyRequestsException
from .environment import Event, InvokeResult
from .environment_start import EnvironmentStarter, InFlight, Ready
from .function import Function
from .invocation import Invocation
from .xray import TraceContext, report_tracing, report_xray_line, xray

if TYPE_CHECKING:
    from .account import LocalAccount

_PRINT_FILTERED_LEVELS = ("WARN", "ERROR", "FATAL")


class Invoker:
    """Runs invocations for one account (thread-safe: one environment per call)."""

    def __init__(self, account: LocalAccount):
        self._account = account
        #: Request and trace ids need uniqueness, not secrecy: a generator seeded once from the OS.
        self._random = random.Random(os.urandom(32))
        #: Where this account's environments come from (new ones, cold starts, provisioned ones).
        self.environments = EnvironmentStarter(account, self._log)

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
        inflight = InFlight(env, time.perf_counter())
        trace = xray(account).begin(function, request_id, caller, started_at, entropy[16:], trace_header)  # X-Ray
        returned_at = None
        try:
            if cold:
                ready = self.environments.cold_start(function, request_id, init_events, events, inflight)
                env = ready.env
            else:
                ready = Ready(env, None, None, 0, time.perf_counter(), started_at, False)
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

    def _interrupted(
        self,
        function: Function,
        inflight: InFlight,
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
