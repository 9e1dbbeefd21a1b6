"""Execution environments as the kernel sees them: one per concurrent invocation.

``ProcessEnvironment`` is a process forked from the template (see ``zygote``): the
kernel enforces the deadline by ending it.  ``InlineEnvironment``
(:mod:`.inline_environment`) runs the handler inside the kernel.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import socket
import struct
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..common import limits
from . import wire
from .cpu_share import CpuShare, unlimited
from .debugger_console import KernelDebugger, is_debug_frame
from .function import Function
from .memory_watch import WaitingCount
from .python_runtime import (
    split_message,
)
from .sandbox import shared_tmp_limitation
from .zygote import Template

Event = tuple  # (epoch_ms, level | None, message)

#: Bytes of an environment's log files read at once (more than one event can hold).
_READ_CHUNK = 4 * limits.LOG_EVENT_MAX_BYTES
_PAGE = os.sysconf("SC_PAGE_SIZE")
_MB = 1024 * 1024
_TIMEVAL = struct.Struct("@ll")  # struct timeval (Linux)


@dataclass
class InitResult:
    """The outcome of an init phase."""

    status: str  # success | error | timeout
    init_ms: float
    error: dict[str, Any] | None = None
    events: list[Event] = field(default_factory=list)
    dropped_bytes: int = 0
    max_memory_mb: int | None = None


@dataclass
class InvokeResult:
    """The outcome of one invoke phase, before the service turns it into an Invocation."""

    status: str  # success | error | timeout | oom | exit
    duration_ms: float
    body: bytes | None = None
    error: dict[str, Any] | None = None
    log_error: bool = True
    events: list[Event] = field(default_factory=list)
    dropped_bytes: int = 0
    max_memory_mb: int | None = None
    exit_reason: str = ""
    #: The environment's own time for this request, from the request read to the answer sent
    #: (process environments; the rest of the round trip is the wire and the kernel's waking).
    served_ms: float | None = None


def environment_variables(
    function: Function,
    log_stream: str,
    initialization_type: str,
    credentials: dict[str, str],
    endpoints: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The variables Lambda's Python runtime sets, the account's loopback ``endpoints``
    (``ServiceEndpoints.environment()``: the local cloud, X-Ray...), then the function's own."""
    config = function.config
    region = function.region
    bindir = os.path.dirname(sys.executable)
    variables = {
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": function.version,
        "AWS_LAMBDA_LOG_GROUP_NAME": function.log_group_name,
        "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
        "AWS_LAMBDA_INITIALIZATION_TYPE": initialization_type,
        "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{config.runtime}",
        "AWS_LAMBDA_LOG_FORMAT": config.log_format,
        "_HANDLER": config.handler_setting,
        "LAMBDA_TASK_ROOT": "/var/task",
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
        "PATH": f"{bindir}:/usr/local/bin:/usr/bin/:/bin:/opt/bin",
        "LD_LIBRARY_PATH": (
            "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib"
        ),
        "PYTHONPATH": "/var/runtime",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        **credentials,
        **(endpoints or {}),
    }
    if config.log_format == "JSON":  # AWS's default application log level is INFO
        variables["AWS_LAMBDA_LOG_LEVEL"] = config.log_level or "INFO"
    variables.update(config.env)
    return variables


def environment_access_key(env_id: str) -> str:
    """A dummy access key id naming one environment: its SDK signs with it, so the
    account's own endpoints (the Lambda API) know which environment, and request, calls."""
    return "ASIALM" + env_id.removeprefix("env-").rjust(14, "0")


def environment_of_access_key(access_key_id: str) -> str | None:
    """The environment (``env-N``) an :func:`environment_access_key` names; None for any other key."""
    digits = access_key_id.removeprefix("ASIALM")
    if len(access_key_id) != 20 or not access_key_id.startswith("ASIALM") or not digits.isdigit():
        return None
    return f"env-{int(digits)}"


def new_log_stream_name(version: str) -> str:
    """``YYYY/MM/DD/[$LATEST]<32 hex>``: one stream per environment."""
    return f"{datetime.now(timezone.utc):%Y/%m/%d}/[{version}]{uuid.uuid4().hex}"


