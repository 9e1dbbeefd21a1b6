"""The execution environment's main loop (runs in a process forked from the template).

It sets the environment up as Lambda's (variables, ``/tmp``, stdout, root logger,
memory limit), runs the init phase once, then serves one invocation at a time
until the kernel closes the channel.  Frames in and out are defined here:

* in:  ``{"init": spec}`` once, then ``(request_id, event, deadline_ms, arn, client_context, identity, trace_id)``
* out: ``("init", init_ms, error, dropped, max_memory_mb, private_tmp)`` once, then
  ``(status, body, error, log_error, dropped, duration_ms, max_memory_mb, logged)``
  where status is ``success``, ``error``, ``oom`` or ``exit:<code>`` and ``logged`` the sizes
  of the files ``events`` and ``output`` then, or None (the kernel reads only what grew).

Log events are not in the frames: they are appended to the file ``events`` in the
environment's directory as they happen (see ``wire.encode_event``), and anything
written to file descriptors 1 and 2 lands in ``output``; the kernel reads both.

Linux-only calls are capabilities (see ``platform``).  Without ``/proc`` memory
watching (macOS, ``LAMBDA_MAGIC_PORTABLE=1``) the environment watches its own peak
resident memory (``getrusage``) every 25 ms and, past the function's memory, answers
``oom`` itself and ends; without ``PR_SET_PDEATHSIG`` it ends when its template does.
"""

from __future__ import annotations

import logging
import os
import resource
import signal
import socket
import sys
import threading
import time
from typing import Any

from . import platform, wire
from .context import LambdaContext
from .debugger import RemoteDebugger
from .function import OPT_ROOT, TASK_ROOT
from .logformat import PYTHON_LEVELS, LambdaLogHandler, application_log_level, error_log_json, error_log_text
from .python_runtime import InitError, LogBuffer, LogStream, call_handler, code_paths, load_handler
from .sandbox import libc, mount_private_tmp

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
#: Stack of each thread the handler starts: Lambda allows 1,024 threads, whose
#: stacks must fit in the address-space limit below.
_THREAD_STACK = 1024 * 1024
_MB = 1024 * 1024
#: Address space allowed beyond the configured memory: 1,024 thread stacks and mapped
#: libraries.  Memory itself is enforced on the resident size by the kernel side.
_ADDRESS_SPACE_SLACK = 1024 * _THREAD_STACK + 512 * _MB
#: The address space the interpreter itself may map, where /proc cannot say how much it maps now.
_PORTABLE_VM_ALLOWANCE = 1024 * _MB
#: How often an environment that watches its own memory looks (as the kernel side does).
_WATCH_S = 0.025


def run(sock: socket.socket) -> int:
    """Serve as one execution environment; returns the process exit status."""
    message = wire.recv(sock)
    if not message:
        return 0
    spec: dict[str, Any] = message["init"]
    capabilities = platform.capabilities()  # before the environment variables become the function's
    events_fd, private_tmp = _isolate(spec, capabilities)
    env = _Environment(sock, spec, events_fd, private_tmp, capabilities)
    return env.serve()


