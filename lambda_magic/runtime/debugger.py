"""``breakpoint()`` and ``pdb.set_trace()`` inside a handler: a pdb that suspends the deadline.

AWS has no debugger in Lambda; this is the local emulator's (as LocalStack's debug
mode does): while the debugger holds the invocation, from a stop until ``continue``
(``next`` and ``step`` included: a person is stepping), the function's deadline is
suspended.  Afterwards ``context.get_remaining_time_in_millis()`` answers what was left
at the stop, the timeout fires that much later, and the REPORT's Duration leaves the
held time out (it counts the code's own running time, as the timeout does).
``q`` (or no input at all) ends the invocation with a ``BdbQuit`` error.

Two consoles: in a process environment the pdb reads and writes through the channel
to the kernel (:class:`RemoteDebugger`, frames ``("debug", ...)``, see
:mod:`.debugger_console`); in an inline environment it talks to the kernel's own
console directly (:class:`InlineDebugger`).
"""

from __future__ import annotations

import os
import pdb
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping
from types import FrameType
from typing import Any

from . import wire

#: The handler's frames only: stepping never stops in the emulator's own code.
_SKIP = ("lambda_magic.*",)
_BDB = os.sep + 'bdb.py"'
QUIT_MESSAGE = "the debugger was quit (q): the invocation ended at the breakpoint"
NO_INPUT_MESSAGE = (
    "the debugger had no input (no stdin: a kernel run by nbclient, or an invocation in the background; "
    "lm.debugger_commands(...) types commands for it): the invocation ended at the breakpoint"
)


def standard_pdb() -> type[pdb.Pdb]:
    """Python's own ``pdb.Pdb`` (a Jupyter kernel replaces ``pdb.Pdb`` with IPython's subclass):
    the same plain debugger in every environment."""
    return next(c for c in pdb.Pdb.__mro__ if c.__module__ == "pdb" and c.__name__ == "Pdb")


class ShownPdb(standard_pdb()):  # type: ignore[misc]
    """The plain pdb on a console, naming the code's folders as Lambda does (``/var/task``)
    where an inline environment's real folders differ: ``shown`` maps real -> shown."""

    def __init__(self, console: Any, shown: Mapping[str, str] | None = None):
        super().__init__(stdin=console, stdout=console, skip=list(_SKIP), nosigint=True, readrc=False)
        self.prompt = "(Pdb) "
        self._shown = dict(shown or {})

    def _cmdloop(self) -> None:
        """As pdb's, but Kernel > Interrupt at the prompt ends the debugging (pdb would prompt again)."""
        self.allow_kbdint = True
        try:
            self.cmdloop()
        finally:
            self.allow_kbdint = False

    def format_stack_entry(self, frame_lineno: Any, lprefix: str = ": ") -> str:
        entry: str = super().format_stack_entry(frame_lineno, lprefix)
        for real, shown in self._shown.items():
            entry = entry.replace(real, shown)
        return entry


class HoldingPdb(ShownPdb):
    """A pdb that tells its owner when it starts holding the program (a stop) and when it
    lets it run again (``continue``, ``quit``)."""

    def __init__(self, owner: _Session, console: Any, shown: Mapping[str, str] | None = None):
        super().__init__(console, shown)
        self._owner = owner

    def interaction(self, frame: FrameType | None, traceback: Any) -> None:
        self._owner.hold()
        super().interaction(frame, traceback)

    def set_continue(self) -> None:
        super().set_continue()
        self._owner.release()

    def set_quit(self) -> None:
        super().set_quit()
        self._owner.quit(self._owner.eof)
        self._owner.release()