class _BaseEnvironment:
    isolation = "process"
    limitations: tuple[str, ...] = ()
    #: What limits the environment's CPU (see ``cpu_share``), said on each invocation.
    cpu_share: CpuShare = unlimited("not limited")

    def __init__(self, env_id: str, function: Function, initialization_type: str):
        self.env_id = env_id
        self.function_name = function.name
        self.version = function.version
        self.revision = function.revision
        self.pool_key = (function.name, function.version, initialization_type == "provisioned-concurrency")
        self.log_stream_name = new_log_stream_name(function.version)
        self.initialization_type = initialization_type
        self.created = time.time()
        self.last_used = 0.0  # account time, set by the pool
        self.invocations = 0
        self.max_memory_mb: int | None = None
        self.alive = True
        #: The request being served (set by the invoker while the handler runs).
        self.request_id: str | None = None
        #: The account's console for a debugger in the handler (set by the invoker).
        self.debugger: KernelDebugger | None = None

    def note_memory(self, used_mb: int | None) -> None:
        if used_mb is not None:
            self.max_memory_mb = max(self.max_memory_mb or 0, used_mb)


@dataclass(frozen=True)
class Sandbox:
    """What survives an environment's reset (after a timeout, crash or failed init):
    its directory, so its ``/tmp``, and its log stream."""

    env_dir: str
    log_stream_name: str
    revision: int