def _isolate(spec: dict[str, Any], capabilities: platform.Capabilities) -> tuple[int, bool]:
    """Set the process up as Lambda's sandbox; returns the events file and whether
    ``/tmp`` is private.  The code (and layers) are mounted at ``/var/task`` (and ``/opt``)
    in the same mount namespace; where that fails their real folders are used."""
    os.setsid()  # own process group: ending the environment ends what it started
    c = libc()
    if c is not None and capabilities.parent_death_signal.available:
        c.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if c is not None and capabilities.child_subreaper.available:
        c.prctl(_PR_SET_CHILD_SUBREAPER, 1)  # what the handler starts stays ours (see zygote._reap)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    env_dir = spec["env_dir"]
    tmp_dir = os.path.join(env_dir, "tmp")
    os.makedirs(tmp_dir, exist_ok=True)
    native = os.open(os.path.join(env_dir, "output"), os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(native, 1)
    os.dup2(native, 2)
    spec["output_fd"] = native  # kept: the file's size is still known if the handler closes fd 1
    events_fd = os.open(os.path.join(env_dir, "events"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    needed = [os.path.realpath(path) for path in (*sys.path, sys.prefix, sys.base_prefix, sys.executable) if path]
    code = {TASK_ROOT: spec["task_root"], **({OPT_ROOT: spec["opt_root"]} if spec.get("opt_root") else {})}
    mounted: list[str] = []
    # After this, env_dir's path may be hidden: use the fds.
    private_tmp = capabilities.mount_namespace.available and mount_private_tmp(tmp_dir, needed, code, mounted)
    roots = {target: (target if target in mounted else source) for target, source in code.items()}
    spec["shown"] = {real: target for target, real in roots.items() if real != target}
    os.chdir(roots[TASK_ROOT])
    sys.path[:0] = code_paths(roots[TASK_ROOT], roots.get(OPT_ROOT), spec["python_version"])
    os.environ.clear()
    os.environ.update(spec["environment"])
    os.environ["LAMBDA_TASK_ROOT"] = roots[TASK_ROOT]
    os.environ["TMPDIR"] = "/tmp" if private_tmp else tmp_dir
    time.tzset()
    import tempfile

    tempfile.tempdir = None
    return events_fd, private_tmp


class _Environment:
    def __init__(
        self,
        sock: socket.socket,
        spec: dict[str, Any],
        events_fd: int,
        private_tmp: bool,
        capabilities: platform.Capabilities,
    ):
        self.sock = sock
        self.capabilities = capabilities
        self.pid = os.getpid()
        self.private_tmp = private_tmp
        self.spec = spec
        self.memory_mb: int = spec["memory_mb"]
        self.json_logs: bool = spec["json_logs"]
        self.ensure_ascii: bool = spec["ensure_ascii"]
        self.request_id = ""
        self.events_fd = events_fd
        self.output_fd: int = spec.get("output_fd", 1)
        self.logs = LogBuffer(lambda event: _write_all(events_fd, wire.encode_event(event)))
        sys.stdout = LogStream(self.logs, 1)
        sys.stderr = LogStream(self.logs, 2)
        root = logging.getLogger()
        for handler in list(root.handlers):
            root.removeHandler(handler)
        root.addHandler(LambdaLogHandler(self.logs.add, lambda: self.request_id, self.json_logs))
        level = application_log_level(self.json_logs, spec["log_level"])
        if level:
            root.setLevel(PYTHON_LEVELS[level])
        #: Frames out go through ``_send`` (the memory watch may answer for the main thread).
        self._send_lock = threading.Lock()
        #: ``(phase, started)`` while init or an invocation runs, for the memory watch's answer.
        self._running: tuple[str, float] | None = None
        # breakpoint() / pdb.set_trace(): a pdb whose console is the kernel's (see debugger)
        self.debugger = RemoteDebugger(sock, self._send_lock)
        self.debugger.install()
        self._limit_memory()
        if not capabilities.proc_memory.available or not capabilities.parent_death_signal.available:
            threading.Thread(target=self._watch, args=(os.getppid(),), name="lambda-magic-watch", daemon=True).start()

    def _limit_memory(self) -> None:
        """Cap the address space so one huge allocation fails at once (MemoryError: out of memory),
        even inside a C call that holds the GIL.  Sized from /proc where there is one, else with a
        fixed allowance for the interpreter's own mappings (macOS may not enforce RLIMIT_AS at all)."""
        threading.stack_size(_THREAD_STACK)
        if self.capabilities.address_space_limit.available:
            with open("/proc/self/statm") as statm:
                vm_bytes = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        else:
            vm_bytes = _PORTABLE_VM_ALLOWANCE
        limit = vm_bytes + self.memory_mb * _MB + _ADDRESS_SPACE_SLACK
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ValueError, OSError):  # pragma: no cover - an OS that refuses the limit: the watch remains
            pass

    def _send(self, frame: tuple) -> bool:
        """Send a reply unless the memory watch already answered (then this process is ending)."""
        with self._send_lock:
            if self._running is None:
                return False
            self._running = None
            wire.send(self.sock, frame)
            return True

    def _watch(self, template_pid: int) -> None:
        """Where the OS has no /proc or no parent-death signal: end past the memory, or with the template."""
        watch_memory = not self.capabilities.proc_memory.available
        while True:
            time.sleep(_WATCH_S)
            if os.getppid() != template_pid:
                os._exit(1)
            if not watch_memory:
                continue
            used = self._max_memory_mb()
            if used <= self.memory_mb:
                continue
            with self._send_lock:
                running = self._running
                if running is None:
                    continue
                phase, started = running
                elapsed = (time.perf_counter() - started) * 1000
                if phase == "init":
                    error = {
                        "errorType": "Runtime.OutOfMemory",
                        "errorMessage": "Runtime exited with error: signal: killed",
                    }
                    frame: tuple = ("init", elapsed, error, 0, used, self.private_tmp)
                else:
                    frame = ("oom", None, None, False, 0, elapsed, used, None, None)
                try:
                    wire.send(self.sock, frame)
                finally:
                    os._exit(1)

    def serve(self) -> int:
        started = time.perf_counter()
        self._running = ("init", started)
        try:
            handler = load_handler(self.spec["handler"], self.spec["shown"])
            error = None
        except InitError as exc:
            handler, error = None, exc.error
        except MemoryError:
            handler, error = (
                None,
                {"errorType": "Runtime.OutOfMemory", "errorMessage": "Runtime exited with error: out of memory"},
            )
        except SystemExit as exc:
            handler, error = None, {"errorType": "Runtime.ExitError", "errorMessage": _exit_reason(exc.code)}
        init_ms = (time.perf_counter() - started) * 1000
        if error is not None:
            self._log_error(error)
        _, dropped = self.logs.drain()
        with self._send_lock:
            if self._running is None:  # the memory watch answered
                return 1
            self._running = None
            wire.send(self.sock, ("init", init_ms, error, dropped, self._max_memory_mb(), self.private_tmp))
        if handler is None:
            return 1
        while True:
            request = wire.recv(self.sock)
            received = time.perf_counter()
            if request is None:
                return 0
            status = self._invoke(handler, request, received)
            if status != "success" and status != "error":
                return 1 if status == "oom" else int(status.partition(":")[2] or 1)

    def _invoke(self, handler: Any, request: tuple, received: float) -> str:
        request_id, event, deadline_ms, arn, client_context, identity, trace_id = request
        started = time.perf_counter()
        self.request_id = request_id
        self._running = ("invoke", started)
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
        context = LambdaContext(request_id, client_context, identity, deadline_ms, arn)
        status = "success"
        self.debugger.begin(context)
        try:
            outcome = call_handler(handler, event, context, self.ensure_ascii, self.spec["shown"])
            if os.getpid() != self.pid:  # a process the handler forked returned from it: it must not answer
                os._exit(0)
            body, error, log_error = outcome.body, outcome.error, outcome.log_error
            self.debugger.end(error)
            if error is not None:
                status = "error"
        except MemoryError:
            status, body, error, log_error = "oom", None, None, False
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            status, body, error, log_error = f"exit:{code}", None, None, False
        except BaseException as exc:  # KeyboardInterrupt raised by user code ends the runtime
            print(f"{type(exc).__name__}: {exc}", file=sys.__stderr__)
            status, body, error, log_error = "exit:1", None, None, False
        held_ms = self.debugger.end(None)  # the time the debugger held the invocation is not its Duration
        duration_ms = (time.perf_counter() - started) * 1000 - held_ms
        if error is not None and log_error:
            self._log_error(error)
        self.request_id = ""
        max_memory = self._max_memory_mb()
        if status in ("success", "error") and max_memory > self.memory_mb:
            status = "oom"
        _, dropped = self.logs.drain()
        try:
            logged: tuple[int, int] | None = (os.fstat(self.events_fd).st_size, os.fstat(self.output_fd).st_size)
        except OSError:  # the handler closed them: the kernel looks at the files itself
            logged = None
        served_ms = (time.perf_counter() - received) * 1000  # this side's share of the round trip
        if not self._send((status, body, error, log_error, dropped, duration_ms, max_memory, logged, served_ms)):
            return "oom"
        return status

    def _log_error(self, error: dict[str, Any]) -> None:
        if self.json_logs:
            self.logs.add("ERROR", error_log_json(error, self.request_id))
        else:
            self.logs.add("ERROR", error_log_text(error))

    @staticmethod
    def _max_memory_mb() -> int:
        """Peak resident memory of this process, MB rounded up (getrusage: works on Linux and macOS)."""
        return -(-platform.maxrss_bytes(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) // _MB)


def _write_all(fd: int, data: bytes) -> None:
    """Append ``data`` to the file (``os.write`` may write less than asked for a large event)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _exit_reason(code: object) -> str:
    return (
        "Runtime exited without providing a reason"
        if code in (None, 0)
        else f"Runtime exited with error: exit status {code}"
    )