class _Session:
    """One invocation's debugging: the held time, the context whose deadline moves."""

    def __init__(self) -> None:
        #: The code's real folders -> the names Lambda gives them (inline environments).
        self.shown: dict[str, str] = {}
        self.context: Any = None
        self.suspended_ms = 0.0
        self.eof = False
        self.quit_reason: str | None = None
        self._held_since: float | None = None
        self._tracing = False

    # --- per invocation ---------------------------------------------------------------------

    def begin(self, context: Any) -> None:
        self.context, self.suspended_ms, self.eof, self.quit_reason = context, 0.0, False, None

    def end(self, error: dict[str, Any] | None) -> float:
        """The invocation returned: stop tracing, release the hold; explain a quit in ``error``
        (changed in place).  Returns the milliseconds the debugger held it."""
        if self._tracing:
            sys.settrace(None)
            frame = sys._getframe().f_back
            while frame is not None:
                if frame.f_trace is not None:
                    frame.f_trace = None
                frame = frame.f_back
            self._tracing = False
        self.release()
        if error is not None and error.get("errorType") == "BdbQuit" and self.quit_reason:
            error["errorMessage"] = self.quit_reason
            stack = error.get("stackTrace") or []
            error["stackTrace"] = [frame for frame in stack if _BDB not in frame]  # the handler's frames only
        self.context = None
        return self.suspended_ms

    # --- what the debugger says ---------------------------------------------------------------

    def hold(self) -> None:
        if self._held_since is None:
            self._held_since = time.time()

    def release(self) -> None:
        if self._held_since is None:
            return
        held_ms = (time.time() - self._held_since) * 1000
        self._held_since = None
        self.suspended_ms += held_ms
        if self.context is not None:  # the remaining time is what it was at the stop
            self.context._epoch_deadline_time_in_ms += int(held_ms)  # (down: the time left never grows)
        self.resumed(held_ms)

    def quit(self, eof: bool) -> None:
        self.quit_reason = NO_INPUT_MESSAGE if eof else QUIT_MESSAGE

    def resumed(self, held_ms: float) -> None:
        """The program runs again after ``held_ms`` in the debugger."""

    # --- the hooks ------------------------------------------------------------------------------

    def console(self) -> Any:
        raise NotImplementedError

    def breakpointhook(self, *args: Any, **kwargs: Any) -> Any:
        """``sys.breakpointhook``: this debugger, unless ``PYTHONBREAKPOINT`` names another (``0``: none)."""
        if os.environ.get("PYTHONBREAKPOINT"):
            return sys.__breakpointhook__(*args, **kwargs)
        return self.set_trace(sys._getframe(1))

    def set_trace(self, frame: FrameType | None = None, *, header: str | None = None) -> None:
        """``pdb.set_trace()``: stop in the caller's frame."""
        if self.context is None:  # not inside an invocation (the init phase): nothing to hold
            return
        debugger = HoldingPdb(self, self.console(), self.shown)
        if header is not None:
            debugger.message(header)
        self._tracing = True
        debugger.set_trace(frame or sys._getframe().f_back)


class RemoteDebugger(_Session):
    """In a process environment: the pdb's console is the kernel's, through the channel.

    Frames out: ``("debug", "input", text)`` (pdb's output, ending with its prompt: the
    kernel answers ``("debug", line)``, ``""`` at end of input) and
    ``("debug", "resume", text, held_ms)`` when the program runs again (answered ``("debug", "")``,
    so that the channel never holds two frames from the environment at once).
    """

    def __init__(self, sock: socket.socket, send_lock: threading.Lock):
        super().__init__()
        self._sock = sock
        self._send_lock = send_lock
        self._console = _Console(self)

    def install(self) -> None:
        """Make ``breakpoint()`` and ``pdb.set_trace()`` this debugger's (the process is the environment's)."""
        sys.breakpointhook = self.breakpointhook
        pdb.set_trace = self.set_trace

    def console(self) -> Any:
        return self._console

    def ask(self, text: str) -> str:
        with self._send_lock:
            wire.send(self._sock, ("debug", "input", text))
        reply = wire.recv(self._sock)
        line = reply[1] if isinstance(reply, tuple) and len(reply) == 2 and reply[0] == "debug" else ""
        if not line:
            self.eof = True
        return str(line)

    def resumed(self, held_ms: float) -> None:
        with self._send_lock:
            wire.send(self._sock, ("debug", "resume", self._console.take(), held_ms))
        wire.recv(self._sock)  # the kernel's ("debug", ""): one frame at a time on the channel


class _Console:
    """pdb's stdin and stdout: writes are kept until pdb asks for a line."""

    def __init__(self, owner: RemoteDebugger | InlineDebugger):
        self._owner = owner
        self._out: list[str] = []

    def write(self, text: str) -> int:
        self._out.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def take(self) -> str:
        text = "".join(self._out)
        self._out.clear()
        return text

    def readline(self) -> str:
        return self._owner.ask(self.take())


class InlineDebugger(_Session):
    """In an inline environment: the pdb talks to the kernel's console (``ask``: pdb's
    output ending with its prompt -> one line, ``""`` at end of input) while the handler's
    stdout is its log.  ``with debugger.installed(context):`` around one invocation."""

    def __init__(self, ask: Callable[[str], str], show: Callable[[str], None]):
        super().__init__()
        self._ask = ask
        self._show = show
        self._console = _Console(self)
        self._saved: tuple[Any, Any] | None = None

    def installed(self, context: Any) -> InlineDebugger:
        self.begin(context)
        return self

    def __enter__(self) -> None:
        self._saved = (sys.breakpointhook, pdb.set_trace)
        sys.breakpointhook = self.breakpointhook
        pdb.set_trace = self.set_trace

    def __exit__(self, *exc: object) -> None:
        assert self._saved is not None
        sys.breakpointhook, pdb.set_trace = self._saved
        self._saved = None
        if self._tracing:  # interrupted at the prompt: the kernel's own code must not stop in pdb
            sys.settrace(None)
            self._tracing = False

    def console(self) -> Any:
        return self._console

    def ask(self, text: str) -> str:
        line = self._ask(text)
        if not line:
            self.eof = True
        return line

    def resumed(self, held_ms: float) -> None:
        text = self._console.take()
        if text:
            self._show(text)
