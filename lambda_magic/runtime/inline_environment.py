"""The inline execution environment: the handler runs inside the kernel itself.

So that breakpoints work; it cannot stop a handler at its deadline nor measure its
memory, and says so on every invocation.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from typing import Any

from .context import LambdaContext
from .cpu_share import unlimited
from .debugger import InlineDebugger
from .debugger_console import KernelDebugger
from .environment import Event, InitResult, InvokeResult, _BaseEnvironment
from .function import OPT_ROOT, TASK_ROOT, Function
from .logformat import PYTHON_LEVELS, LambdaLogHandler, application_log_level, error_log_json, error_log_text
from .python_runtime import CodeScope, InitError, LogBuffer, LogStream, call_handler, code_paths, load_handler

INLINE_LIMITATIONS = (
    "inline isolation: the handler ran inside the kernel; the deadline is checked after it returns "
    "(it cannot be stopped) and its memory is not measured; its code is not at /var/task: LAMBDA_TASK_ROOT "
    "names the real folder, on sys.path for the duration of each call",
)


class InlineEnvironment(_BaseEnvironment):
    """Runs the handler in the kernel itself: for debugging with breakpoints."""

    isolation = "inline"
    limitations = INLINE_LIMITATIONS
    cpu_share = unlimited("inline isolation runs in the kernel's own process")

    def __init__(
        self, env_id: str, function: Function, spec: dict[str, Any], initialization_type: str, lock: threading.Lock
    ):
        super().__init__(env_id, function, initialization_type)
        self._lock = lock  # stdout, the root logger and os.environ are the kernel's: one phase at a time
        self._spec = spec
        self._environment = dict(spec["environment"], AWS_LAMBDA_LOG_STREAM_NAME=self.log_stream_name)
        self._logs = LogBuffer()
        self._stream = LogStream(self._logs)
        self._request_id = ""
        self._log_handler = LambdaLogHandler(self._logs.add, lambda: self._request_id, spec["json_logs"])
        level = application_log_level(spec["json_logs"], spec["log_level"])
        self._level = logging.getLevelName(PYTHON_LEVELS[level]) if level else None
        self._handler: Any = None
        self._code = CodeScope(
            code_paths(spec["task_root"], spec["opt_root"], spec["python_version"]), spec["task_root"]
        )
        self._shown = {spec["task_root"]: TASK_ROOT, **({spec["opt_root"]: OPT_ROOT} if spec["opt_root"] else {})}
        self._environment["LAMBDA_TASK_ROOT"] = spec["task_root"]
        self._sdk_session: Any = None  # boto3's default session while this environment runs

    def initialize(self, timeout_s: float) -> InitResult:
        error = None
        with self._lambda_process():
            started = time.perf_counter()  # after the wait for the kernel's lock: not the function's time
            try:
                self._handler = load_handler(self._spec["handler"], self._shown)
            except InitError as exc:
                error = exc.error
                self._log_error(error)
        events, dropped = self._logs.drain()
        return InitResult(
            "error" if error else "success", (time.perf_counter() - started) * 1000, error, events, dropped
        )

    def invoke(self, request: tuple, timeout_s: float) -> InvokeResult:
        request_id, event, deadline_ms, arn, client_context, identity, trace_id = request
        self.invocations += 1
        status, body, error, log_error, reason = "success", None, None, True, ""
        self._request_id = request_id
        debugger = self._debugger()
        with self._lambda_process(trace_id):
            # Duration starts once the kernel's lock is held: waiting for another inline phase is not the function's
            started = time.perf_counter()
            context = LambdaContext(request_id, client_context, identity, deadline_ms, arn)
            try:
                with debugger.installed(context):  # breakpoint(): the kernel's console, the deadline suspended
                    outcome = call_handler(self._handler, event, context, self._spec["ensure_ascii"], self._shown)
                    debugger.end(outcome.error)
                body, error, log_error = outcome.body, outcome.error, outcome.log_error
                status = "error" if error else "success"
                if outcome.exception is not None and self.debugger is not None:  # for %lambda debug
                    self.debugger.keep_failure(request_id, outcome.exception, self)
            except MemoryError:
                status = "oom"
            except SystemExit as exc:
                status = "exit"
                reason = (
                    "Runtime exited without providing a reason"
                    if exc.code in (None, 0)
                    else f"Runtime exited with error: exit status {exc.code}"
                )
            if error is not None and log_error:
                self._log_error(error)
        self._request_id = ""
        duration_ms = (time.perf_counter() - started) * 1000 - debugger.end(None)  # (not the debugger's hold)
        events, dropped = self._logs.drain()
        if status in ("success", "error") and duration_ms > timeout_s * 1000:
            status = "timeout"  # not stopped, but Lambda would have ended it
        if status not in ("success", "error"):
            self.alive = False
        return InvokeResult(status, duration_ms, body, error, log_error, events, dropped, None, reason)

    def _debugger(self) -> InlineDebugger:
        """A debugger for one invocation, talking to the kernel's console (not the handler's stdout)."""
        console = self.debugger or KernelDebugger()
        out = sys.stdout
        debugger = InlineDebugger(lambda text: console.ask(text, out), lambda text: console.show(text, out))
        debugger.shown = self.shown_folders()
        return debugger

    def shown_folders(self) -> dict[str, str]:
        """The code's real folders -> ``/var/task`` and ``/opt``, as a debugger names them."""
        return dict(self._shown)

    def interrupted(self) -> tuple[list[Event], int]:
        """The handler was interrupted in the kernel thread: end the environment; what it logged so far."""
        self.alive = False
        self._request_id = ""
        return self._logs.drain()

    def _log_error(self, error: dict[str, Any]) -> None:
        if self._spec["json_logs"]:
            self._logs.add("ERROR", error_log_json(error, self._request_id))
        else:
            self._logs.add("ERROR", error_log_text(error))

    def _lambda_process(self, trace_id: str | None = None) -> _InlineScope:
        return _InlineScope(self, trace_id, self._lock)

    def debug_scope(self) -> _InlineScope:
        """The environment's variables, code paths and log around a post-mortem (its prints are its log)."""
        return _InlineScope(self, None, self._lock)

    crashed = False

    def usable(self) -> bool:
        return self.alive

    def kill(self) -> None:
        self.alive = False

    def shutdown(self, keep_sandbox: bool = False) -> None:
        self.alive = False


