"""A post-mortem on a failed invocation: pdb at the frame that raised.

Inline isolation: the handler ran in the kernel, whose :class:`~.debugger_console.KernelDebugger`
kept the exception (of the last few failures), so the post-mortem is on that very traceback.
Process isolation: the exception died with the environment's process, so the event is run
again in an inline environment of the same function version (the same code, configuration
and environment variables; not recorded as an invocation, its log not kept) and the
post-mortem is on that run's exception, saying so.  A re-run may not fail the same way
(time, randomness, state in ``/tmp`` or the local cloud): then it says that instead.
"""

from __future__ import annotations

import contextlib
import sys
import time
import uuid
from dataclasses import replace
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

from ..common.errors import ResourceNotFoundException
from .debugger import ShownPdb
from .debugger_console import KernelDebugger
from .requests import encode_payload

if TYPE_CHECKING:
    from .account import LocalAccount
    from .invocation import Invocation

_INIT_TIMEOUT_S = 10


def debugger_of(account: LocalAccount) -> KernelDebugger:
    """The account's kernel-side debugger (console, scripted commands, kept failures)."""
    debugger: KernelDebugger = account.extension("debugger", KernelDebugger)
    return debugger


def failed_invocation(account: LocalAccount, request_id: str | None = None) -> Invocation:
    """The invocation ``request_id``, or the last one that failed (a function error or timeout)."""
    records = list(account.invocation_records())
    if request_id is not None:
        for invocation in reversed(records):
            if invocation.request_id == request_id:
                if invocation.error is None:
                    raise ResourceNotFoundException(
                        f"invocation {request_id} did not fail ({invocation.status}): nothing to debug"
                    )
                return invocation
        raise ResourceNotFoundException(f"no invocation {request_id} is kept: see lm.invocations()")
    for invocation in reversed(records):
        if invocation.error is not None and invocation.status in ("error", "timeout"):
            return invocation
    raise ResourceNotFoundException("no invocation has failed yet: nothing to debug")


def post_mortem(account: LocalAccount, request_id: str | None = None, out: TextIO | None = None) -> str:
    """Open pdb on a failed invocation's exception (the last failed one by default); returns
    how it went, one line (also printed first when the event had to be run again)."""
    out = out or sys.stdout
    invocation = failed_invocation(account, request_id)
    console = debugger_of(account)
    kept = console.failure(invocation.request_id)
    if kept is None:
        why = (
            "ran with process isolation"
            if invocation.isolation != "inline"
            else "is no longer kept (the last few inline failures are)"
        )
        out.write(
            f"{invocation.function_name} {invocation.request_id} {why}: re-running its event in an inline "
            "environment with the same code and environment variables (not recorded), for the post-mortem\n"
        )
        return _rerun_inline(account, invocation, console, out)
    exc, env = kept
    return _debug(console, invocation.request_id, exc, env, out)


def _debug(console: KernelDebugger, request_id: str, exc: BaseException, env: Any, out: TextIO) -> str:
    tb = _handler_frames(exc.__traceback__)
    if tb is None:
        problem = f"{type(exc).__name__} was raised outside the handler's code: nothing to step through"
        out.write(problem + "\n")
        return problem
    scope = env.debug_scope() if env is not None and env.alive else contextlib.nullcontext()
    shown = env.shown_folders() if env is not None else {}
    with scope:  # the environment's variables, as the handler saw them
        _interact(console, exc, tb, out, shown)
    return f"post-mortem of {request_id} ({type(exc).__name__}) ended"


def _rerun_inline(account: LocalAccount, invocation: Invocation, console: KernelDebugger, out: TextIO) -> str:
    function = account.registry.resolve(invocation.function_name, invocation.version)
    inline = replace(function, config=replace(function.config, isolation="inline"))
    env = account.invoker.environments.new(inline)  # the spec (package, variables) an invoke uses
    try:
        init = env.initialize(_INIT_TIMEOUT_S)
        if init.status != "success":
            error = init.error or {}
            return _say(
                out,
                f"the re-run failed in its init phase ({error.get('errorType', init.status)}: "
                f"{error.get('errorMessage', '')}): see the function's log; nothing to step through",
            )
        request_id = str(uuid.uuid4())
        timeout_s = function.config.timeout_s
        request = (
            request_id,
            encode_payload(invocation.event, "RequestResponse"),
            int(time.time() * 1000) + timeout_s * 1000,  # the deadline, epoch ms
            function.qualified_arn(None),
            None,
            None,
            "Root=1-00000000-000000000000000000000000;Sampled=0",
        )
        result = env.invoke(request, timeout_s)
        kept = console.failure(request_id)
        if kept is None:
            return _say(
                out, f"the re-run did not fail ({result.status}): nothing to debug (it may depend on state or time)"
            )
        return _debug(console, invocation.request_id, kept[0], env, out)
    finally:
        env.shutdown()
        account.pool.forget(env)


def _say(out: TextIO, line: str) -> str:
    out.write(line + "\n")
    return line


def _handler_frames(tb: TracebackType | None) -> TracebackType | None:
    """The traceback from the handler's first frame (the emulator's own frames left out)."""
    while tb is not None and str(tb.tb_frame.f_globals.get("__name__", "")).startswith("lambda_magic."):
        tb = tb.tb_next
    return tb


def _interact(
    console: KernelDebugger, exc: BaseException, tb: TracebackType, out: TextIO, shown: dict[str, str]
) -> None:
    stream: Any = _Stream(console, out)  # pdb needs only readline() and write()
    debugger = ShownPdb(stream, shown)
    debugger.message(f"post-mortem: {type(exc).__name__}: {exc}")
    debugger.reset()
    debugger.interaction(None, tb)
    rest = stream.take()
    if rest:
        console.show(rest, out)


class _Stream:
    """pdb's stdin and stdout: what it writes is printed when it asks for a line."""

    def __init__(self, console: KernelDebugger, out: TextIO):
        self._console, self._out = console, out
        self._parts: list[str] = []

    def write(self, text: str) -> int:
        self._parts.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def take(self) -> str:
        text = "".join(self._parts)
        self._parts.clear()
        return text

    def readline(self) -> str:
        return self._console.ask(self.take(), self._out)
