"""The kernel's side of debugging a handler: the console a debugger talks through.

pdb's output is printed where the invocation was asked for (the cell), and each
command is read as ``input()`` reads (in Jupyter: the kernel's stdin channel, a
``raw_input`` request).  Where nobody can type (a notebook run by nbclient in CI),
:meth:`KernelDebugger.commands` types the commands instead, echoed after the prompt
as if typed.  The account keeps one ``KernelDebugger`` (its extension ``debugger``),
which also keeps the exceptions of the last failed inline invocations for post-mortems.
"""

from __future__ import annotations

import builtins
import contextlib
import sys
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from typing import Any, TextIO

#: Failed inline invocations whose exception (and so traceback) is kept.
KEPT_FAILURES = 8


class KernelDebugger:
    """Reads debugger commands (typed, or scripted) and prints the debugger's output."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._script: deque[str] = deque()
        self._failures: OrderedDict[str, tuple[BaseException, Any]] = OrderedDict()

    # --- scripted commands --------------------------------------------------------------------

    @contextlib.contextmanager
    def commands(self, *lines: str) -> Iterator[None]:
        """Inside the block, the debugger reads these commands (then the console again)."""
        with self._lock:
            self._script.extend(lines)
        try:
            yield
        finally:
            with self._lock:
                self._script.clear()

    # --- the console -------------------------------------------------------------------------------

    def ask(self, text: str, out: TextIO | None = None) -> str:
        """Print pdb's ``text`` (its last line is the prompt) and read one line (with its newline;
        ``""``: no input, which pdb takes as the end)."""
        out = out or sys.stdout
        head, _, prompt = text.rpartition("\n")
        if head:
            out.write(head + "\n")
        with self._lock:
            scripted = self._script.popleft() if self._script else None
        if scripted is not None:
            out.write(prompt + scripted + "\n")
            out.flush()
            return scripted + "\n"
        out.flush()
        if threading.current_thread() is not threading.main_thread():
            return ""  # a background invocation (Event, a trigger, the Lambda API): no cell to type in
        saved = sys.stdout
        sys.stdout = out  # input() writes its prompt to sys.stdout (outside a kernel)
        try:
            return builtins.input(prompt) + "\n"
        except Exception:  # EOFError, or no stdin here (ipykernel's StdinNotImplementedError)
            return ""
        finally:
            sys.stdout = saved

    def show(self, text: str, out: TextIO | None = None) -> None:
        out = out or sys.stdout
        out.write(text)
        out.flush()

    def answer(self, frame: tuple, send: Callable[[tuple], None]) -> float | None:
        """Serve one ``("debug", ...)`` frame of a process environment's debugger: an ``input`` is
        answered with ``send`` (a ``resume`` too, with ``("debug", "")``); returns the held
        milliseconds on ``resume``, else None."""
        if frame[1] == "input":
            send(("debug", self.ask(frame[2])))
            return None
        if frame[2]:
            self.show(frame[2])
        send(("debug", ""))
        return float(frame[3])

    # --- failures kept for post-mortems ----------------------------------------------------------

    def keep_failure(self, request_id: str, exc: BaseException, env: Any = None) -> None:
        """Keep a failed inline invocation's exception (and its environment, whose variables a
        post-mortem sees); the last few are kept."""
        with self._lock:
            self._failures[request_id] = (exc, env)
            while len(self._failures) > KEPT_FAILURES:
                self._failures.popitem(last=False)
        if threading.current_thread() is threading.main_thread():  # IPython's %debug opens it too
            sys.last_type, sys.last_value, sys.last_traceback = type(exc), exc, exc.__traceback__

    def failure(self, request_id: str) -> tuple[BaseException, Any] | None:
        """The exception of a kept failure and its environment (None: not kept)."""
        with self._lock:
            return self._failures.get(request_id)

    def forget(self) -> None:
        with self._lock:
            self._failures.clear()


def is_debug_frame(frame: Any) -> bool:
    """Whether a frame from an environment is its debugger's, not the invocation's reply."""
    return isinstance(frame, tuple) and len(frame) >= 3 and frame[0] == "debug"
