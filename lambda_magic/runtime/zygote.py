"""The template process execution environments are forked from, and its client.

Forking the kernel would copy its page tables (a kernel holding gigabytes of
DataFrames makes every fork slow), so the kernel starts one small process once,
with the runtime already imported.  For each new environment the template forks,
hands the kernel one end of a socket pair over the control channel (SCM_RIGHTS)
and goes back to waiting.  The kernel then talks to the environment directly.

Nothing outlives the kernel: the template ends when the control channel reaches
EOF or its parent changes, killing every environment's process group and any
orphan they left (it is their child subreaper); environments die with the
template (PR_SET_PDEATHSIG).  Where those Linux calls are missing (macOS, or
``LAMBDA_MAGIC_PORTABLE=1``; see ``platform``) the control channel is a datagram
socket pair ended by an explicit message, and what a handler started outside its
environment's process group is not tracked.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

from ..common.errors import EnvironmentStartError
from . import platform
from .memory_watch import WaitingCount

_PR_SET_CHILD_SUBREAPER = 36
_CONTROL_BUFFER = 1 << 16
_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Template:
    """Kernel-side handle on the template process (thread-safe)."""

    def __init__(self, root_dir: str, python: str = sys.executable, start_timeout_s: float = 60.0):
        self.root_dir = root_dir
        self._lock = threading.Lock()
        self._start_timeout_s = start_timeout_s
        #: What this OS allows, probed once for the template and its environments.
        self.capabilities = platform.capabilities()
        #: The account's invocations and inits waiting on environments forked from here (the memory watch).
        self.waiting = WaitingCount()
        kind = socket.SOCK_SEQPACKET if self.capabilities.seqpacket.available else socket.SOCK_DGRAM
        self._control, theirs = socket.socketpair(socket.AF_UNIX, kind)
        if kind == socket.SOCK_DGRAM:  # no end-of-file on a datagram pair: a gone template must not hang us
            self._control.settimeout(start_timeout_s)
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": _PACKAGE_PARENT,
            "MALLOC_ARENA_MAX": "2",
            "LANG": "C.UTF-8",
        }
        if self.capabilities.portable:  # the template and its environments take the same paths
            environment[platform.PORTABLE_VARIABLE] = "1"
        log_path = os.path.join(root_dir, "template.log")
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(
                [python, "-m", "lambda_magic.runtime.zygote", str(theirs.fileno()), root_dir],
                pass_fds=(theirs.fileno(),),
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                cwd=root_dir,
            )
        theirs.close()
        self._ready = False
        #: A descriptor readable once the template has exited (Linux pidfd), or None: an idle
        #: environment's check then polls it with its own channel, in one system call.
        self.exit_fd: int | None = None
        with contextlib.suppress(AttributeError, OSError):
            self.exit_fd = os.pidfd_open(self.process.pid)

    @property
    def pid(self) -> int:
        return self.process.pid

    def _await_ready(self) -> None:
        if self._ready:
            return
        readable, _, _ = select.select([self._control], [], [], self._start_timeout_s)
        reply = self._control.recv(_CONTROL_BUFFER) if readable else b""
        if not reply or pickle.loads(reply)[0] != "ready":
            self.close()
            raise EnvironmentStartError(
                f"the execution-environment template process did not start; see {self.root_dir}/template.log"
            )
        self._ready = True

    def spawn(self) -> tuple[int, socket.socket]:
        """Fork a new environment process; returns its pid and the channel to it."""
        with self._lock:
            self._await_ready()
            try:
                self._control.send(pickle.dumps(("spawn",)))
                data, fds, _flags, _addr = socket.recv_fds(self._control, _CONTROL_BUFFER, 1)
            except OSError as exc:
                raise EnvironmentStartError(f"the execution-environment template process is gone ({exc})") from None
            if not data or not fds:
                raise EnvironmentStartError("the execution-environment template process is gone; run %lambda reset")
            _, pid = pickle.loads(data)
            return pid, socket.socket(fileno=fds[0])

    def exit_status(self, pid: int) -> int | None:
        """The wait status of an environment that has ended (reaped by the template)."""
        return self.ended(pid)[0]

    def ended(self, pid: int) -> tuple[int | None, int | None]:
        """End an environment if it still runs; its wait status and peak resident bytes (``wait4``'s
        ``ru_maxrss``, portable where /proc is not), or ``None`` for what is no longer known."""
        with self._lock:
            try:
                self._control.send(pickle.dumps(("wait", pid)))
                data = self._control.recv(_CONTROL_BUFFER)
            except OSError:
                return None, None
            if not data:
                return None, None
            reply = pickle.loads(data)
            return reply[1], reply[2]

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        """End the template and, with it, every environment."""
        try:
            try:  # a datagram channel has no end-of-file: say so (harmless on a stream)
                self._control.send(pickle.dumps(("exit",)))
            except OSError:
                pass
            self._control.close()
        finally:
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:  # pragma: no cover - the template ignores nothing
                self.process.kill()
                self.process.wait()
            if self.exit_fd is not None:
                os.close(self.exit_fd)
                self.exit_fd = None


# --- the template process itself -------------------------------------------------------------


def _main(control_fd: int, root_dir: str) -> None:
    import importlib

    importlib.import_module(".bootstrap", __package__)  # imported once here, shared by every fork
    from .sandbox import libc

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    c = libc()  # loaded here, before any fork
    subreaper = platform.capabilities().child_subreaper.available
    if c is not None and subreaper:
        c.prctl(_PR_SET_CHILD_SUBREAPER, 1)
    control = socket.socket(fileno=control_fd)
    parent = os.getppid()
    children: set[int] = set()
    exited: dict[int, tuple[int, int]] = {}  # pid -> (wait status, peak resident bytes)
    control.send(pickle.dumps(("ready", os.getpid())))
    poller = select.poll()
    poller.register(control, select.POLLIN)
    try:
        while os.getppid() == parent:
            _reap(children, exited, subreaper)
            if not poller.poll(100):
                continue
            data = control.recv(_CONTROL_BUFFER)
            if not data:
                break
            request = pickle.loads(data)
            if request[0] == "exit":
                break
            if request[0] == "spawn":
                pid, channel = _fork_environment(control)
                children.add(pid)
                socket.send_fds(control, [pickle.dumps(("spawned", pid))], [channel.fileno()])
                channel.close()
            elif request[0] == "wait":
                control.send(pickle.dumps(("status", *_wait(request[1], children, exited))))
                _reap(children, exited, subreaper)
    finally:
        _end_everything(children, subreaper)
        shutil.rmtree(root_dir, ignore_errors=True)


def _fork_environment(control: socket.socket) -> tuple[int, socket.socket]:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:  # the new execution environment
        status = 1
        try:
            control.close()
            ours.close()
            from . import bootstrap

            status = bootstrap.run(theirs)
        finally:
            os._exit(status)
    theirs.close()
    return pid, ours


def _reap(children: set[int], exited: dict[int, tuple[int, int]], subreaper: bool = True) -> None:
    """Reap ended children; when an environment has ended, end the orphans it left.

    Environments are child subreapers, so what their handlers started stays their
    descendant while they live and is reparented to us when they end: any child of
    ours that is not a live environment is such an orphan.  Without the subreaper
    capability orphans go to init, and only the environment's process group is ended.
    """
    ended = False
    while True:
        try:
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
        if pid in children:
            ended = True
            children.discard(pid)
            exited[pid] = (status, platform.maxrss_bytes(usage.ru_maxrss))
            if len(exited) > 10_000:
                exited.pop(next(iter(exited)))
    if ended and subreaper:
        for pid in _children_of(os.getpid()):
            if pid not in children:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass


def _wait(pid: int, children: set[int], exited: dict[int, tuple[int, int]]) -> tuple[int | None, int | None]:
    if pid in exited:
        return exited.pop(pid)
    if pid not in children:
        return None, None
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        _, status, usage = os.wait4(pid, 0)
    except ChildProcessError:
        return None, None
    children.discard(pid)
    return status, platform.maxrss_bytes(usage.ru_maxrss)


def _end_everything(children: set[int], subreaper: bool = True) -> None:
    for pid in list(children):
        for kill in (os.killpg, os.kill):
            try:
                kill(pid, signal.SIGKILL)
            except OSError:
                pass
    if not subreaper:
        for pid in list(children):
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        return
    # Orphans of environments are reparented to us (child subreaper): end them too,
    # until none is left (an orphan's own children become ours when it dies).
    for _ in range(250):
        for pid in _children_of(os.getpid()):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            return
        time.sleep(0.02)


def _children_of(parent: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rpartition(")")[2].split()
            except OSError:
                continue
            if fields[1] == str(parent):
                found.append(int(entry))
    return found


if __name__ == "__main__":
    _main(int(sys.argv[1]), sys.argv[2])