class _InlineScope:
    """Swap stdout, stderr, the root logger and ``os.environ`` for one phase.

    ``os.environ`` is replaced by the environment's own mapping (not patched key by
    key), so the handler sees Lambda's variables and its writes persist between
    warm invocations, while the kernel's environment is never touched.  Child
    processes the handler starts inherit the kernel's C-level environment.
    boto3's default session (which holds the ``os.environ`` it was made with, so
    its region and credentials) is the environment's own too.
    """

    __slots__ = ("_env", "_lock", "_saved", "_session", "_trace_id")

    def __init__(self, env: InlineEnvironment, trace_id: str | None, lock: threading.Lock):
        self._env = env
        self._trace_id = trace_id
        self._lock = lock

    def __enter__(self) -> None:
        self._lock.acquire()
        env = self._env
        root = logging.getLogger()
        self._saved = (sys.stdout, sys.stderr, root.handlers, root.level, os.environ)
        if self._trace_id is not None:
            env._environment["_X_AMZN_TRACE_ID"] = self._trace_id
        os.environ = env._environment  # type: ignore[assignment]  # noqa: B003 - swapped, then restored
        self._session = _swap_sdk_session(env._sdk_session)
        sys.stdout = sys.stderr = env._stream
        root.handlers = [env._log_handler]
        if env._level is not None:
            root.setLevel(env._level)
        env._code.__enter__()  # the task folder and layers on sys.path, the package's own modules

    def __exit__(self, *exc: object) -> None:
        self._env._code.__exit__()
        stdout, stderr, handlers, level, environ = self._saved
        sys.stdout, sys.stderr = stdout, stderr
        os.environ = environ  # noqa: B003 - the kernel's own mapping back
        self._env._sdk_session = _swap_sdk_session(self._session)
        root = logging.getLogger()
        root.handlers = handlers
        if root.level != level:
            root.setLevel(level)
        self._lock.release()


def _swap_sdk_session(session: Any) -> Any:
    """Make ``session`` boto3's default session (if boto3 is imported); return the previous one."""
    boto3 = sys.modules.get("boto3")
    if boto3 is None:
        return None
    previous = getattr(boto3, "DEFAULT_SESSION", None)
    boto3.DEFAULT_SESSION = session  # type: ignore[attr-defined]
    return previous