class ProcessEnvironment(_BaseEnvironment):
    """An OS process serving one invocation at a time; ended at its deadline."""

    def __init__(
        self,
        env_id: str,
        function: Function,
        template: Template,
        spec: dict[str, Any],
        initialization_type: str,
        sandbox: Sandbox | None = None,
        cpu: Callable[[int, str], CpuShare] | None = None,
    ):
        super().__init__(env_id, function, initialization_type)
        self._template = template
        self._dir = os.path.join(template.root_dir, env_id)
        #: Set when the environment ended by itself (timeout, crash, out of memory, failed init).
        self.crashed = False
        self._end: tuple[int | None, int | None] | None = None
        if sandbox is not None:
            self._dir, self.log_stream_name = sandbox.env_dir, sandbox.log_stream_name
            for name in ("events", "output"):  # read before the reset; start afresh
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(self._dir, name))
        spec["environment"]["AWS_LAMBDA_LOG_STREAM_NAME"] = self.log_stream_name
        spec["env_dir"] = self._dir
        self._files: list[int | None] = [None, None]
        self._offsets = [0, 0]
        self._memory_mb = function.config.memory_mb
        self.pid, self._sock = template.spawn()
        if cpu is not None:  # in its group before its init code runs (the share itself applies after init)
            self.cpu_share = cpu(self.pid, env_id)
        #: How memory is measured: ``proc`` (the kernel watches /proc/<pid>/statm every 25 ms) or
        #: ``rusage`` (the environment reports its own peak, getrusage, and ends itself past the memory).
        self.memory_probe = "proc" if template.capabilities.proc_memory.available else "rusage"
        self._statm = os.open(f"/proc/{self.pid}/statm", os.O_RDONLY) if self.memory_probe == "proc" else -1
        self._poller = select.poll()
        self._poller.register(self._sock, select.POLLIN)
        #: usable()'s one poll: an EOF on the channel, or the template's exit when it has a pidfd.
        self._idle_poller = select.poll()
        self._idle_poller.register(self._sock, select.POLLIN)
        self._template_watched = template.exit_fd is not None
        if template.exit_fd is not None:
            self._idle_poller.register(template.exit_fd, select.POLLIN)
        #: The channel's receive timeout (0: none), or None where the OS refuses one (then: poll).
        self._read_timeout_ms: int | None = 0
        if not hasattr(socket, "SO_RCVTIMEO") or sys.platform != "linux":
            self._read_timeout_ms = None
        self._check_pid = not template.capabilities.child_subreaper.available
        wire.send(self._sock, {"init": spec})

    def sandbox(self) -> Sandbox:
        return Sandbox(self._dir, self.log_stream_name, self.revision)

    def initialize(self, timeout_s: float) -> InitResult:
        started = time.perf_counter()
        waited = self._wait(timeout_s)
        if waited != "ready":
            self._peak_mb()
            self.kill()
            events, dropped = self.collect_events()
            if waited == "oom":
                error = {
                    "errorType": "Runtime.OutOfMemory",
                    "errorMessage": "Runtime exited with error: signal: killed",
                    "requestId": "",
                    "stackTrace": [],
                }
                return InitResult(
                    "error", (time.perf_counter() - started) * 1000, error, events, dropped, self.max_memory_mb
                )
            return InitResult(
                "timeout", (time.perf_counter() - started) * 1000, None, events, dropped, self.max_memory_mb
            )
        if self._read_timeout_ms:  # (not set before the first invoke; a reset environment is a new one)
            self._set_read_timeout(0)
        reply = wire.recv(self._sock)
        if reply is None:
            reason = self._exit_reason()
            events, dropped = self.collect_events()
            error = {"errorType": "Runtime.ExitError", "errorMessage": reason, "requestId": "", "stackTrace": []}
            return InitResult("error", (time.perf_counter() - started) * 1000, error, events, dropped)
        _, init_ms, error, dropped, used_mb, private_tmp = reply
        self.note_memory(used_mb)
        if not private_tmp:
            self.limitations = (shared_tmp_limitation(self._template.capabilities),)
        if error is not None:
            self.kill()
        else:
            self.cpu_share.start()  # the init phase ran with a CPU burst, as on Lambda
        events, more = self.collect_events()
        return InitResult("error" if error else "success", init_ms, error, events, dropped + more, used_mb)

    def invoke(self, request: tuple, timeout_s: float) -> InvokeResult:
        started = time.perf_counter()
        self.invocations += 1
        try:
            wire.send(self._sock, request)
        except OSError:
            pass  # it died between invocations; the wait below sees EOF
        waited, reply = self._await_reply(timeout_s - (time.perf_counter() - started))
        if waited != "ready":
            self._peak_mb()
            self.kill()
            events, dropped = self.collect_events()
            elapsed = (time.perf_counter() - started) * 1000
            return InvokeResult(waited, elapsed, events=events, dropped_bytes=dropped, max_memory_mb=self.max_memory_mb)
        if reply is None:
            elapsed = (time.perf_counter() - started) * 1000
            reason = self._exit_reason()
            events, dropped = self.collect_events()
            return InvokeResult(
                "exit",
                elapsed,
                events=events,
                dropped_bytes=dropped,
                max_memory_mb=self.max_memory_mb,
                exit_reason=reason,
            )
        status, body, error, log_error, dropped, duration_ms, used_mb, logged, served_ms = reply
        self.note_memory(used_mb)
        if status != "success" and status != "error":
            self.kill()
        events, more = self.collect_events(logged)
        dropped += more
        if status == "success" or status == "error":
            return InvokeResult(
                status, duration_ms, body, error, log_error, events, dropped, self.max_memory_mb, served_ms=served_ms
            )
        if status == "oom":
            return InvokeResult(
                "oom", duration_ms, events=events, dropped_bytes=dropped, max_memory_mb=self.max_memory_mb
            )
        code = int(status.partition(":")[2])
        reason = (
            "Runtime exited without providing a reason"
            if code == 0
            else f"Runtime exited with error: exit status {code}"
        )
        return InvokeResult(
            "exit",
            duration_ms,
            events=events,
            dropped_bytes=dropped,
            max_memory_mb=self.max_memory_mb,
            exit_reason=reason,
        )

    def collect_events(self, logged: tuple[int, int] | None = None) -> tuple[list[Event], int]:
        """Read what the environment logged since the last call: its events, then the
        raw output of file descriptors 1 and 2 (one event per line).  Nothing is
        capped: the files are read a chunk at a time, so reading never holds more
        than one chunk of raw bytes beside the events themselves.  ``logged``: the files'
        sizes the environment saw when it answered; a file that has not grown is not looked at."""
        events: list[Event] = []
        for index, name in enumerate(("events", "output")):
            if logged is not None and logged[index] <= self._offsets[index]:
                continue
            fd = self._files[index]
            if fd is None:
                try:
                    fd = self._files[index] = os.open(os.path.join(self._dir, name), os.O_RDONLY)
                except FileNotFoundError:
                    continue
            size = os.fstat(fd).st_size
            if index == 0:
                self._read_events(fd, size, events)
            else:
                self._read_output(fd, size, events)
        return events, 0

    def _read_events(self, fd: int, size: int, events: list[Event]) -> None:
        offset = self._offsets[0]
        while offset < size:
            data = os.pread(fd, min(size - offset, _READ_CHUNK), offset)
            decoded, used = wire.decode_events(data)
            if not used:  # a frame cut short by a killed environment: leave it
                break
            events.extend(decoded)
            offset += used
        self._offsets[0] = offset

    def _read_output(self, fd: int, size: int, events: list[Event]) -> None:
        offset = self._offsets[1]
        limit = limits.LOG_EVENT_MESSAGE_MAX_BYTES
        carry = b""
        while offset < size:
            chunk = os.pread(fd, min(size - offset, _READ_CHUNK), offset)
            if not chunk:
                break
            offset += len(chunk)
            lines = (carry + chunk).split(b"\n")
            carry = lines.pop()
            if len(carry) > limit:  # a long line still being written: what fills whole events is final
                cut = limit
                while cut > 0 and (carry[cut] & 0xC0) == 0x80:  # not inside a character
                    cut -= 1
                lines.append(carry[:cut])
                carry = carry[cut:]
            _add_output_lines(lines, events)
        if carry:
            _add_output_lines([carry], events)
        self._offsets[1] = offset

    def _await_reply(self, timeout_s: float) -> tuple[str, Any]:
        """Wait for the answer and read it: ``("ready", reply)`` (None at EOF), ``("timeout", None)``
        or ``("oom", None)``.  A debugger in the handler talks first (frames ``("debug", ...)``):
        while it holds the invocation the deadline is suspended, then moved by the held time."""
        # --- debugger (see runtime/debugger.py) ---
        deadline = time.monotonic() + max(timeout_s, 0)
        held_at: float | None = None  # the deadline when the debugger stopped the handler
        while True:
            waited, reply = self._await_frame(deadline if held_at is None else time.monotonic() + 3600)
            if waited != "ready" or not is_debug_frame(reply):
                return waited, reply
            if held_at is None:
                held_at = deadline
            console = self.debugger or KernelDebugger()
            try:
                held_ms = console.answer(reply, lambda frame: wire.send(self._sock, frame))
            except BaseException:  # KeyboardInterrupt at the prompt: nothing may keep running
                self._peak_mb()
                self.kill()
                raise
            if held_ms is not None:
                deadline, held_at = held_at + held_ms / 1000, None
        # --- end debugger ---

    def _await_frame(self, deadline: float) -> tuple[str, Any]:
        """The next frame by the ``deadline`` (monotonic).  One blocking read per 25 ms watch
        (``SO_RCVTIMEO``), so the GIL is let go once per answer rather than for a poll and then a read."""
        if self._read_timeout_ms is None:  # no receive timeout on this OS: poll, then read
            waited = self._wait(deadline - time.monotonic())
            return waited, wire.recv(self._sock) if waited == "ready" else None
        waiting = self._template.waiting
        waiting.add(1)
        try:
            return self._receive_frame(deadline, waiting)
        finally:
            waiting.add(-1)

    def _receive_frame(self, deadline: float, waiting: WaitingCount) -> tuple[str, Any]:
        while True:
            self._set_read_timeout(min(max(int((deadline - time.monotonic()) * 1000) + 1, 1), waiting.watch_ms()))
            try:
                data = self._sock.recv(wire.CHUNK)
            except BlockingIOError:  # the watch interval passed
                data = None
            except OSError:  # reset: the environment is gone
                return "ready", None
            except BaseException:  # KeyboardInterrupt while waiting: nothing may keep running
                self._peak_mb()
                self.kill()
                raise
            if data is not None:
                if not data:
                    return "ready", None
                if not wire.complete(data):
                    self._set_read_timeout(0)  # the rest of a frame already on its way: as long as it takes
                return "ready", wire.recv(self._sock, data)
            if time.monotonic() >= deadline:
                return "timeout", None
            if self._resident_mb() > self._memory_mb:
                self._peak_mb()
                self.kill()
                return "oom", None

    def _set_read_timeout(self, ms: int) -> None:
        if ms != self._read_timeout_ms:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _TIMEVAL.pack(ms // 1000, ms % 1000 * 1000))
            self._read_timeout_ms = ms

    def _wait(self, timeout_s: float) -> str:
        """Wait for the environment's answer: ``ready``, ``timeout``, or ``oom`` when its
        resident memory went past the function's memory (checked every 25 ms, see ``WaitingCount``)."""
        waiting = self._template.waiting
        waiting.add(1)
        try:
            return self._poll_reply(timeout_s, waiting)
        finally:
            waiting.add(-1)

    def _poll_reply(self, timeout_s: float, waiting: WaitingCount) -> str:
        deadline = time.monotonic() + max(timeout_s, 0)
        first = True
        while True:
            remaining_ms = max(int((deadline - time.monotonic()) * 1000) + 1, 0)
            watch_ms = waiting.watch_ms()
            try:
                if self._poller.poll(
                    remaining_ms if first and remaining_ms < watch_ms else min(remaining_ms, watch_ms)
                ):
                    return "ready"
            except BaseException:  # KeyboardInterrupt while waiting: nothing may keep running
                self._peak_mb()
                self.kill()
                raise
            first = False
            if time.monotonic() >= deadline:
                return "timeout"
            if self._resident_mb() > self._memory_mb:
                self._peak_mb()
                self.kill()
                return "oom"

    def interrupted(self) -> tuple[list[Event], int]:
        """Stop the environment after the kernel was interrupted; what it logged so far."""
        if self.alive:
            self._peak_mb()
        self.kill()
        return self.collect_events()

    def _resident_mb(self) -> float:
        if self._statm < 0:  # the environment watches itself (see bootstrap)
            return 0.0
        try:
            return int(os.pread(self._statm, 64, 0).split()[1]) * _PAGE / _MB
        except (OSError, IndexError, ValueError):
            return 0.0

    def _peak_mb(self) -> int | None:
        """Record the process's peak resident memory (VmHWM) before it is ended; without /proc,
        end it and take the peak the template reaped it with (``wait4``)."""
        if self.memory_probe != "proc":
            _, peak = self._ended()
            if peak is not None:
                self.note_memory(-(-peak // _MB))
            return self.max_memory_mb
        try:
            with open(f"/proc/{self.pid}/status", "rb") as status:
                for line in status:
                    if line.startswith(b"VmHWM:"):
                        self.note_memory(-(-int(line.split()[1]) // 1024))
                        break
        except (OSError, ValueError):
            pass
        return self.max_memory_mb

    def usable(self) -> bool:
        """Still able to serve: alive, and nothing (an EOF) waiting on its channel."""
        if not self.alive or self._idle_poller.poll(0):
            return False
        if not self._template_watched and not self._template.alive():
            return False
        if self._check_pid:  # without a subreaper the channel's end-of-file can lag the process's end
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                return False
        return True

    def _ended(self) -> tuple[int | None, int | None]:
        """End the process; its wait status and peak resident bytes (asked of the template once)."""
        self.kill()
        if self._end is None:
            self._end = self._template.ended(self.pid)
        return self._end

    def _exit_reason(self) -> str:
        status, peak = self._ended()
        if peak is not None and self.memory_probe != "proc":
            self.note_memory(-(-peak // _MB))
        if status is None:
            return "Runtime exited without providing a reason"
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            names = {
                int(signal.SIGKILL): "killed",
                int(signal.SIGSEGV): "segmentation fault",
                int(signal.SIGABRT): "aborted",
            }
            name = names.get(sig)
            return f"Runtime exited with error: signal: {name or signal.Signals(sig).name}"
        code = os.WEXITSTATUS(status)
        return (
            "Runtime exited without providing a reason"
            if code == 0
            else f"Runtime exited with error: exit status {code}"
        )

    def kill(self) -> None:
        """End the environment and everything it started (its process group)."""
        if not self.alive:
            return
        self.alive = False
        self.crashed = True
        with contextlib.suppress(OSError):
            os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)
        self._sock.close()

    def shutdown(self, keep_sandbox: bool = False) -> None:
        """End the environment; its directory (and ``/tmp``) too unless ``keep_sandbox``."""
        crashed = self.crashed or not self.alive
        self.kill()
        self.crashed = crashed
        self.cpu_share.release()
        for fd in self._files:
            if fd is not None:
                os.close(fd)
        self._files = [None, None]
        if self._statm >= 0:
            os.close(self._statm)
            self._statm = -1
        if not keep_sandbox:
            shutil.rmtree(self._dir, ignore_errors=True)


def _add_output_lines(lines: list[bytes], events: list[Event]) -> None:
    now = time.time() * 1000
    for line in lines:
        events.extend(
            (now, None, part)
            for part in split_message(line.decode(errors="replace"), limits.LOG_EVENT_MESSAGE_MAX_BYTES)
        )
