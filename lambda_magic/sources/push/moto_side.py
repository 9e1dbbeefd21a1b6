"""The push sources' side inside the local cloud's server process (imported there only).

:func:`install` patches moto so that where a service would call its own Lambda
backend (which cannot run the notebook's functions), it calls the account
instead, through ``call(payload)``; ``payload["op"]`` names the account-side
operation a source registered with :meth:`PushSources.on`.  Each source's moto
side is a module in :data:`MOTO_PATCHES` with an ``install(call)`` of its own.

A server loads this module once, but an account may be reset and ask again:
every ``install`` must patch only once (mark what it patched and check the mark).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

#: Each source's moto side, installed in this order.
MOTO_PATCHES: tuple[str, ...] = (
    "lambda_magic.sources.push.sns_moto",
    "lambda_magic.sources.push.events_moto",
    "lambda_magic.sources.push.logs_moto",
    "lambda_magic.sources.push.s3_moto",
    "lambda_magic.sources.push.schedules_moto",
)

Call = Callable[[dict[str, Any]], Any]
#: The attribute that marks a function or class as patched by lambda_magic.
MARK = "_lambda_magic_patched"


class PatchConflict(RuntimeError):
    """Two different replacements for the same method: the second would be lost silently."""


def patch(owner: Any, name: str, replacement: Callable[..., Any]) -> bool:
    """Set ``owner.name = replacement`` once (True), keeping the original as
    ``replacement.original``.

    Patching again with the same replacement (the same function, or a new closure of the same
    ``def``, as a re-run ``install`` makes) is a no-op (False).  Patching a method that another
    replacement already patched raises :class:`PatchConflict`: only one of them would run.
    """
    current = getattr(owner, name)
    link, other = current, None
    while link is not None:  # the chain of wrappers down to moto's own method
        if getattr(link, "__code__", None) is getattr(replacement, "__code__", replacement):
            return False
        if other is None and getattr(link, MARK, False):
            other = link
        link = getattr(link, "original", None)
    if other is not None:
        where = f"{getattr(owner, '__qualname__', owner)}.{name}"
        raise PatchConflict(
            f"{where} is patched already by {getattr(other, '__qualname__', other)}; "
            f"{getattr(replacement, '__qualname__', replacement)} would replace it: wrap one in the other instead"
        )
    replacement.original = current  # type: ignore[attr-defined]
    setattr(replacement, MARK, True)
    setattr(owner, name, replacement)
    return True


def install(call: Call) -> None:
    for module in MOTO_PATCHES:
        importlib.import_module(module).install(call)
