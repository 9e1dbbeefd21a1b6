"""The module-level Python API for debugging handlers (``lm.debug``, ``lm.debugger_commands``),
on the default account of :mod:`lambda_magic.api`.

``breakpoint()`` (or ``pdb.set_trace()``) in a handler needs no call at all: it opens pdb
in the cell that invoked, with the function's deadline suspended while pdb holds it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .runtime.account import LocalAccount


def _account() -> LocalAccount:
    from .api import account as default_account

    return default_account()


def debug(request_id: str | None = None) -> str:
    """A post-mortem (pdb) on the failed invocation ``request_id``, or on the last failed one.

    Inline isolation: on the kept traceback itself.  Process isolation: the event is run
    again in an inline environment with the same code and environment variables (and it
    says so), then pdb opens where it raised.  Returns how it went, in one line.
    """
    from .runtime.debugger_post_mortem import post_mortem

    return post_mortem(_account(), request_id)


@contextlib.contextmanager
def debugger_commands(*commands: str) -> Iterator[None]:
    """Type these pdb commands for the debugger (``breakpoint()`` or :func:`debug`) inside the block,
    echoed after each prompt as if typed; then the console reads again.  For notebooks that run
    with nobody at the keyboard (nbclient in CI): ``with lm.debugger_commands("p total", "c"): ...``."""
    from .runtime.debugger_post_mortem import debugger_of

    with debugger_of(_account()).commands(*commands):
        yield
